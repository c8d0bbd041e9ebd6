#pragma once
// The inspector window without the window: what is open (session), what the user is looking at
// (ui_state) and the panels that draw them with ImGui. main.cpp owns GLFW/GL and calls draw_app()
// once per frame between ImGui::NewFrame() and ImGui::Render().
#include "live.hpp"
#include "loader.hpp"
#include "shell.hpp"
#include "panels.hpp"
#include "time_budget.hpp"

#include <coroscope/inspector/model.hpp>
#include <coroscope/traces/reader.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace coroscope::gui {

struct message {
    enum class level { info, warning, error };
    level severity = level::info;
    std::string text;
};

// The trace being inspected and what happened while getting it.
struct session {
    inspector::model model;
    std::string source;              // file path, or what was recorded
    traces::read_report report;
    bool loaded = false;             // at least a header was read
    std::vector<message> messages;   // shown in a banner under the controls
    std::unique_ptr<live_link> live; // live mode: the program the events come from (null = replay)
    std::unique_ptr<trace_loader> loading; // a file being read in the background (shell.hpp)
    live_link::phase seen_phase = live_link::phase::starting; // the phase already turned into messages
    // Each frame's split between drawing and the work that can wait (the drain, the answers' folds).
    frame_budget frame;

    void add(message::level severity, std::string text) { messages.push_back({severity, std::move(text)}); }
};

// Writes the model's trace (what was received or loaded so far); .jsonl = JSON Lines, else binary.
// Returns "" or the error.
std::string save_trace(const session& s, const std::string& path);

// Everything the user chose to look at. Panels read and write only this (no function statics).
struct ui_state {
    std::uint32_t selected_task = 0;   // 0 = none
    // The task each list last brought into view: a list scrolls to the selection when it differs,
    // so selecting anywhere reveals the task everywhere else.
    std::uint32_t table_revealed = 0;
    std::uint32_t timeline_revealed = 0;

    // Timeline view: the time at the left edge of the lanes and the zoom, in ns per pixel.
    double view_begin_ns = 0;
    double ns_per_px = 1;
    bool fit_pending = true;           // fit the whole trace on the next frame (the width is known then)
    bool follow_cursor = false;        // pan so that the cursor stays visible (after keyboard seeks)
    bool auto_fit = true;              // live: refit as events arrive until the user zooms or pans

    // Live mode inputs (breakpoints panel, Save trace).
    int breakpoint_kind = 0;           // index into breakpoint_spec::kind
    int breakpoint_value = 1;          // task / resource id, or milliseconds
    std::string save_path;             // "" = a default name chosen on first draw

    // Function keys as ImGui 1.86 key indices (it has no ImGuiKey_F5..: the backend indexes by its
    // own key codes, so main.cpp, which knows GLFW, fills these in). -1 = not mapped.
    int key_f5 = -1, key_f10 = -1, key_f11 = -1;

    // The window's arrangement, changed by dragging the gaps between the panels (splitters):
    // the tasks table's and the call stack's share of the width, the middle row's of the height.
    float tasks_width = 0.34f, stack_width = 0.24f, middle_height = 0.42f;

    shell_state shell;                 // launcher, loading presets, recent files (shell.hpp)

    panels_state panels;               // the answers area: tab, filters, cached answers (panels.hpp)
};

// Live mode, once per frame before drawing: polls the link (new events into the model, replies,
// the program's exit) and turns phase changes into messages. Does nothing in replay mode.
void update_live(session& s, ui_state& ui);

// Applies command-line presets (--select-task, --seek); bad values become messages.
void apply_presets(session& s, ui_state& ui, long long select_task, long long seek_step);

// Keeps the splitters' shares in range (also for values read from imgui.ini).
void clamp_layout(ui_state& ui);

// Draws the whole window content, filling the main viewport.
void draw_app(session& s, ui_state& ui);

// Panels, one file each. Each draws into the current ImGui window/child at the cursor position.
void draw_controls_panel(session& s, ui_state& ui);
void draw_tasks_panel(session& s, ui_state& ui);
void draw_stack_panel(session& s, ui_state& ui);
void draw_timeline_panel(session& s, ui_state& ui);
// Live mode only: connection, drops, Pause/Continue/Step/Tick, the last reply (controls_panel.cpp);
// breakpoints and Save trace (breakpoints_panel.cpp).
void draw_live_controls(session& s, ui_state& ui);
void draw_breakpoints_panel(session& s, ui_state& ui);

// Small shared helpers (theme.cpp).
std::string format_duration(double ns);      // "1.250 ms", "340 us", "12 ns"
std::string task_label(const inspector::model& m, std::uint32_t id); // "5 orders"
// The timestamp of the cursor: when the next step begins, or the end of the trace.
std::uint64_t cursor_ts(const inspector::model& m);
// The tick of the next step (or the last tick at the end).
std::uint64_t cursor_tick(const inspector::model& m);

} // namespace coroscope::gui
