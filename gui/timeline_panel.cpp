// Timeline: one lane per task with its state intervals, a ruler and the cursor. Wheel zooms around
// the mouse, drag pans, click selects the lane's task and seeks to the step at that time.
#include "app.hpp"
#include "theme.hpp"

#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace coroscope::gui {

namespace {

constexpr float name_gutter = 190.0f;   // task names at the left of the lanes
constexpr float ruler_height = 42.0f;  // time labels above, the cursor's flag below
constexpr float lane_height = 24.0f;
constexpr float min_mark_px = 2.0f;     // intervals narrower than this fold into one mark

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

// Draws one task's intervals in [y0, y1], folding runs of narrow intervals into one mark.
void draw_lane(ImDrawList* dl, const inspector::history& h, const inspector::task_history& th, const time_axis& ax,
               float y0, float y1) {
    const auto& iv = th.intervals;
    const double view_end = ax.ts(ax.x1);
    // Intervals are in time order and do not overlap: skip those that end before the view.
    auto first = std::partition_point(iv.begin(), iv.end(), [&](const inspector::state_interval& s) {
        return s.end_ts != inspector::state_interval::open_end && static_cast<double>(s.end_ts) < ax.begin;
    });
    const float pad = std::floor((y1 - y0) * 0.18f);

    // A fold of narrow intervals: drawn in the color that covers most of its time.
    float fold_x0 = 0, fold_x1 = 0, fold_best_w = -1;
    int fold_count = 0;
    rgb fold_color{};
    bool fold_running = false;
    auto flush = [&] {
        if (fold_count == 0) return;
        float x1 = std::max(fold_x1, fold_x0 + min_mark_px);
        float top = fold_running ? y0 : y0 + pad, bottom = fold_running ? y1 : y1 - pad;
        dl->AddRectFilled(ImVec2(fold_x0, top), ImVec2(x1, bottom), to_u32(fold_color));
        if (fold_count > 1) // several intervals folded: a light cap marks it
            dl->AddLine(ImVec2(fold_x0, top), ImVec2(x1, top), IM_COL32(255, 255, 255, 150), 1.0f);
        fold_count = 0;
        fold_best_w = -1;
        fold_running = false;
    };

    for (auto it = first; it != iv.end(); ++it) {
        const inspector::state_interval& s = *it;
        if (static_cast<double>(s.begin_ts) > view_end) break;
        if (s.state == inspector::task_state::done) continue;
        std::uint64_t end = s.end_ts == inspector::state_interval::open_end ? h.last_ts() : s.end_ts;
        float xb = std::max(ax.x(static_cast<double>(s.begin_ts)), ax.x0 - 2);
        float xe = std::min(ax.x(static_cast<double>(end)), ax.x1 + 2);
        if (xe < ax.x0 || xb > ax.x1) continue;
        rgb c = state_color(s.state, s.reason);
        bool running = s.state == inspector::task_state::running;
        if (xe - xb < min_mark_px) {
            if (fold_count > 0 && xb > fold_x1 + 1.0f) flush();
            if (fold_count == 0) fold_x0 = xb;
            fold_x1 = std::max(fold_x1, xe);
            if (fold_count == 0) fold_x1 = xe;
            if (xe - xb > fold_best_w || (running && !fold_running)) {
                fold_best_w = xe - xb;
                fold_color = c;
            }
            fold_running = fold_running || running;
            ++fold_count;
            continue;
        }
        flush();
        float top = running ? y0 : y0 + pad, bottom = running ? y1 : y1 - pad;
        dl->AddRectFilled(ImVec2(xb, top), ImVec2(xe, bottom), to_u32(c), 2.0f);
    }
    flush();

    // Exit marker: a tick at the end; a red block for a failed task.
    if (th.ended) {
        float x = ax.x(static_cast<double>(th.end_ts));
        if (x >= ax.x0 && x <= ax.x1) {
            rgb c = th.status == traces::exit_status::failed ? color_failed : color_done;
            dl->AddLine(ImVec2(x, y0 + 2), ImVec2(x, y1 - 2), to_u32(c), th.status == traces::exit_status::failed ? 3.0f : 1.5f);
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

} // namespace

void draw_timeline_panel(session& s, ui_state& ui) {
    inspector::model& m = s.model;
    const inspector::history& h = m.history();
    ImGuiIO& io = ImGui::GetIO();

    std::vector<const inspector::task_history*> lanes;
    for (const auto& t : h.tasks())
        if (t.known) lanes.push_back(&t);

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
    const char* hint = "wheel: zoom   drag: pan   click: select + seek";
    ImGui::SameLine(std::max(ImGui::GetCursorPosX() + 16, ImGui::GetWindowContentRegionMax().x - ImGui::CalcTextSize(hint).x));
    ImGui::TextColored(to_vec4(color_text_dim), "%s", hint);

    // Geometry shared by the ruler and the lanes.
    const float scrollbar = ImGui::GetStyle().ScrollbarSize;
    ImVec2 origin = ImGui::GetCursorScreenPos();
    float full_w = ImGui::GetContentRegionAvail().x;
    time_axis ax;
    ax.x0 = origin.x + name_gutter;
    ax.x1 = origin.x + full_w - scrollbar;
    if (ax.x1 - ax.x0 < 50) return;
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
    ax.begin = ui.view_begin_ns;
    ax.ns_per_px = ui.ns_per_px;

    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImU32 cursor_color = IM_COL32(240, 240, 255, 230);

    // Ruler: time labels relative to the trace start; click seeks, wheel zooms.
    {
        ImGui::InvisibleButton("ruler", ImVec2(full_w, ruler_height));
        bool hovered = ImGui::IsItemHovered();
        dl->AddRectFilled(ImVec2(origin.x, origin.y), ImVec2(origin.x + full_w, origin.y + ruler_height),
                          IM_COL32(30, 33, 40, 255));
        dl->AddText(ImVec2(origin.x + 6, origin.y + 5), to_u32(color_text_dim), "task");
        double step = nice_step(100.0 * ax.ns_per_px);
        double t0 = static_cast<double>(h.first_ts());
        double first = std::ceil((ax.begin - t0) / step) * step;
        dl->PushClipRect(ImVec2(ax.x0, origin.y), ImVec2(ax.x1, origin.y + ruler_height), true);
        for (double rel = first; t0 + rel <= ax.ts(ax.x1); rel += step) {
            float x = std::round(ax.x(t0 + rel));
            dl->AddLine(ImVec2(x, origin.y + ruler_height - 8), ImVec2(x, origin.y + ruler_height), to_u32(color_text_dim));
            for (int k = 1; k < 5; ++k) {
                float xm = std::round(ax.x(t0 + rel + step * k / 5));
                dl->AddLine(ImVec2(xm, origin.y + ruler_height - 4), ImVec2(xm, origin.y + ruler_height),
                            IM_COL32(110, 115, 125, 255));
            }
            dl->AddLine(ImVec2(x, origin.y + 2), ImVec2(x, origin.y + 16), IM_COL32(110, 115, 125, 255));
            dl->AddText(ImVec2(x + 4, origin.y + 1), IM_COL32(200, 204, 212, 255), ruler_label(rel, step).c_str());
        }
        // The cursor's flag.
        float cx = ax.x(now_ts);
        if (cx >= ax.x0 && cx <= ax.x1) {
            char label[48];
            if (m.cursor() < h.step_count()) std::snprintf(label, sizeof label, "step %llu", static_cast<unsigned long long>(m.cursor()));
            else std::snprintf(label, sizeof label, "end");
            ImVec2 ts = ImGui::CalcTextSize(label);
            float lx = std::min(cx - 1, ax.x1 - ts.x - 8);
            float fy = origin.y + ruler_height - ts.y - 12;
            dl->AddRectFilled(ImVec2(lx, fy), ImVec2(lx + ts.x + 8, fy + ts.y + 4), IM_COL32(70, 110, 190, 255), 2.0f);
            dl->AddText(ImVec2(lx + 4, fy + 2), IM_COL32(255, 255, 255, 255), label);
        }
        dl->PopClipRect();
        if (hovered && io.MouseWheel != 0) zoom_at(h, ui, ax, io.MousePos.x, io.MouseWheel);
        if (ImGui::IsItemActive() && ImGui::IsMouseDragging(ImGuiMouseButton_Left, 3.0f))
            ui.view_begin_ns -= io.MouseDelta.x * ui.ns_per_px;
        if (ImGui::IsItemDeactivated() && io.MouseDragMaxDistanceSqr[0] < 9.0f && io.MousePos.x >= ax.x0)
            m.seek_time(static_cast<std::uint64_t>(std::max(0.0, ax.ts(io.MousePos.x))));
    }

    if (lanes.empty()) {
        ImGui::TextColored(to_vec4(color_text_dim), "No tasks in this trace.");
        return;
    }

    // Lanes, in a child so that many tasks scroll vertically (the wheel stays zoom).
    ImGui::BeginChild("lanes", ImVec2(full_w, 0), false, ImGuiWindowFlags_NoScrollWithMouse);
    ImDrawList* ldl = ImGui::GetWindowDrawList();
    ImVec2 top = ImGui::GetCursorScreenPos();
    float total_h = std::max(lane_height * static_cast<float>(lanes.size()), 1.0f);
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
    for (std::size_t i = 0; i < lanes.size(); ++i) {
        float y0 = top.y + lane_height * static_cast<float>(i);
        float y1 = y0 + lane_height;
        if (y1 < clip0.y || y0 > clip1.y) continue;
        const inspector::task_history& th = *lanes[i];
        bool selected = th.id == ui.selected_task;
        if (selected)
            ldl->AddRectFilled(ImVec2(origin.x, y0), ImVec2(ax.x1, y1), IM_COL32(70, 110, 190, 70));
        else if (i % 2 == 1)
            ldl->AddRectFilled(ImVec2(origin.x, y0), ImVec2(ax.x1, y1), IM_COL32(255, 255, 255, 8));
        // Name, with a dot in the task's color at the cursor.
        const inspector::task_snapshot* snap = m.state().task(th.id);
        rgb dot = snap ? state_color(snap->state, snap->reason, snap->status) : color_text_dim;
        float cy = (y0 + y1) * 0.5f;
        ldl->AddCircleFilled(ImVec2(origin.x + 10, cy), 4.0f, to_u32(dot, snap ? 255 : 90));
        std::string name = task_label(m, th.id);
        ldl->PushClipRect(ImVec2(origin.x, y0), ImVec2(ax.x0 - 6, y1), true);
        ldl->AddText(ImVec2(origin.x + 20, cy - ImGui::GetTextLineHeight() * 0.5f), name_color, name.c_str());
        ldl->PopClipRect();

        ldl->PushClipRect(ImVec2(ax.x0, y0), ImVec2(ax.x1, y1), true);
        draw_lane(ldl, h, th, ax, y0 + 3, y1 - 3);
        ldl->PopClipRect();
    }
    ldl->AddLine(ImVec2(ax.x0 - 1, clip0.y), ImVec2(ax.x0 - 1, clip1.y), IM_COL32(80, 86, 98, 255));

    // The cursor: the state shown everywhere is the one just before this step runs.
    float cx = std::round(ax.x(now_ts));
    if (cx >= ax.x0 && cx <= ax.x1) {
        ldl->AddLine(ImVec2(cx, clip0.y), ImVec2(cx, std::max(clip0.y, std::min(top.y + total_h, clip1.y))), cursor_color, 2.0f);
        dl->AddLine(ImVec2(cx, origin.y), ImVec2(cx, origin.y + ruler_height), cursor_color, 2.0f);
    }

    // Interaction.
    if (hovered && io.MouseWheel != 0) zoom_at(h, ui, ax, io.MousePos.x, io.MouseWheel);
    if (ImGui::IsItemActive() && ImGui::IsMouseDragging(ImGuiMouseButton_Left, 3.0f))
        ui.view_begin_ns -= io.MouseDelta.x * ui.ns_per_px;
    auto lane_at = [&](float y) -> const inspector::task_history* {
        if (y < top.y) return nullptr;
        auto idx = static_cast<std::size_t>((y - top.y) / lane_height);
        return idx < lanes.size() ? lanes[idx] : nullptr;
    };
    if (hovered && !ImGui::IsMouseDragging(ImGuiMouseButton_Left, 3.0f) && io.MousePos.x >= ax.x0) {
        if (const inspector::task_history* th = lane_at(io.MousePos.y))
            ImGui::SetTooltip("%s", describe_at(m, *th, ax.ts(io.MousePos.x)).c_str());
    }
    if (ImGui::IsItemDeactivated() && io.MouseDragMaxDistanceSqr[0] < 9.0f) {
        if (const inspector::task_history* th = lane_at(io.MousePos.y)) {
            ui.selected_task = th->id;
            ui.scroll_to_selected = true;
            if (io.MousePos.x >= ax.x0) m.seek_time(static_cast<std::uint64_t>(std::max(0.0, ax.ts(io.MousePos.x))));
        }
    }
    ImGui::EndChild();
}

} // namespace coroscope::gui
