// Event log: every event of the trace in order, virtualized with ImGuiListClipper so a
// ten-million-event trace costs only the visible rows. Filter by task and by kind; the row at the
// cursor (the event that begins the next step) is highlighted and scrolled to when the cursor
// moves; click a row to seek to its step and select its task.
#include "app.hpp"
#include "panels.hpp"
#include "theme.hpp"

#include <coroscope/inspector/model.hpp>

#include <imgui.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>

namespace coroscope::gui {

namespace {

// The kind-specific fields in words (traces/event.hpp says what a, b and code mean per kind).
std::string details(const inspector::model& m, const traces::event& e) {
    using traces::event_kind;
    auto text = [&](std::uint64_t id) { return id ? std::string(m.text(id)) : std::string(); };
    switch (e.kind) {
    case event_kind::trace_start: return "pid " + std::to_string(e.a);
    case event_kind::trace_end: return std::to_string(e.a) + " tasks left";
    case event_kind::task_spawn: return "\"" + text(e.b) + "\" parent " + std::to_string(e.a);
    case event_kind::task_ready:
        return "cause " + std::string(traces::to_string(static_cast<traces::wait_reason>(e.code))) +
               (e.a ? ", woken by task " + std::to_string(e.a) : std::string(", by the loop"));
    case event_kind::task_resume: return "step " + std::to_string(e.step) + " begins";
    case event_kind::task_suspend:
        return inspector::describe_await(m, static_cast<traces::wait_reason>(e.code), e.a);
    case event_kind::task_exit: {
        std::string out(traces::to_string(static_cast<traces::exit_status>(e.code)));
        if (e.a) out += ": " + text(e.a);
        return out;
    }
    case event_kind::frame_enter: {
        std::string_view f = inspector::short_function_name(m.text(e.a));
        return std::string(f) + "  " + text(e.b);
    }
    case event_kind::frame_exit: return e.code ? "by exception: " + text(e.a) : std::string("returned");
    case event_kind::resource_open:
        return std::string(traces::to_string(static_cast<traces::resource_kind>(e.code))) + " " + std::to_string(e.a) + " " + text(e.b);
    case event_kind::resource_close: return "resource " + std::to_string(e.a);
    case event_kind::io_wait:
        return "resource " + std::to_string(e.a) + " " + std::string(traces::to_string(static_cast<traces::io_direction>(e.code)));
    case event_kind::io_ready:
        return "resource " + std::to_string(e.a) + " " + std::string(traces::to_string(static_cast<traces::io_direction>(e.code))) +
               " result " + std::to_string(static_cast<std::int64_t>(e.b));
    case event_kind::timer_arm: return "timer " + std::to_string(e.a) + " due at " + format_duration(static_cast<double>(e.b));
    case event_kind::timer_fire: return "timer " + std::to_string(e.a);
    case event_kind::tick_begin: return std::to_string(e.a) + " tasks ready";
    case event_kind::poll_begin: return e.a == 0xffffffffu ? std::string("timeout: until an event") : "timeout " + std::to_string(e.a) + " ms";
    case event_kind::poll_end: return std::to_string(e.a) + " callbacks";
    case event_kind::mark: return text(e.a);
    case event_kind::dropped: return std::to_string(e.b) + " events lost";
    case event_kind::control: return std::string(traces::to_string(static_cast<traces::control_kind>(e.code)));
    case event_kind::unobserved_failure: return text(e.a);
    default: break; // kinds added to the format later: their raw fields
    }
    return "code " + std::to_string(e.code) + " a " + std::to_string(e.a) + " b " + std::to_string(e.b);
}

rgb kind_color(traces::event_kind k) {
    using traces::event_kind;
    switch (k) {
    case event_kind::task_resume: return color_running;
    case event_kind::task_ready: return color_ready;
    case event_kind::task_suspend: return color_wait_sleep;
    case event_kind::task_exit:
    case event_kind::task_spawn: return color_wait_join;
    case event_kind::io_wait:
    case event_kind::io_ready: return color_wait_io;
    case event_kind::unobserved_failure:
    case event_kind::dropped: return color_failed;
    default: return color_text_dim;
    }
}

// Brings the filtered rows up to date: rebuilt when the filter or the model changed; while the same
// model grows (live), only the new events are looked at.
void update_rows(const inspector::model& m, panels_state& p, std::uint32_t task_filter, bool all_kinds) {
    std::uint64_t filter = task_filter;
    for (std::size_t k = 0; k < p.log_kinds.size(); ++k) filter = filter * 3 + (p.log_kinds[k] ? 1 : 2);
    const auto& events = m.trace().events;
    const void* tasks_data = m.history().tasks().data();
    answers_cache& c = p.cache;
    const bool grown = c.rows_filter == filter && c.rows_tasks_data == tasks_data && c.rows_events != answers_cache::none &&
                       c.rows_events <= events.size();
    if (grown && c.rows_events == events.size()) return;
    std::size_t from = grown ? static_cast<std::size_t>(c.rows_events) : 0;
    if (!grown) c.rows.clear();
    if (task_filter != 0 || !all_kinds) {
        for (std::size_t i = from; i < events.size(); ++i) {
            const traces::event& e = events[i];
            if (task_filter != 0 && e.task != task_filter) continue;
            if (!p.log_kinds[static_cast<std::size_t>(e.kind)]) continue;
            c.rows.push_back(i);
        }
    }
    c.rows_events = events.size();
    c.rows_tasks_data = tasks_data;
    c.rows_filter = filter;
}

} // namespace

void draw_event_log_panel(session& s, ui_state& ui) {
    inspector::model& m = s.model;
    panels_state& p = ui.panels;
    const auto& events = m.trace().events;

    // Filters.
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted("Event log");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(90);
    if (ImGui::InputInt("task", &p.log_task)) p.log_task = std::max(0, p.log_task);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("only this task's events (0 = all tasks)");
    ImGui::SameLine();
    ImGui::Checkbox("selected task", &p.log_selected_only);
    ImGui::SameLine();
    bool all_kinds = std::all_of(p.log_kinds.begin(), p.log_kinds.end(), [](bool b) { return b; });
    std::size_t shown_kinds = static_cast<std::size_t>(std::count(p.log_kinds.begin(), p.log_kinds.end(), true));
    std::string kinds_label = all_kinds ? std::string("kinds: all") : "kinds: " + std::to_string(shown_kinds);
    if (ImGui::Button((kinds_label + "###kinds").c_str())) ImGui::OpenPopup("kinds_popup");
    if (ImGui::BeginPopup("kinds_popup")) {
        if (ImGui::SmallButton("all")) p.log_kinds.fill(true);
        ImGui::SameLine();
        if (ImGui::SmallButton("none")) p.log_kinds.fill(false);
        ImGui::SameLine();
        if (ImGui::SmallButton("scheduling")) { // what the scheduler decided: the usual question
            p.log_kinds.fill(false);
            for (auto k : {traces::event_kind::task_spawn, traces::event_kind::task_ready, traces::event_kind::task_resume,
                           traces::event_kind::task_suspend, traces::event_kind::task_exit})
                p.log_kinds[static_cast<std::size_t>(k)] = true;
        }
        for (std::size_t k = 0; k < p.log_kinds.size(); ++k) {
            bool on = p.log_kinds[k];
            if (ImGui::Checkbox(std::string(traces::to_string(static_cast<traces::event_kind>(k))).c_str(), &on)) p.log_kinds[k] = on;
        }
        ImGui::EndPopup();
    }
    all_kinds = std::all_of(p.log_kinds.begin(), p.log_kinds.end(), [](bool b) { return b; });
    std::uint32_t task_filter = p.log_selected_only ? ui.selected_task : static_cast<std::uint32_t>(p.log_task);
    update_rows(m, p, task_filter, all_kinds);
    const bool filtered = task_filter != 0 || !all_kinds;
    const std::size_t count = filtered ? p.cache.rows.size() : events.size();
    auto event_of = [&](std::size_t row) -> std::uint64_t { return filtered ? p.cache.rows[row] : row; };
    ImGui::SameLine();
    ImGui::TextColored(to_vec4(color_text_dim), "%zu of %zu events", count, events.size());

    // The row at the cursor: the first shown event not folded into the state at the cursor.
    const std::uint64_t cursor_event = m.cursor_event();
    std::size_t cursor_row = filtered ? static_cast<std::size_t>(std::lower_bound(p.cache.rows.begin(), p.cache.rows.end(), cursor_event) -
                                                                 p.cache.rows.begin())
                                      : static_cast<std::size_t>(std::min<std::uint64_t>(cursor_event, count));
    const bool reveal = p.log_revealed_cursor != m.cursor();

    ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_ScrollY |
                            ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_Resizable;
    if (!ImGui::BeginTable("event_log", 7, flags)) return;
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("#");
    ImGui::TableSetupColumn("time");
    ImGui::TableSetupColumn("step");
    ImGui::TableSetupColumn("tick");
    ImGui::TableSetupColumn("task");
    ImGui::TableSetupColumn("kind");
    ImGui::TableSetupColumn("details", ImGuiTableColumnFlags_WidthStretch);
    ImGui::TableHeadersRow();
    const std::uint64_t t0 = m.history().first_ts();
    ImGuiListClipper clipper;
    clipper.Begin(static_cast<int>(count));
    if (reveal && cursor_row < count) clipper.ForceDisplayRangeByIndices(static_cast<int>(cursor_row), static_cast<int>(cursor_row) + 1);
    while (clipper.Step()) {
        for (int row = clipper.DisplayStart; row < clipper.DisplayEnd; ++row) {
            std::uint64_t index = event_of(static_cast<std::size_t>(row));
            const traces::event& e = events[index];
            ImGui::TableNextRow();
            bool at_cursor = static_cast<std::size_t>(row) == cursor_row;
            if (at_cursor) ImGui::TableSetBgColor(ImGuiTableBgTarget_RowBg1, to_u32(color_log_cursor));
            ImGui::TableNextColumn();
            char label[32];
            std::snprintf(label, sizeof label, "%" PRIu64, index);
            if (ImGui::Selectable(label, false, ImGuiSelectableFlags_SpanAllColumns)) {
                m.seek(e.step);
                if (e.task != 0) ui.selected_task = e.task;
                ui.follow_cursor = true;
                p.log_revealed_cursor = m.cursor(); // clicked here: already in view
            }
            if (ImGui::IsItemHovered()) ImGui::SetTooltip("click: seek to step %" PRIu64, e.step);
            if (at_cursor && reveal) ImGui::SetScrollHereY(0.3f);
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(format_duration(static_cast<double>(e.ts_ns - std::min(e.ts_ns, t0))).c_str());
            ImGui::TableNextColumn();
            ImGui::Text("%" PRIu64, e.step);
            ImGui::TableNextColumn();
            ImGui::Text("%u", e.tick);
            ImGui::TableNextColumn();
            if (e.task) ImGui::Text("%u", e.task);
            else ImGui::TextColored(to_vec4(color_text_dim), "-");
            ImGui::TableNextColumn();
            ImGui::TextColored(to_vec4(kind_color(e.kind)), "%s", std::string(traces::to_string(e.kind)).c_str());
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(details(m, e).c_str());
        }
    }
    if (reveal) p.log_revealed_cursor = m.cursor();
    ImGui::EndTable();
}

} // namespace coroscope::gui
