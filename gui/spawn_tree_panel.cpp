// Spawn tree: who spawned whom (history's parent/children), each task with its state at the
// cursor; click a task to select it. Tasks not spawned yet at the cursor are dimmed.
//
// The rows are the timeline's lanes (update_timeline_lanes: depth-first in spawn order, the tasks
// under a collapsed spawner left out), so the tree and the timeline open and close the same groups,
// and the flattening is done once per change of the tasks or the collapsed set. Only the rows in
// view are drawn (ImGuiListClipper): a frame costs the same with ten thousand tasks as with ten.
#include "app.hpp"
#include "panels.hpp"
#include "theme.hpp"

#include <coroscope/inspector/model.hpp>

#include <imgui.h>

#include <cstdio>

namespace coroscope::gui {

namespace {

// One row; returns true when its triangle was clicked (open or close its spawned tasks).
bool draw_row(const inspector::model& m, const timeline_lanes::lane& row, ui_state& ui, bool scroll_here) {
    const inspector::task_history* th = m.history().task(row.task);
    const inspector::task_snapshot* t = m.state().task(row.task);
    ImGuiTreeNodeFlags flags = ImGuiTreeNodeFlags_OpenOnArrow | ImGuiTreeNodeFlags_SpanAvailWidth |
                               ImGuiTreeNodeFlags_NoTreePushOnOpen;
    if (!row.has_children) flags |= ImGuiTreeNodeFlags_Leaf;
    if (row.task == ui.selected_task) flags |= ImGuiTreeNodeFlags_Selected;

    rgb c = t ? state_color(t->state, t->reason, t->status) : color_text_dim;
    std::string label = task_label(m, row.task);
    ImGui::PushID(static_cast<int>(row.task));
    ImGui::SetCursorPosX(ImGui::GetCursorPosX() + static_cast<float>(row.depth) * ImGui::GetStyle().IndentSpacing);
    ImGui::PushStyleColor(ImGuiCol_Text, t ? ImGui::GetStyleColorVec4(ImGuiCol_Text) : to_vec4(color_text_dim));
    if (row.has_children) ImGui::SetNextItemOpen(!row.collapsed, ImGuiCond_Always);
    bool open = ImGui::TreeNodeEx("node", flags, "%s", label.c_str());
    ImGui::PopStyleColor();
    bool toggled = row.has_children && open == row.collapsed;
    if (ImGui::IsItemClicked() && !ImGui::IsItemToggledOpen()) {
        ui.selected_task = row.task;
        ui.panels.tree_revealed = row.task; // clicked here: already in view
    }
    if (scroll_here) ImGui::SetScrollHereY(0.4f);
    // The state at the cursor, after the name, in the state's color.
    ImGui::SameLine();
    {
        float h = ImGui::GetTextLineHeight();
        ImVec2 p = ImGui::GetCursorScreenPos();
        ImGui::GetWindowDrawList()->AddCircleFilled(ImVec2(p.x + h * 0.4f, p.y + h * 0.5f), h * 0.3f, to_u32(c));
        ImGui::Dummy(ImVec2(h * 0.8f, h));
        ImGui::SameLine(0, 4);
    }
    std::string state = t ? std::string(inspector::to_string(t->state)) : std::string("not spawned yet");
    if (t && t->state == inspector::task_state::waiting) state += " (" + std::string(traces::to_string(t->reason)) + ")";
    if (t && t->state == inspector::task_state::done && t->status != traces::exit_status::ok)
        state += " (" + std::string(traces::to_string(t->status)) + ")";
    ImGui::TextColored(to_vec4(c), "%s", state.c_str());
    if (th && !th->children.empty()) {
        ImGui::SameLine();
        ImGui::TextColored(to_vec4(color_text_dim), row.collapsed ? "%zu spawned (closed)" : "%zu spawned", th->children.size());
    }
    ImGui::PopID();
    return toggled;
}

} // namespace

void draw_spawn_tree_panel(session& s, ui_state& ui) {
    const inspector::model& m = s.model;
    panels_state& p = ui.panels;
    // Selected elsewhere: open the groups hiding it, then scroll to its row (below).
    const bool reveal = p.tree_revealed != ui.selected_task;
    if (reveal) reveal_lane(m, p, ui.selected_task);
    update_timeline_lanes(m, p);
    const std::vector<timeline_lanes::lane>& rows = p.lanes.lanes;

    panel_title("Spawn tree", "who spawned whom; state at the cursor; click to select");
    ImGui::Separator();
    if (rows.empty()) {
        ImGui::TextColored(to_vec4(color_text_dim), "No tasks in this trace.");
        return;
    }
    const int target = reveal ? visible_lane_of(m, p.lanes, ui.selected_task) : -1;
    ImGui::BeginChild("tree_rows", ImVec2(0, 0), false, ImGuiWindowFlags_HorizontalScrollbar);
    std::uint32_t toggle = 0;
    ImGuiListClipper clipper;
    clipper.Begin(static_cast<int>(rows.size()));
    if (target >= 0) clipper.ForceDisplayRangeByIndices(target, target + 1);
    while (clipper.Step()) {
        for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i) {
            const timeline_lanes::lane& row = rows[static_cast<std::size_t>(i)];
            if (draw_row(m, row, ui, i == target)) toggle = row.task;
        }
    }
    ImGui::EndChild();
    if (reveal) p.tree_revealed = ui.selected_task;
    // The rows are rebuilt from the collapsed set on the next frame (timeline and tree alike).
    if (toggle != 0 && !p.timeline_collapsed.erase(toggle)) p.timeline_collapsed.insert(toggle);
}

} // namespace coroscope::gui
