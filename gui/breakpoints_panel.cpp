// Breakpoints (live mode): add one of the agent's kinds, list them with their hits, remove them;
// and Save trace, which writes what was received so far.
#include "app.hpp"
#include "theme.hpp"

#include <imgui.h>
#include <imgui_stdlib.h>

#include <array>
#include <cinttypes>
#include <filesystem>

namespace coroscope::gui {

namespace {

constexpr std::array<const char*, 6> kind_names{"spawn", "resume task N", "ready resource N", "exception",
                                                "long step N ms", "any lint (long step N ms)"};

breakpoint_spec spec_from(int kind, int value) {
    breakpoint_spec b;
    b.what = static_cast<breakpoint_spec::kind>(kind);
    b.value = static_cast<std::uint64_t>(value < 0 ? 0 : value);
    return b;
}

bool kind_has_value(int kind) {
    auto k = static_cast<breakpoint_spec::kind>(kind);
    return k == breakpoint_spec::kind::resume || k == breakpoint_spec::kind::ready ||
           k == breakpoint_spec::kind::long_step || k == breakpoint_spec::kind::lint;
}

std::string default_save_path(const session& s) {
    std::string name = s.live ? s.live->program() : "trace";
    for (char& c : name)
        if (c == '/' || c == ':' || c == ' ') c = '-';
    return "coroscope-" + name + ".trace";
}

void draw_save(session& s, ui_state& ui) {
    if (ui.save_path.empty()) ui.save_path = default_save_path(s);
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted("Save trace");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(std::max(80.0f, ImGui::GetContentRegionAvail().x - 70.0f));
    ImGui::InputText("##save_path", &ui.save_path);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip(".jsonl = JSON Lines, anything else = binary");
    ImGui::SameLine();
    if (ImGui::Button("Save")) {
        std::string error = save_trace(s, ui.save_path);
        if (error.empty()) {
            std::error_code ec;
            auto abs = std::filesystem::absolute(ui.save_path, ec);
            s.add(message::level::info, "saved " + std::to_string(s.model.trace().events.size()) + " events to " +
                                            (ec ? ui.save_path : abs.string()));
        } else {
            s.add(message::level::error, error);
        }
    }
}

} // namespace

void draw_breakpoints_panel(session& s, ui_state& ui) {
    if (!s.live) return;
    live_link& link = *s.live;
    const bool can = link.can_command();
    std::string status = link.status_text();
    panel_title("Breakpoints", can ? "the program pauses before the step that hits one" : status.c_str());

    ImGui::BeginDisabled(!can);
    ImGui::SetNextItemWidth(170);
    ImGui::Combo("##bp_kind", &ui.breakpoint_kind, kind_names.data(), static_cast<int>(kind_names.size()));
    if (kind_has_value(ui.breakpoint_kind)) {
        ImGui::SameLine();
        ImGui::SetNextItemWidth(110);
        ImGui::InputInt("##bp_value", &ui.breakpoint_value);
        if (ui.breakpoint_value < 0) ui.breakpoint_value = 0;
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip(ui.breakpoint_kind == 2 ? "resource id (0 = any resource)"
                              : ui.breakpoint_kind == 1 ? "task id"
                                                        : "milliseconds");
    }
    ImGui::SameLine();
    if (ImGui::Button("Add")) link.add_breakpoint(spec_from(ui.breakpoint_kind, ui.breakpoint_value));
    ImGui::SameLine();
    if (ImGui::Button("Clear all")) link.remove_breakpoint(0);
    ImGui::EndDisabled();

    const float save_h = ImGui::GetFrameHeightWithSpacing() + ImGui::GetStyle().ItemSpacing.y;
    ImGui::BeginChild("bp_list", ImVec2(0, std::max(ImGui::GetFrameHeight(), ImGui::GetContentRegionAvail().y - save_h)));
    const auto& list = link.breakpoints();
    if (list.empty()) ImGui::TextColored(to_vec4(color_text_dim), "none");
    for (const auto& bp : list) {
        ImGui::PushID(static_cast<int>(bp.id));
        ImGui::BeginDisabled(!can);
        bool remove = ImGui::SmallButton("x");
        ImGui::EndDisabled();
        if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled)) ImGui::SetTooltip("remove (clear)");
        ImGui::SameLine();
        bool hit = bp.id == link.last_hit_breakpoint();
        ImGui::TextColored(to_vec4(hit ? color_ready : color_text_dim), "#%u", bp.id);
        ImGui::SameLine();
        ImGui::TextUnformatted(describe(bp.spec).c_str());
        if (bp.hits > 0) {
            ImGui::SameLine();
            ImGui::TextColored(to_vec4(color_text_dim), "hit %" PRIu64 "x", bp.hits);
        }
        ImGui::PopID();
        if (remove) link.remove_breakpoint(bp.id);
    }
    ImGui::EndChild();
    draw_save(s, ui);
}

} // namespace coroscope::gui
