// Scripted sessions (--script): the parser's answers for good and bad lines, and a session run in
// the real window (under xvfb-run) whose end state, printed by --print-state, equals what the
// inspector's model computes headless from the same trace with the same moves.
#include "support.hpp"

#include "../gui/script.hpp"
#include "gui_process_support.hpp"
#include "screenshot_support.hpp"

#include <catch2/catch.hpp>
#include <coroscope/inspector/model.hpp>
#include <coroscope/traces/reader.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

using test_support::parse_state;
using test_support::require_display;
using test_support::run_command;

namespace {

const std::string bin = COROSCOPE_BIN_DIR;

std::string write_file(const std::string& name, const std::string& text) {
    std::string path = test_support::temp_path(name);
    std::ofstream(path) << text;
    return path;
}

// A private config directory, so a test never reads or writes the user's recent files.
std::string config_env(const std::string& name) {
    std::string dir = test_support::temp_path(name);
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return "XDG_CONFIG_HOME=" + dir + " ";
}

} // namespace

TEST_CASE("script lines parse into commands, a bad line is named by file and line") {
    using v = coroscope::gui::script_command::verb;
    auto ok = coroscope::gui::parse_script("# a comment\n\nselect 5\nstep\nstep 3\nback 2  # trailing comment\n"
                                           "tick-back\nseek-time 1500\nzoom 2.5\nfit\nwait-loaded\n"
                                           "screenshot /tmp/a b.png\n",
                                           "s.txt");
    REQUIRE(ok.error.empty());
    REQUIRE(ok.commands.size() == 10);
    CHECK(ok.commands[0].what == v::select);
    CHECK(ok.commands[0].number == 5);
    CHECK(ok.commands[0].line == 3);
    CHECK(ok.commands[1].what == v::step);
    CHECK(ok.commands[1].number == 1);
    CHECK(ok.commands[2].number == 3);
    CHECK(ok.commands[3].what == v::back);
    CHECK(ok.commands[3].number == 2);
    CHECK(ok.commands[4].what == v::tick_back);
    CHECK(ok.commands[5].what == v::seek_time);
    CHECK(ok.commands[5].number == 1500);
    CHECK(ok.commands[6].number == 2.5);
    CHECK(ok.commands[7].what == v::fit);
    CHECK(ok.commands[8].what == v::wait_loaded);
    CHECK(ok.commands[9].text == "/tmp/a b.png");

    CHECK(coroscope::gui::parse_script("step\nfly 3\n", "s.txt").error == "s.txt:2: unknown command 'fly'");
    CHECK(coroscope::gui::parse_script("step two\n", "s.txt").error == "s.txt:1: step: 'two' is not a count");
    CHECK(coroscope::gui::parse_script("seek\n", "s.txt").error == "s.txt:1: seek: '' is not a non-negative number");
    CHECK(coroscope::gui::parse_script("zoom 0\n", "s.txt").error == "s.txt:1: zoom: the factor must be above 0");
    CHECK(coroscope::gui::parse_script("fit now\n", "s.txt").error == "s.txt:1: fit takes no argument");
    CHECK(coroscope::gui::parse_script("screenshot\n", "s.txt").error == "s.txt:1: screenshot: a file name is needed");
    CHECK(coroscope::gui::parse_script("collapse main\n", "s.txt").error == "s.txt:1: collapse: 'main' is not a non-negative number");
    auto groups = coroscope::gui::parse_script("collapse 3\nexpand 3\n", "s.txt");
    REQUIRE(groups.error.empty());
    REQUIRE(groups.commands.size() == 2);
    CHECK(groups.commands[0].what == coroscope::gui::script_command::verb::collapse);
    CHECK(groups.commands[1].what == coroscope::gui::script_command::verb::expand);
    CHECK(groups.commands[1].number == 3);
}

TEST_CASE("a scripted session ends where the model says: cursor, selection, stack depth, zoom") {
    require_display("gui_script_test");
    std::string trace = test_support::temp_path("script-nested.trace");
    REQUIRE(run_command("COROSCOPE_TRACE=" + trace + " " + bin + "/sample-nested").status == 0);

    // The same moves, headless.
    coroscope::traces::loaded_trace loaded = coroscope::traces::load_file(trace);
    REQUIRE(loaded.report.error.empty());
    coroscope::inspector::model m(loaded.trace);
    m.seek(12);
    m.seek(m.cursor() + 3);
    m.seek(m.cursor() - 1);
    m.tick_forward();
    m.tick_forward();
    const std::uint64_t expected_step = m.cursor();
    REQUIRE(expected_step > 14); // the ticks moved it
    REQUIRE(expected_step < m.step_count());
    // The deepest task at that step: its stack is what the window must report for the selection.
    std::uint32_t task = 0;
    std::size_t depth = 0;
    for (const auto& t : m.state().tasks())
        if (t.known && t.stack.size() > depth) {
            task = t.id;
            depth = t.stack.size();
        }
    REQUIRE(depth >= 2);

    std::string png = test_support::temp_path("script.png");
    std::remove(png.c_str());
    auto run = [&](const std::string& zoom_line) {
        std::string script = write_file("script.txt", "wait-loaded\nselect " + std::to_string(task) +
                                                          "\nseek 12\nstep 3\nback\ntick 2\n" + zoom_line +
                                                          "screenshot " + png + "\n");
        auto r = run_command(config_env("script-config") + bin + "/coroscope open " + trace + " --script " + script +
                             " --print-state 2>&1");
        std::remove(script.c_str());
        return r;
    };
    auto fitted = run("");
    INFO("coroscope printed: " << fitted.out);
    REQUIRE(fitted.status == 0);
    auto zoomed = run("zoom 4\n");
    INFO("coroscope printed: " << zoomed.out);
    REQUIRE(zoomed.status == 0);

    auto state = parse_state(zoomed.out);
    REQUIRE(!state.empty());
    CHECK(state["cursor_step"] == std::to_string(expected_step));
    CHECK(state["steps"] == std::to_string(m.step_count()));
    CHECK(state["selected_task"] == std::to_string(task));
    CHECK(state["depth"] == std::to_string(depth));
    CHECK(state["loaded"] == "1");
    CHECK(state["following"] == "0");
    // zoom 4 divides the fitted ns per pixel by 4.
    auto fitted_state = parse_state(fitted.out);
    REQUIRE(!fitted_state["ns_per_px"].empty());
    double ratio = std::stod(fitted_state["ns_per_px"]) / std::stod(state["ns_per_px"]);
    CHECK(ratio == Approx(4.0).epsilon(0.001));

    // The screenshot command wrote the window: the timeline's running and sleeping lanes are in it.
    test_support::image img = test_support::load_png(png);
    REQUIRE(img.ok());
    CHECK(img.width == 1600);
    CHECK(test_support::count_near(img, coroscope::gui::color_running) > 100);
    CHECK(test_support::count_near(img, coroscope::gui::color_wait_sleep) > 1000);

    for (const std::string& p : {trace, png}) std::remove(p.c_str());
}

TEST_CASE("collapsed timeline groups: stepping shows the cursor on the group's lane, selecting a hidden task opens its groups") {
    require_display("gui_script_test");
    const std::string trace = std::string(COROSCOPE_SOURCE_DIR) + "/traces/golden/nested.trace";
    coroscope::traces::loaded_trace loaded = coroscope::traces::load_file(trace);
    REQUIRE(loaded.report.error.empty());
    coroscope::inspector::model m(loaded.trace);
    const auto& h = m.history();
    // A step run by a grandchild: task -> parent -> grandparent (nested: beta.prefetch under loader beta under main).
    std::uint64_t step = 0;
    std::uint32_t task = 0, parent = 0, grandparent = 0;
    for (std::uint64_t s = 0; s < h.step_count() && !task; ++s) {
        const auto* th = h.task(h.step_task(s));
        const auto* p = th ? h.task(th->parent) : nullptr;
        if (p && h.task(p->parent)) {
            step = s;
            task = th->id;
            parent = p->id;
            grandparent = p->parent;
        }
    }
    REQUIRE(task != 0);
    // Another task to select first: a child of the grandparent outside the collapsed parent.
    std::uint32_t other = 0;
    for (std::uint32_t c : h.task(grandparent)->children)
        if (c != parent) other = c;
    REQUIRE(other != 0);
    const std::string g = std::to_string(grandparent), p = std::to_string(parent), t = std::to_string(task);

    auto run = [&](const std::string& name, const std::string& commands) {
        std::string script = write_file(name + ".txt", "wait-loaded\n" + commands + "frames 2\n");
        auto r = run_command(config_env("lanes-config") + bin + "/coroscope open " + trace + " --script " + script +
                             " --print-state 2>&1");
        std::remove(script.c_str());
        INFO(name << ": coroscope printed: " << r.out);
        REQUIRE(r.status == 0);
        return parse_state(r.out);
    };
    const std::string collapse_both = "select " + std::to_string(other) + "\nframes 1\ncollapse " + p + "\ncollapse " + g +
                                      "\nseek " + std::to_string(step) + "\n";

    // Both groups collapsed: the step's task is hidden twice over; the cursor is on the outer group's lane.
    auto both = run("lanes-both", collapse_both);
    CHECK(both["cursor_step"] == std::to_string(step));
    CHECK(both["next_task"] == t);
    CHECK(both["cursor_lane"] == g);
    CHECK(both["selected_lane"] == g); // the selection (a child of g) is hidden too, and stays selected
    CHECK(both["selected_task"] == std::to_string(other));
    CHECK(both["collapsed"] == (grandparent < parent ? g + "," + p : p + "," + g));

    // The outer group opened: the cursor moves to the inner group's lane; stepping did not open it.
    auto inner = run("lanes-inner", collapse_both + "expand " + g + "\nstep\nback\n");
    CHECK(inner["cursor_step"] == std::to_string(step));
    CHECK(inner["cursor_lane"] == p);
    CHECK(inner["selected_lane"] == std::to_string(other));
    CHECK(inner["collapsed"] == p);
    CHECK(std::stoul(inner["lanes"]) > std::stoul(both["lanes"]));

    // Selecting the hidden task (as a click in the table, graph or lints does) opens both groups.
    auto opened = run("lanes-select", collapse_both + "select " + t + "\n");
    CHECK(opened["selected_task"] == t);
    CHECK(opened["selected_lane"] == t);
    CHECK(opened["cursor_lane"] == t);
    CHECK(opened["collapsed"] == "-");
    std::size_t known = 0;
    for (const auto& th : h.tasks()) known += th.known;
    CHECK(opened["lanes"] == std::to_string(known));
}

TEST_CASE("script problems: a bad line stops before the window, a bad task is reported and fails the run") {
    std::string bad = write_file("bad-script.txt", "step\nfly\n");
    auto r = run_command(bin + "/coroscope --script " + bad + " 2>&1");
    CHECK(r.status == 2);
    CHECK(r.out.find(bad + ":2: unknown command 'fly'") != std::string::npos);
    std::remove(bad.c_str());

    require_display("gui_script_test");
    std::string trace = test_support::temp_path("script-bad-task.trace");
    REQUIRE(run_command("COROSCOPE_TRACE=" + trace + " " + bin + "/sample-nested").status == 0);
    std::string script = write_file("bad-task.txt", "wait-loaded\nselect 9999\nstep\n");
    auto s = run_command(config_env("script-config") + bin + "/coroscope open " + trace + " --script " + script +
                         " --print-state 2>&1");
    CHECK(s.status == 1);
    CHECK(s.out.find("script line 2: select 9999: no such task in this trace") != std::string::npos);
    auto state = parse_state(s.out);
    CHECK(state["cursor_step"] == "1"); // the script went on after the bad line
    for (const std::string& p : {trace, script}) std::remove(p.c_str());
}
