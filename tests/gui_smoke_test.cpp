// The coroscope window under a real display (make test runs this under xvfb-run): record
// sample-nested, render it with a task selected and the cursor moved, and check the screenshot.
#include "support.hpp"

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

using test_support::run_command;
using test_support::count_near;
using test_support::distinct_colors;
using test_support::image;
using test_support::load_png;

namespace {

const std::string bin = COROSCOPE_BIN_DIR;

void require_display() {
    const char* display = std::getenv("DISPLAY");
    if (!display || !*display)
        FAIL("DISPLAY is not set: GUI tests need an X display; run them with `make test` (under xvfb-run) "
             "or `xvfb-run -a -s \"-screen 0 1600x1000x24\" " << bin << "/gui_smoke_test`");
}

std::string record_nested() {
    std::string path = test_support::temp_path("gui-nested.trace");
    auto r = run_command("COROSCOPE_TRACE=" + path + " " + bin + "/sample-nested");
    REQUIRE(r.status == 0);
    return path;
}

} // namespace

TEST_CASE("coroscope renders a recorded trace with the selected task and the cursor") {
    require_display();
    std::string trace = record_nested();
    std::string png = test_support::temp_path("gui-smoke.png");
    std::remove(png.c_str());

    auto r = run_command(bin + "/coroscope open " + trace + " --screenshot " + png +
                         " --frames 3 --select-task 5 --seek 12 2>&1");
    INFO("coroscope printed: " << r.out);
    REQUIRE(r.status == 0);

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
    require_display();
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
