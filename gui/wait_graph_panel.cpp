// Wait-for graph at the cursor (inspector::wait_graph_at): each waiting task points at what it waits
// for (a task it joins, a mutex/semaphore/channel/event object, an IO resource, a timer); objects
// with a known holder point at it ("held by"). Deadlock cycles are drawn as a red ring on the left,
// everything else in columns by how deep it sits in a wait chain. Click a task to select it.
#include "app.hpp"
#include "panels.hpp"
#include "theme.hpp"
#include "time_budget.hpp"

#include <coroscope/inspector/model.hpp>

#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace coroscope::gui {

namespace {

using inspector::node_kind;
using inspector::wait_edge;
using inspector::wait_node;

// Sizes in pixels at --scale 1; they grow with the font (ui_scale()).
constexpr float node_pad_x = 8, node_pad_y = 4;
constexpr float column_gap = 70, row_gap = 14;

// A node's label. Resources are named by the published lanes (`resource_at`: lane index by
// resource id, made once per slice of labels that needs it); one not among them yet is "resource N".
std::string node_label(const inspector::model& m, const graph_layout::node& n, const answers_cache& cache,
                       const std::unordered_map<std::uint32_t, std::size_t>& resource_at) {
    switch (n.node.kind) {
    case node_kind::task: return task_label(m, n.node.id);
    case node_kind::timer: return "timer " + std::to_string(n.node.id);
    case node_kind::resource: {
        auto it = resource_at.find(n.node.id);
        if (it == resource_at.end()) return "resource " + std::to_string(n.node.id);
        const inspector::resource_lane& r = cache.resources[it->second];
        std::string out = std::string(traces::to_string(r.kind)) + " " + std::to_string(r.id);
        if (r.label != 0) out += " " + std::string(m.text(r.label));
        return out;
    }
    case node_kind::object:
        return (n.object_reason == traces::wait_reason::none ? std::string("object")
                                                             : std::string(traces::to_string(n.object_reason))) +
               " " + std::to_string(n.node.id);
    }
    return "?";
}

// Open addressing from 64-bit keys to 32-bit values in borrowed slots (graph_layout's scratch,
// kept between layouts), sized for the keys it will get: a layout of thousands of nodes allocates
// nothing here (a node-based map's allocations, then fresh pages, were most of a live refresh).
class flat_index {
public:
    static constexpr std::uint64_t empty = ~std::uint64_t{0}; // never a key (kinds and ids are narrower)
    static constexpr std::uint32_t npos = ~std::uint32_t{0};
    // Over slots that an earlier reset() sized (a layout made over several frames comes back to them).
    flat_index(std::vector<std::uint64_t>& keys, std::vector<std::uint32_t>& values) : m_keys(keys), m_values(values) {
        for (std::size_t size = 1; size < m_keys.size(); size *= 2) --m_shift;
        m_mask = m_keys.size() - 1;
    }
    // Empties it and sizes it for `count` keys.
    void reset(std::size_t count) {
        std::size_t size = 16;
        while (size < count * 2) size *= 2;
        m_keys.assign(size, empty);
        m_values.resize(size);
        m_mask = size - 1;
        m_shift = 64;
        for (std::size_t s = 1; s < size; s *= 2) --m_shift;
    }
    // The value of `key`, inserting `value` when it is new; .second says it was.
    std::pair<std::uint32_t, bool> emplace(std::uint64_t key, std::uint32_t value) {
        for (std::size_t i = slot(key);; i = (i + 1) & m_mask) {
            if (m_keys[i] == key) return {m_values[i], false};
            if (m_keys[i] == empty) {
                m_keys[i] = key;
                m_values[i] = value;
                return {value, true};
            }
        }
    }
    std::uint32_t find(std::uint64_t key) const {
        for (std::size_t i = slot(key);; i = (i + 1) & m_mask) {
            if (m_keys[i] == key) return m_values[i];
            if (m_keys[i] == empty) return npos;
        }
    }

private:
    // Fibonacci hashing: the product's high bits, so ids that differ in low bits spread out.
    std::size_t slot(std::uint64_t key) const { return static_cast<std::size_t>((key * 0x9e3779b97f4a7c15ull) >> m_shift); }
    std::vector<std::uint64_t>& m_keys;
    std::vector<std::uint32_t>& m_values;
    std::size_t m_mask = 0;
    int m_shift = 64; // 64 - log2(slots)
};

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


// Columns of the nodes outside the cycles: the longest wait chain leading to each (links that touch
// a cycle's node do not count). Taken in wait order (Kahn's), so a layout costs O(nodes + links)
// however deep the chains are. A loop the cycles leave out (a semaphore held by several tasks, one
// of them waiting on it) would have no such order: it is cut at the link that closes it, as met by
// a depth-first walk from the lowest node index.
void place_columns(std::vector<graph_layout::node>& nodes, const std::vector<graph_layout::link>& links,
                   graph_layout::scratch_space& mem) {
    const std::size_t n = nodes.size();
    auto counted = [&](const graph_layout::link& l) { return !nodes[l.from].in_cycle && !nodes[l.to].in_cycle; };
    // Links out of each node (indices into `links`), grouped by node.
    auto& out_begin = mem.out_begin;
    auto& out = mem.out;
    auto& waits_in = mem.waits_in; // counted links into each node not taken yet
    out_begin.assign(n + 1, 0);
    out.resize(links.size());
    waits_in.assign(n, 0);
    for (const auto& l : links)
        if (counted(l)) ++out_begin[l.from + 1], ++waits_in[l.to];
    for (std::size_t i = 0; i < n; ++i) out_begin[i + 1] += out_begin[i];
    mem.fill.assign(out_begin.begin(), out_begin.end() - 1);
    for (std::size_t i = 0; i < links.size(); ++i)
        if (counted(links[i])) out[mem.fill[links[i].from]++] = static_cast<std::uint32_t>(i);
    for (auto& node : nodes) node.column = 0;
    auto& cut = mem.cut;
    cut.assign(links.size(), 0);
    auto& order = mem.order;
    order.clear();
    auto take = [&](std::size_t first) { // Kahn's from order[first]: every node whose links in are all taken
        for (std::size_t q = first; q < order.size(); ++q) {
            const std::uint32_t v = order[q];
            for (std::uint32_t k = out_begin[v]; k < out_begin[v + 1]; ++k) {
                if (cut[out[k]]) continue;
                const std::size_t to = links[out[k]].to;
                nodes[to].column = std::max(nodes[to].column, nodes[v].column + 1);
                if (--waits_in[to] == 0) order.push_back(static_cast<std::uint32_t>(to));
            }
        }
    };
    for (std::size_t i = 0; i < n; ++i)
        if (!nodes[i].in_cycle && waits_in[i] == 0) order.push_back(static_cast<std::uint32_t>(i));
    take(0);
    std::size_t outside = 0;
    for (const auto& node : nodes) outside += !node.in_cycle;
    if (order.size() == outside) return;
    // Loops: what is left waits on itself. A depth-first walk over it cuts each link back to a node
    // on the walk's path; the rest has an order, taken from where the columns stand.
    auto& walk = mem.walk; // 0 not seen, 1 on the path, 2 done
    walk.assign(n, 0);
    auto& path = mem.path; // node, its next link out
    path.clear();
    for (std::size_t root = 0; root < n; ++root) {
        if (nodes[root].in_cycle || waits_in[root] == 0 || walk[root]) continue;
        path.emplace_back(static_cast<std::uint32_t>(root), out_begin[root]);
        walk[root] = 1;
        while (!path.empty()) {
            const std::uint32_t v = path.back().first;
            if (path.back().second == out_begin[v + 1]) {
                walk[v] = 2;
                path.pop_back();
                continue;
            }
            const std::uint32_t link = out[path.back().second++];
            const std::size_t to = links[link].to;
            if (walk[to] == 1) {
                cut[link] = 1;
                --waits_in[to];
            } else if (walk[to] == 0) {
                walk[to] = 1;
                path.emplace_back(static_cast<std::uint32_t>(to), out_begin[to]);
            }
        }
    }
    const std::size_t first = order.size();
    for (std::size_t i = 0; i < n; ++i)
        if (!nodes[i].in_cycle && walk[i] && waits_in[i] == 0) order.push_back(static_cast<std::uint32_t>(i));
    take(first);
}

std::uint64_t key_of(const wait_node& n) { return static_cast<std::uint64_t>(n.kind) << 32 | n.id; }

// Begins a layout of cache.graph (a copy: the cache may move on before it is done) in layout.next
// (graph_layout: made in slices by layout_slice).
void start_layout(const inspector::model& m, const answers_cache& cache, graph_layout& layout) {
    layout.graph = cache.graph;
    const inspector::wait_graph& g = layout.graph;
    graph_layout::placement& out = layout.next;
    out.generation = cache.graph_generation;
    out.font_size = ImGui::GetFontSize();
    out.nodes.clear();
    out.links.clear();
    layout.ring.clear();
    layout.building = true;
    layout.stage = 1;
    layout.done = 0;
    // The run queue in words; a long one (thousands of ready tasks) names the first few.
    constexpr std::size_t named = 40;
    out.run_queue.clear();
    for (std::size_t i = 0; i < g.run_queue.size() && i < named; ++i)
        out.run_queue += (i ? ", " : "") + std::to_string(g.run_queue[i]);
    if (g.run_queue.size() > named) out.run_queue += ", ... (" + std::to_string(g.run_queue.size()) + " tasks)";
    if (out.run_queue.empty()) out.run_queue = "empty";
    flat_index(layout.scratch.keys, layout.scratch.values).reset(g.edges.size() * 2);
    out.nodes.reserve(g.edges.size() * 2);
    out.links.reserve(g.edges.size());
    // Labels are kept for one model and font (graph_layout::sized_label).
    const void* model_id = m.history().tasks().data();
    if (layout.task_labels_model != model_id || layout.task_labels_font != out.font_size) {
        layout.task_labels.clear();
        layout.other_labels.clear();
        layout.task_labels_model = model_id;
        layout.task_labels_font = out.font_size;
    }
}

// Stage 3: labels and their sizes for the nodes [from, to), made once per node identity for this
// model and font, then copied.
void label_nodes(const inspector::model& m, const answers_cache& cache, graph_layout& layout, std::size_t from, std::size_t to) {
    graph_layout::placement& out = layout.next;
    const float k = ui_scale();
    std::unordered_map<std::uint32_t, std::size_t> resource_at; // made when a resource's label is
    bool resources_indexed = false;
    auto sized = [&](const graph_layout::node& n, graph_layout::sized_label& l) {
        if (n.node.kind == node_kind::resource && !resources_indexed) {
            resources_indexed = true;
            resource_at.reserve(cache.resources.size());
            for (std::size_t i = 0; i < cache.resources.size(); ++i) resource_at.emplace(cache.resources[i].id, i);
        }
        l.text = node_label(m, n, cache, resource_at);
        ImVec2 t = ImGui::CalcTextSize(l.text.c_str());
        l.w = t.x;
        l.h = t.y;
    };
    for (std::size_t i = from; i < to; ++i) {
        graph_layout::node& n = out.nodes[i];
        const graph_layout::sized_label* label = nullptr;
        graph_layout::sized_label fresh; // not kept: a timer's (each sleep arms a new one), a resource not named yet
        if (n.node.kind == node_kind::task && n.node.id <= m.history().tasks().size()) {
            if (n.node.id >= layout.task_labels.size()) layout.task_labels.resize(std::size_t{n.node.id} + 1);
            graph_layout::sized_label& l = layout.task_labels[n.node.id];
            if (l.text.empty()) sized(n, l);
            label = &l;
        } else if (n.node.kind == node_kind::task || n.node.kind == node_kind::timer) {
            // A timer, or a task the trace never spawned (a join on a bad id: not a table that large).
            sized(n, fresh);
            label = &fresh;
        } else {
            const std::uint64_t key = key_of(n.node) << 8 | static_cast<std::uint64_t>(n.object_reason);
            auto it = layout.other_labels.find(key);
            if (it == layout.other_labels.end()) {
                sized(n, fresh);
                if (n.node.kind != node_kind::resource || resource_at.count(n.node.id))
                    it = layout.other_labels.emplace(key, std::move(fresh)).first;
            }
            label = it != layout.other_labels.end() ? &it->second : &fresh;
        }
        n.label = label->text;
        n.w = label->w + node_pad_x * k * 2;
        n.h = label->h + node_pad_y * k * 2;
    }
}

// Stage 4: the ring (if any) in a square at the left, then the columns; the arrows.
void place(graph_layout& layout) {
    graph_layout::placement& out = layout.next;
    auto& nodes = out.nodes;
    const std::vector<std::size_t>& ring = layout.ring;
    const float k = ui_scale();
    float ring_size = 0;
    if (!ring.empty()) {
        float widest = 0;
        for (std::size_t i : ring) widest = std::max(widest, nodes[i].w);
        float r = std::max(70.0f * k, static_cast<float>(ring.size()) * 34.0f * k / 3.14159f) + widest * 0.35f;
        ring_size = 2 * r + widest + 20 * k;
        for (std::size_t i = 0; i < ring.size(); ++i) {
            float angle = -3.14159f / 2 + 2 * 3.14159f * static_cast<float>(i) / static_cast<float>(ring.size());
            graph_layout::node& n = nodes[ring[i]];
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
    std::vector<float> column_x(column_w.size());
    for (std::size_t c = 0; c < column_w.size(); ++c) {
        column_x[c] = x;
        content_h = std::max(content_h, column_y[c]);
        x += column_w[c] + column_gap * k;
    }
    for (auto& n : nodes)
        if (!n.in_cycle) n.x = column_x[static_cast<std::size_t>(n.column)];
    out.width = x;
    out.height = content_h;

    // Arrows from border to border; a pair of opposite edges (a 2-task cycle) would overlap: each
    // moves to its own right.
    flat_index pairs(layout.scratch.keys, layout.scratch.values); // the node index is done with them
    pairs.reset(out.links.size());
    auto pair_key = [](std::size_t from, std::size_t to) { return static_cast<std::uint64_t>(from) << 32 | to; };
    for (const auto& l : out.links) pairs.emplace(pair_key(l.from, l.to), 0);
    for (auto& l : out.links) {
        const graph_layout::node& a = nodes[l.from];
        const graph_layout::node& b = nodes[l.to];
        ImVec2 ca(a.x + a.w * 0.5f, a.y + a.h * 0.5f), cb(b.x + b.w * 0.5f, b.y + b.h * 0.5f);
        ImVec2 pa = border_point(ImVec2(a.x, a.y), ImVec2(a.x + a.w, a.y + a.h), cb);
        ImVec2 pb = border_point(ImVec2(b.x, b.y), ImVec2(b.x + b.w, b.y + b.h), ca);
        if (pairs.find(pair_key(l.to, l.from)) != flat_index::npos) {
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

// One slice of the layout being made: up to build_slice edges or nodes of its stage, or one of
// the stages that take every node at once (columns, placing: a few tenths of a ms for 15 000
// nodes). Returns the work done, 0 once the layout is done (then it is the one shown).
std::uint64_t layout_slice(const inspector::model& m, const answers_cache& cache, graph_layout& layout) {
    if (!layout.building) return 0;
    const inspector::wait_graph& g = layout.graph;
    graph_layout::placement& out = layout.next;
    const std::size_t slice = std::max<std::size_t>(layout.build_slice, 1);
    switch (layout.stage) {
    case 1: { // nodes and links
        flat_index index(layout.scratch.keys, layout.scratch.values);
        auto add_node = [&](const wait_node& n) {
            auto [at, inserted] = index.emplace(key_of(n), static_cast<std::uint32_t>(out.nodes.size()));
            if (inserted) out.nodes.push_back(graph_layout::node{n, {}, traces::wait_reason::none, false, 0});
            return at;
        };
        const std::size_t end = std::min(g.edges.size(), layout.done + slice);
        for (std::size_t i = layout.done; i < end; ++i) {
            const wait_edge& e = g.edges[i];
            std::size_t a = add_node(e.from), b = add_node(e.to);
            out.links.push_back(graph_layout::link{a, b, e.reason, e.held_by, e.inferred});
            if (!e.held_by && e.to.kind == node_kind::object) out.nodes[b].object_reason = e.reason;
        }
        const std::size_t taken = end - layout.done;
        layout.done = end;
        if (end == g.edges.size()) layout.stage = 2;
        return std::max<std::size_t>(taken, 1);
    }
    case 2: { // cycle membership (its tasks, and the objects their awaits go through), then columns
        flat_index index(layout.scratch.keys, layout.scratch.values);
        for (const auto& c : g.cycles) {
            for (const auto& a : c.awaits) {
                auto push = [&](wait_node n) {
                    const std::uint32_t at = index.find(key_of(n));
                    if (at == flat_index::npos || out.nodes[at].in_cycle) return;
                    out.nodes[at].in_cycle = true;
                    layout.ring.push_back(at);
                };
                push({node_kind::task, a.task});
                if (a.reason != traces::wait_reason::join) push({node_kind::object, a.target});
            }
        }
        place_columns(out.nodes, out.links, layout.scratch);
        layout.stage = 3;
        layout.done = 0;
        return 1;
    }
    case 3: { // labels
        const std::size_t end = std::min(out.nodes.size(), layout.done + slice);
        label_nodes(m, cache, layout, layout.done, end);
        const std::size_t taken = end - layout.done;
        layout.done = end;
        if (end == out.nodes.size()) layout.stage = 4;
        return std::max<std::size_t>(taken, 1);
    }
    default: // placed: shown from now on
        place(layout);
        std::swap(layout.shown, layout.next);
        layout.building = false;
        layout.stage = 0;
        return 1;
    }
}

// Keeps layout.shown the layout of cache.graph at the current font, making a new one in slices
// while the frame's budget lasts (graph_layout). A graph computed while one is being made waits
// for it (stepping each frame, a layout longer than a frame's budget would otherwise never be
// done); another font or another model (its labels) starts again.
void update_layout(const inspector::model& m, const answers_cache& cache, graph_layout& layout) {
    const float font = ImGui::GetFontSize();
    const bool same_model = layout.task_labels_model == m.history().tasks().data();
    if (layout.building && (layout.next.font_size != font || !same_model)) layout.building = false;
    if (!layout.building && layout.shown.generation == cache.graph_generation && layout.shown.font_size == font) return;
    if (!layout.building) start_layout(m, cache, layout);
    bool stopped = false;
    run_slices_for(layout.build_budget_s, [&] { return layout_slice(m, cache, layout); }, stopped);
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
    update_layout(m, cache, layout);
    const graph_layout::placement& shown = layout.shown;
    ImGui::TextColored(to_vec4(color_ready), "run queue: %s", shown.run_queue.empty() ? "-" : shown.run_queue.c_str());
    if (layout.building) { // the layout on screen is of an earlier graph until this one is done
        ImGui::SameLine(0, 16);
        ImGui::TextColored(to_vec4(color_text_dim), "laying out %zu waits...", layout.graph.edges.size());
    }
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

    const std::vector<graph_layout::node>& nodes = shown.nodes;

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
    ImGui::InvisibleButton("canvas", ImVec2(std::max(shown.width, avail.x), std::max(shown.height, avail.y)));
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
    for (const graph_layout::link& l : shown.links) {
        if (!in_view(std::min(l.ax, l.bx), std::min(l.ay, l.by), std::max(l.ax, l.bx), std::max(l.ay, l.by))) continue;
        bool cyc = nodes[l.from].in_cycle && nodes[l.to].in_cycle;
        ImVec2 pa(origin.x + l.ax, origin.y + l.ay), pb(origin.x + l.bx, origin.y + l.by);
        rgb c = cyc ? color_cycle : wait_color(l.reason);
        arrow(dl, pa, pb, to_u32(c), cyc ? 3.0f : 1.5f, l.held_by && l.inferred);
        const char* what = l.held_by ? "held by" : traces::to_string(l.reason).data();
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
