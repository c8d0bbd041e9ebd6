// Lints (inspector::run_lints, default options): one row per finding with its kind, step, task and
// why; click a row to seek to its step and select its task. Deadlock rows list the cycle.
#include "app.hpp"
#include "panels.hpp"
#include "theme.hpp"

#include <coroscope/inspector/model.hpp>

#include <imgui.h>

#include <array>
#include <cinttypes>
#include <cstdio>

namespace coroscope::gui {

void draw_lints_panel(session& s, ui_state& ui) {
    inspector::model& m = s.model;
    const auto& findings = ui.panels.cache.lints;

    // Counts per kind, so the kinds present are visible at a glance.
    std::array<std::size_t, inspector::lint_kind_count> counts{};
    for (const auto& f : findings) ++counts[static_cast<std::size_t>(f.kind)];
    ImGui::TextUnformatted("Lints");
    ImGui::SameLine();
    if (findings.empty()) {
        ImGui::TextColored(to_vec4(color_running), "no findings");
    } else {
        ImGui::TextColored(to_vec4(color_lint), "%zu finding%s", findings.size(), findings.size() == 1 ? "" : "s");
        for (std::size_t k = 0; k < counts.size(); ++k) {
            if (!counts[k]) continue;
            ImGui::SameLine(0, 12);
            ImGui::TextColored(to_vec4(color_text_dim), "%zu %s", counts[k],
                               std::string(inspector::to_string(static_cast<inspector::lint_kind>(k))).c_str());
        }
    }
    ImGui::SameLine(0, 16);
    ImGui::TextColored(to_vec4(color_text_dim), "click: seek to the step, select the task");
    if (!m.history().ended())
        ImGui::TextColored(to_vec4(color_warning),
                           "incomplete trace: leaked-task, lost-wakeup at the end and swallowed-exception are not checked");
    ImGui::Separator();
    if (findings.empty()) return;

    ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_ScrollY |
                            ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_Resizable;
    if (!ImGui::BeginTable("lints", 4, flags)) return;
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("kind");
    ImGui::TableSetupColumn("step");
    ImGui::TableSetupColumn("task");
    ImGui::TableSetupColumn("why", ImGuiTableColumnFlags_WidthStretch);
    ImGui::TableHeadersRow();
    for (std::size_t i = 0; i < findings.size(); ++i) {
        const inspector::lint_finding& f = findings[i];
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        ImGui::PushID(static_cast<int>(i));
        bool here = m.cursor() == f.step && ui.selected_task == f.task; // the finding being looked at
        std::string kind(inspector::to_string(f.kind));
        ImGui::PushStyleColor(ImGuiCol_Text, to_vec4(f.kind == inspector::lint_kind::deadlock ? color_cycle : color_lint));
        if (ImGui::Selectable(kind.c_str(), here, ImGuiSelectableFlags_SpanAllColumns)) {
            m.seek(f.step);
            if (f.task) ui.selected_task = f.task;
            ui.follow_cursor = true;
        }
        ImGui::PopStyleColor();
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", f.why.c_str());
        ImGui::PopID();
        ImGui::TableNextColumn();
        ImGui::Text("%" PRIu64, f.step);
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(f.task ? task_label(m, f.task).c_str() : "-");
        ImGui::TableNextColumn();
        ImGui::TextWrapped("%s", f.why.c_str());
        if (f.kind == inspector::lint_kind::deadlock && !f.cycle.awaits.empty()) {
            std::string ring = "cycle:";
            for (const auto& a : f.cycle.awaits)
                ring += " " + std::to_string(a.task) + " -" + std::string(traces::to_string(a.reason)) + "->";
            ring += " " + std::to_string(f.cycle.awaits.front().task);
            ImGui::TextColored(to_vec4(color_cycle), "%s", ring.c_str());
        }
    }
    ImGui::EndTable();
}

} // namespace coroscope::gui
