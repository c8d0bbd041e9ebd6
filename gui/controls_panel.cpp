// Controls: step and tick buttons, the scrubber, where the cursor is and which task runs next.
#include "app.hpp"
#include "theme.hpp"

#include <imgui.h>

#include <algorithm>
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
    if (nav_button("End >|", s.live ? "to the newest step and follow the program (End)" : "to the end of the trace (End)",
                   !at_end || !m.following()))
        m.seek_end();

    ImGui::SameLine(0, 18);
    if (at_end && s.live && m.following()) {
        ImGui::Text("newest: after all %" PRIu64 " steps, tick %" PRIu64, steps, cursor_tick(m));
    } else if (at_end) {
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
    right_aligned_text("Left/Right: step   Shift+Left/Right: tick   Home/End");

    // The scrubber: the cursor ranges over 0..steps (steps = after the last step).
    std::uint64_t value = m.cursor();
    const std::uint64_t lo = 0;
    ImGui::SetNextItemWidth(-1);
    ImGui::BeginDisabled(steps == 0);
    if (ImGui::SliderScalar("##scrubber", ImGuiDataType_U64, &value, &lo, &steps,
                            value >= steps ? (s.live && m.following() ? "newest step" : "end of trace") : "before step %llu"))
        m.seek(value);
    ImGui::EndDisabled();
    if (m.cursor() != before) ui.follow_cursor = true;
}

void draw_live_controls(session& s, ui_state& ui) {
    if (!s.live) return;
    live_link& link = *s.live;
    using ph = live_link::phase;
    const ph phase = link.current_phase();

    // Row 1: connection, drops, the commands and what the program is doing.
    rgb state_rgb = phase == ph::connected ? color_running
                    : phase == ph::failed || phase == ph::disconnected ? color_error
                    : phase == ph::exited ? (link.exit_code() == 0 ? color_text_dim : color_warning)
                                          : color_ready;
    ImGui::AlignTextToFramePadding();
    ImGui::TextColored(to_vec4(state_rgb), "%s", link.status_text().c_str());
    ImGui::SameLine(0, 18);
    const std::uint64_t dropped = link.dropped_events();
    const int lost = link.disconnections();
    std::string drops = "dropped: " + std::to_string(dropped) + " events";
    if (lost > 0) drops += ", " + std::to_string(lost) + (lost == 1 ? " disconnection" : " disconnections");
    ImGui::TextColored(to_vec4(dropped > 0 || lost > 0 ? color_error : color_text_dim), "%s", drops.c_str());
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip("events the program could not send (its buffer was full) and connections lost;\n"
                          "the model misses what was dropped");

    // Behind a program that streams faster than the window folds: say so, with what is left.
    const std::uint64_t unfolded = ui.panels.cache.behind(s.model);
    if (link.behind() || unfolded > 0) {
        ImGui::SameLine(0, 18);
        std::string behind = link.behind() ? "behind: more events buffered" : "behind:";
        if (unfolded > 0) behind += (link.behind() ? ", " : " ") + std::to_string(unfolded) + " events not in stats/lints yet";
        ImGui::TextColored(to_vec4(color_warning), "%s", behind.c_str());
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip("the program streams faster than the window folds its events; each frame takes a\n"
                              "slice so the window stays responsive, and the answers catch up when it slows down");
    }

    ImGui::SameLine(0, 24);
    const bool can = link.can_command();
    const bool paused = link.paused();
    if (nav_button("Pause", "stop before the next step (Space)", can && !paused)) link.pause();
    if (nav_button("Continue", "run freely until a breakpoint (F5)", can && paused)) link.resume();
    if (nav_button("Step", "run one task step, then pause (F10)", can)) link.step();
    if (nav_button("Tick", "run to the next tick boundary, then pause (F11)", can)) link.tick();

    ImGui::SameLine(0, 18);
    if (phase == ph::connected) {
        if (paused)
            ImGui::TextColored(to_vec4(color_ready), "paused before step %" PRIu64 " - F5 to run, F10 to step",
                               link.paused_step());
        else
            ImGui::TextColored(to_vec4(color_running), "running - Space to pause");
    } else if (phase == ph::exited || phase == ph::disconnected) {
        ImGui::TextColored(to_vec4(color_text_dim), "replaying what was received");
    }

    // Row 2: the last reply or notice, and whether the cursor follows the program.
    ImGui::AlignTextToFramePadding();
    ImGui::TextColored(to_vec4(color_text_dim), "last:");
    ImGui::SameLine();
    const std::string& last = link.last_message();
    ImGui::TextColored(to_vec4(link.last_message_is_error() ? color_error : color_text_location), "%s",
                       last.empty() ? "-" : last.c_str());
    const char* follow = s.model.following() ? "following the newest step" : "following: off - End to follow";
    if (!right_aligned_text(follow, s.model.following() ? color_text_dim : color_warning)) {
        ImGui::SameLine(0, 20); // not a hint: shown even when the line is full (the panel clips it)
        ImGui::TextColored(to_vec4(s.model.following() ? color_text_dim : color_warning), "%s", follow);
    }
}

} // namespace coroscope::gui
