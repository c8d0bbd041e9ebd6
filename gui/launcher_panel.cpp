// The launcher: what `coroscope` shows when started bare (and in a window over an open trace after
// "Open..." / Ctrl+O): the samples next to the executable (launch live, paused or not), the recent
// trace files, a path to open and an address to attach to. Also the loading progress line.
#include "app.hpp"
#include "shell.hpp"
#include "theme.hpp"

#include <imgui.h>
#include <imgui_stdlib.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <unistd.h>

namespace coroscope::gui {

std::vector<std::string> find_samples(const std::string& dir) {
    std::vector<std::string> names;
    std::error_code ec;
    if (dir.empty()) return names;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
        std::string file = entry.path().filename().string();
        if (file.rfind("sample-", 0) != 0 || file.size() <= 7) continue;
        if (!entry.is_regular_file(ec) || ::access(entry.path().c_str(), X_OK) != 0) continue;
        names.push_back(file.substr(7));
    }
    std::sort(names.begin(), names.end());
    return names;
}

void start_launch(session& s, ui_state& ui, const std::string& program, bool paused) {
    s.loading.reset();
    s.model = inspector::model();
    s.loaded = false;
    s.source = program;
    s.seen_phase = live_link::phase::starting;
    s.live = live_link::launch(program, {}, paused);
    reset_view(ui);
    ui.shell.show_launcher = false;
}

void start_attach(session& s, ui_state& ui, const std::string& address, const std::string& token) {
    s.loading.reset();
    s.model = inspector::model();
    s.loaded = false;
    s.source = address;
    s.seen_phase = live_link::phase::starting;
    s.live = live_link::attach(address, token);
    reset_view(ui);
    ui.shell.show_launcher = false;
}

namespace {

void section(const char* title, const char* note) {
    ImGui::Spacing();
    panel_title(title, note);
    ImGui::Separator();
}

std::string human_bytes(std::uint64_t n) {
    char buf[32];
    if (n >= (1u << 20)) std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(n) / (1u << 20));
    else if (n >= 1024) std::snprintf(buf, sizeof buf, "%.1f KiB", static_cast<double>(n) / 1024);
    else std::snprintf(buf, sizeof buf, "%llu bytes", static_cast<unsigned long long>(n));
    return buf;
}

} // namespace

void draw_launcher_panel(session& s, ui_state& ui) {
    shell_state& sh = ui.shell;
    const float button_w = ImGui::CalcTextSize("Launch paused").x + ImGui::GetStyle().FramePadding.x * 2;

    section("Samples", sh.samples.empty() ? "(no bin/sample-* next to this executable)" : "programs on the scheduler, debugged live");
    ImGui::Checkbox("start paused before step 0", &sh.launch_paused);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("then F10 steps one task step, F11 one tick, F5 continues");
    std::string chosen;
    if (ImGui::BeginTable("samples", 2, ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingStretchProp)) {
        ImGui::TableSetupColumn("sample", ImGuiTableColumnFlags_WidthStretch);
        ImGui::TableSetupColumn("action", ImGuiTableColumnFlags_WidthFixed, button_w);
        for (const std::string& name : sh.samples) {
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            ImGui::AlignTextToFramePadding();
            ImGui::Text("sample-%s", name.c_str());
            ImGui::TableNextColumn();
            ImGui::PushID(name.c_str());
            if (ImGui::Button(sh.launch_paused ? "Launch paused" : "Launch", ImVec2(button_w, 0))) chosen = name;
            ImGui::PopID();
        }
        ImGui::EndTable();
    }
    if (!chosen.empty()) {
        start_launch(s, ui, chosen, sh.launch_paused);
        return;
    }

    section("Recent traces", sh.settings.recent.empty() ? "(none yet: traces you open are listed here)" : nullptr);
    std::string open_now;
    for (const std::string& path : sh.settings.recent) {
        std::error_code ec;
        bool exists = std::filesystem::exists(path, ec);
        ImGui::PushID(path.c_str());
        if (ImGui::Button("Open")) open_now = path;
        ImGui::PopID();
        ImGui::SameLine();
        if (exists) ImGui::TextUnformatted(path.c_str());
        else ImGui::TextColored(to_vec4(color_text_dim), "%s (missing)", path.c_str());
    }

    section("Open a trace file", "JSON Lines or binary; a truncated file loads what is complete");
    ImGui::SetNextItemWidth(std::max(200.0f, ImGui::GetContentRegionAvail().x - button_w - ImGui::GetStyle().ItemSpacing.x));
    bool enter = ImGui::InputTextWithHint("##open_path", "/path/to/run.trace", &sh.open_path, ImGuiInputTextFlags_EnterReturnsTrue);
    ImGui::SameLine();
    if ((ImGui::Button("Open file", ImVec2(button_w, 0)) || enter) && !sh.open_path.empty()) open_now = sh.open_path;
    if (!open_now.empty()) start_open(s, open_now);

    section("Attach to a running program", "started with COROSCOPE_LISTEN=ADDR (127.0.0.1:PORT or unix:PATH)");
    float field = std::max(160.0f, (ImGui::GetContentRegionAvail().x - button_w - ImGui::GetStyle().ItemSpacing.x * 2) * 0.5f);
    ImGui::SetNextItemWidth(field);
    bool attach_enter = ImGui::InputTextWithHint("##attach_address", "127.0.0.1:7000", &sh.attach_address,
                                                 ImGuiInputTextFlags_EnterReturnsTrue);
    ImGui::SameLine();
    ImGui::SetNextItemWidth(field);
    ImGui::InputTextWithHint("##attach_token", "token (COROSCOPE_TOKEN, if set)", &sh.attach_token, ImGuiInputTextFlags_Password);
    ImGui::SameLine();
    if ((ImGui::Button("Attach", ImVec2(button_w, 0)) || attach_enter) && !sh.attach_address.empty())
        start_attach(s, ui, sh.attach_address, sh.attach_token);
}

void draw_launcher_page(session& s, ui_state& ui) {
    draw_loading_status(s);
    if (s.loading) return;
    // A readable column in the middle of a wide window.
    float avail = ImGui::GetContentRegionAvail().x;
    float width = std::min(avail, 60.0f * ImGui::GetFontSize());
    ImGui::SetCursorPosX(ImGui::GetCursorPosX() + std::floor((avail - width) * 0.5f));
    ImGui::BeginChild("launcher", ImVec2(width, 0), true);
    ImGui::Spacing();
    ImGui::TextUnformatted("Debug a program on the scheduler live, or open a recorded trace.");
    ImGui::TextColored(to_vec4(color_text_dim), "Live: F10 steps one task step, F11 one tick, F5 continues, Space pauses. "
                                                "Replay: Left/Right step, Shift+Left/Right tick.");
    draw_launcher_panel(s, ui);
    ImGui::EndChild();
}

void draw_launcher_window(session& s, ui_state& ui) {
    if (!ui.shell.show_launcher) return;
    const ImGuiViewport* vp = ImGui::GetMainViewport();
    ImGui::SetNextWindowPos(ImVec2(vp->WorkPos.x + vp->WorkSize.x * 0.5f, vp->WorkPos.y + vp->WorkSize.y * 0.4f),
                            ImGuiCond_FirstUseEver, ImVec2(0.5f, 0.5f));
    ImGui::SetNextWindowSize(ImVec2(vp->WorkSize.x * 0.55f, vp->WorkSize.y * 0.6f), ImGuiCond_FirstUseEver);
    // A regular window: where it was put and how big it was are kept in imgui.ini.
    if (ImGui::Begin("Open or launch", &ui.shell.show_launcher, ImGuiWindowFlags_NoCollapse)) {
        draw_loading_status(s);
        draw_launcher_panel(s, ui);
    }
    ImGui::End();
}

void draw_loading_status(session& s) {
    if (!s.loading) return;
    const trace_loader& l = *s.loading;
    std::string label = human_bytes(l.bytes_read()) + " of " + human_bytes(l.bytes_total()) + ", " +
                        std::to_string(l.events_read()) + " events";
    ImGui::AlignTextToFramePadding();
    ImGui::Text("Loading %s", l.path().c_str());
    ImGui::SameLine();
    float cancel_w = ImGui::CalcTextSize("Cancel").x + ImGui::GetStyle().FramePadding.x * 2;
    ImGui::ProgressBar(l.fraction(), ImVec2(std::max(120.0f, ImGui::GetContentRegionAvail().x - cancel_w - ImGui::GetStyle().ItemSpacing.x), 0),
                       label.c_str());
    ImGui::SameLine();
    if (ImGui::Button("Cancel")) {
        s.add(message::level::info, "cancelled loading " + l.path());
        s.loading.reset(); // the thread stops at its next chunk
    }
}

} // namespace coroscope::gui
