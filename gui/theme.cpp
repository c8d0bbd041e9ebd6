#include "app.hpp"
#include "theme.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>

namespace coroscope::gui {

namespace {
float theme_scale = 1.0f; // what setup_theme() was given: one per process, like ImGui's own style
} // namespace

float ui_scale() { return theme_scale; }

void setup_theme(float scale) {
    theme_scale = scale;
    ImGui::StyleColorsDark();
    ImGuiStyle& style = ImGui::GetStyle();
    style.WindowRounding = 0.0f;
    style.ChildRounding = 3.0f;
    style.FrameRounding = 3.0f;
    style.GrabRounding = 3.0f;
    style.WindowPadding = ImVec2(8, 6);
    style.FramePadding = ImVec2(7, 4);
    style.ItemSpacing = ImVec2(8, 5);
    style.CellPadding = ImVec2(6, 2);
    style.ChildBorderSize = 1.0f;
    ImVec4* c = style.Colors;
    c[ImGuiCol_WindowBg] = ImVec4(0.09f, 0.10f, 0.12f, 1.0f);
    c[ImGuiCol_ChildBg] = ImVec4(0.12f, 0.13f, 0.16f, 1.0f);
    c[ImGuiCol_Border] = ImVec4(0.25f, 0.27f, 0.32f, 1.0f);
    c[ImGuiCol_TableHeaderBg] = ImVec4(0.17f, 0.19f, 0.23f, 1.0f);
    c[ImGuiCol_TableRowBgAlt] = ImVec4(1.0f, 1.0f, 1.0f, 0.03f);
    c[ImGuiCol_Header] = ImVec4(0.26f, 0.42f, 0.66f, 0.55f);
    c[ImGuiCol_HeaderHovered] = ImVec4(0.26f, 0.42f, 0.66f, 0.35f);
    c[ImGuiCol_HeaderActive] = ImVec4(0.26f, 0.42f, 0.66f, 0.70f);
    style.ScaleAllSizes(scale); // paddings, spacings, roundings, scrollbars: high-DPI screens

    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr; // main.cpp loads and saves imgui.ini itself, in the config directory (settings.hpp)
    const char* font = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
    std::error_code ec;
    // The font is rasterized at the scaled size (sharp), not magnified with FontGlobalScale (blurry).
    if (std::filesystem::exists(font, ec)) {
        io.Fonts->AddFontFromFileTTF(font, 16.0f * scale);
    } else {
        ImFontConfig config;
        config.SizePixels = 13.0f * scale;
        io.Fonts->AddFontDefault(&config);
    }
}

bool right_aligned_text(const char* text, rgb color) {
    const float w = ImGui::CalcTextSize(text).x;
    // Where the last item ends, in the window's content coordinates (what SameLine() takes).
    const float after = ImGui::GetItemRectMax().x - ImGui::GetWindowPos().x + ImGui::GetScrollX();
    const float x = ImGui::GetWindowContentRegionMax().x - w;
    if (x < after + 16 * theme_scale) return false;
    ImGui::SameLine(x);
    ImGui::TextColored(to_vec4(color), "%s", text);
    return true;
}

void panel_title(const char* title, const char* subtitle) {
    ImGui::TextUnformatted(title);
    if (subtitle && *subtitle) {
        ImGui::SameLine();
        ImGui::TextColored(to_vec4(color_text_dim), "%s", subtitle);
    }
}

void color_swatch(rgb c, const char* label) {
    float h = ImGui::GetTextLineHeight();
    ImVec2 p = ImGui::GetCursorScreenPos();
    float inset = h * 0.2f;
    ImGui::GetWindowDrawList()->AddRectFilled(ImVec2(p.x, p.y + inset), ImVec2(p.x + h * 1.2f, p.y + h - inset),
                                              to_u32(c), 2.0f);
    ImGui::Dummy(ImVec2(h * 1.2f, h));
    ImGui::SameLine(0, 4);
    ImGui::TextUnformatted(label);
}

std::string format_duration(double ns) {
    char buf[48];
    double a = std::fabs(ns);
    if (a >= 1e9) std::snprintf(buf, sizeof buf, "%.3f s", ns / 1e9);
    else if (a >= 1e6) std::snprintf(buf, sizeof buf, "%.3f ms", ns / 1e6);
    else if (a >= 1e3) std::snprintf(buf, sizeof buf, "%.3f us", ns / 1e3);
    else std::snprintf(buf, sizeof buf, "%.0f ns", ns);
    return buf;
}

std::string task_label(const inspector::model& m, std::uint32_t id) {
    return std::to_string(id) + " " + m.task_name(id);
}

std::uint64_t cursor_ts(const inspector::model& m) {
    const inspector::history& h = m.history();
    return m.cursor() < h.step_count() ? h.step_ts(m.cursor()) : h.last_ts();
}

std::uint64_t cursor_tick(const inspector::model& m) {
    const inspector::history& h = m.history();
    if (m.cursor() < h.step_count()) {
        std::uint64_t index = h.step_event(m.cursor());
        if (index < m.trace().events.size()) return m.trace().events[index].tick;
    }
    return h.tick_count() == 0 ? 0 : h.tick_count() - 1;
}

} // namespace coroscope::gui
