// Task table: every task of the trace with its state at the cursor; click a row to select it.
#include "app.hpp"
#include "theme.hpp"

#include <coroscope/traces/event.hpp>

#include <imgui.h>

#include <algorithm>
#include <array>
#include <cinttypes>
#include <cstdio>

namespace coroscope::gui {

namespace {

// "join task 2 loader alpha", "sleep timer 1 until 6.012 ms", "failed: text", ...
std::string wait_text(const inspector::model& m, const inspector::task_snapshot& t) {
    using traces::wait_reason;
    if (t.state == inspector::task_state::done) {
        std::string out(traces::to_string(t.status));
        if (t.error != 0) out += ": " + std::string(m.text(t.error));
        return out;
    }
    if (t.state != inspector::task_state::waiting) return "";
    std::string out(traces::to_string(t.reason));
    switch (t.reason) {
    case wait_reason::join: out += " on task " + task_label(m, t.target); break;
    case wait_reason::sleep:
        out += " on timer " + std::to_string(t.target);
        if (t.deadline_ns != 0)
            out += " until " + format_duration(static_cast<double>(t.deadline_ns - std::min(t.deadline_ns, m.history().first_ts())));
        break;
    case wait_reason::io: out += " on resource " + std::to_string(t.target); break;
    case wait_reason::none:
    case wait_reason::yield: break;
    default:
        if (t.target != 0) out += " on object " + std::to_string(t.target);
        break;
    }
    return out;
}

void draw_state_counts(const inspector::snapshot& snap, std::size_t total) {
    std::array<std::size_t, 4> counts{};
    for (const auto& t : snap.tasks())
        if (t.known) ++counts[static_cast<std::size_t>(t.state)];
    ImGui::TextUnformatted("Tasks");
    ImGui::SameLine();
    ImGui::TextColored(to_vec4(color_text_dim), "%zu", total);
    const std::array<rgb, 4> colors{color_ready, color_running, color_wait_sleep, color_done};
    for (std::size_t i = 0; i < counts.size(); ++i) {
        ImGui::SameLine(0, 14);
        ImGui::TextColored(to_vec4(colors[i]), "%zu %s", counts[i],
                           std::string(inspector::to_string(static_cast<inspector::task_state>(i))).c_str());
    }
    std::size_t failed = 0;
    for (const auto& t : snap.tasks())
        failed += t.known && t.state == inspector::task_state::done && t.status == traces::exit_status::failed;
    if (failed) {
        ImGui::SameLine();
        ImGui::TextColored(to_vec4(color_failed), "(%zu failed)", failed);
    }
    std::size_t unborn = total - (counts[0] + counts[1] + counts[2] + counts[3]);
    if (unborn) {
        ImGui::SameLine(0, 14);
        ImGui::TextColored(to_vec4(color_text_dim), "%zu not spawned yet", unborn);
    }
}

} // namespace

void draw_tasks_panel(session& s, ui_state& ui) {
    const inspector::model& m = s.model;
    const inspector::history& h = m.history();
    const inspector::snapshot& snap = m.state();

    std::vector<std::uint32_t> ids;
    ids.reserve(h.tasks().size());
    for (const auto& t : h.tasks())
        if (t.known) ids.push_back(t.id);

    draw_state_counts(snap, ids.size());
    ImGui::Separator();

    ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_ScrollY |
                            ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_Resizable;
    if (!ImGui::BeginTable("task_table", 6, flags)) return;
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("id", ImGuiTableColumnFlags_WidthFixed);
    ImGui::TableSetupColumn("name", ImGuiTableColumnFlags_WidthFixed, 150.0f);
    ImGui::TableSetupColumn("state", ImGuiTableColumnFlags_WidthFixed, 70.0f);
    ImGui::TableSetupColumn("wait reason / target", ImGuiTableColumnFlags_WidthStretch);
    ImGui::TableSetupColumn("parent", ImGuiTableColumnFlags_WidthFixed);
    ImGui::TableSetupColumn("steps", ImGuiTableColumnFlags_WidthFixed);
    ImGui::TableHeadersRow();

    int selected_row = -1;
    for (std::size_t i = 0; i < ids.size(); ++i)
        if (ids[i] == ui.selected_task) selected_row = static_cast<int>(i);

    ImGuiListClipper clipper;
    clipper.Begin(static_cast<int>(ids.size()));
    const bool reveal = ui.table_revealed != ui.selected_task;
    if (reveal && selected_row >= 0) clipper.ForceDisplayRangeByIndices(selected_row, selected_row + 1);
    while (clipper.Step()) {
        for (int row = clipper.DisplayStart; row < clipper.DisplayEnd; ++row) {
            std::uint32_t id = ids[static_cast<std::size_t>(row)];
            const inspector::task_history* th = h.task(id);
            const inspector::task_snapshot* t = snap.task(id);
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            char label[32];
            std::snprintf(label, sizeof label, "%u", id);
            bool selected = id == ui.selected_task;
            if (ImGui::Selectable(label, selected, ImGuiSelectableFlags_SpanAllColumns))
                ui.selected_task = ui.table_revealed = id; // clicked here: already in view
            if (selected && reveal) ImGui::SetScrollHereY(0.5f);
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(m.task_name(id).c_str());
            ImGui::TableNextColumn();
            if (!t) {
                ImGui::TextColored(to_vec4(color_text_dim), "-");
                ImGui::TableNextColumn();
                ImGui::TextColored(to_vec4(color_text_dim), "not spawned yet");
            } else {
                rgb c = state_color(t->state, t->reason, t->status);
                ImGui::TextColored(to_vec4(c), "%s", std::string(inspector::to_string(t->state)).c_str());
                ImGui::TableNextColumn();
                std::string w = wait_text(m, *t);
                rgb wc = t->state == inspector::task_state::done ? c : color_text_dim;
                if (t->state == inspector::task_state::waiting) wc = wait_color(t->reason);
                ImGui::TextColored(to_vec4(wc), "%s", w.c_str());
            }
            ImGui::TableNextColumn();
            if (th && th->parent != 0) ImGui::Text("%u", th->parent);
            else ImGui::TextColored(to_vec4(color_text_dim), "-");
            ImGui::TableNextColumn();
            ImGui::Text("%" PRIu64 " / %" PRIu64, t ? t->steps : 0, th ? th->steps : 0);
            if (ImGui::IsItemHovered()) ImGui::SetTooltip("steps run before the cursor / in the whole trace");
        }
    }
    if (reveal) ui.table_revealed = ui.selected_task;
    ImGui::EndTable();
}

} // namespace coroscope::gui
