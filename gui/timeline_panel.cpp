// Timeline: one lane per task with its state intervals, grouped under its spawner (collapsible),
// then one lane per resource (io wait / ready / resume marks); arrows for spawn and wake-ups
// (join in the join color); a ruler with the time and the step numbers; the cursor. Wheel zooms
// around the mouse, drag pans, click selects the lane's task and seeks to the step at that time.
#include "app.hpp"
#include "panels.hpp"
#include "theme.hpp"

#include <imgui.h>

#include <algorithm>
#include <array>
#include <limits>
#include <cmath>
#include <cstdio>
#include <set>

namespace coroscope::gui {

namespace {

// Sizes in pixels at --scale 1; they grow with the font (ui_scale()).
float name_gutter() { return 190.0f * ui_scale(); }  // task names at the left of the lanes
float ruler_height() { return 58.0f * ui_scale(); } // time labels, step numbers, the cursor's flag below
float indent_px() { return 12.0f * ui_scale(); }     // per spawn depth in the name gutter
constexpr std::uint64_t max_arrow_steps = 3000; // arrows are drawn when at most this many steps are in view
float min_lane_height() { return 22.0f * ui_scale(); } // lanes grow up to max_lane_height() when few tasks leave room
float max_lane_height() { return 30.0f * ui_scale(); }
constexpr float min_mark_px = 2.0f;     // intervals narrower than this are binned (level of detail)

// Maps timestamps to x for the lanes area.
struct time_axis {
    float x0 = 0, x1 = 0;   // lanes area in screen x
    double begin = 0;       // ns at x0
    double ns_per_px = 1;
    float x(double ts) const { return x0 + static_cast<float>((ts - begin) / ns_per_px); }
    double ts(float x_px) const { return begin + (x_px - x0) * ns_per_px; }
};

// 1, 2, 5 x 10^k: the smallest such step of at least `min_ns`.
double nice_step(double min_ns) {
    double p = std::pow(10.0, std::floor(std::log10(std::max(min_ns, 1e-3))));
    for (double m : {1.0, 2.0, 5.0, 10.0})
        if (p * m >= min_ns) return p * m;
    return p * 10;
}

std::string ruler_label(double ns, double step) {
    char buf[32];
    if (std::fabs(ns) < step * 1e-6) ns = 0; // no "-0 ms"
    if (step >= 1e9) std::snprintf(buf, sizeof buf, "%.*f s", step >= 1e9 * 10 ? 0 : 1, ns / 1e9);
    else if (step >= 1e6) std::snprintf(buf, sizeof buf, "%.0f ms", ns / 1e6);
    else if (step >= 1e5) std::snprintf(buf, sizeof buf, "%.1f ms", ns / 1e6);
    else if (step >= 1e3) std::snprintf(buf, sizeof buf, "%.0f us", ns / 1e3);
    else std::snprintf(buf, sizeof buf, "%.0f ns", ns);
    return buf;
}

void fit(const inspector::history& h, ui_state& ui, float width) {
    double span = static_cast<double>(h.last_ts() - h.first_ts());
    if (span <= 0) span = 1000;
    double margin = span * 0.01;
    ui.ns_per_px = (span + 2 * margin) / std::max(1.0f, width);
    ui.view_begin_ns = static_cast<double>(h.first_ts()) - margin;
}

void zoom_at(const inspector::history& h, ui_state& ui, const time_axis& ax, float mouse_x, float wheel) {
    double at = ax.ts(mouse_x);
    double span = std::max(1000.0, static_cast<double>(h.last_ts() - h.first_ts()));
    double max_npp = span * 2 / std::max(1.0f, ax.x1 - ax.x0);
    ui.ns_per_px = std::clamp(ui.ns_per_px * std::pow(1.25, -wheel), 0.05, max_npp);
    ui.view_begin_ns = at - (mouse_x - ax.x0) * ui.ns_per_px;
}

void draw_legend() {
    struct entry {
        rgb color;
        const char* label;
    };
    const entry entries[] = {
        {color_ready, "ready"},           {color_running, "running"},     {color_wait_sleep, "sleep"},
        {color_wait_io, "io"},            {color_wait_join, "join"},      {color_wait_yield, "yield"},
        {color_wait_channel, "channel"},  {color_wait_event, "event"},    {color_wait_lock, "mutex/sem."},
        {color_failed, "failed"},
    };
    for (const entry& e : entries) {
        ImGui::SameLine(0, 12);
        color_swatch(e.color, e.label);
    }
}

// Level of detail. Intervals at least min_mark_px wide are drawn as they are. Narrower ones are
// binned into min_mark_px-wide buckets; each bucket takes the color of the state that covers most
// of it, and neighbouring buckets of one color merge into one rectangle. Cost: O(visible intervals).
class lane_painter {
public:
    lane_painter(ImDrawList* dl, float y0, float y1) : m_dl(dl), m_y0(y0), m_y1(y1), m_pad(std::floor((y1 - y0) * 0.18f)) {}

    void wide(float xb, float xe, int cls) {
        finish();
        rect(xb, xe, cls, xe - xb >= 8 ? 2.0f : 0.0f); // rounded corners only where they show: they cost vertices
    }
    void narrow(float xb, float xe, int cls) {
        int bucket = static_cast<int>(std::floor((xb + xe) * 0.5f / min_mark_px));
        if (bucket != m_bucket) {
            close_bucket();
            m_bucket = bucket;
        }
        // Steps are what a debugger is about: running counts triple so short steps stay visible.
        m_weight[static_cast<std::size_t>(cls)] += std::max(xe - xb, 0.001f) * (cls == running_class ? 3.0f : 1.0f);
    }
    void finish() {
        close_bucket();
        close_run();
    }

    static constexpr int running_class = 1;
    static int class_of(inspector::task_state s, traces::wait_reason r) {
        if (s == inspector::task_state::ready) return 0;
        if (s == inspector::task_state::running) return running_class;
        return 2 + std::min(static_cast<int>(r), class_count - 3);
    }

private:
    static constexpr int class_count = 2 + 16;
    static rgb color_of(int cls) {
        if (cls == 0) return color_ready;
        if (cls == running_class) return color_running;
        return wait_color(static_cast<traces::wait_reason>(cls - 2));
    }
    void rect(float xb, float xe, int cls, float rounding) {
        bool running = cls == running_class; // running bars are full height, the others inset
        m_dl->AddRectFilled(ImVec2(xb, running ? m_y0 : m_y0 + m_pad), ImVec2(xe, running ? m_y1 : m_y1 - m_pad),
                            to_u32(color_of(cls)), rounding);
    }
    void close_bucket() {
        if (m_bucket == no_bucket) return;
        int best = 0;
        for (int c = 1; c < class_count; ++c)
            if (m_weight[static_cast<std::size_t>(c)] > m_weight[static_cast<std::size_t>(best)]) best = c;
        float xb = static_cast<float>(m_bucket) * min_mark_px, xe = xb + min_mark_px;
        if (m_run && m_run_class == best && xb <= m_run_x1 + 0.5f) {
            m_run_x1 = xe;
        } else {
            close_run();
            m_run = true;
            m_run_class = best;
            m_run_x0 = xb;
            m_run_x1 = xe;
        }
        m_weight.fill(0);
        m_bucket = no_bucket;
    }
    void close_run() {
        if (!m_run) return;
        rect(m_run_x0, m_run_x1, m_run_class, 0.0f);
        m_run = false;
    }

    static constexpr int no_bucket = std::numeric_limits<int>::min();
    ImDrawList* m_dl;
    float m_y0, m_y1, m_pad;
    int m_bucket = no_bucket;
    std::array<float, class_count> m_weight{};
    bool m_run = false;
    int m_run_class = 0;
    float m_run_x0 = 0, m_run_x1 = 0;
};

// Draws one task's intervals in [y0, y1] (done draws nothing) and its exit marker.
void draw_lane(ImDrawList* dl, const inspector::history& h, const inspector::task_history& th, const time_axis& ax,
               float y0, float y1) {
    const auto& iv = th.intervals;
    const double view_end = ax.ts(ax.x1);
    // Intervals are in time order and do not overlap: skip those that end before the view.
    auto first = std::partition_point(iv.begin(), iv.end(), [&](const inspector::state_interval& s) {
        return s.end_ts != inspector::state_interval::open_end && static_cast<double>(s.end_ts) < ax.begin;
    });
    lane_painter paint(dl, y0, y1);
    for (auto it = first; it != iv.end(); ++it) {
        const inspector::state_interval& s = *it;
        if (static_cast<double>(s.begin_ts) > view_end) break;
        if (s.state == inspector::task_state::done) continue;
        std::uint64_t end = s.end_ts == inspector::state_interval::open_end ? h.last_ts() : s.end_ts;
        float xb = std::max(ax.x(static_cast<double>(s.begin_ts)), ax.x0 - 2);
        float xe = std::min(ax.x(static_cast<double>(end)), ax.x1 + 2);
        if (xe < ax.x0 || xb > ax.x1) continue;
        int cls = lane_painter::class_of(s.state, s.reason);
        if (xe - xb >= min_mark_px) paint.wide(xb, xe, cls);
        else paint.narrow(xb, xe, cls);
    }
    paint.finish();

    // Exit marker: a tick at the end; a thick red one for a failed task.
    if (th.ended) {
        float x = ax.x(static_cast<double>(th.end_ts));
        if (x >= ax.x0 && x <= ax.x1) {
            bool failed = th.status == traces::exit_status::failed;
            dl->AddLine(ImVec2(x, y0 + 2), ImVec2(x, y1 - 2), to_u32(failed ? color_failed : color_done), failed ? 3.0f : 1.5f);
        }
    }
}

// Tooltip text: what the task was doing at time ts.
std::string describe_at(const inspector::model& m, const inspector::task_history& th, double ts) {
    std::string out = "task " + task_label(m, th.id) + "\n";
    for (const auto& s : th.intervals) {
        std::uint64_t end = s.end_ts == inspector::state_interval::open_end ? m.history().last_ts() : s.end_ts;
        if (static_cast<double>(s.begin_ts) <= ts && ts < static_cast<double>(end)) {
            out += std::string(inspector::to_string(s.state));
            if (s.state == inspector::task_state::waiting) out += " (" + std::string(traces::to_string(s.reason)) + ")";
            out += " for " + format_duration(static_cast<double>(end - s.begin_ts)) + ", from step " +
                   std::to_string(s.begin_step) + "\n";
            break;
        }
    }
    out += "at " + format_duration(ts - static_cast<double>(m.history().first_ts()));
    out += "\nclick: select and seek to step " +
           std::to_string(m.history().step_at_time(static_cast<std::uint64_t>(std::max(0.0, ts))));
    return out;
}

// A resource lane: open..close as a faint bar; per wait, the io wait span in the io color with a
// mark at the wait (down), at the readiness (up, green) and at the waiter's resume (white).
// Marks closer than 3 px to the previous one of their kind are skipped (level of detail).
void draw_resource_lane(ImDrawList* dl, const inspector::history& h, const inspector::resource_lane& r, const time_axis& ax,
                        float y0, float y1) {
    const double view_end = ax.ts(ax.x1);
    std::uint64_t close = r.close_ts ? r.close_ts : h.last_ts();
    if (r.label != 0) {
        float xb = std::max(ax.x(static_cast<double>(r.open_ts)), ax.x0), xe = std::min(ax.x(static_cast<double>(close)), ax.x1);
        if (xe > xb) dl->AddRectFilled(ImVec2(xb, y0 + 2), ImVec2(xe, y1 - 2), IM_COL32(255, 255, 255, 14));
    }
    const float mid = (y0 + y1) * 0.5f;
    auto first = std::partition_point(r.episodes.begin(), r.episodes.end(), [&](const inspector::io_episode& e) {
        std::uint64_t end = e.resumed ? e.resume_ts : e.ready ? e.ready_ts : h.last_ts();
        return static_cast<double>(e.wait_ts) < ax.begin && static_cast<double>(end) < ax.begin;
    });
    float last_wait = -1e9f, last_ready = -1e9f, last_resume = -1e9f;
    for (auto it = first; it != r.episodes.end(); ++it) {
        const inspector::io_episode& e = *it;
        if (static_cast<double>(e.wait_ts) > view_end) break;
        float xw = ax.x(static_cast<double>(e.wait_ts));
        std::uint64_t ready_end = e.ready ? e.ready_ts : (e.resumed ? e.resume_ts : h.last_ts());
        float xr = ax.x(static_cast<double>(ready_end));
        dl->AddRectFilled(ImVec2(std::max(xw, ax.x0 - 2), mid - 3), ImVec2(std::max(std::min(xr, ax.x1 + 2), xw + 1), mid + 3),
                          to_u32(color_wait_io));
        if (xw - last_wait >= 3) {
            dl->AddTriangleFilled(ImVec2(xw - 4, y0 + 1), ImVec2(xw + 4, y0 + 1), ImVec2(xw, mid - 3), to_u32(color_wait_io));
            last_wait = xw;
        }
        if (e.ready && xr - last_ready >= 3) {
            dl->AddTriangleFilled(ImVec2(xr - 4, y1 - 1), ImVec2(xr + 4, y1 - 1), ImVec2(xr, mid + 3), to_u32(color_running));
            last_ready = xr;
        }
        if (e.resumed) {
            float xs = ax.x(static_cast<double>(e.resume_ts));
            if (xs - last_resume >= 3) {
                dl->AddLine(ImVec2(xs, y0 + 2), ImVec2(xs, y1 - 2), IM_COL32(240, 240, 255, 220), 1.5f);
                last_resume = xs;
            }
        }
    }
}

// A small arrow from a to b (spawn and wake-up arrows between lanes).
void lane_arrow(ImDrawList* dl, ImVec2 a, ImVec2 b, ImU32 color) {
    float dx = b.x - a.x, dy = b.y - a.y;
    float len = std::sqrt(dx * dx + dy * dy);
    if (len < 4) return;
    float ux = dx / len, uy = dy / len;
    ImVec2 base(b.x - ux * 6, b.y - uy * 6);
    dl->AddLine(a, base, color, 1.5f);
    dl->AddTriangleFilled(b, ImVec2(base.x - uy * 3.5f, base.y + ux * 3.5f), ImVec2(base.x + uy * 3.5f, base.y - ux * 3.5f), color);
}

// Step numbers along the ruler's middle band: every step when they fit, else every k-th (1, 2, 5 x 10^n).
void draw_step_numbers(ImDrawList* dl, const inspector::model& m, const time_axis& ax, float y) {
    const inspector::history& h = m.history();
    if (h.step_count() == 0) return;
    std::uint64_t first = h.step_at_time(static_cast<std::uint64_t>(std::max(0.0, ax.begin)));
    std::uint64_t last = h.step_at_time(static_cast<std::uint64_t>(std::max(0.0, ax.ts(ax.x1))));
    double px_per_step = (ax.x1 - ax.x0) / static_cast<double>(last - first + 1);
    auto every = static_cast<std::uint64_t>(std::max(1.0, nice_step(std::ceil(56.0 / std::max(px_per_step, 1e-9)))));
    dl->AddText(ImVec2(ax.x0 - name_gutter() + 6, y), to_u32(color_text_dim), "step");
    float last_x = -1e9f;
    for (std::uint64_t st = first / every * every; st <= last; st += every) {
        float x = std::round(ax.x(static_cast<double>(h.step_ts(st))));
        if (x < ax.x0 || x - last_x < 40) continue;
        dl->AddLine(ImVec2(x, y), ImVec2(x, y + 5), IM_COL32(140, 170, 220, 255));
        char label[24];
        std::snprintf(label, sizeof label, "%llu", static_cast<unsigned long long>(st));
        dl->AddText(ImVec2(x + 3, y - 1), IM_COL32(140, 170, 220, 255), label);
        last_x = x;
    }
}

} // namespace

void update_timeline_lanes(const inspector::model& m, panels_state& p) {
    const inspector::history& h = m.history();
    timeline_lanes& l = p.lanes;
    const std::uint64_t events = m.trace().events.size();
    if (l.events == events && l.last_ts == h.last_ts() && l.tasks_data == h.tasks().data() && l.collapsed == p.timeline_collapsed)
        return;
    l.events = events;
    l.last_ts = h.last_ts();
    l.tasks_data = h.tasks().data();
    l.collapsed = p.timeline_collapsed;
    l.lanes.clear();
    l.row_of.assign(h.tasks().size() + 1, -1);
    // Depth-first in spawn order under their spawner, with an explicit stack: spawn chains can be deep.
    std::vector<std::pair<const inspector::task_history*, int>> todo;
    const auto& tasks = h.tasks();
    for (auto it = tasks.rbegin(); it != tasks.rend(); ++it)
        if (it->known && (it->parent == 0 || !h.task(it->parent))) todo.emplace_back(&*it, 0);
    while (!todo.empty()) {
        auto [th, depth] = todo.back();
        todo.pop_back();
        bool closed = p.timeline_collapsed.count(th->id) != 0;
        l.row_of[th->id] = static_cast<int>(l.lanes.size());
        l.lanes.push_back(timeline_lanes::lane{th->id, depth, !th->children.empty(), closed});
        if (closed) continue;
        for (auto c = th->children.rbegin(); c != th->children.rend(); ++c)
            if (const inspector::task_history* ch = h.task(*c)) todo.emplace_back(ch, depth + 1);
    }
}

bool reveal_lane(const inspector::model& m, panels_state& p, std::uint32_t task) {
    const inspector::history& h = m.history();
    bool expanded = false;
    std::size_t guard = h.tasks().size(); // a parent chain is at most this long, even if a trace lies
    for (const inspector::task_history* th = h.task(task); th && th->parent != 0 && guard-- > 0; th = h.task(th->parent))
        expanded |= p.timeline_collapsed.erase(th->parent) != 0;
    if (expanded) update_timeline_lanes(m, p);
    return expanded;
}

int visible_lane_of(const inspector::model& m, const timeline_lanes& l, std::uint32_t task) {
    const inspector::history& h = m.history();
    std::size_t guard = h.tasks().size();
    for (const inspector::task_history* th = h.task(task); th && guard-- > 0; th = h.task(th->parent)) {
        if (th->id < l.row_of.size() && l.row_of[th->id] >= 0) return l.row_of[th->id];
        if (th->parent == 0) break;
    }
    return -1;
}

void draw_timeline_panel(session& s, ui_state& ui) {
    inspector::model& m = s.model;
    const inspector::history& h = m.history();
    ImGuiIO& io = ImGui::GetIO();

    const float k = ui_scale();
    refresh_answers(m, ui.panels.cache, ImGui::GetTime(), s.live != nullptr, &s.frame); // resource lanes
    const std::vector<inspector::resource_lane>& resources = ui.panels.cache.resources;
    // Selected elsewhere (table, graph, lints, a script): open the groups hiding its lane.
    if (ui.timeline_revealed != ui.selected_task) reveal_lane(m, ui.panels, ui.selected_task);
    update_timeline_lanes(m, ui.panels);
    const std::vector<timeline_lanes::lane>& lanes = ui.panels.lanes.lanes;

    // Header: title, Fit, zoom, legend.
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted("Timeline");
    ImGui::SameLine();
    bool fit_clicked = ImGui::Button("Fit");
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("show the whole trace");
    ImGui::SameLine();
    ImGui::TextColored(to_vec4(color_text_dim), "%s/px", format_duration(ui.ns_per_px).c_str());
    ImGui::SameLine(0, 16);
    ImGui::TextColored(to_vec4(color_text_dim), "waiting by reason:");
    draw_legend();
    right_aligned_text("wheel: zoom   drag: pan   click: select + seek");

    // Geometry shared by the ruler and the lanes.
    const float scrollbar = ImGui::GetStyle().ScrollbarSize;
    ImVec2 origin = ImGui::GetCursorScreenPos();
    float full_w = ImGui::GetContentRegionAvail().x;
    time_axis ax;
    ax.x0 = origin.x + name_gutter();
    ax.x1 = origin.x + full_w - scrollbar;
    if (ax.x1 - ax.x0 < 50) return;
    if (fit_clicked) ui.auto_fit = true;
    if (ui.fit_pending || fit_clicked) {
        fit(h, ui, ax.x1 - ax.x0);
        ui.fit_pending = false;
    }
    const double now_ts = static_cast<double>(cursor_ts(m));
    if (ui.follow_cursor) {
        double view_w = (ax.x1 - ax.x0) * ui.ns_per_px;
        if (now_ts < ui.view_begin_ns || now_ts > ui.view_begin_ns + view_w) ui.view_begin_ns = now_ts - view_w / 3;
        ui.follow_cursor = false;
    }
    // Keep some of the trace in view however far it was panned.
    {
        double view_w = (ax.x1 - ax.x0) * ui.ns_per_px;
        ui.view_begin_ns = std::clamp(ui.view_begin_ns, static_cast<double>(h.first_ts()) - view_w * 0.9,
                                      std::max(static_cast<double>(h.first_ts()), static_cast<double>(h.last_ts()) - view_w * 0.1));
    }
    ax.begin = ui.view_begin_ns;
    ax.ns_per_px = ui.ns_per_px;

    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImU32 cursor_color = IM_COL32(240, 240, 255, 230);

    // Ruler: time labels relative to the trace start; click seeks, wheel zooms.
    {
        ImGui::InvisibleButton("ruler", ImVec2(full_w, ruler_height()));
        bool hovered = ImGui::IsItemHovered();
        dl->AddRectFilled(ImVec2(origin.x, origin.y), ImVec2(origin.x + full_w, origin.y + ruler_height()),
                          IM_COL32(30, 33, 40, 255));
        dl->AddText(ImVec2(origin.x + 6, origin.y + 5 * k), to_u32(color_text_dim), "task");
        double step = nice_step(100.0 * ax.ns_per_px);
        double t0 = static_cast<double>(h.first_ts());
        double first = std::ceil((ax.begin - t0) / step) * step;
        dl->PushClipRect(ImVec2(ax.x0, origin.y), ImVec2(ax.x1, origin.y + ruler_height()), true);
        for (double rel = first; t0 + rel <= ax.ts(ax.x1); rel += step) {
            float x = std::round(ax.x(t0 + rel));
            dl->AddLine(ImVec2(x, origin.y + ruler_height() - 8), ImVec2(x, origin.y + ruler_height()), to_u32(color_text_dim));
            for (int k = 1; k < 5; ++k) {
                float xm = std::round(ax.x(t0 + rel + step * k / 5));
                dl->AddLine(ImVec2(xm, origin.y + ruler_height() - 4), ImVec2(xm, origin.y + ruler_height()),
                            IM_COL32(110, 115, 125, 255));
            }
            dl->AddLine(ImVec2(x, origin.y + 2), ImVec2(x, origin.y + 16 * k), IM_COL32(110, 115, 125, 255));
            dl->AddText(ImVec2(x + 4, origin.y + 1), IM_COL32(200, 204, 212, 255), ruler_label(rel, step).c_str());
        }
        dl->PopClipRect();
        draw_step_numbers(dl, m, ax, origin.y + 18 * k);
        dl->PushClipRect(ImVec2(ax.x0, origin.y), ImVec2(ax.x1, origin.y + ruler_height()), true);
        // The cursor's flag.
        float cx = ax.x(now_ts);
        if (cx >= ax.x0 && cx <= ax.x1) {
            char label[48];
            if (m.cursor() < h.step_count()) std::snprintf(label, sizeof label, "step %llu", static_cast<unsigned long long>(m.cursor()));
            else std::snprintf(label, sizeof label, "end");
            ImVec2 ts = ImGui::CalcTextSize(label);
            float lx = std::min(cx - 1, ax.x1 - ts.x - 8);
            float fy = origin.y + ruler_height() - ts.y - 12 * k;
            dl->AddRectFilled(ImVec2(lx, fy), ImVec2(lx + ts.x + 8, fy + ts.y + 4), IM_COL32(70, 110, 190, 255), 2.0f);
            dl->AddText(ImVec2(lx + 4, fy + 2), IM_COL32(255, 255, 255, 255), label);
        } else { // off view: an arrow at the edge it is beyond
            bool left = cx < ax.x0;
            float ex = left ? ax.x0 + 2 : ax.x1 - 2, ey = origin.y + ruler_height() - 14 * k;
            float d = left ? 9.0f : -9.0f;
            dl->AddTriangleFilled(ImVec2(ex, ey), ImVec2(ex + d, ey - 6), ImVec2(ex + d, ey + 6), IM_COL32(70, 110, 190, 255));
        }
        dl->PopClipRect();
        if (hovered && io.MouseWheel != 0) {
            zoom_at(h, ui, ax, io.MousePos.x, io.MouseWheel);
            ui.auto_fit = false;
        }
        if (ImGui::IsItemActive() && ImGui::IsMouseDragging(ImGuiMouseButton_Left, 3.0f)) {
            ui.view_begin_ns -= io.MouseDelta.x * ui.ns_per_px;
            ui.auto_fit = false;
        }
        if (ImGui::IsItemDeactivated() && io.MouseDragMaxDistanceSqr[0] < 9.0f && io.MousePos.x >= ax.x0)
            m.seek_time(static_cast<std::uint64_t>(std::max(0.0, ax.ts(io.MousePos.x))));
    }

    if (lanes.empty()) {
        ImGui::TextColored(to_vec4(color_text_dim), "No tasks in this trace.");
        return;
    }

    // Lanes, in a child so that many tasks scroll vertically (the wheel stays zoom).
    const std::size_t row_count = lanes.size() + resources.size();
    const float lane_height = std::clamp(std::floor(ImGui::GetContentRegionAvail().y / static_cast<float>(row_count)),
                                         min_lane_height(), max_lane_height());
    ImGui::BeginChild("lanes", ImVec2(full_w, 0), false, ImGuiWindowFlags_NoScrollWithMouse);
    ImDrawList* ldl = ImGui::GetWindowDrawList();
    ImVec2 top = ImGui::GetCursorScreenPos();
    float total_h = std::max(lane_height * static_cast<float>(row_count), 1.0f);
    ImGui::InvisibleButton("lanes_area", ImVec2(full_w - scrollbar, total_h));
    bool hovered = ImGui::IsItemHovered();
    ImVec2 clip0 = ImGui::GetWindowPos(), clip1 = ImVec2(clip0.x + ImGui::GetWindowWidth(), clip0.y + ImGui::GetWindowHeight());

    // Tick boundaries: faint vertical lines, thinned out when closer than 6 px.
    {
        float last_x = -1e9f;
        for (std::uint64_t t = 0; t < h.tick_count(); ++t) {
            std::uint64_t first_step = h.tick_first_step(t);
            if (first_step >= h.step_count()) break;
            float x = std::round(ax.x(static_cast<double>(h.step_ts(first_step))));
            if (x < ax.x0) continue;
            if (x > ax.x1) break;
            if (x - last_x < 6) continue;
            ldl->AddLine(ImVec2(x, std::max(top.y, clip0.y)), ImVec2(x, std::min(top.y + total_h, clip1.y)),
                         IM_COL32(255, 255, 255, 18));
            last_x = x;
        }
    }

    const ImU32 name_color = IM_COL32(220, 224, 230, 255);
    // The lane of the task that runs the step at the cursor, or of the collapsed group hiding it:
    // stepping never lands on a lane that is not shown.
    const int cursor_lane = m.cursor() < h.step_count() ? visible_lane_of(m, ui.panels.lanes, h.step_task(m.cursor())) : -1;
    // Only the lanes in view are drawn (the others cost nothing, however many tasks there are).
    const auto first_lane = static_cast<std::size_t>(std::max(0.0f, std::floor((clip0.y - top.y) / lane_height)));
    const auto end_lane = std::min(lanes.size(), static_cast<std::size_t>(std::max(0.0f, std::ceil((clip1.y - top.y) / lane_height))));
    for (std::size_t i = first_lane; i < end_lane; ++i) {
        float y0 = top.y + lane_height * static_cast<float>(i);
        float y1 = y0 + lane_height;
        const inspector::task_history* thp = h.task(lanes[i].task);
        if (!thp) continue;
        const inspector::task_history& th = *thp;
        bool selected = th.id == ui.selected_task;
        if (selected)
            ldl->AddRectFilled(ImVec2(origin.x, y0), ImVec2(ax.x1, y1), IM_COL32(70, 110, 190, 70));
        else if (i % 2 == 1)
            ldl->AddRectFilled(ImVec2(origin.x, y0), ImVec2(ax.x1, y1), IM_COL32(255, 255, 255, 8));
        // Name, with a dot in the task's color at the cursor.
        const inspector::task_snapshot* snap = m.state().task(th.id);
        rgb dot = snap ? state_color(snap->state, snap->reason, snap->status) : color_text_dim;
        float cy = (y0 + y1) * 0.5f;
        const float indent = origin.x + indent_px() * static_cast<float>(std::min(lanes[i].depth, 8));
        if (static_cast<int>(i) == cursor_lane) // a bar in the running color at the gutter's left edge
            ldl->AddRectFilled(ImVec2(origin.x, y0 + 2), ImVec2(origin.x + 3, y1 - 2), to_u32(color_running));
        ldl->PushClipRect(ImVec2(origin.x, y0), ImVec2(ax.x0 - 6, y1), true);
        if (lanes[i].has_children) { // the group toggle: a triangle pointing down (open) or right (collapsed)
            ImVec2 c(indent + 6 * k, cy);
            if (lanes[i].collapsed)
                ldl->AddTriangleFilled(ImVec2(c.x - 3, c.y - 5), ImVec2(c.x - 3, c.y + 5), ImVec2(c.x + 4, c.y), name_color);
            else
                ldl->AddTriangleFilled(ImVec2(c.x - 5, c.y - 3), ImVec2(c.x + 5, c.y - 3), ImVec2(c.x, c.y + 4), name_color);
        }
        ldl->AddCircleFilled(ImVec2(indent + 18 * k, cy), 4.0f * k, to_u32(dot, snap ? 255 : 90));
        char name[160];
        std::string label = task_label(m, th.id);
        if (lanes[i].collapsed) std::snprintf(name, sizeof name, "%s (+%zu)", label.c_str(), th.children.size());
        else std::snprintf(name, sizeof name, "%s", label.c_str());
        ldl->AddText(ImVec2(indent + 27 * k, cy - ImGui::GetTextLineHeight() * 0.5f), name_color, name);
        ldl->PopClipRect();

        ldl->PushClipRect(ImVec2(ax.x0, y0), ImVec2(ax.x1, y1), true);
        draw_lane(ldl, h, th, ax, y0 + 3, y1 - 3);
        ldl->PopClipRect();
    }
    for (std::size_t k = 0; k < resources.size(); ++k) {
        float y0 = top.y + lane_height * static_cast<float>(lanes.size() + k);
        float y1 = y0 + lane_height;
        if (y1 < clip0.y || y0 > clip1.y) continue;
        const inspector::resource_lane& r = resources[k];
        if (k == 0) ldl->AddLine(ImVec2(origin.x, y0), ImVec2(ax.x1, y0), IM_COL32(90, 96, 110, 255));
        ldl->AddRectFilled(ImVec2(origin.x, y0), ImVec2(ax.x1, y1), IM_COL32(240, 140, 48, 10));
        std::string name = std::string(traces::to_string(r.kind)) + " " + std::to_string(r.id);
        if (r.label != 0) name += " " + std::string(m.text(r.label));
        float cy = (y0 + y1) * 0.5f;
        ldl->PushClipRect(ImVec2(origin.x, y0), ImVec2(ax.x0 - 6, y1), true);
        ldl->AddRectFilled(ImVec2(origin.x + 6, cy - 4), ImVec2(origin.x + 14, cy + 4), to_u32(color_wait_io));
        ldl->AddText(ImVec2(origin.x + 20, cy - ImGui::GetTextLineHeight() * 0.5f), IM_COL32(200, 190, 170, 255), name.c_str());
        ldl->PopClipRect();
        ldl->PushClipRect(ImVec2(ax.x0, y0), ImVec2(ax.x1, y1), true);
        draw_resource_lane(ldl, h, r, ax, y0 + 3, y1 - 3);
        ldl->PopClipRect();
    }

    // Arrows between task lanes: spawn (parent -> child, gray) and wake-ups (waker -> woken, in the
    // color of what it was woken from: join, channel, event, mutex...). Only when few steps are in
    // view: at a wider zoom they would cover the lanes.
    {
        const std::vector<int>& row_of = ui.panels.lanes.row_of;
        std::uint64_t s0 = h.step_at_time(static_cast<std::uint64_t>(std::max(0.0, ax.begin)));
        std::uint64_t s1 = h.step_at_time(static_cast<std::uint64_t>(std::max(0.0, ax.ts(ax.x1)))) + 1;
        const auto& events = m.trace().events;
        if (h.step_count() > 0 && s1 - s0 <= max_arrow_steps) {
            std::uint64_t e0 = h.step_event(std::min(s0, h.step_count() - 1));
            std::uint64_t e1 = s1 < h.step_count() ? h.step_event(s1) : events.size();
            ldl->PushClipRect(ImVec2(ax.x0, clip0.y), ImVec2(ax.x1, clip1.y), true);
            for (std::uint64_t i = e0; i < e1; ++i) {
                const traces::event e = events[i];
                bool spawn = e.kind == traces::event_kind::task_spawn && e.a != 0;
                bool wake = e.kind == traces::event_kind::task_ready && e.a != 0 &&
                            static_cast<traces::wait_reason>(e.code) != traces::wait_reason::spawn && e.a != e.task;
                if (!spawn && !wake) continue;
                if (e.a >= row_of.size() || e.task >= row_of.size() || row_of[e.a] < 0 || row_of[e.task] < 0) continue;
                float x = ax.x(static_cast<double>(e.ts_ns));
                if (x < ax.x0 || x > ax.x1) continue;
                float ya = top.y + lane_height * (static_cast<float>(row_of[e.a]) + 0.5f);
                float yb = top.y + lane_height * static_cast<float>(row_of[e.task]) + (row_of[e.task] > row_of[e.a] ? 3.0f : lane_height - 3.0f);
                rgb c = spawn ? color_text_dim : wait_color(static_cast<traces::wait_reason>(e.code));
                lane_arrow(ldl, ImVec2(x, ya), ImVec2(x + 3, yb), to_u32(c));
            }
            ldl->PopClipRect();
        }
    }
    ldl->AddLine(ImVec2(ax.x0 - 1, clip0.y), ImVec2(ax.x0 - 1, clip1.y), IM_COL32(80, 86, 98, 255));

    // The cursor: the state shown everywhere is the one just before this step runs.
    float cx = std::round(ax.x(now_ts));
    if (cx >= ax.x0 && cx <= ax.x1) {
        ldl->AddLine(ImVec2(cx, clip0.y), ImVec2(cx, std::max(clip0.y, std::min(top.y + total_h, clip1.y))), cursor_color, 2.0f);
        dl->AddLine(ImVec2(cx, origin.y), ImVec2(cx, origin.y + ruler_height()), cursor_color, 2.0f);
    }

    // Interaction.
    if (hovered && io.MouseWheel != 0) {
        zoom_at(h, ui, ax, io.MousePos.x, io.MouseWheel);
        ui.auto_fit = false;
    }
    if (ImGui::IsItemActive() && ImGui::IsMouseDragging(ImGuiMouseButton_Left, 3.0f)) {
        ui.view_begin_ns -= io.MouseDelta.x * ui.ns_per_px;
        ui.auto_fit = false;
    }
    auto lane_at = [&](float y) -> const inspector::task_history* {
        if (y < top.y) return nullptr;
        auto idx = static_cast<std::size_t>((y - top.y) / lane_height);
        return idx < lanes.size() ? h.task(lanes[idx].task) : nullptr;
    };
    if (hovered && !ImGui::IsMouseDragging(ImGuiMouseButton_Left, 3.0f) && io.MousePos.x >= ax.x0) {
        if (const inspector::task_history* th = lane_at(io.MousePos.y))
            ImGui::SetTooltip("%s", describe_at(m, *th, ax.ts(io.MousePos.x)).c_str());
    }
    if (ImGui::IsItemDeactivated() && io.MouseDragMaxDistanceSqr[0] < 9.0f) {
        const inspector::task_history* th = lane_at(io.MousePos.y);
        auto row = th ? static_cast<std::size_t>((io.MousePos.y - top.y) / lane_height) : 0;
        float toggle_x = origin.x + indent_px() * static_cast<float>(th ? std::min(lanes[row].depth, 8) : 0);
        if (th && lanes[row].has_children && io.MousePos.x >= toggle_x && io.MousePos.x < toggle_x + 13 * k) {
            // the group toggle: collapse or expand the tasks it spawned
            if (!ui.panels.timeline_collapsed.erase(th->id)) ui.panels.timeline_collapsed.insert(th->id);
        } else if (th) {
            ui.selected_task = ui.timeline_revealed = th->id; // clicked here: already in view
            if (io.MousePos.x >= ax.x0) m.seek_time(static_cast<std::uint64_t>(std::max(0.0, ax.ts(io.MousePos.x))));
        }
    }
    // Bring the selected task's lane into view when it was selected elsewhere.
    if (ui.timeline_revealed != ui.selected_task) {
        if (int row = visible_lane_of(m, ui.panels.lanes, ui.selected_task); row >= 0) {
            float y = lane_height * static_cast<float>(row);
            float view_h = ImGui::GetWindowHeight();
            if (y < ImGui::GetScrollY() || y + lane_height > ImGui::GetScrollY() + view_h)
                ImGui::SetScrollY(std::max(0.0f, y - view_h * 0.4f));
        }
        ui.timeline_revealed = ui.selected_task;
    }
    ImGui::EndChild();
}

} // namespace coroscope::gui
