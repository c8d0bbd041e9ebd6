// The shell's own section of imgui.ini, next to ImGui's windows and tables:
//
//   [Coroscope][shell]
//   WindowSize=1600,1000
//   LaunchPaused=1
//   AttachAddress=127.0.0.1:7000
//
//   [Coroscope][layout]
//   Tab=events
//   TasksSort=2,1
//   Splitters=0.340,0.240,0.420
//
// so the window opens at the size and in the arrangement it was left in (answers tab, the tasks
// table's sort column and direction, the shares of the tasks table, call stack and middle row),
// and the launcher remembers its choices.
#include "app.hpp"
#include "shell.hpp"

#include <imgui.h>
#include <imgui_internal.h>

#include <cstdio>
#include <cstring>

namespace coroscope::gui {

namespace {

shell_state& state_of(ImGuiSettingsHandler* handler) { return *static_cast<shell_state*>(handler->UserData); }

void* read_open(ImGuiContext*, ImGuiSettingsHandler* handler, const char* name) {
    if (std::strcmp(name, "layout") == 0) return &state_of(handler).layout;
    return std::strcmp(name, "shell") == 0 ? &state_of(handler) : nullptr; // other names: skipped
}

void read_layout_line(layout_settings& l, const char* line) {
    int column = 0, descending = 0;
    float a = 0, b = 0, c = 0;
    answer_tab tab{};
    if (std::strncmp(line, "Tab=", 4) == 0 && parse_answer_tab(line + 4, tab)) {
        l.tab = static_cast<int>(tab);
    } else if (std::sscanf(line, "TasksSort=%d,%d", &column, &descending) == 2 && column >= 0 &&
               column <= static_cast<int>(task_column::steps)) {
        l.tasks_sort = column;
        l.tasks_sort_descending = descending != 0;
    } else if (std::sscanf(line, "Splitters=%f,%f,%f", &a, &b, &c) == 3) {
        l.tasks_width = a;
        l.stack_width = b;
        l.middle_height = c;
    }
}

void read_line(ImGuiContext*, ImGuiSettingsHandler* handler, void* entry, const char* line) {
    if (entry == &state_of(handler).layout) {
        read_layout_line(state_of(handler).layout, line);
        return;
    }
    shell_state& sh = *static_cast<shell_state*>(entry);
    int w = 0, h = 0, flag = 0;
    if (std::sscanf(line, "WindowSize=%d,%d", &w, &h) == 2 && w >= 320 && h >= 240 && w <= 16384 && h <= 16384) {
        sh.window_width = w;
        sh.window_height = h;
    } else if (std::sscanf(line, "LaunchPaused=%d", &flag) == 1) {
        sh.launch_paused = flag != 0;
    } else if (std::strncmp(line, "AttachAddress=", 14) == 0) {
        sh.attach_address = line + 14;
    }
}

void write_all(ImGuiContext*, ImGuiSettingsHandler* handler, ImGuiTextBuffer* out) {
    const shell_state& sh = state_of(handler);
    out->appendf("[%s][shell]\n", handler->TypeName);
    if (sh.window_width > 0 && sh.window_height > 0) out->appendf("WindowSize=%d,%d\n", sh.window_width, sh.window_height);
    out->appendf("LaunchPaused=%d\n", sh.launch_paused ? 1 : 0);
    out->appendf("AttachAddress=%s\n", sh.attach_address.c_str());
    out->append("\n");
    const layout_settings& l = sh.layout;
    out->appendf("[%s][layout]\n", handler->TypeName);
    if (l.tab >= 0 && l.tab < answer_tab_count) out->appendf("Tab=%s\n", std::string(to_string(static_cast<answer_tab>(l.tab))).c_str());
    out->appendf("TasksSort=%d,%d\n", l.tasks_sort, l.tasks_sort_descending ? 1 : 0);
    out->appendf("Splitters=%.3f,%.3f,%.3f\n", l.tasks_width, l.stack_width, l.middle_height);
    out->append("\n");
}

} // namespace

void register_shell_settings(shell_state& shell) {
    ImGuiSettingsHandler handler;
    handler.TypeName = "Coroscope";
    handler.TypeHash = ImHashStr("Coroscope");
    handler.ReadOpenFn = read_open;
    handler.ReadLineFn = read_line;
    handler.WriteAllFn = write_all;
    handler.UserData = &shell;
    ImGui::GetCurrentContext()->SettingsHandlers.push_back(handler);
}

void remember_window_size(shell_state& shell, int width, int height) {
    if (width == shell.window_width && height == shell.window_height) return;
    shell.window_width = width;
    shell.window_height = height;
    ImGui::MarkIniSettingsDirty();
}

layout_settings layout_of(const ui_state& ui) {
    layout_settings l;
    l.tab = static_cast<int>(ui.panels.tab);
    l.tasks_sort = static_cast<int>(ui.panels.tasks_sort);
    l.tasks_sort_descending = ui.panels.tasks_sort_descending;
    l.tasks_width = ui.tasks_width;
    l.stack_width = ui.stack_width;
    l.middle_height = ui.middle_height;
    return l;
}

void apply_layout(const layout_settings& l, ui_state& ui) {
    if (l.tab >= 0 && l.tab < answer_tab_count) {
        ui.panels.tab = static_cast<answer_tab>(l.tab);
        ui.panels.tab_requested = true;
    }
    if (l.tasks_sort >= 0 && l.tasks_sort <= static_cast<int>(task_column::steps)) {
        ui.panels.tasks_sort = static_cast<task_column>(l.tasks_sort);
        ui.panels.tasks_sort_descending = l.tasks_sort_descending;
    }
    ui.tasks_width = l.tasks_width;
    ui.stack_width = l.stack_width;
    ui.middle_height = l.middle_height;
    clamp_layout(ui);
}

void remember_layout(shell_state& shell, const layout_settings& layout) {
    if (layout == shell.layout) return;
    shell.layout = layout;
    ImGui::MarkIniSettingsDirty();
}

} // namespace coroscope::gui
