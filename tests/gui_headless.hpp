#pragma once
// Whole frames of the inspector's window without a window, for tests of what the panels derive
// from the model: ImGui builds its draw lists with only a display size and a font atlas, as
// bench-gui-frame does. No display is needed.
#include "../gui/app.hpp"
#include "../gui/theme.hpp"
#include "golden.hpp"

#include <catch2/catch.hpp>
#include <coroscope/traces/reader.hpp>

#include <imgui.h>

#include <string>

namespace test_support {

// An ImGui context with the inspector's theme, a 1600x1000 display and a built font atlas.
struct headless_imgui {
    headless_imgui() {
        ImGui::CreateContext();
        coroscope::gui::setup_theme(1.0f);
        ImGuiIO& io = ImGui::GetIO();
        io.DisplaySize = ImVec2(1600, 1000);
        io.DeltaTime = 1.0f / 60;
        unsigned char* pixels = nullptr;
        int w = 0, h = 0;
        io.Fonts->GetTexDataAsRGBA32(&pixels, &w, &h);
    }
    ~headless_imgui() { ImGui::DestroyContext(); }
    headless_imgui(const headless_imgui&) = delete;
    headless_imgui& operator=(const headless_imgui&) = delete;
};

// n frames of the whole window, as main.cpp draws them.
inline void draw_frames(coroscope::gui::session& s, coroscope::gui::ui_state& ui, int n) {
    for (int i = 0; i < n; ++i) {
        ImGui::NewFrame();
        coroscope::gui::draw_app(s, ui);
        ImGui::Render();
    }
}

} // namespace test_support
