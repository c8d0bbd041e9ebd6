#pragma once
// What persists between runs: the ImGui layout (imgui.ini) and the recent trace files, kept in
// $XDG_CONFIG_HOME/coroscope/ (else ~/.config/coroscope/). The directory is created only when
// something is written. No ImGui here: main.cpp moves the ini text in and out.
#include <cstddef>
#include <string>
#include <vector>

namespace coroscope::gui {

// $XDG_CONFIG_HOME/coroscope when XDG_CONFIG_HOME is an absolute path (the XDG rule), else
// $HOME/.config/coroscope; "" when neither is usable.
std::string config_dir();

struct settings_store {
    std::string dir;                  // "" = nothing persists (no HOME)
    std::vector<std::string> recent;  // trace files, most recent first, absolute paths
    static constexpr std::size_t max_recent = 10;

    std::string ini_path() const { return dir.empty() ? "" : dir + "/imgui.ini"; }
    std::string recent_path() const { return dir.empty() ? "" : dir + "/recent"; }

    // Reads the recent list (a missing file is an empty list). Returns "" or the error.
    std::string load();
    // Moves `path` (made absolute) to the front of the recent list and writes the list.
    // Returns "" or the error (the list in memory is updated either way).
    std::string remember(const std::string& path);
    // Writes `text` to dir/name, creating dir first; atomically (temp file + rename).
    std::string write_file(const std::string& name, const std::string& text) const;
    // The contents of dir/name, "" when missing.
    std::string read_file(const std::string& name) const;
};

} // namespace coroscope::gui
