// Resources: each TCP/pipe stream, listener and process of the trace (inspector::resource_lanes)
// with its state and waiters at the cursor, how often it was waited on, and readiness-to-resume
// latency; a row opens into its waits (click one to seek to it). Timers follow: the sleeping
// tasks at the cursor with their timer and how long until it is due.
#include "app.hpp"
#include "panels.hpp"
#include "theme.hpp"

#include <coroscope/inspector/model.hpp>

#include <imgui.h>

#include <algorithm>
#include <cinttypes>

namespace coroscope::gui {

namespace {

std::string waiters_at_cursor(const inspector::model& m, traces::wait_reason reason, std::uint32_t target) {
    std::string out;
    for (const auto& t : m.state().tasks())
        if (t.known && t.state == inspector::task_state::waiting && t.reason == reason && t.target == target)
            out += (out.empty() ? "" : ", ") + task_label(m, t.id);
    return out;
}

void draw_episodes(session& s, ui_state& ui, const inspector::resource_lane& lane) {
    inspector::model& m = s.model;
    const std::uint64_t t0 = m.history().first_ts();
    if (!ImGui::BeginTable("episodes", 5, ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_BordersInnerV))
        return;
    ImGui::TableSetupColumn("task");
    ImGui::TableSetupColumn("wait");
    ImGui::TableSetupColumn("at");
    ImGui::TableSetupColumn("ready (result)");
    ImGui::TableSetupColumn("ready -> resume", ImGuiTableColumnFlags_WidthStretch);
    ImGui::TableHeadersRow();
    ImGuiListClipper clipper;
    clipper.Begin(static_cast<int>(lane.episodes.size()));
    while (clipper.Step()) {
        for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i) {
            const inspector::io_episode& ep = lane.episodes[static_cast<std::size_t>(i)];
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            ImGui::PushID(i);
            bool now = ep.wait_step < m.cursor() && (!ep.resumed || ep.resume_step >= m.cursor());
            if (ImGui::Selectable(task_label(m, ep.task).c_str(), now, ImGuiSelectableFlags_SpanAllColumns)) {
                ui.selected_task = ep.task;
                m.seek(ep.resumed ? ep.resume_step : ep.wait_step);
                ui.follow_cursor = true;
            }
            if (ImGui::IsItemHovered())
                ImGui::SetTooltip("click: select task %u and seek to step %" PRIu64, ep.task, ep.resumed ? ep.resume_step : ep.wait_step);
            ImGui::PopID();
            ImGui::TableNextColumn();
            ImGui::TextColored(to_vec4(color_wait_io), "%s", std::string(traces::to_string(ep.direction)).c_str());
            ImGui::TableNextColumn();
            ImGui::Text("step %" PRIu64 ", %s", ep.wait_step, format_duration(static_cast<double>(ep.wait_ts - t0)).c_str());
            ImGui::TableNextColumn();
            if (ep.ready) ImGui::Text("+%s (%" PRId64 ")", format_duration(static_cast<double>(ep.ready_ts - ep.wait_ts)).c_str(), ep.result);
            else ImGui::TextColored(to_vec4(color_text_dim), "never");
            ImGui::TableNextColumn();
            if (ep.ready && ep.resumed)
                ImGui::Text("%s (step %" PRIu64 ")", format_duration(static_cast<double>(ep.resume_ts - ep.ready_ts)).c_str(), ep.resume_step);
            else ImGui::TextColored(to_vec4(color_text_dim), "-");
        }
    }
    ImGui::EndTable();
}

} // namespace

void draw_resources_panel(session& s, ui_state& ui) {
    const inspector::model& m = s.model;
    const auto& lanes = ui.panels.cache.resources;
    const std::uint64_t now = cursor_ts(m);
    panel_title("Resources", "state and waiters at the cursor; ready -> resume latency over the whole trace");
    ImGui::Separator();

    if (lanes.empty()) ImGui::TextColored(to_vec4(color_text_dim), "No streams, pipes or processes in this trace.");
    ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_SizingFixedFit |
                            ImGuiTableFlags_Resizable;
    // Latency bars are scaled to the slowest lane's p99, so the lanes compare at a glance.
    std::uint64_t slowest = 1;
    for (const auto& lane : lanes) slowest = std::max(slowest, lane.ready_to_resume.p99);
    if (!lanes.empty() && ImGui::BeginTable("resources", 6, flags)) {
        ImGui::TableSetupColumn("resource", ImGuiTableColumnFlags_WidthFixed, 170.0f);
        ImGui::TableSetupColumn("state");
        ImGui::TableSetupColumn("waiting now");
        ImGui::TableSetupColumn("waits");
        ImGui::TableSetupColumn("ready->resume p50 / p99");
        ImGui::TableSetupColumn("p99", ImGuiTableColumnFlags_WidthFixed, 64.0f);
        ImGui::TableHeadersRow();
        for (const auto& lane : lanes) {
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            ImGui::PushID(static_cast<int>(lane.id));
            std::string name = std::string(traces::to_string(lane.kind)) + " " + std::to_string(lane.id);
            if (lane.label != 0) name += "  " + std::string(m.text(lane.label));
            bool open = ImGui::TreeNodeEx("lane", ImGuiTreeNodeFlags_SpanFullWidth, "%s", name.c_str());
            ImGui::TableNextColumn();
            if (lane.label != 0 && now < lane.open_ts) ImGui::TextColored(to_vec4(color_text_dim), "not open yet");
            else if (lane.close_ts != 0 && now >= lane.close_ts) ImGui::TextColored(to_vec4(color_done), "closed");
            else ImGui::TextColored(to_vec4(color_running), "open");
            ImGui::TableNextColumn();
            std::string waiters = waiters_at_cursor(m, traces::wait_reason::io, lane.id);
            if (waiters.empty()) ImGui::TextColored(to_vec4(color_text_dim), "-");
            else ImGui::TextColored(to_vec4(color_wait_io), "%s", waiters.c_str());
            ImGui::TableNextColumn();
            ImGui::Text("%zu", lane.episodes.size());
            if (lane.unwaited_ready && ImGui::IsItemHovered())
                ImGui::SetTooltip("+ %" PRIu64 " readiness with nobody waiting", lane.unwaited_ready);
            ImGui::TableNextColumn();
            const auto& l = lane.ready_to_resume;
            if (l.count) ImGui::Text("%s / %s", format_duration(static_cast<double>(l.p50)).c_str(), format_duration(static_cast<double>(l.p99)).c_str());
            else ImGui::TextColored(to_vec4(color_text_dim), "-");
            if (l.count && ImGui::IsItemHovered())
                ImGui::SetTooltip("%" PRIu64 " resumes after readiness: p50 %s, p90 %s, p99 %s, max %s", l.count,
                                  format_duration(static_cast<double>(l.p50)).c_str(), format_duration(static_cast<double>(l.p90)).c_str(),
                                  format_duration(static_cast<double>(l.p99)).c_str(), format_duration(static_cast<double>(l.max)).c_str());
            ImGui::TableNextColumn();
            if (l.count) {
                ImVec2 p = ImGui::GetCursorScreenPos();
                float w = std::max(3.0f, 60.0f * static_cast<float>(static_cast<double>(l.p99) / static_cast<double>(slowest)));
                float h = ImGui::GetTextLineHeight();
                ImGui::GetWindowDrawList()->AddRectFilled(ImVec2(p.x, p.y + h * 0.2f), ImVec2(p.x + w, p.y + h * 0.8f), to_u32(color_wait_io));
                ImGui::Dummy(ImVec2(60.0f, h));
            }
            if (open) {
                ImGui::TableNextRow();
                ImGui::TableSetColumnIndex(0);
                ImGui::Indent();
                draw_episodes(s, ui, lane);
                ImGui::Unindent();
                ImGui::TreePop();
            }
            ImGui::PopID();
        }
        ImGui::EndTable();
    }

    // Timers: the scheduler arms one per sleep; what sleeps at the cursor and when it is due.
    ImGui::Spacing();
    ImGui::TextUnformatted("Timers at the cursor");
    bool any = false;
    for (const auto& t : m.state().tasks()) {
        if (!t.known || t.state != inspector::task_state::waiting || t.reason != traces::wait_reason::sleep) continue;
        any = true;
        ImGui::TextColored(to_vec4(color_wait_sleep), "timer %u", t.target);
        ImGui::SameLine();
        ImGui::Text("%s sleeps", task_label(m, t.id).c_str());
        if (t.deadline_ns) {
            ImGui::SameLine();
            ImGui::TextColored(to_vec4(color_text_dim), t.deadline_ns >= now ? "due in %s" : "overdue by %s",
                               format_duration(static_cast<double>(t.deadline_ns >= now ? t.deadline_ns - now : now - t.deadline_ns)).c_str());
        }
    }
    if (!any) ImGui::TextColored(to_vec4(color_text_dim), "no task sleeps at this step");
}

} // namespace coroscope::gui
