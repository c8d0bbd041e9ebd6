#include "app.hpp"
#include "theme.hpp"

#include <coroscope/traces/reader.hpp>
#include <coroscope/traces/writer.hpp>

#include <imgui.h>

#include <algorithm>
#include <chrono>
#include <cmath>

namespace coroscope::gui {

std::string save_trace(const session& s, const std::string& path) {
    if (path.empty()) return "no file name given";
    return traces::save_file(path, s.model.trace().to_trace(), traces::encoding_for_path(path));
}

void update_live(session& s, ui_state& ui) {
    if (!s.live) return;
    live_link& link = *s.live;
    const auto start = std::chrono::steady_clock::now();
    std::uint64_t delivered = link.poll(s.model, live_link::drain_budget(s.frame));
    s.frame.spend(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    if (delivered > 0) {
        s.loaded = true;
        if (ui.auto_fit && s.model.following()) ui.fit_pending = true;
        if (ui.selected_task == 0) {
            for (const auto& t : s.model.history().tasks())
                if (t.known) {
                    ui.selected_task = t.id;
                    break;
                }
        }
    }
    if (link.current_phase() == s.seen_phase) return;
    s.seen_phase = link.current_phase();
    using ph = live_link::phase;
    switch (s.seen_phase) {
    case ph::failed: s.add(message::level::error, link.status_text()); break;
    case ph::disconnected: s.add(message::level::warning, link.status_text() + " - what was received stays; replay controls work over it"); break;
    case ph::exited: {
        auto code = link.exit_code();
        s.add(code && *code == 0 ? message::level::info : message::level::warning,
              link.status_text() + " - " + std::to_string(s.model.step_count()) +
                  " steps received; step through them with the replay controls, Save trace keeps them");
        break;
    }
    default: break;
    }
}

void apply_presets(session& s, ui_state& ui, long long select_task, long long seek_step) {
    const inspector::model& m = s.model;
    // Default selection: the first task.
    for (const auto& t : m.history().tasks()) {
        if (t.known) {
            ui.selected_task = t.id;
            break;
        }
    }
    if (select_task >= 0) {
        auto id = static_cast<std::uint32_t>(select_task);
        if (m.history().task(id)) ui.selected_task = id;
        else s.add(message::level::warning, "--select-task " + std::to_string(select_task) + ": no such task in this trace");
    }
    std::uint64_t step = 0;
    if (seek_step >= 0) {
        step = static_cast<std::uint64_t>(seek_step);
        if (step > m.step_count())
            s.add(message::level::warning, "--seek " + std::to_string(seek_step) + " is past the last step (" +
                                               std::to_string(m.step_count()) + "); showing the end of the trace");
    }
    s.model.seek(step);
}

namespace {

void handle_keyboard(session& s, ui_state& ui) {
    ImGuiIO& io = ImGui::GetIO();
    if (io.WantTextInput) return;
    inspector::model& m = s.model;
    std::uint64_t before = m.cursor();
    bool shift = io.KeyShift;
    if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_RightArrow))) {
        if (shift) m.tick_forward();
        else m.step_forward();
    }
    if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_LeftArrow))) {
        if (shift) m.tick_back();
        else m.step_back();
    }
    if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Home), false)) m.seek(0);
    if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_End), false)) {
        m.seek_end(); // live: follow the newest events again
        ui.follow_cursor = true;
    }
    if (m.cursor() != before) ui.follow_cursor = true;
    if (s.live && s.live->can_command()) {
        live_link& link = *s.live;
        if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Space), false)) link.pause();
        if (ui.key_f5 >= 0 && ImGui::IsKeyPressed(ui.key_f5, false)) link.resume();
        if (ui.key_f10 >= 0 && ImGui::IsKeyPressed(ui.key_f10)) link.step();
        if (ui.key_f11 >= 0 && ImGui::IsKeyPressed(ui.key_f11)) link.tick();
    }
}

void draw_header(const session& s) {
    const inspector::model& m = s.model;
    const inspector::history& h = m.history();
    ImGui::TextUnformatted("Coroscope");
    ImGui::SameLine();
    if (s.live) {
        ImGui::TextColored(to_vec4(color_text_dim), "live: %s (%s)", s.live->program().c_str(), s.live->address().c_str());
    } else {
        ImGui::TextColored(to_vec4(color_text_dim), "%s", s.source.empty() ? "(no trace)" : s.source.c_str());
    }
    if (!s.loaded) return;
    std::size_t tasks = 0;
    for (const auto& t : h.tasks()) tasks += t.known ? 1 : 0;
    const auto& hdr = m.trace().header;
    std::string summary = hdr.producer + " (pid " + std::to_string(hdr.pid) + ") - " + std::to_string(tasks) +
                          " tasks, " + std::to_string(h.step_count()) + " steps, " + std::to_string(h.tick_count()) +
                          " ticks, " + std::to_string(m.trace().events.size()) + " events, " +
                          format_duration(static_cast<double>(h.last_ts() - h.first_ts())) +
                          (h.ended() ? "" : ", incomplete");
    float w = ImGui::CalcTextSize(summary.c_str()).x;
    ImGui::SameLine(std::max(ImGui::GetCursorPosX() + 20.0f, ImGui::GetWindowContentRegionMax().x - w));
    ImGui::TextColored(to_vec4(color_text_dim), "%s", summary.c_str());
}

void draw_messages(session& s) {
    for (std::size_t i = 0; i < s.messages.size(); ++i) {
        const message& msg = s.messages[i];
        ImGui::PushID(static_cast<int>(i));
        bool dismiss = ImGui::SmallButton("x");
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("dismiss");
        ImGui::PopID();
        ImGui::SameLine();
        rgb c = msg.severity == message::level::error     ? color_error
                : msg.severity == message::level::warning ? color_warning
                                                          : color_text_dim;
        const char* tag = msg.severity == message::level::error     ? "error"
                          : msg.severity == message::level::warning ? "warning"
                                                                    : "note";
        ImGui::TextColored(to_vec4(c), "%s:", tag);
        ImGui::SameLine();
        ImGui::TextWrapped("%s", msg.text.c_str());
        if (dismiss) {
            s.messages.erase(s.messages.begin() + static_cast<std::ptrdiff_t>(i));
            break;
        }
    }
}

// A gap between two panels that can be dragged: moves `share` (of `total` pixels) with the mouse.
void splitter(const char* id, ImVec2 pos, ImVec2 size, bool vertical, float& share, float total) {
    if (size.x <= 0 || size.y <= 0 || total <= 0) return;
    ImGui::SetCursorScreenPos(pos);
    ImGui::InvisibleButton(id, size);
    if (ImGui::IsItemHovered() || ImGui::IsItemActive())
        ImGui::SetMouseCursor(vertical ? ImGuiMouseCursor_ResizeEW : ImGuiMouseCursor_ResizeNS);
    if (ImGui::IsItemActive()) {
        const ImVec2 d = ImGui::GetIO().MouseDelta;
        share += (vertical ? d.x : d.y) / total;
    }
}

} // namespace

void clamp_layout(ui_state& ui) {
    auto finite_or = [](float v, float fallback) { return std::isfinite(v) ? v : fallback; };
    ui.tasks_width = std::clamp(finite_or(ui.tasks_width, 0.34f), 0.12f, 0.7f);
    ui.stack_width = std::clamp(finite_or(ui.stack_width, 0.24f), 0.08f, 0.85f - ui.tasks_width);
    ui.middle_height = std::clamp(finite_or(ui.middle_height, 0.42f), 0.12f, 0.8f);
}

void draw_app(session& s, ui_state& ui) {
    const ImGuiViewport* vp = ImGui::GetMainViewport();
    ImGui::SetNextWindowPos(vp->WorkPos);
    ImGui::SetNextWindowSize(vp->WorkSize);
    ImGuiWindowFlags flags = ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoSavedSettings |
                             ImGuiWindowFlags_NoBringToFrontOnFocus;
    ImGui::Begin("coroscope", nullptr, flags);
    handle_keyboard(s, ui);
    if ((s.live || s.loaded) && ImGui::SmallButton("Open...")) ui.shell.show_launcher = true;
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("open a trace, launch a sample, attach to a program");
    ImGui::SameLine();
    draw_header(s);
    if (!s.live && !s.loaded) { // started bare, or nothing could be read yet: the launcher fills the window
        draw_messages(s);
        draw_launcher_page(s, ui);
        ImGui::End();
        return;
    }

    const float line = ImGui::GetFrameHeightWithSpacing();
    if (s.live) {
        ImGui::BeginChild("live", ImVec2(0, line * 2 + ImGui::GetStyle().WindowPadding.y * 2), true,
                          ImGuiWindowFlags_NoScrollbar);
        draw_live_controls(s, ui);
        ImGui::EndChild();
    }
    ImGui::BeginChild("controls", ImVec2(0, line * 2 + ImGui::GetStyle().WindowPadding.y * 2), true,
                      ImGuiWindowFlags_NoScrollbar);
    draw_controls_panel(s, ui);
    ImGui::EndChild();

    draw_messages(s);
    draw_loading_status(s);

    float avail = ImGui::GetContentRegionAvail().y;
    float spacing = ImGui::GetStyle().ItemSpacing.y;
    const float avail_w = ImGui::GetContentRegionAvail().x;
    clamp_layout(ui);
    float middle = std::max(160.0f, std::floor(avail * ui.middle_height));
    float table_w = std::floor(avail_w * ui.tasks_width);
    float stack_w = std::floor(avail_w * ui.stack_width);

    const ImVec2 row_top = ImGui::GetCursorScreenPos();
    ImGui::BeginChild("tasks", ImVec2(table_w, middle), true);
    draw_tasks_panel(s, ui);
    ImGui::EndChild();
    const float tasks_right = ImGui::GetItemRectMax().x;
    ImGui::SameLine();
    if (s.live) {
        float bp_h = std::floor(middle * 0.45f);
        ImGui::BeginGroup();
        ImGui::BeginChild("stack", ImVec2(stack_w, middle - bp_h - spacing), true);
        draw_stack_panel(s, ui);
        ImGui::EndChild();
        ImGui::BeginChild("breakpoints", ImVec2(stack_w, bp_h), true);
        draw_breakpoints_panel(s, ui);
        ImGui::EndChild();
        ImGui::EndGroup();
    } else {
        ImGui::BeginChild("stack", ImVec2(stack_w, middle), true);
        draw_stack_panel(s, ui);
        ImGui::EndChild();
    }
    const float stack_right = ImGui::GetItemRectMax().x;
    ImGui::SameLine();
    ImGui::BeginChild("answers", ImVec2(0, middle), true);
    draw_answer_tabs(s, ui);
    ImGui::EndChild();

    // The gaps between the panels are splitters (placed over them: the layout does not move).
    {
        const ImVec2 resume = ImGui::GetCursorScreenPos();
        const float gap_x = ImGui::GetStyle().ItemSpacing.x;
        const float row_bottom = row_top.y + middle;
        splitter("split_tasks", ImVec2(tasks_right, row_top.y), ImVec2(gap_x, middle), true, ui.tasks_width, avail_w);
        splitter("split_stack", ImVec2(stack_right, row_top.y), ImVec2(gap_x, middle), true, ui.stack_width, avail_w);
        splitter("split_rows", ImVec2(row_top.x, row_bottom), ImVec2(avail_w, spacing), false, ui.middle_height, avail);
        ImGui::SetCursorScreenPos(resume);
    }

    ImGui::BeginChild("timeline", ImVec2(0, std::max(120.0f, avail - middle - spacing)), true,
                      ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_NoScrollWithMouse);
    draw_timeline_panel(s, ui);
    ImGui::EndChild();
    ImGui::End();
    draw_launcher_window(s, ui);
    // The answers' folds last, when this frame's drawing cost is known: they take what it left of
    // the frame's target (the panels drew the answers published before).
    if (s.live) {
        s.frame.panels_drawn();
        refresh_answers(s.model, ui.panels.cache, ImGui::GetTime(), true, &s.frame);
    }
}

} // namespace coroscope::gui
