#include "settings.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace coroscope::gui {

std::string config_dir() {
    // The XDG base directory spec says relative values are invalid and must be ignored.
    const char* xdg = std::getenv("XDG_CONFIG_HOME");
    if (xdg && *xdg == '/') return std::string(xdg) + "/coroscope";
    const char* home = std::getenv("HOME");
    if (home && *home) return std::string(home) + "/.config/coroscope";
    return "";
}

std::string settings_store::load() {
    recent.clear();
    if (dir.empty()) return "";
    std::ifstream in(recent_path());
    if (!in) return ""; // first run
    for (std::string line; std::getline(in, line) && recent.size() < max_recent;)
        if (!line.empty() && std::find(recent.begin(), recent.end(), line) == recent.end()) recent.push_back(line);
    return "";
}

std::string settings_store::remember(const std::string& path) {
    std::error_code ec;
    std::filesystem::path absolute = std::filesystem::absolute(path, ec);
    std::string entry = ec ? path : absolute.lexically_normal().string();
    recent.erase(std::remove(recent.begin(), recent.end(), entry), recent.end());
    recent.insert(recent.begin(), entry);
    if (recent.size() > max_recent) recent.resize(max_recent);
    std::string text;
    for (const std::string& r : recent) text += r + "\n";
    return write_file("recent", text);
}

std::string settings_store::write_file(const std::string& name, const std::string& text) const {
    if (dir.empty()) return "no configuration directory (neither XDG_CONFIG_HOME nor HOME is set)";
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return "cannot create " + dir + ": " + ec.message();
    std::string path = dir + "/" + name, temp = path + ".tmp";
    {
        std::ofstream out(temp, std::ios::binary | std::ios::trunc);
        if (!out) return "cannot write " + temp + ": " + std::strerror(errno);
        out << text;
        out.flush();
        if (!out) return "cannot write " + temp + ": " + std::strerror(errno);
    }
    // A crash mid-write leaves the previous file intact.
    std::filesystem::rename(temp, path, ec);
    if (ec) return "cannot replace " + path + ": " + ec.message();
    return "";
}

std::string settings_store::read_file(const std::string& name) const {
    if (dir.empty()) return "";
    std::ifstream in(dir + "/" + name, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

} // namespace coroscope::gui
