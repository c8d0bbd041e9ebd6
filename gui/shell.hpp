#pragma once
// The application shell: the launcher (started bare, or "Open..." later), background loading and
// what persists between runs. Its state is one member of ui_state (shell_state); no ImGui here.
#include "settings.hpp"

#include <string>
#include <vector>

namespace coroscope::gui {

struct session;
struct ui_state;

// The window's arrangement as imgui.ini remembers it ([Coroscope][layout]): the answers tab, the
// tasks table's sort, the splitters' shares. Read at start and applied to ui_state, except in
// screenshot and script runs (reproducible: they neither apply nor change it).
struct layout_settings {
    int tab = 0;                        // answer_tab
    int tasks_sort = 0;                 // task_column
    bool tasks_sort_descending = false;
    float tasks_width = 0.34f, stack_width = 0.24f, middle_height = 0.42f;
    bool operator==(const layout_settings&) const = default;
};

struct shell_state {
    settings_store settings;            // recent files and where imgui.ini lives
    std::vector<std::string> samples;   // NAME for each bin/sample-NAME next to the executable
    std::string open_path;              // launcher text fields
    std::string attach_address = "127.0.0.1:7000";
    std::string attach_token;
    bool launch_paused = true;          // samples start paused before step 0
    bool show_launcher = false;         // the launcher window over an open trace (the header's "Open...")
    int window_width = 0, window_height = 0; // the window's size when it was last closed (0 = unknown)
    layout_settings layout;             // the arrangement last left (imgui.ini)
    // Command-line presets applied when the first load finishes (--select-task, --seek); -1 = none.
    long long preset_task = -1, preset_seek = -1;
};

// shell_settings.cpp: the [Coroscope][shell] section of imgui.ini (window size, launcher choices),
// registered once after ImGui::CreateContext() and before the ini is loaded; `shell` must outlive
// the context. remember_window_size() marks the ini for saving when the size changed.
void register_shell_settings(shell_state& shell);
void remember_window_size(shell_state& shell, int width, int height);
// The arrangement of `ui`, and the reverse (clamped to sane shares; unknown tabs and columns ignored).
layout_settings layout_of(const ui_state& ui);
void apply_layout(const layout_settings& layout, ui_state& ui);
// Keeps `layout` in shell.layout and marks the ini for saving when it changed.
void remember_layout(shell_state& shell, const layout_settings& layout);

// The NAMEs of the executable files dir/sample-NAME, sorted.
std::vector<std::string> find_samples(const std::string& dir);

// Starts loading `path` on a background thread (loader.cpp); what is shown stays until it is done.
void start_open(session& s, const std::string& path);
// Once per frame: when a load finished, shows the new trace (or the reason it could not be read,
// keeping what was shown) and remembers it in the recent files. True on the frame it finished.
bool update_loading(session& s, ui_state& ui);
// Forgets the selection and the timeline view of the trace that was shown.
void reset_view(ui_state& ui);
// Replaces what is shown with a live program: launched (a sample name or a path) or attached.
void start_launch(session& s, ui_state& ui, const std::string& program, bool paused);
void start_attach(session& s, ui_state& ui, const std::string& address, const std::string& token);

// launcher_panel.cpp: samples, recent files, open a path, attach to an address.
void draw_launcher_panel(session& s, ui_state& ui);
// The launcher filling the window (nothing open yet), or the loading progress while a file loads.
void draw_launcher_page(session& s, ui_state& ui);
// The launcher as a window over an open trace, while show_launcher is set (the header's "Open...").
void draw_launcher_window(session& s, ui_state& ui);
// A progress line with Cancel while a trace loads; nothing otherwise.
void draw_loading_status(session& s);

} // namespace coroscope::gui
