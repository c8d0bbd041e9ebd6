#pragma once
// ImGui colors and style for the inspector; conversions from the plain state colors.
#include "state_colors.hpp"

#include <imgui.h>

namespace coroscope::gui {

inline ImU32 to_u32(rgb c, int alpha = 255) { return IM_COL32(c.r, c.g, c.b, alpha); }
inline ImVec4 to_vec4(rgb c, float alpha = 1.0f) { return ImVec4(c.r / 255.0f, c.g / 255.0f, c.b / 255.0f, alpha); }

// Text colors for panels.
inline constexpr rgb color_text_dim{150, 156, 168};
inline constexpr rgb color_text_location{120, 170, 220};
inline constexpr rgb color_warning{240, 180, 60};
inline constexpr rgb color_error{240, 90, 90};

// Sets the style and loads a readable font (DejaVu Sans 16 px if installed, else ImGui's default),
// both scaled by `scale` (--scale, or the monitor's content scale on high-DPI screens).
void setup_theme(float scale);
// The scale setup_theme() was given: fixed pixel sizes in the panels are multiplied by it.
float ui_scale();

// A titled section header inside a panel: bold-ish title text and a separator.
void panel_title(const char* title, const char* subtitle = nullptr);

// Text at the right end of the line just drawn, when it fits after what is on it (with a gap);
// else nothing (hints are optional: a larger --scale must not make them overlap other text).
// Returns whether it was drawn.
bool right_aligned_text(const char* text, rgb color = color_text_dim);

// A small colored square followed by a label, on the current line (legends).
void color_swatch(rgb c, const char* label);

} // namespace coroscope::gui
