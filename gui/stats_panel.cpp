// Stats (inspector::compute_stats, whole trace): histograms of step duration and ready -> resume
// latency for all tasks and for the selected one, their p50/p90/p99/max, busy time, and the time
// spent waiting by reason.
#include "app.hpp"
#include "panels.hpp"
#include "theme.hpp"

#include <coroscope/inspector/model.hpp>

#include <imgui.h>

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>

namespace coroscope::gui {

namespace {

using histogram = std::array<std::uint64_t, inspector::step_bucket_count>;

// One histogram: per bucket, a bar for all tasks and (when given) one for the selected task. Each
// series is scaled to its own largest bucket so a task with few steps still shows its shape;
// the counts are written above the bars.
void draw_histogram(const char* title, const histogram& total, const histogram* task, float width, float height) {
    ImGui::BeginGroup();
    ImGui::TextUnformatted(title);
    ImVec2 p0 = ImGui::GetCursorScreenPos();
    ImGui::Dummy(ImVec2(width, height));
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const float label_h = ImGui::GetTextLineHeight();
    const float base = p0.y + height - 2 * label_h - 2; // bucket labels under the bars, on two staggered rows
    const float top = p0.y + label_h + 2;           // counts above the tallest bar
    dl->AddRectFilled(p0, ImVec2(p0.x + width, p0.y + height), IM_COL32(24, 26, 32, 255), 3.0f);
    std::uint64_t max_total = std::max<std::uint64_t>(1, *std::max_element(total.begin(), total.end()));
    std::uint64_t max_task = task ? std::max<std::uint64_t>(1, *std::max_element(task->begin(), task->end())) : 1;
    const float slot = width / static_cast<float>(total.size());
    const float bar = task ? slot * 0.36f : slot * 0.7f;
    for (std::size_t b = 0; b < total.size(); ++b) {
        float x = p0.x + slot * static_cast<float>(b) + slot * 0.12f;
        auto draw_bar = [&](std::uint64_t count, std::uint64_t max, float bx, rgb c) {
            float h = count ? std::max(2.0f, (base - top) * static_cast<float>(count) / static_cast<float>(max)) : 0.0f;
            dl->AddRectFilled(ImVec2(bx, base - h), ImVec2(bx + bar, base), to_u32(c));
            char text[24];
            std::snprintf(text, sizeof text, "%" PRIu64, count);
            float tw = ImGui::CalcTextSize(text).x;
            dl->AddText(ImVec2(bx + (bar - tw) * 0.5f, base - h - label_h), to_u32(count ? c : color_text_dim), text);
        };
        draw_bar(total[b], max_total, x, color_histogram);
        if (task) draw_bar((*task)[b], max_task, x + bar + 2, color_histogram_task);
        std::string label(inspector::step_bucket_label(b));
        float lw = ImGui::CalcTextSize(label.c_str()).x;
        dl->AddText(ImVec2(p0.x + slot * (static_cast<float>(b) + 0.5f) - lw * 0.5f, base + 2 + static_cast<float>(b % 2) * label_h),
                    to_u32(color_text_dim), label.c_str());
    }
    dl->AddLine(ImVec2(p0.x, base), ImVec2(p0.x + width, base), IM_COL32(90, 96, 110, 255));
    ImGui::EndGroup();
}

void summary_row(const char* who, const char* what, const inspector::latency_summary& l) {
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(who);
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(what);
    ImGui::TableNextColumn();
    ImGui::Text("%" PRIu64, l.count);
    for (std::uint64_t v : {l.p50, l.p90, l.p99, l.max}) {
        ImGui::TableNextColumn();
        if (l.count) ImGui::TextUnformatted(format_duration(static_cast<double>(v)).c_str());
        else ImGui::TextColored(to_vec4(color_text_dim), "-");
    }
}

// Time waiting by reason as one bar split in the reasons' colors, then the numbers.
void draw_waiting(const char* who, const inspector::task_stats& t, float width) {
    std::uint64_t sum = 0;
    for (std::uint64_t v : t.waiting_ns) sum += v;
    ImGui::TextUnformatted(who);
    ImGui::SameLine();
    ImGui::TextColored(to_vec4(color_text_dim), "busy %s, waiting %s", format_duration(static_cast<double>(t.busy_ns)).c_str(),
                       format_duration(static_cast<double>(sum)).c_str());
    ImVec2 p0 = ImGui::GetCursorScreenPos();
    const float h = 12;
    ImGui::Dummy(ImVec2(width, h));
    ImDrawList* dl = ImGui::GetWindowDrawList();
    dl->AddRectFilled(p0, ImVec2(p0.x + width, p0.y + h), IM_COL32(24, 26, 32, 255));
    float x = p0.x;
    for (std::size_t r = 0; r < t.waiting_ns.size(); ++r) {
        if (t.waiting_ns[r] == 0 || sum == 0) continue;
        float w = width * static_cast<float>(static_cast<double>(t.waiting_ns[r]) / static_cast<double>(sum));
        auto reason = static_cast<traces::wait_reason>(r);
        dl->AddRectFilled(ImVec2(x, p0.y), ImVec2(x + w, p0.y + h), to_u32(wait_color(reason)));
        x += w;
    }
    bool first = true;
    for (std::size_t r = 0; r < t.waiting_ns.size(); ++r) {
        if (t.waiting_ns[r] == 0) continue;
        auto reason = static_cast<traces::wait_reason>(r);
        if (!first) ImGui::SameLine(0, 12);
        first = false;
        ImGui::TextColored(to_vec4(wait_color(reason)), "%s %s", std::string(traces::to_string(reason)).c_str(),
                           format_duration(static_cast<double>(t.waiting_ns[r])).c_str());
    }
    if (first) ImGui::TextColored(to_vec4(color_text_dim), "never waited");
}

} // namespace

void draw_stats_panel(session& s, ui_state& ui) {
    const inspector::model& m = s.model;
    const inspector::trace_stats& st = ui.panels.cache.stats;
    const inspector::task_stats* task = nullptr;
    for (const auto& t : st.tasks)
        if (t.id == ui.selected_task) task = &t;

    ImGui::TextUnformatted("Stats");
    ImGui::SameLine();
    ImGui::TextColored(to_vec4(color_text_dim), "whole trace, %s", format_duration(static_cast<double>(st.duration_ns)).c_str());
    ImGui::SameLine(0, 16);
    ImGui::Checkbox("selected task", &ui.panels.stats_selected_only);
    if (!ui.panels.stats_selected_only) task = nullptr;
    ImGui::SameLine(0, 16);
    color_swatch(color_histogram, "all tasks");
    if (task) {
        ImGui::SameLine(0, 12);
        color_swatch(color_histogram_task, task_label(m, task->id).c_str());
    }

    float avail = ImGui::GetContentRegionAvail().x;
    float hist_w = std::max(200.0f, std::floor((avail - ImGui::GetStyle().ItemSpacing.x) * 0.5f));
    float hist_h = std::clamp(ImGui::GetContentRegionAvail().y * 0.45f, 110.0f, 200.0f);
    draw_histogram("step duration", st.total.step_histogram, task ? &task->step_histogram : nullptr, hist_w, hist_h);
    ImGui::SameLine();
    draw_histogram("ready -> resume latency", st.total.ready_histogram, task ? &task->ready_histogram : nullptr, hist_w, hist_h);

    ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_SizingFixedFit;
    if (ImGui::BeginTable("percentiles", 7, flags)) {
        for (const char* c : {"", "", "count", "p50", "p90", "p99", "max"}) ImGui::TableSetupColumn(c);
        ImGui::TableHeadersRow();
        summary_row("all tasks", "step duration", st.total.step_duration);
        summary_row("", "ready -> resume", st.total.ready_latency);
        if (task) {
            std::string who = "task " + task_label(m, task->id);
            summary_row(who.c_str(), "step duration", task->step_duration);
            summary_row("", "ready -> resume", task->ready_latency);
        }
        ImGui::EndTable();
    }
    ImGui::Spacing();
    ImGui::TextUnformatted("Time waiting by reason");
    draw_waiting("all tasks:", st.total, avail);
    if (task) draw_waiting(("task " + task_label(m, task->id) + ":").c_str(), *task, avail);
}

} // namespace coroscope::gui
