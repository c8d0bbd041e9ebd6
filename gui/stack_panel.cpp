// Call stack of the selected task at the cursor, innermost frame first (#0), like a debugger.
#include "app.hpp"
#include "theme.hpp"

#include <coroscope/inspector/report.hpp>

#include <imgui.h>

#include <cstdio>

namespace coroscope::gui {

namespace {

// A frame table; frames are outermost first in the model and drawn innermost first.
void draw_frames(const inspector::model& m, const std::vector<inspector::frame_info>& frames, const char* id) {
    ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_SizingFixedFit;
    if (!ImGui::BeginTable(id, 3, flags)) return;
    ImGui::TableSetupColumn("#", ImGuiTableColumnFlags_WidthFixed);
    ImGui::TableSetupColumn("function", ImGuiTableColumnFlags_WidthStretch);
    ImGui::TableSetupColumn("location", ImGuiTableColumnFlags_WidthFixed);
    ImGui::TableHeadersRow();
    for (std::size_t depth = 0; depth < frames.size(); ++depth) {
        const inspector::frame_info& f = frames[frames.size() - 1 - depth];
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        ImGui::TextColored(to_vec4(color_text_dim), "#%zu", depth);
        ImGui::TableNextColumn();
        std::string_view full = m.text(f.function);
        std::string_view name = inspector::short_function_name(full);
        ImGui::TextUnformatted(name.data(), name.data() + name.size());
        if (ImGui::IsItemHovered() && name.size() != full.size())
            ImGui::SetTooltip("%s", std::string(full).c_str());
        ImGui::TableNextColumn();
        std::string_view where = m.text(f.location);
        ImGui::PushStyleColor(ImGuiCol_Text, to_vec4(color_text_location));
        ImGui::TextUnformatted(where.data(), where.data() + where.size());
        ImGui::PopStyleColor();
    }
    ImGui::EndTable();
}

// A task reference that selects the task when clicked.
void task_link(const inspector::model& m, ui_state& ui, std::uint32_t id) {
    std::string label = "task " + task_label(m, id);
    ImGui::PushStyleColor(ImGuiCol_Text, to_vec4(color_text_location));
    ImGui::PushID(static_cast<int>(id));
    if (ImGui::SmallButton(label.c_str())) ui.selected_task = id;
    ImGui::PopID();
    ImGui::PopStyleColor();
}

} // namespace

void draw_stack_panel(session& s, ui_state& ui) {
    const inspector::model& m = s.model;
    const inspector::history& h = m.history();
    std::uint32_t id = ui.selected_task;
    const inspector::task_history* th = h.task(id);
    if (!th) {
        panel_title("Call stack");
        ImGui::Separator();
        ImGui::TextColored(to_vec4(color_text_dim), "Select a task in the table or the timeline.");
        return;
    }
    std::string title = "Call stack of task " + task_label(m, id);
    const inspector::task_snapshot* t = m.state().task(id);
    panel_title(title.c_str(), "innermost first, at the cursor");
    ImGui::Separator();

    if (!t) {
        ImGui::TextColored(to_vec4(color_text_dim), "Not spawned yet at this step (spawned at %s).",
                           format_duration(static_cast<double>(th->spawn_ts - h.first_ts())).c_str());
        return;
    }

    ImGui::TextUnformatted("state");
    ImGui::SameLine(80);
    ImGui::TextColored(to_vec4(state_color(t->state, t->reason, t->status)), "%s",
                       inspector::describe_state(m, *t).c_str());
    if (t->state == inspector::task_state::waiting && t->reason == traces::wait_reason::join && h.task(t->target)) {
        ImGui::SameLine();
        task_link(m, ui, t->target);
    }
    ImGui::TextUnformatted("parent");
    ImGui::SameLine(80);
    if (th->parent != 0 && h.task(th->parent)) task_link(m, ui, th->parent);
    else ImGui::TextColored(to_vec4(color_text_dim), "none");
    if (!th->children.empty()) {
        ImGui::SameLine(0, 20);
        ImGui::TextUnformatted("spawned");
        // The first few as links (a server task may have spawned thousands: the frame must not cost
        // one button each); the spawn tree lists them all.
        constexpr std::size_t linked = 24;
        for (std::size_t i = 0; i < th->children.size() && i < linked; ++i) {
            const std::uint32_t child = th->children[i];
            // Wrap onto the next line (under the first link) when the button would not fit.
            float w = ImGui::CalcTextSize(("task " + task_label(m, child)).c_str()).x + ImGui::GetStyle().FramePadding.x * 2;
            ImGui::SameLine();
            if (ImGui::GetCursorPosX() + w > ImGui::GetWindowContentRegionMax().x) {
                ImGui::NewLine();
                ImGui::SetCursorPosX(80);
            }
            task_link(m, ui, child);
        }
        if (th->children.size() > linked) {
            ImGui::SameLine();
            ImGui::TextColored(to_vec4(color_text_dim), "and %zu more (spawn tree)", th->children.size() - linked);
        }
    }
    ImGui::Spacing();

    if (t->stack.empty()) {
        ImGui::TextColored(to_vec4(color_text_dim), t->state == inspector::task_state::done
                                                        ? "The task has finished; no frames."
                                                        : "No frames recorded yet.");
    } else {
        draw_frames(m, t->stack, "frames");
    }

    if (t->state == inspector::task_state::done && t->status == traces::exit_status::failed) {
        ImGui::Spacing();
        ImGui::TextColored(to_vec4(color_failed), "exception:");
        ImGui::SameLine();
        std::string_view what = m.text(t->error);
        ImGui::PushStyleColor(ImGuiCol_Text, to_vec4(color_failed));
        ImGui::TextWrapped("%s", std::string(what).c_str());
        ImGui::PopStyleColor();
        if (!t->thrown_stack.empty()) {
            ImGui::TextColored(to_vec4(color_text_dim), "thrown at (innermost first):");
            draw_frames(m, t->thrown_stack, "thrown");
        }
    }
}

} // namespace coroscope::gui
