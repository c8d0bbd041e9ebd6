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

namespace coroscope::gui {

namespace {

using inspector::node_kind;
using inspector::wait_edge;
using inspector::wait_node;

constexpr float node_pad_x = 8, node_pad_y = 4;
constexpr float column_gap = 70, row_gap = 14;

struct node_key {
    node_kind kind;
    std::uint32_t id;
    bool operator<(const node_key& o) const { return std::tie(kind, id) < std::tie(o.kind, o.id); }
};
node_key key_of(const wait_node& n) { return {n.kind, n.id}; }

struct placed_node {
    wait_node node;
    std::string label;
    traces::wait_reason object_reason = traces::wait_reason::none; // objects: what kind of object (from the wait)
    bool in_cycle = false;
    int column = 0;
    ImVec2 size, pos; // pos: top-left relative to the canvas
};

std::string node_label(const inspector::model& m, const placed_node& n, const answers_cache& cache) {
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
    std::string queue;
    for (std::uint32_t t : g.run_queue) queue += (queue.empty() ? "" : ", ") + std::to_string(t);
    ImGui::TextColored(to_vec4(color_ready), "run queue: %s", queue.empty() ? "empty" : queue.c_str());
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

    // Nodes: every endpoint of an edge; objects learn their kind from the waits on them.
    std::vector<placed_node> nodes;
    std::map<node_key, std::size_t> index;
    auto add_node = [&](const wait_node& n) {
        auto [it, inserted] = index.emplace(key_of(n), nodes.size());
        if (inserted) nodes.push_back(placed_node{n, {}, traces::wait_reason::none, false, 0, {}, {}});
        return it->second;
    };
    std::vector<std::pair<std::size_t, std::size_t>> links; // per edge: from, to node indices
    for (const wait_edge& e : g.edges) {
        std::size_t a = add_node(e.from), b = add_node(e.to);
        links.emplace_back(a, b);
        if (!e.held_by && e.to.kind == node_kind::object) nodes[b].object_reason = e.reason;
    }
    // Cycle membership: its tasks, and the objects their awaits go through.
    std::set<node_key> ring_order_seen;
    std::vector<std::size_t> ring; // nodes of all cycles, in cycle order
    for (const auto& c : g.cycles) {
        for (const auto& a : c.awaits) {
            auto push = [&](node_key k) {
                auto it = index.find(k);
                if (it == index.end() || !ring_order_seen.insert(k).second) return;
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
        for (auto [a, b] : links) {
            if (nodes[a].in_cycle || nodes[b].in_cycle) continue;
            if (nodes[b].column < nodes[a].column + 1 && nodes[a].column + 1 < static_cast<int>(nodes.size())) {
                nodes[b].column = nodes[a].column + 1;
                changed = true;
            }
        }
        if (!changed) break;
    }
    for (auto& n : nodes) {
        n.label = node_label(m, n, cache);
        ImVec2 t = ImGui::CalcTextSize(n.label.c_str());
        n.size = ImVec2(t.x + node_pad_x * 2, t.y + node_pad_y * 2);
    }

    // Layout: the ring (if any) in a square at the left, then the columns.
    float ring_size = 0;
    if (!ring.empty()) {
        float widest = 0;
        for (std::size_t i : ring) widest = std::max(widest, nodes[i].size.x);
        float r = std::max(70.0f, static_cast<float>(ring.size()) * 34.0f / 3.14159f) + widest * 0.35f;
        ring_size = 2 * r + widest + 20;
        for (std::size_t k = 0; k < ring.size(); ++k) {
            float angle = -3.14159f / 2 + 2 * 3.14159f * static_cast<float>(k) / static_cast<float>(ring.size());
            placed_node& n = nodes[ring[k]];
            float cx = ring_size * 0.5f + r * std::cos(angle), cy = ring_size * 0.5f + r * std::sin(angle);
            n.pos = ImVec2(cx - n.size.x * 0.5f, cy - n.size.y * 0.5f);
        }
    }
    int columns = 0;
    for (const auto& n : nodes)
        if (!n.in_cycle) columns = std::max(columns, n.column + 1);
    float x = ring_size + (ring.empty() ? 10.0f : 30.0f), content_h = ring_size;
    for (int c = 0; c < columns; ++c) {
        float widest = 0, y = 10;
        for (auto& n : nodes) {
            if (n.in_cycle || n.column != c) continue;
            n.pos = ImVec2(x, y);
            y += n.size.y + row_gap;
            widest = std::max(widest, n.size.x);
        }
        content_h = std::max(content_h, y);
        x += widest + column_gap;
    }
    float content_w = x;

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
    ImGui::InvisibleButton("canvas", ImVec2(std::max(content_w, avail.x), std::max(content_h, avail.y)));
    bool clicked = ImGui::IsItemClicked();
    ImVec2 mouse = ImGui::GetIO().MousePos;
    ImDrawList* dl = ImGui::GetWindowDrawList();
    auto rect0 = [&](const placed_node& n) { return ImVec2(origin.x + n.pos.x, origin.y + n.pos.y); };
    auto rect1 = [&](const placed_node& n) { return ImVec2(origin.x + n.pos.x + n.size.x, origin.y + n.pos.y + n.size.y); };
    auto center = [&](const placed_node& n) {
        return ImVec2(origin.x + n.pos.x + n.size.x * 0.5f, origin.y + n.pos.y + n.size.y * 0.5f);
    };

    // Edges under the nodes; the reason written at the middle.
    for (std::size_t i = 0; i < g.edges.size(); ++i) {
        const wait_edge& e = g.edges[i];
        const placed_node& a = nodes[links[i].first];
        const placed_node& b = nodes[links[i].second];
        bool cyc = a.in_cycle && b.in_cycle;
        ImVec2 pa = border_point(rect0(a), rect1(a), center(b));
        ImVec2 pb = border_point(rect0(b), rect1(b), center(a));
        // A pair of opposite edges (a 2-task cycle) would overlap: each moves to its own right.
        if (std::find(links.begin(), links.end(), std::make_pair(links[i].second, links[i].first)) != links.end()) {
            float dx = pb.x - pa.x, dy = pb.y - pa.y, len = std::max(1.0f, std::sqrt(dx * dx + dy * dy));
            ImVec2 off(-dy / len * 6, dx / len * 6);
            pa = ImVec2(pa.x + off.x, pa.y + off.y);
            pb = ImVec2(pb.x + off.x, pb.y + off.y);
        }
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
    for (const placed_node& n : nodes) {
        ImVec2 r0 = rect0(n), r1 = rect1(n);
        bool is_task = n.node.kind == node_kind::task;
        const inspector::task_snapshot* t = is_task ? m.state().task(n.node.id) : nullptr;
        bool selected = is_task && n.node.id == ui.selected_task;
        ImU32 fill = n.in_cycle ? IM_COL32(96, 24, 24, 255) : selected ? IM_COL32(50, 80, 140, 255)
                                : is_task ? IM_COL32(44, 48, 58, 255) : IM_COL32(34, 36, 42, 255);
        rgb border = n.in_cycle ? color_cycle : t ? state_color(t->state, t->reason, t->status) : color_text_dim;
        dl->AddRectFilled(r0, r1, fill, is_task ? 6.0f : 0.0f);
        dl->AddRect(r0, r1, to_u32(border), is_task ? 6.0f : 0.0f, 0, n.in_cycle || selected ? 2.5f : 1.5f);
        dl->AddText(ImVec2(r0.x + node_pad_x, r0.y + node_pad_y), IM_COL32(230, 232, 238, 255), n.label.c_str());
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
