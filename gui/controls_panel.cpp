// Controls: step and tick buttons, the scrubber, where the cursor is and which task runs next.
#include "app.hpp"
#include "theme.hpp"

#include <imgui.h>

#include <cinttypes>

namespace coroscope::gui {

namespace {

bool nav_button(const char* label, const char* tip, bool enabled) {
    ImGui::BeginDisabled(!enabled);
    bool pressed = ImGui::Button(label);
    ImGui::EndDisabled();
    if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled)) ImGui::SetTooltip("%s", tip);
    ImGui::SameLine(0, 4);
    return pressed;
}

} // namespace

void draw_controls_panel(session& s, ui_state& ui) {
    inspector::model& m = s.model;
    const inspector::history& h = m.history();
    const std::uint64_t steps = m.step_count();
    const std::uint64_t before = m.cursor();
    const bool at_start = m.cursor() == 0;
    const bool at_end = m.cursor() >= steps;

    if (nav_button("|< Start", "to the start of the trace (Home)", !at_start)) m.seek(0);
    if (nav_button("<< Tick", "back to the previous tick boundary (Shift+Left)", !at_start)) m.tick_back();
    if (nav_button("< Step", "one step back (Left)", !at_start)) m.step_back();
    if (nav_button("Step >", "one step forward (Right)", !at_end)) m.step_forward();
    if (nav_button("Tick >>", "forward to the next tick boundary (Shift+Right)", !at_end)) m.tick_forward();
    if (nav_button("End >|", "to the end of the trace (End)", !at_end)) m.seek(steps);

    ImGui::SameLine(0, 18);
    if (at_end) {
        ImGui::Text("end of trace, after all %" PRIu64 " steps, tick %" PRIu64, steps, cursor_tick(m));
    } else {
        ImGui::Text("step %" PRIu64 " of %" PRIu64 ", tick %" PRIu64, m.cursor(), steps, cursor_tick(m));
    }
    ImGui::SameLine();
    ImGui::TextColored(to_vec4(color_text_dim), "at %s",
                       format_duration(static_cast<double>(cursor_ts(m) - h.first_ts())).c_str());
    if (!at_end) {
        std::uint32_t next = h.step_task(m.cursor());
        ImGui::SameLine(0, 18);
        ImGui::TextUnformatted("next to run:");
        ImGui::SameLine();
        ImGui::TextColored(to_vec4(color_running), "task %s", task_label(m, next).c_str());
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("click to select task %u", next);
        if (ImGui::IsItemClicked()) ui.selected_task = next;
    }
    const char* hint = "Left/Right: step   Shift+Left/Right: tick   Home/End";
    float hint_w = ImGui::CalcTextSize(hint).x;
    ImGui::SameLine(ImGui::GetWindowContentRegionMax().x - hint_w);
    ImGui::TextColored(to_vec4(color_text_dim), "%s", hint);

    // The scrubber: the cursor ranges over 0..steps (steps = after the last step).
    std::uint64_t value = m.cursor();
    const std::uint64_t lo = 0;
    ImGui::SetNextItemWidth(-1);
    ImGui::BeginDisabled(steps == 0);
    if (ImGui::SliderScalar("##scrubber", ImGuiDataType_U64, &value, &lo, &steps,
                            value >= steps ? "end of trace" : "before step %llu"))
        m.seek(value);
    ImGui::EndDisabled();
    if (m.cursor() != before) ui.follow_cursor = true;
}

} // namespace coroscope::gui
