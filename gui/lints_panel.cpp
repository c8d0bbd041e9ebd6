// Lints (inspector::run_lints, default options): one row per finding with its kind, step, task and
// why; click a row to seek to its step and select its task. The finding at the cursor (its step,
// its task selected: what a click on it does) is shown whole under the table, with a deadlock's
// cycle. The table's rows are one line each so that only the rows in view are drawn
// (ImGuiListClipper), and the counts per kind are taken once per computation of the lints.
#include "app.hpp"
#include "panels.hpp"
#include "theme.hpp"

#include <coroscope/inspector/model.hpp>

#include <imgui.h>

#include <algorithm>
#include <array>
#include <cinttypes>
#include <cstdio>

namespace coroscope::gui {

namespace {

// The cycle of a deadlock finding: "cycle: 2 -join-> 3 -join-> 2".
std::string cycle_text(const inspector::lint_finding& f) {
    std::string ring = "cycle:";
    for (const auto& a : f.cycle.awaits) ring += " " + std::to_string(a.task) + " -" + std::string(traces::to_string(a.reason)) + "->";
    if (!f.cycle.awaits.empty()) ring += " " + std::to_string(f.cycle.awaits.front().task);
    return ring;
}

// The first line of a finding's why: the table's rows are one line high.
std::string_view first_line(const std::string& why) {
    std::string_view v(why);
    return v.substr(0, v.find('\n'));
}

void update_lint_rows(const inspector::model& m, const answers_cache& cache, std::uint32_t selected, lint_rows& r) {
    const auto& findings = cache.lints;
    if (r.generation != cache.trace_generation) {
        r.counts.fill(0);
        for (const auto& f : findings) ++r.counts[static_cast<std::size_t>(f.kind)];
        r.generation = cache.trace_generation;
    }
    if (r.here_generation == cache.trace_generation && r.here_cursor == m.cursor() && r.here_task == selected) return;
    r.here_generation = cache.trace_generation;
    r.here_cursor = m.cursor();
    r.here_task = selected;
    r.here = findings.size();
    for (std::size_t i = 0; i < findings.size(); ++i) {
        if (findings[i].step == m.cursor() && (findings[i].task == selected || findings[i].task == 0)) {
            r.here = i;
            break;
        }
    }
}

rgb kind_color(inspector::lint_kind k) { return k == inspector::lint_kind::deadlock ? color_cycle : color_lint; }

} // namespace

void draw_lints_panel(session& s, ui_state& ui) {
    inspector::model& m = s.model;
    const auto& findings = ui.panels.cache.lints;
    lint_rows& r = ui.panels.lints;
    update_lint_rows(m, ui.panels.cache, ui.selected_task, r);

    // Counts per kind, so the kinds present are visible at a glance.
    ImGui::TextUnformatted("Lints");
    ImGui::SameLine();
    if (findings.empty()) {
        ImGui::TextColored(to_vec4(color_running), "no findings");
    } else {
        ImGui::TextColored(to_vec4(color_lint), "%zu finding%s", findings.size(), findings.size() == 1 ? "" : "s");
        for (std::size_t k = 0; k < r.counts.size(); ++k) {
            if (!r.counts[k]) continue;
            ImGui::SameLine(0, 12);
            ImGui::TextColored(to_vec4(color_text_dim), "%zu %s", r.counts[k],
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

    // The table over the area left above the finding shown whole (four lines).
    const float line = ImGui::GetTextLineHeightWithSpacing();
    const float detail_h = line * 4 + ImGui::GetStyle().ItemSpacing.y;
    const float table_h = std::max(line * 3, ImGui::GetContentRegionAvail().y - detail_h);
    ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_ScrollY |
                            ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_Resizable;
    if (ImGui::BeginTable("lints", 4, flags, ImVec2(0, table_h))) {
        ImGui::TableSetupScrollFreeze(0, 1);
        ImGui::TableSetupColumn("kind");
        ImGui::TableSetupColumn("step");
        ImGui::TableSetupColumn("task");
        ImGui::TableSetupColumn("why", ImGuiTableColumnFlags_WidthStretch);
        ImGui::TableHeadersRow();
        ImGuiListClipper clipper;
        clipper.Begin(static_cast<int>(findings.size()));
        while (clipper.Step()) {
            for (int row = clipper.DisplayStart; row < clipper.DisplayEnd; ++row) {
                const auto i = static_cast<std::size_t>(row);
                const inspector::lint_finding& f = findings[i];
                ImGui::TableNextRow();
                ImGui::TableNextColumn();
                ImGui::PushID(row);
                std::string kind(inspector::to_string(f.kind));
                ImGui::PushStyleColor(ImGuiCol_Text, to_vec4(kind_color(f.kind)));
                if (ImGui::Selectable(kind.c_str(), i == r.here, ImGuiSelectableFlags_SpanAllColumns)) {
                    m.seek(f.step);
                    if (f.task) ui.selected_task = f.task;
                    ui.follow_cursor = true;
                }
                ImGui::PopStyleColor();
                if (ImGui::IsItemHovered()) {
                    if (f.kind == inspector::lint_kind::deadlock) ImGui::SetTooltip("%s\n%s", f.why.c_str(), cycle_text(f).c_str());
                    else ImGui::SetTooltip("%s", f.why.c_str());
                }
                ImGui::PopID();
                ImGui::TableNextColumn();
                ImGui::Text("%" PRIu64, f.step);
                ImGui::TableNextColumn();
                ImGui::TextUnformatted(f.task ? task_label(m, f.task).c_str() : "-");
                ImGui::TableNextColumn();
                std::string_view why = first_line(f.why);
                ImGui::TextUnformatted(why.data(), why.data() + why.size());
            }
        }
        ImGui::EndTable();
    }

    // The finding at the cursor, whole.
    ImGui::BeginChild("lint_detail", ImVec2(0, 0), false);
    if (r.here < findings.size()) {
        const inspector::lint_finding& f = findings[r.here];
        ImGui::TextColored(to_vec4(kind_color(f.kind)), "%s", std::string(inspector::to_string(f.kind)).c_str());
        ImGui::SameLine();
        ImGui::TextColored(to_vec4(color_text_dim), "at step %" PRIu64 "%s%s", f.step, f.task ? ", task " : "",
                           f.task ? task_label(m, f.task).c_str() : "");
        ImGui::TextWrapped("%s", f.why.c_str());
        if (f.kind == inspector::lint_kind::deadlock && !f.cycle.awaits.empty())
            ImGui::TextColored(to_vec4(color_cycle), "%s", cycle_text(f).c_str());
    } else {
        ImGui::TextColored(to_vec4(color_text_dim), "click a finding to seek to it and read it whole here");
    }
    ImGui::EndChild();
}

} // namespace coroscope::gui
