// The coroscope window in live mode under a real display (make test runs this under xvfb-run):
// `coroscope launch nested` as a child process, driven by the --live-step / --until-exit script
// flags, with the state checked through --print-state and the screenshot.
#include "support.hpp"

#include "gui_process_support.hpp"
#include "screenshot_support.hpp"

#include <coroscope/inspector/lints.hpp>
#include <coroscope/inspector/model.hpp>
#include <coroscope/traces/reader.hpp>

#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <sstream>
#include <unordered_set>

#include <unistd.h>


using test_support::parse_state;
using test_support::require_display;
using test_support::run_command;
using test_support::count_near;
using test_support::distinct_colors;
using test_support::image;
using test_support::load_png;

namespace {

const std::string bin = COROSCOPE_BIN_DIR;

std::uint64_t recorded_steps(const std::string& sample) {
    std::string path = test_support::temp_path("gui-live-ref.trace");
    auto r = run_command("COROSCOPE_TRACE=" + path + " " + bin + "/sample-" + sample + " >/dev/null");
    REQUIRE(r.status == 0);
    auto loaded = coroscope::traces::load_file(path);
    std::remove(path.c_str());
    REQUIRE(loaded.report.header_ok);
    return coroscope::inspector::model(loaded.trace).step_count();
}

} // namespace

TEST_CASE("coroscope launch --paused steps a sample three times and shows step 3") {
    require_display("gui_live_test");
    std::string png = test_support::temp_path("gui-live-step.png");
    std::remove(png.c_str());

    auto r = run_command(bin + "/coroscope launch nested --paused --live-step 3 --print-state --screenshot " + png +
                         " --frames 3 2>&1");
    INFO("coroscope printed: " << r.out);
    REQUIRE(r.status == 0);
    auto state = parse_state(r.out);
    REQUIRE(!state.empty());
    CHECK(state["steps"] == "3");
    CHECK(state["cursor_step"] == "3");
    CHECK(state["following"] == "1");
    CHECK(state["connection"] == "connected");
    CHECK(state["paused"] == "1");
    CHECK(state["dropped"] == "0");
    CHECK(state["status"].find("connected to sample-nested pid ") == 0);

    image img = load_png(png);
    REQUIRE(img.ok());
    CHECK(img.width == 1600);
    CHECK(img.height == 1000);
    CHECK(distinct_colors(img) > 200);
    // Three steps ran: some task bars are drawn (running green, ready yellow).
    CHECK(count_near(img, coroscope::gui::color_running) > 100);
    CHECK(count_near(img, coroscope::gui::color_ready) > 100);
    std::remove(png.c_str());
}

TEST_CASE("coroscope launch runs a sample to its end, keeps every step and saves the trace") {
    require_display("gui_live_test");
    const std::uint64_t reference = recorded_steps("nested");
    std::string png = test_support::temp_path("gui-live-run.png");
    std::string saved = test_support::temp_path("gui-live-run.trace");
    std::remove(png.c_str());
    std::remove(saved.c_str());

    auto r = run_command(bin + "/coroscope launch nested --until-exit --print-state --save " + saved +
                         " --screenshot " + png + " --frames 5 2>&1");
    INFO("coroscope printed: " << r.out);
    REQUIRE(r.status == 0);
    auto state = parse_state(r.out);
    REQUIRE(!state.empty());
    CHECK(state["connection"] == "exited");
    CHECK(state["exit_code"] == "0");
    CHECK(state["status"] == "program exited with code 0");
    CHECK(state["dropped"] == "0");
    CHECK(state["disconnections"] == "0");
    const std::uint64_t steps = std::stoull(state["steps"]);
    INFO("live steps " << steps << ", recorded steps " << reference);
    CHECK(steps + 2 >= reference);
    CHECK(steps <= reference + 2);
    CHECK(state["cursor_step"] == state["steps"]);

    // --save wrote a complete, loadable trace of the same run.
    auto loaded = coroscope::traces::load_file(saved);
    CHECK(loaded.report.header_ok);
    CHECK_FALSE(loaded.report.fatal);
    CHECK_FALSE(loaded.report.truncated);
    coroscope::inspector::model m(loaded.trace);
    CHECK(m.step_count() == steps);
    CHECK(m.history().ended());
    CHECK(std::to_string(loaded.trace.events.size()) == state["events"]);

    image img = load_png(png);
    REQUIRE(img.ok());
    CHECK(distinct_colors(img) > 200);
    CHECK(count_near(img, coroscope::gui::color_wait_sleep) > 1000);
    std::remove(png.c_str());
    std::remove(saved.c_str());
}

TEST_CASE("coroscope launch sets a breakpoint, continues to it, and can step back in history") {
    require_display("gui_live_test");
    std::string png = test_support::temp_path("gui-live-break.png");
    std::remove(png.c_str());

    // Task 4 is first resumed at step 3 (main spawns 2..6 in step 0, then they run in order).
    auto r = run_command(bin + "/coroscope launch nested --paused --live-break resume:4 --live-continue --seek 1 "
                               "--print-state --screenshot " + png + " --frames 2 2>&1");
    INFO("coroscope printed: " << r.out);
    REQUIRE(r.status == 0);
    auto state = parse_state(r.out);
    REQUIRE(!state.empty());
    CHECK(state["connection"] == "connected");
    CHECK(state["paused"] == "1");
    CHECK(state["breakpoints"] == "1");
    CHECK(state["last_hit"] == "1");
    CHECK(state["steps"] == "3");
    CHECK(state["cursor_step"] == "1");
    CHECK(state["following"] == "0");
    CHECK(r.out.find("coroscope: last paused at step 3, tick 1 (breakpoint 1: resume of task 4)") != std::string::npos);
    image img = load_png(png);
    REQUIRE(img.ok());
    CHECK(distinct_colors(img) > 200);
    std::remove(png.c_str());
}

TEST_CASE("coroscope launch --live-break lint without --paused stops at the program's first lint") {
    require_display("gui_live_test");
    std::string png = test_support::temp_path("gui-live-lint.png");
    std::string saved = test_support::temp_path("gui-live-lint.trace");
    std::remove(png.c_str());
    std::remove(saved.c_str());

    // sample-bugs' first lints come within its first steps; a program resumed before the
    // breakpoint reached the agent would run past them (it used to stop at a later one).
    auto r = run_command(bin + "/coroscope launch bugs --live-break lint --live-continue --print-state --save " + saved +
                         " --screenshot " + png + " --frames 2 2>&1");
    INFO("coroscope printed: " << r.out);
    REQUIRE(r.status == 0);
    auto state = parse_state(r.out);
    REQUIRE(!state.empty());
    CHECK(state["connection"] == "connected");
    CHECK(state["paused"] == "1");
    CHECK(state["last_hit"] == "1");

    // What was received up to the stop holds a lint finding, and the stop is right after the
    // earliest one's step (a breakpoint stops when the step that shows the lint ends).
    auto loaded = coroscope::traces::load_file(saved);
    REQUIRE(loaded.report.header_ok);
    coroscope::inspector::model m(loaded.trace);
    auto findings = coroscope::inspector::run_lints(m);
    REQUIRE_FALSE(findings.empty());
    std::uint64_t first = findings.front().step;
    for (const auto& f : findings) {
        UNSCOPED_INFO(to_string(f.kind) << " at step " << f.step << ": " << f.why);
        first = std::min(first, f.step);
    }
    CHECK(state["steps"] == std::to_string(first + 1));
    CHECK(r.out.find("coroscope: last paused at step " + std::to_string(first + 1)) != std::string::npos);
    std::remove(png.c_str());
    std::remove(saved.c_str());
}

TEST_CASE("coroscope attach to an address where nobody listens says which address and why, and still exits") {
    require_display("gui_live_test");
    const std::string address = "unix:/tmp/coroscope-no-such-dir-" + std::to_string(::getpid()) + "/live.sock";
    auto r = run_command(bin + "/coroscope attach " + address + " --print-state --screenshot /dev/null --frames 1 2>&1");
    INFO("coroscope printed: " << r.out);
    CHECK(r.status == 1);
    auto state = parse_state(r.out);
    CHECK(state["connection"] == "failed");
    CHECK(state["status"] == "failed: cannot connect to " + address + ": no such file or directory");
}

TEST_CASE("coroscope launch of a program that does not exist fails in one line and still exits") {
    require_display("gui_live_test");
    auto r = run_command(bin + "/coroscope launch /nonexistent/program --print-state --screenshot /dev/null --frames 1 2>&1");
    INFO("coroscope printed: " << r.out);
    CHECK(r.status == 1);
    auto state = parse_state(r.out);
    CHECK(state["connection"] == "failed");
    CHECK(state["status"].find("failed: cannot run /nonexistent/program") == 0);
}
