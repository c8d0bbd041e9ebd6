// The answer panels under a real display (make test runs this under xvfb-run): render each tab of
// the answers area with `--panel NAME` and check the pixels of the answers area for what the panel
// draws, against the same window showing another tab or another step.
#include "event_builder.hpp"
#include "support.hpp"

#include "gui_process_support.hpp"
#include "screenshot_support.hpp"

#include "../gui/panels.hpp"

#include <catch2/catch.hpp>
#include <coroscope/traces/writer.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

using test_support::image;
using test_support::load_png;
using test_support::require_display;
using test_support::run_command;
namespace gui = coroscope::gui;

namespace {

const std::string bin = COROSCOPE_BIN_DIR;
const std::string golden = std::string(COROSCOPE_SOURCE_DIR) + "/traces/golden/";

// The answers area of the default 1600x1000 layout: the right column of the middle row
// (app.cpp: tasks 34%, stack 24%, answers the rest, above the timeline).
struct region {
    int x0, y0, x1, y1;
};
constexpr region answers{960, 100, 1600, 470};

// Pixels within `tolerance` of c inside r.
std::size_t count_in(const image& img, gui::rgb c, region r, int tolerance = 10) {
    std::size_t n = 0;
    for (int y = r.y0; y < std::min(r.y1, img.height); ++y) {
        const unsigned char* p = img.pixels.get() + (static_cast<std::size_t>(y) * img.width + r.x0) * 3;
        for (int x = r.x0; x < std::min(r.x1, img.width); ++x, p += 3)
            if (std::abs(p[0] - c.r) <= tolerance && std::abs(p[1] - c.g) <= tolerance && std::abs(p[2] - c.b) <= tolerance) ++n;
    }
    return n;
}

// Rows of r holding at least `min_run` pixels of c: a highlighted table row is a band of such rows.
int rows_with(const image& img, gui::rgb c, region r, int min_run) {
    int rows = 0;
    for (int y = r.y0; y < std::min(r.y1, img.height); ++y)
        rows += count_in(img, c, region{r.x0, y, r.x1, y + 1}, 2) >= static_cast<std::size_t>(min_run);
    return rows;
}

// Renders `trace` with extra arguments (e.g. "--panel graph --seek 3") and loads the PNG.
image render(const std::string& trace, const std::string& args, const std::string& name) {
    std::string png = test_support::temp_path(name + ".png");
    std::remove(png.c_str());
    auto r = run_command(bin + "/coroscope open " + trace + " --screenshot " + png + " --frames 4 " + args + " 2>&1");
    INFO("coroscope " << args << " printed: " << r.out);
    REQUIRE(r.status == 0);
    image img = load_png(png);
    REQUIRE(img.ok());
    REQUIRE(img.width == 1600);
    std::remove(png.c_str());
    return img;
}

// A join deadlock: main (1) spawns 2 and 3; 2 joins 3, then 3 joins 2. Steps: 0 main, 1 task 2, 2 task 3.
std::string write_deadlock_trace() {
    using coroscope::traces::event_kind;
    using coroscope::traces::wait_reason;
    test_support::event_builder b;
    b.t.header.producer = "gui_panels_test";
    b.add(event_kind::trace_start, 0);
    b.spawn(1, 0, "main");
    b.resume(1);
    b.spawn(2, 1, "left");
    b.spawn(3, 1, "right");
    b.suspend(1, wait_reason::join, 2);
    b.resume(2);
    b.suspend(2, wait_reason::join, 3);
    b.resume(3);
    b.suspend(3, wait_reason::join, 2); // the cycle closes here
    const coroscope::traces::trace& t = b.t;
    std::string path = test_support::temp_path("deadlock.trace");
    REQUIRE(coroscope::traces::save_file(path, t).empty());
    return path;
}

} // namespace

TEST_CASE("graph panel: a deadlock cycle is drawn in red once it has formed") {
    require_display("gui_panels_test");
    std::string trace = write_deadlock_trace();
    image at_end = render(trace, "--panel graph --seek 3", "graph-end"); // the end: all three have suspended
    image before = render(trace, "--panel graph --seek 2", "graph-before"); // before task 3 joins 2
    image tree = render(trace, "--panel spawn-tree", "graph-tree");
    // The ring: two task nodes with red borders, two thick red join arrows, the "deadlock:" line.
    // (`before` has only the legend's "cycle" swatch in that red.)
    CHECK(count_in(at_end, gui::color_cycle, answers) > count_in(before, gui::color_cycle, answers) + 400);
    CHECK(count_in(tree, gui::color_cycle, answers) < 20);
    // Before the cycle, 1 -> 2 -> 3 are plain join edges, in the join color.
    CHECK(count_in(before, gui::color_wait_join, answers) > 100);
    std::remove(trace.c_str());
}

TEST_CASE("spawn tree panel: tasks under their spawner with their state colors") {
    require_display("gui_panels_test");
    std::string trace = write_deadlock_trace();
    image tree = render(trace, "--panel spawn-tree --seek 1", "tree");
    image other = render(trace, "--panel stats --seek 1", "tree-other");
    // At step 1 task 1 waits (join: purple) and tasks 2, 3 are ready (yellow): their dots and state text.
    CHECK(count_in(tree, gui::color_wait_join, answers) > 30);
    CHECK(count_in(tree, gui::color_ready, answers) > 60);
    CHECK(count_in(other, gui::color_ready, answers) < 20);
    std::remove(trace.c_str());
}

TEST_CASE("event log panel: the row at the cursor is highlighted and moves with the cursor") {
    require_display("gui_panels_test");
    const std::string trace = golden + "nested.trace";
    image at3 = render(trace, "--panel events --seek 3", "log-3");
    image other = render(trace, "--panel graph --seek 3", "log-other");
    // A band across the table (at least 300 px wide) of the cursor row color, one row high.
    int band = rows_with(at3, gui::color_log_cursor, answers, 300);
    CHECK(band >= 12);
    CHECK(band <= 30);
    CHECK(rows_with(other, gui::color_log_cursor, answers, 300) == 0);
}

TEST_CASE("stats panel: histogram bars for all tasks and for the selected task") {
    require_display("gui_panels_test");
    const std::string trace = golden + "nested.trace";
    image stats = render(trace, "--panel stats --select-task 2", "stats");
    image other = render(trace, "--panel lints --select-task 2", "stats-other");
    CHECK(count_in(stats, gui::color_histogram, answers) > 500);
    CHECK(count_in(stats, gui::color_histogram_task, answers) > 200);
    CHECK(count_in(other, gui::color_histogram, answers) < 50);
}

TEST_CASE("lints panel: each finding of the bugs sample is listed in the lint color") {
    require_display("gui_panels_test");
    const std::string trace = golden + "bugs.trace";
    image lints = render(trace, "--panel lints", "lints");
    image other = render(trace, "--panel spawn-tree", "lints-other");
    // Three findings (long-step, swallowed-exception, lost-wakeup): their kind labels and the tab title.
    CHECK(count_in(lints, gui::color_lint, answers) > 80);
    CHECK(count_in(lints, gui::color_lint, answers) > 3 * count_in(other, gui::color_lint, answers));
}

TEST_CASE("resources panel: the echo sample's streams with their latency bars") {
    require_display("gui_panels_test");
    const std::string trace = golden + "echo.trace";
    image res = render(trace, "--panel resources", "resources");
    image other = render(trace, "--panel stats", "resources-other");
    CHECK(count_in(res, gui::color_wait_io, answers) > 150);
    CHECK(count_in(other, gui::color_wait_io, answers) < count_in(res, gui::color_wait_io, answers) / 3);
}

TEST_CASE("coroscope rejects an unknown --panel") {
    auto r = run_command(bin + "/coroscope open " + golden + "nested.trace --panel nope --screenshot /dev/null 2>&1");
    CHECK(r.status != 0);
    CHECK(r.out.find("unknown panel 'nope'") != std::string::npos);
}
