// Spawn tree: who spawned whom (history's parent/children), each task with its state at the
// cursor; click a task to select it. Tasks not spawned yet at the cursor are dimmed.
#include "app.hpp"
#include "panels.hpp"
#include "theme.hpp"

#include <coroscope/inspector/model.hpp>

#include <imgui.h>

#include <cstdio>

namespace coroscope::gui {

namespace {

void draw_node(const inspector::model& m, const inspector::task_history& th, ui_state& ui) {
    const inspector::history& h = m.history();
    const inspector::task_snapshot* t = m.state().task(th.id);
    ImGuiTreeNodeFlags flags = ImGuiTreeNodeFlags_OpenOnArrow | ImGuiTreeNodeFlags_SpanAvailWidth |
                               ImGuiTreeNodeFlags_DefaultOpen;
    if (th.children.empty()) flags |= ImGuiTreeNodeFlags_Leaf | ImGuiTreeNodeFlags_NoTreePushOnOpen;
    if (th.id == ui.selected_task) flags |= ImGuiTreeNodeFlags_Selected;

    rgb c = t ? state_color(t->state, t->reason, t->status) : color_text_dim;
    std::string label = task_label(m, th.id);
    ImGui::PushID(static_cast<int>(th.id));
    ImGui::PushStyleColor(ImGuiCol_Text, t ? ImGui::GetStyleColorVec4(ImGuiCol_Text) : to_vec4(color_text_dim));
    bool open = ImGui::TreeNodeEx("node", flags, "%s", label.c_str());
    ImGui::PopStyleColor();
    if (ImGui::IsItemClicked() && !ImGui::IsItemToggledOpen()) ui.selected_task = th.id;
    if (th.id == ui.selected_task && ui.panels.tree_revealed != ui.selected_task) {
        ImGui::SetScrollHereY(0.4f);
        ui.panels.tree_revealed = ui.selected_task;
    }
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
    if (!th.children.empty()) {
        ImGui::SameLine();
        ImGui::TextColored(to_vec4(color_text_dim), "%zu spawned", th.children.size());
    }
    ImGui::PopID();
    if (open && !th.children.empty()) {
        for (std::uint32_t child : th.children)
            if (const inspector::task_history* ch = h.task(child)) draw_node(m, *ch, ui);
        ImGui::TreePop();
    }
}

} // namespace

void draw_spawn_tree_panel(session& s, ui_state& ui) {
    const inspector::model& m = s.model;
    const inspector::history& h = m.history();
    std::size_t roots = 0;
    for (const auto& t : h.tasks())
        roots += t.known && (t.parent == 0 || !h.task(t.parent));
    panel_title("Spawn tree", "who spawned whom; state at the cursor; click to select");
    ImGui::Separator();
    if (roots == 0) {
        ImGui::TextColored(to_vec4(color_text_dim), "No tasks in this trace.");
        return;
    }
    // A task whose parent is not in the trace (spawned before it began) is a root too.
    for (const auto& t : h.tasks())
        if (t.known && (t.parent == 0 || !h.task(t.parent))) draw_node(m, t, ui);
}

} // namespace coroscope::gui
