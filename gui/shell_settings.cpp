// The shell's own section of imgui.ini, next to ImGui's windows and tables:
//
//   [Coroscope][shell]
//   WindowSize=1600,1000
//   LaunchPaused=1
//   AttachAddress=127.0.0.1:7000
//
// so the window opens at the size it was left at and the launcher remembers its choices.
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
    return std::strcmp(name, "shell") == 0 ? &state_of(handler) : nullptr; // other names: skipped
}

void read_line(ImGuiContext*, ImGuiSettingsHandler*, void* entry, const char* line) {
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

} // namespace coroscope::gui
