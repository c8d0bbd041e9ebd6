// Wait-for graph at the cursor (inspector::wait_graph_at): each waiting task points at what it waits
// for (a task it joins, a mutex/semaphore/channel/event object, an IO resource, a timer); objects
// with a known holder point at it ("held by"). Deadlock cycles are drawn as a red ring on the left,
// everything else in columns by how deep it sits in a wait chain. Click a task to select it.
#include "app.hpp"
#include "panels.hpp"
#include "theme.hpp"

#include <coroscope/inspector/model.hpp>

#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace coroscope::gui {

namespace {

using inspector::node_kind;
using inspector::wait_edge;
using inspector::wait_node;

// Sizes in pixels at --scale 1; they grow with the font (ui_scale()).
constexpr float node_pad_x = 8, node_pad_y = 4;
constexpr float column_gap = 70, row_gap = 14;

std::string node_label(const inspector::model& m, const graph_layout::node& n, const answers_cache& cache) {
    switch (n.node.kind) {
    case node_kind::task: return task_label(m, n.node.id);
    case node_kind::timer: return "timer " + std::to_string(n.node.id);
    case node_kind::resource: {
        for (const auto& r : cache.resources) {
            if (r.id != n.node.id) continue;
            std::string out = std::string(traces::to_string(r.kind)) + " " + std::to_string(r.id);
            if (r.label != 0) out += " " + std::string(m.text(r.label));
            return out;
        }
        return "resource " + std::to_string(n.node.id);
    }
    case node_kind::object:
        return (n.object_reason == traces::wait_reason::none ? std::string("object")
                                                             : std::string(traces::to_string(n.object_reason))) +
               " " + std::to_string(n.node.id);
    }
    return "?";
}

// The point where the segment from the center of r towards `to` leaves r.
ImVec2 border_point(ImVec2 r0, ImVec2 r1, ImVec2 to) {
    ImVec2 c((r0.x + r1.x) * 0.5f, (r0.y + r1.y) * 0.5f);
    float dx = to.x - c.x, dy = to.y - c.y;
    float hw = (r1.x - r0.x) * 0.5f, hh = (r1.y - r0.y) * 0.5f;
    if (std::fabs(dx) < 1e-3f && std::fabs(dy) < 1e-3f) return c;
    float tx = std::fabs(dx) > 1e-3f ? hw / std::fabs(dx) : 1e9f;
    float ty = std::fabs(dy) > 1e-3f ? hh / std::fabs(dy) : 1e9f;
    float t = std::min(tx, ty);
    return ImVec2(c.x + dx * t, c.y + dy * t);
}

void arrow(ImDrawList* dl, ImVec2 a, ImVec2 b, ImU32 color, float thickness, bool dashed) {
    float dx = b.x - a.x, dy = b.y - a.y;
    float len = std::sqrt(dx * dx + dy * dy);
    if (len < 1) return;
    float ux = dx / len, uy = dy / len;
    const float head = 9 + thickness;
    ImVec2 base(b.x - ux * head, b.y - uy * head);
    if (dashed) { // a holder inferred from a hand-over (trace without acquire/release): dashed
        for (float d = 0; d < len - head; d += 10) {
            float e = std::min(d + 6, len - head);
            dl->AddLine(ImVec2(a.x + ux * d, a.y + uy * d), ImVec2(a.x + ux * e, a.y + uy * e), color, thickness);
        }
    } else {
        dl->AddLine(a, base, color, thickness);
    }
    dl->AddTriangleFilled(b, ImVec2(base.x - uy * head * 0.5f, base.y + ux * head * 0.5f),
                          ImVec2(base.x + uy * head * 0.5f, base.y - ux * head * 0.5f), color);
}


// Places the graph's nodes and arrows on the canvas (once per graph; see graph_layout).
void build_layout(const inspector::model& m, const answers_cache& cache, graph_layout& out) {
    const inspector::wait_graph& g = cache.graph;
    out.generation = cache.graph_generation;
    out.font_size = ImGui::GetFontSize();
    const float k = ui_scale();
    out.nodes.clear();
    out.links.clear();
    // The run queue in words; a long one (thousands of ready tasks) names the first few.
    constexpr std::size_t named = 40;
    out.run_queue.clear();
    for (std::size_t i = 0; i < g.run_queue.size() && i < named; ++i)
        out.run_queue += (i ? ", " : "") + std::to_string(g.run_queue[i]);
    if (g.run_queue.size() > named) out.run_queue += ", ... (" + std::to_string(g.run_queue.size()) + " tasks)";
    if (out.run_queue.empty()) out.run_queue = "empty";
    auto key_of = [](const wait_node& n) { return static_cast<std::uint64_t>(n.kind) << 32 | n.id; };
    // Nodes: every endpoint of an edge; objects learn their kind from the waits on them. (Hashed:
    // following a live program with thousands of waits, this runs at every refresh of the graph.)
    std::unordered_map<std::uint64_t, std::size_t> index;
    index.reserve(g.edges.size() * 2);
    out.nodes.reserve(g.edges.size() * 2);
    out.links.reserve(g.edges.size());
    auto add_node = [&](const wait_node& n) {
        auto [it, inserted] = index.emplace(key_of(n), out.nodes.size());
        if (inserted) out.nodes.push_back(graph_layout::node{n, {}, traces::wait_reason::none, false, 0});
        return it->second;
    };
    for (const wait_edge& e : g.edges) {
        std::size_t a = add_node(e.from), b = add_node(e.to);
        out.links.push_back(graph_layout::link{a, b});
        if (!e.held_by && e.to.kind == node_kind::object) out.nodes[b].object_reason = e.reason;
    }
    auto& nodes = out.nodes;
    // Cycle membership: its tasks, and the objects their awaits go through.
    std::unordered_set<std::uint64_t> ring_order_seen;
    std::vector<std::size_t> ring; // nodes of all cycles, in cycle order
    for (const auto& c : g.cycles) {
        for (const auto& a : c.awaits) {
            auto push = [&](wait_node n) {
                auto it = index.find(key_of(n));
                if (it == index.end() || !ring_order_seen.insert(key_of(n)).second) return;
                nodes[it->second].in_cycle = true;
                ring.push_back(it->second);
            };
            push({node_kind::task, a.task});
            if (a.reason != traces::wait_reason::join) push({node_kind::object, a.target});
        }
    }
    // Columns for the rest: longest wait chain leading to a node (cycle nodes do not count).
    for (int pass = 0; pass < static_cast<int>(nodes.size()); ++pass) {
        bool changed = false;
        for (const auto& l : out.links) {
            if (nodes[l.from].in_cycle || nodes[l.to].in_cycle) continue;
            if (nodes[l.to].column < nodes[l.from].column + 1 && nodes[l.from].column + 1 < static_cast<int>(nodes.size())) {
                nodes[l.to].column = nodes[l.from].column + 1;
                changed = true;
            }
        }
        if (!changed) break;
    }
    const void* model_id = m.history().tasks().data();
    if (out.task_labels_model != model_id || out.task_labels_font != out.font_size) {
        out.task_labels.clear();
        out.task_labels_model = model_id;
        out.task_labels_font = out.font_size;
    }
    for (auto& n : nodes) {
        if (n.node.kind == node_kind::task) {
            auto [it, made] = out.task_labels.try_emplace(n.node.id);
            if (made) {
                it->second.text = node_label(m, n, cache);
                ImVec2 t = ImGui::CalcTextSize(it->second.text.c_str());
                it->second.w = t.x;
                it->second.h = t.y;
            }
            n.label = it->second.text;
            n.w = it->second.w + node_pad_x * k * 2;
            n.h = it->second.h + node_pad_y * k * 2;
            continue;
        }
        n.label = node_label(m, n, cache);
        ImVec2 t = ImGui::CalcTextSize(n.label.c_str());
        n.w = t.x + node_pad_x * k * 2;
        n.h = t.y + node_pad_y * k * 2;
    }

    // The ring (if any) in a square at the left, then the columns.
    float ring_size = 0;
    if (!ring.empty()) {
        float widest = 0;
        for (std::size_t i : ring) widest = std::max(widest, nodes[i].w);
        float r = std::max(70.0f * k, static_cast<float>(ring.size()) * 34.0f * k / 3.14159f) + widest * 0.35f;
        ring_size = 2 * r + widest + 20 * k;
        for (std::size_t k = 0; k < ring.size(); ++k) {
            float angle = -3.14159f / 2 + 2 * 3.14159f * static_cast<float>(k) / static_cast<float>(ring.size());
            graph_layout::node& n = nodes[ring[k]];
            float cx = ring_size * 0.5f + r * std::cos(angle), cy = ring_size * 0.5f + r * std::sin(angle);
            n.x = cx - n.w * 0.5f;
            n.y = cy - n.h * 0.5f;
        }
    }
    int columns = 0;
    for (const auto& n : nodes)
        if (!n.in_cycle) columns = std::max(columns, n.column + 1);
    std::vector<float> column_y(static_cast<std::size_t>(columns), 10.0f * k), column_w(static_cast<std::size_t>(columns), 0.0f);
    for (auto& n : nodes) {
        if (n.in_cycle) continue;
        auto c = static_cast<std::size_t>(n.column);
        n.y = column_y[c];
        column_y[c] += n.h + row_gap * k;
        column_w[c] = std::max(column_w[c], n.w);
    }
    float x = ring_size + (ring.empty() ? 10.0f : 30.0f) * k, content_h = ring_size;
    for (std::size_t c = 0; c < column_w.size(); ++c) {
        for (auto& n : nodes)
            if (!n.in_cycle && static_cast<std::size_t>(n.column) == c) n.x = x;
        content_h = std::max(content_h, column_y[c]);
        x += column_w[c] + column_gap * k;
    }
    out.width = x;
    out.height = content_h;

    // Arrows from border to border; a pair of opposite edges (a 2-task cycle) would overlap: each
    // moves to its own right.
    std::vector<std::pair<std::size_t, std::size_t>> pairs;
    pairs.reserve(out.links.size());
    for (const auto& l : out.links) pairs.emplace_back(l.from, l.to);
    std::sort(pairs.begin(), pairs.end());
    for (auto& l : out.links) {
        const graph_layout::node& a = nodes[l.from];
        const graph_layout::node& b = nodes[l.to];
        ImVec2 ca(a.x + a.w * 0.5f, a.y + a.h * 0.5f), cb(b.x + b.w * 0.5f, b.y + b.h * 0.5f);
        ImVec2 pa = border_point(ImVec2(a.x, a.y), ImVec2(a.x + a.w, a.y + a.h), cb);
        ImVec2 pb = border_point(ImVec2(b.x, b.y), ImVec2(b.x + b.w, b.y + b.h), ca);
        if (std::binary_search(pairs.begin(), pairs.end(), std::pair<std::size_t, std::size_t>(l.to, l.from))) {
            float dx = pb.x - pa.x, dy = pb.y - pa.y, len = std::max(1.0f, std::sqrt(dx * dx + dy * dy));
            ImVec2 off(-dy / len * 6, dx / len * 6);
            pa = ImVec2(pa.x + off.x, pa.y + off.y);
            pb = ImVec2(pb.x + off.x, pb.y + off.y);
        }
        l.ax = pa.x;
        l.ay = pa.y;
        l.bx = pb.x;
        l.by = pb.y;
    }
}

} // namespace

void draw_wait_graph_panel(session& s, ui_state& ui) {
    const inspector::model& m = s.model;
    const answers_cache& cache = ui.panels.cache;
    const inspector::wait_graph& g = cache.graph;

    // Header: what runs, what is queued, and the cycles in words.
    ImGui::TextUnformatted("Wait-for graph");
    ImGui::SameLine();
    ImGui::TextColored(to_vec4(color_text_dim), "at step %llu", static_cast<unsigned long long>(m.cursor()));
    ImGui::SameLine(0, 16);
    if (g.running) ImGui::TextColored(to_vec4(color_running), "running: %s", task_label(m, g.running).c_str());
    else ImGui::TextColored(to_vec4(color_text_dim), "running: -");
    ImGui::SameLine(0, 16);
    graph_layout& layout = ui.panels.graph;
    if (layout.generation != cache.graph_generation || layout.font_size != ImGui::GetFontSize()) build_layout(m, cache, layout);
    ImGui::TextColored(to_vec4(color_ready), "run queue: %s", layout.run_queue.c_str());
    for (const auto& c : g.cycles) {
        std::string text = "deadlock:";
        for (const auto& a : c.awaits)
            text += " " + std::to_string(a.task) + " -" + std::string(traces::to_string(a.reason)) + "->";
        if (!c.awaits.empty()) text += " " + std::to_string(c.awaits.front().task);
        ImGui::TextColored(to_vec4(color_cycle), "%s", text.c_str());
    }
    if (g.edges.empty()) {
        ImGui::TextColored(to_vec4(color_text_dim), "No task waits at this step.");
        return;
    }

    const std::vector<graph_layout::node>& nodes = layout.nodes;

    // Legend of edge kinds.
    ImGui::TextColored(to_vec4(color_text_dim), "edges:");
    for (auto r : {traces::wait_reason::join, traces::wait_reason::mutex, traces::wait_reason::channel,
                   traces::wait_reason::event, traces::wait_reason::io, traces::wait_reason::sleep}) {
        ImGui::SameLine(0, 10);
        color_swatch(wait_color(r), std::string(traces::to_string(r)).c_str());
    }
    ImGui::SameLine(0, 10);
    ImGui::TextColored(to_vec4(color_text_dim), "-> held by  - - inferred");
    ImGui::SameLine(0, 10);
    color_swatch(color_cycle, "cycle");

    ImGui::BeginChild("graph_canvas", ImVec2(0, 0), false, ImGuiWindowFlags_HorizontalScrollbar);
    ImVec2 origin = ImGui::GetCursorScreenPos();
    ImVec2 avail = ImGui::GetContentRegionAvail();
    ImGui::InvisibleButton("canvas", ImVec2(std::max(layout.width, avail.x), std::max(layout.height, avail.y)));
    bool clicked = ImGui::IsItemClicked();
    ImVec2 mouse = ImGui::GetIO().MousePos;
    ImDrawList* dl = ImGui::GetWindowDrawList();
    // What of the canvas shows (canvas coordinates), with a margin for arrow heads and labels:
    // only that is drawn, so a graph of thousands of waits costs what its visible part costs.
    const ImVec2 win = ImGui::GetWindowPos(), win_size = ImGui::GetWindowSize();
    const float margin = 40;
    const float vx0 = win.x - origin.x - margin, vy0 = win.y - origin.y - margin;
    const float vx1 = vx0 + win_size.x + 2 * margin, vy1 = vy0 + win_size.y + 2 * margin;
    auto in_view = [&](float x0, float y0, float x1, float y1) { return x1 >= vx0 && x0 <= vx1 && y1 >= vy0 && y0 <= vy1; };

    // Edges under the nodes; the reason written near the middle.
    for (std::size_t i = 0; i < layout.links.size() && i < g.edges.size(); ++i) {
        const graph_layout::link& l = layout.links[i];
        if (!in_view(std::min(l.ax, l.bx), std::min(l.ay, l.by), std::max(l.ax, l.bx), std::max(l.ay, l.by))) continue;
        const wait_edge& e = g.edges[i];
        bool cyc = nodes[l.from].in_cycle && nodes[l.to].in_cycle;
        ImVec2 pa(origin.x + l.ax, origin.y + l.ay), pb(origin.x + l.bx, origin.y + l.by);
        rgb c = cyc ? color_cycle : wait_color(e.reason);
        arrow(dl, pa, pb, to_u32(c), cyc ? 3.0f : 1.5f, e.held_by && e.inferred);
        const char* what = e.held_by ? "held by" : traces::to_string(e.reason).data();
        ImVec2 mid(pa.x + (pb.x - pa.x) * 0.4f, pa.y + (pb.y - pa.y) * 0.4f); // off-centre: opposite edges' labels apart
        ImVec2 ts = ImGui::CalcTextSize(what);
        dl->AddRectFilled(ImVec2(mid.x - ts.x * 0.5f - 2, mid.y - ts.y * 0.5f), ImVec2(mid.x + ts.x * 0.5f + 2, mid.y + ts.y * 0.5f),
                          IM_COL32(30, 33, 40, 220), 2.0f);
        dl->AddText(ImVec2(mid.x - ts.x * 0.5f, mid.y - ts.y * 0.5f), to_u32(c), what);
    }
    // Nodes: tasks with their state color as the border; objects, resources, timers in gray boxes.
    for (const graph_layout::node& n : nodes) {
        if (!in_view(n.x, n.y, n.x + n.w, n.y + n.h)) continue;
        ImVec2 r0(origin.x + n.x, origin.y + n.y), r1(r0.x + n.w, r0.y + n.h);
        bool is_task = n.node.kind == node_kind::task;
        const inspector::task_snapshot* t = is_task ? m.state().task(n.node.id) : nullptr;
        bool selected = is_task && n.node.id == ui.selected_task;
        ImU32 fill = n.in_cycle ? IM_COL32(96, 24, 24, 255) : selected ? IM_COL32(50, 80, 140, 255)
                                : is_task ? IM_COL32(44, 48, 58, 255) : IM_COL32(34, 36, 42, 255);
        rgb border = n.in_cycle ? color_cycle : t ? state_color(t->state, t->reason, t->status) : color_text_dim;
        dl->AddRectFilled(r0, r1, fill, is_task ? 6.0f : 0.0f);
        dl->AddRect(r0, r1, to_u32(border), is_task ? 6.0f : 0.0f, 0, n.in_cycle || selected ? 2.5f : 1.5f);
        dl->AddText(ImVec2(r0.x + node_pad_x * ui_scale(), r0.y + node_pad_y * ui_scale()), IM_COL32(230, 232, 238, 255), n.label.c_str());
        bool over = mouse.x >= r0.x && mouse.x < r1.x && mouse.y >= r0.y && mouse.y < r1.y;
        if (over && is_task) {
            ImGui::SetTooltip("%s\n%s\nclick: select", n.label.c_str(),
                              t ? (std::string(inspector::to_string(t->state)) + " " + std::string(traces::to_string(t->reason))).c_str() : "");
            if (clicked) ui.selected_task = n.node.id;
        }
    }
    ImGui::EndChild();
}

} // namespace coroscope::gui
