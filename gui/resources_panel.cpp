// Resources: each TCP/pipe stream, listener and process of the trace (inspector::resource_lanes)
// with its state and waiters at the cursor, how often it was waited on, and readiness-to-resume
// latency; a row opens into its waits (click one to seek to it). Timers follow: the sleeping
// tasks at the cursor with their timer and how long until it is due.
//
// What the rows show is derived once per change (resource_rows in panels.hpp): the rows (lanes and
// the waits of opened lanes) when the lanes are recomputed or a lane opens or closes; the waiters
// and the sleepers when the cursor or the trace moves. Only the rows in view are drawn
// (ImGuiListClipper), so ten thousand sleeping tasks or a lane with a million waits cost what a
// screenful does.
#include "app.hpp"
#include "panels.hpp"
#include "theme.hpp"

#include <coroscope/inspector/model.hpp>

#include <imgui.h>

#include <algorithm>
#include <cinttypes>
#include <unordered_map>

namespace coroscope::gui {

namespace {

void update_rows(const inspector::model& m, const answers_cache& cache, const std::set<std::uint32_t>& opened, resource_rows& r) {
    if (r.generation == cache.trace_generation && r.opened == opened) return;
    const auto& lanes = cache.resources;
    if (r.generation != cache.trace_generation) { // new lanes: their names, and the waiters by lane index
        r.names.clear();
        for (const auto& lane : lanes) {
            std::string name = std::string(traces::to_string(lane.kind)) + " " + std::to_string(lane.id);
            if (lane.label != 0) name += "  " + std::string(m.text(lane.label));
            r.names.push_back(std::move(name));
        }
        r.state_generation = answers_cache::none;
    }
    r.generation = cache.trace_generation;
    r.opened = opened;
    r.first_row.clear();
    r.total = 0;
    r.slowest = 1;
    for (const auto& lane : lanes) {
        r.first_row.push_back(r.total);
        // The lane, and when opened a header row and one row per wait.
        r.total += 1 + (opened.count(lane.id) ? 1 + lane.episodes.size() : 0);
        r.slowest = std::max(r.slowest, lane.ready_to_resume.p99);
    }
}

// Who waits on each lane and who sleeps, at the cursor: one pass over the tasks per change.
void update_state(const inspector::model& m, const answers_cache& cache, resource_rows& r) {
    const trace_key key = trace_key::of(m);
    if (r.state_generation == cache.trace_generation && r.state_trace == key && r.state_cursor == m.cursor()) return;
    r.state_generation = cache.trace_generation;
    r.state_trace = key;
    r.state_cursor = m.cursor();
    const auto& lanes = cache.resources;
    std::unordered_map<std::uint32_t, std::size_t> lane_of;
    for (std::size_t i = 0; i < lanes.size(); ++i) lane_of.emplace(lanes[i].id, i);
    r.waiters.assign(lanes.size(), std::string());
    std::vector<std::size_t> count(lanes.size(), 0);
    r.sleepers.clear();
    for (const auto& t : m.state().tasks()) {
        if (!t.known || t.state != inspector::task_state::waiting) continue;
        if (t.reason == traces::wait_reason::sleep) r.sleepers.push_back(t.id);
        if (t.reason != traces::wait_reason::io) continue;
        auto it = lane_of.find(t.target);
        if (it == lane_of.end()) continue;
        std::string& out = r.waiters[it->second];
        if (count[it->second]++ < resource_rows::waiters_named) out += (out.empty() ? "" : ", ") + task_label(m, t.id);
    }
    for (std::size_t i = 0; i < lanes.size(); ++i)
        if (count[i] > resource_rows::waiters_named) r.waiters[i] += " and " + std::to_string(count[i] - resource_rows::waiters_named) + " more";
}

void draw_lane_row(const resource_rows& r, std::size_t index, const inspector::resource_lane& lane,
                   bool open, std::uint64_t now, std::uint32_t& toggle) {
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    ImGui::PushID(static_cast<int>(lane.id));
    ImGui::SetNextItemOpen(open, ImGuiCond_Always);
    if (ImGui::TreeNodeEx("lane", ImGuiTreeNodeFlags_SpanFullWidth | ImGuiTreeNodeFlags_NoTreePushOnOpen, "%s",
                          r.names[index].c_str()) != open)
        toggle = lane.id;
    ImGui::PopID();
    ImGui::TableNextColumn();
    if (lane.label != 0 && now < lane.open_ts) ImGui::TextColored(to_vec4(color_text_dim), "not open yet");
    else if (lane.close_ts != 0 && now >= lane.close_ts) ImGui::TextColored(to_vec4(color_done), "closed");
    else ImGui::TextColored(to_vec4(color_running), "open");
    ImGui::TableNextColumn();
    const std::string& waiters = r.waiters[index];
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
        // Latency bars are scaled to the slowest lane's p99, so the lanes compare at a glance.
        ImVec2 p = ImGui::GetCursorScreenPos();
        float w = std::max(3.0f, 60.0f * static_cast<float>(static_cast<double>(l.p99) / static_cast<double>(r.slowest)));
        float h = ImGui::GetTextLineHeight();
        ImGui::GetWindowDrawList()->AddRectFilled(ImVec2(p.x, p.y + h * 0.2f), ImVec2(p.x + w, p.y + h * 0.8f), to_u32(color_wait_io));
        ImGui::Dummy(ImVec2(60.0f, h));
    }
}

// The header of an opened lane's waits, in the columns its wait rows use.
void draw_episodes_header() {
    ImGui::TableNextRow();
    for (const char* title : {"    task", "wait", "at", "ready (result)", "ready -> resume"}) {
        ImGui::TableNextColumn();
        ImGui::TextColored(to_vec4(color_text_dim), "%s", title);
    }
}

void draw_episode_row(session& s, ui_state& ui, const inspector::resource_lane& lane, std::size_t e) {
    inspector::model& m = s.model;
    const std::uint64_t t0 = m.history().first_ts();
    const inspector::io_episode& ep = lane.episodes[e];
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    ImGui::PushID(static_cast<int>(lane.id));
    ImGui::PushID(static_cast<int>(e));
    bool now = ep.wait_step < m.cursor() && (!ep.resumed || ep.resume_step >= m.cursor());
    ImGui::Indent();
    if (ImGui::Selectable(task_label(m, ep.task).c_str(), now, ImGuiSelectableFlags_SpanAllColumns)) {
        ui.selected_task = ep.task;
        m.seek(ep.resumed ? ep.resume_step : ep.wait_step);
        ui.follow_cursor = true;
    }
    ImGui::Unindent();
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip("click: select task %u and seek to step %" PRIu64, ep.task, ep.resumed ? ep.resume_step : ep.wait_step);
    ImGui::PopID();
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

} // namespace

void draw_resources_panel(session& s, ui_state& ui) {
    const inspector::model& m = s.model;
    panels_state& p = ui.panels;
    const auto& lanes = p.cache.resources;
    resource_rows& r = p.resources;
    update_rows(m, p.cache, p.resources_opened, r);
    update_state(m, p.cache, r);
    const std::uint64_t now = cursor_ts(m);
    panel_title("Resources", "state and waiters at the cursor; ready -> resume latency over the whole trace");
    ImGui::Separator();

    if (lanes.empty()) ImGui::TextColored(to_vec4(color_text_dim), "No streams, pipes or processes in this trace.");
    ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_SizingFixedFit |
                            ImGuiTableFlags_Resizable;
    std::uint32_t toggle = 0;
    if (!lanes.empty() && ImGui::BeginTable("resources", 6, flags)) {
        ImGui::TableSetupColumn("resource", ImGuiTableColumnFlags_WidthFixed, 170.0f);
        ImGui::TableSetupColumn("state");
        ImGui::TableSetupColumn("waiting now");
        ImGui::TableSetupColumn("waits");
        ImGui::TableSetupColumn("ready->resume p50 / p99");
        ImGui::TableSetupColumn("p99", ImGuiTableColumnFlags_WidthFixed, 64.0f);
        ImGui::TableHeadersRow();
        ImGuiListClipper clipper;
        clipper.Begin(static_cast<int>(r.total));
        while (clipper.Step()) {
            // The lane of the first row in view, then walk forward through lanes and their waits.
            auto row = static_cast<std::size_t>(clipper.DisplayStart);
            std::size_t lane = static_cast<std::size_t>(std::upper_bound(r.first_row.begin(), r.first_row.end(), row) -
                                                        r.first_row.begin()) - 1;
            for (; row < static_cast<std::size_t>(clipper.DisplayEnd); ++row) {
                if (lane + 1 < r.first_row.size() && row == r.first_row[lane + 1]) ++lane;
                const inspector::resource_lane& l = lanes[lane];
                std::size_t within = row - r.first_row[lane];
                if (within == 0) draw_lane_row(r, lane, l, r.opened.count(l.id) != 0, now, toggle);
                else if (within == 1) draw_episodes_header();
                else draw_episode_row(s, ui, l, within - 2);
            }
        }
        ImGui::EndTable();
    }
    // The rows are rebuilt with the new opened set on the next frame.
    if (toggle != 0 && !p.resources_opened.erase(toggle)) p.resources_opened.insert(toggle);

    // Timers: the scheduler arms one per sleep; what sleeps at the cursor and when it is due.
    ImGui::Spacing();
    ImGui::TextUnformatted("Timers at the cursor");
    if (r.sleepers.empty()) {
        ImGui::TextColored(to_vec4(color_text_dim), "no task sleeps at this step");
        return;
    }
    ImGui::SameLine();
    ImGui::TextColored(to_vec4(color_text_dim), "%zu sleeping", r.sleepers.size());
    ImGuiListClipper clipper;
    clipper.Begin(static_cast<int>(r.sleepers.size()));
    while (clipper.Step()) {
        for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i) {
            const inspector::task_snapshot* t = m.state().task(r.sleepers[static_cast<std::size_t>(i)]);
            if (!t) { // cannot happen: the list is of this state's tasks; keep the row height
                ImGui::TextUnformatted("");
                continue;
            }
            ImGui::TextColored(to_vec4(color_wait_sleep), "timer %u", t->target);
            ImGui::SameLine();
            ImGui::Text("%s sleeps", task_label(m, t->id).c_str());
            if (t->deadline_ns) {
                ImGui::SameLine();
                ImGui::TextColored(to_vec4(color_text_dim), t->deadline_ns >= now ? "due in %s" : "overdue by %s",
                                   format_duration(static_cast<double>(t->deadline_ns >= now ? t->deadline_ns - now : now - t->deadline_ns)).c_str());
            }
        }
    }
}

} // namespace coroscope::gui
