// The coroscope window under a real display (make test runs this under xvfb-run): record
// sample-nested, render it with a task selected and the cursor moved, and check the screenshot.
#include "support.hpp"

#include "gui_process_support.hpp"
#include "screenshot_support.hpp"

#include <catch2/catch.hpp>
#include <coroscope/traces/reader.hpp>

#include <fstream>
#include <iterator>

#include <algorithm>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <unordered_set>

using test_support::require_display;
using test_support::run_command;
using test_support::count_near;
using test_support::distinct_colors;
using test_support::image;
using test_support::load_png;

namespace {

const std::string bin = COROSCOPE_BIN_DIR;

// A private config directory (XDG_CONFIG_HOME), so tests never read or write the user's settings.
std::string fresh_config(const std::string& name) {
    std::string dir = test_support::temp_path(name);
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

// The `coroscope: state k=v ...` line printed by --print-state (up to status=, free text).
std::string state_field(const std::string& out, const std::string& key) {
    auto line_at = out.find("coroscope: state ");
    if (line_at == std::string::npos) return "";
    std::string line = out.substr(line_at, out.find('\n', line_at) - line_at);
    auto at = line.find(" " + key + "=");
    if (at == std::string::npos) return "";
    at += key.size() + 2;
    return line.substr(at, line.find(' ', at) - at);
}

std::string record_nested() {
    std::string path = test_support::temp_path("gui-nested.trace");
    auto r = run_command("COROSCOPE_TRACE=" + path + " " + bin + "/sample-nested");
    REQUIRE(r.status == 0);
    return path;
}

} // namespace

TEST_CASE("coroscope renders a recorded trace with the selected task and the cursor") {
    require_display("gui_smoke_test");
    std::string trace = record_nested();
    std::string png = test_support::temp_path("gui-smoke.png");
    std::remove(png.c_str());

    std::string config = fresh_config("smoke-config");
    auto r = run_command("XDG_CONFIG_HOME=" + config + " " + bin + "/coroscope open " + trace + " --screenshot " + png +
                         " --frames 3 --select-task 5 --seek 12 2>&1");
    INFO("coroscope printed: " << r.out);
    REQUIRE(r.status == 0);
    // The trace is now the most recent file, by its absolute path.
    std::ifstream recent(config + "/coroscope/recent");
    std::string first;
    REQUIRE(std::getline(recent, first));
    CHECK(first == std::filesystem::absolute(trace).lexically_normal().string());

    image img = load_png(png);
    REQUIRE(img.ok());
    CHECK(img.width == 1600);
    CHECK(img.height == 1000);
    // Not blank: text, bars and panels give many colors.
    CHECK(distinct_colors(img) > 200);
    // The timeline and the legend show the state colors.
    CHECK(count_near(img, coroscope::gui::color_running) > 300);
    CHECK(count_near(img, coroscope::gui::color_ready) > 300);
    CHECK(count_near(img, coroscope::gui::color_wait_sleep) > 3000);
    CHECK(count_near(img, coroscope::gui::color_wait_join) > 1000);

    std::remove(png.c_str());
    std::remove(trace.c_str());
}

TEST_CASE("coroscope shows a truncated trace instead of failing") {
    require_display("gui_smoke_test");
    std::string trace = record_nested();
    std::string cut = test_support::temp_path("gui-cut.trace");
    // Cut near the middle, inside a record (a cut exactly between two records is not a truncation).
    std::ifstream in(trace, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::size_t cut_at = bytes.size() / 2;
    while (cut_at < bytes.size() && !coroscope::traces::load_bytes(std::string_view(bytes).substr(0, cut_at)).report.truncated)
        ++cut_at;
    REQUIRE(cut_at < bytes.size());
    std::ofstream(cut, std::ios::binary) << bytes.substr(0, cut_at);
    std::string png = test_support::temp_path("gui-cut.png");
    std::remove(png.c_str());

    auto r = run_command(bin + "/coroscope open " + cut + " --screenshot " + png + " --frames 2 --seek 100000 2>&1");
    INFO("coroscope printed: " << r.out);
    CHECK(r.status == 0);
    CHECK(r.out.find("truncated") != std::string::npos);
    image img = load_png(png);
    REQUIRE(img.ok());
    CHECK(count_near(img, coroscope::gui::color_wait_sleep) > 1000);

    for (const std::string& p : {trace, cut, png}) std::remove(p.c_str());
}

TEST_CASE("coroscope without a display says how to render offscreen and exits 2") {
    auto r = run_command("env -u DISPLAY -u WAYLAND_DISPLAY " + bin + "/coroscope open /nonexistent.trace 2>&1");
    CHECK(r.status == 2);
    CHECK(r.out.find("coroscope: no display") == 0);
    CHECK(r.out.find("xvfb-run") != std::string::npos);
    CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 1);
}

TEST_CASE("coroscope started bare shows the launcher: the samples next to it and the recent files") {
    require_display("gui_smoke_test");
    std::string config = fresh_config("launcher-config");
    std::filesystem::create_directories(config + "/coroscope");
    std::ofstream(config + "/coroscope/recent") << "/data/one.trace\n/data/two.trace\n";
    std::size_t samples = 0;
    for (const auto& e : std::filesystem::directory_iterator(bin))
        samples += e.path().filename().string().rfind("sample-", 0) == 0 ? 1 : 0;
    REQUIRE(samples >= 1);
    std::string png = test_support::temp_path("launcher.png");
    std::remove(png.c_str());

    auto r = run_command("XDG_CONFIG_HOME=" + config + " " + bin + "/coroscope --screenshot " + png +
                         " --frames 3 --print-state 2>&1");
    INFO("coroscope printed: " << r.out);
    REQUIRE(r.status == 0);
    CHECK(state_field(r.out, "view") == "launcher");
    CHECK(state_field(r.out, "samples") == std::to_string(samples));
    CHECK(state_field(r.out, "recent") == "2");
    CHECK(state_field(r.out, "connection") == "replay");
    image img = load_png(png);
    REQUIRE(img.ok());
    // One Launch button per sample and one Open button per recent file: ImGui's button blue over
    // the panel background (ImGuiCol_Button at 40% over ChildBg), at least 1500 pixels each.
    CHECK(count_near(img, {45, 80, 124}, 6) > (samples + 2) * 1500);
    // Nothing is running: no timeline colors.
    CHECK(count_near(img, coroscope::gui::color_wait_sleep, 4) < 50);
    // The layout and the launcher's choices were written to imgui.ini in the config directory.
    std::ifstream ini_file(config + "/coroscope/imgui.ini");
    std::string ini((std::istreambuf_iterator<char>(ini_file)), std::istreambuf_iterator<char>());
    CHECK(ini.find("[Coroscope][shell]\nLaunchPaused=1\nAttachAddress=127.0.0.1:7000\n") != std::string::npos);
    std::remove(png.c_str());
}

TEST_CASE("a file that cannot be read is an error in the window, with the reason") {
    require_display("gui_smoke_test");
    std::string config = fresh_config("missing-config");
    std::string png = test_support::temp_path("missing.png");
    std::remove(png.c_str());
    auto r = run_command("XDG_CONFIG_HOME=" + config + " " + bin + "/coroscope open /nonexistent/run.trace --screenshot " +
                         png + " --frames 2 --print-state 2>&1");
    INFO("coroscope printed: " << r.out);
    CHECK(r.status == 1); // a screenshot of nothing loaded fails the run
    CHECK(r.out.find("coroscope: /nonexistent/run.trace: cannot open file: No such file or directory") != std::string::npos);
    CHECK(state_field(r.out, "view") == "launcher");
    CHECK(state_field(r.out, "recent") == "0"); // not remembered
    image img = load_png(png);
    REQUIRE(img.ok());
    CHECK(count_near(img, {240, 90, 90}, 30) > 15); // the red "error:" tag (theme.hpp color_error); the launcher has no red
    std::remove(png.c_str());
}
