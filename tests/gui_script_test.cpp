// Scripted sessions (--script): the parser's answers for good and bad lines, and a session run in
// the real window (under xvfb-run) whose end state, printed by --print-state, equals what the
// inspector's model computes headless from the same trace with the same moves.
#include "support.hpp"

#include "../gui/script.hpp"
#include "screenshot_support.hpp"

#include <catch2/catch.hpp>
#include <coroscope/inspector/model.hpp>
#include <coroscope/traces/reader.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

using test_support::run_command;

namespace {

const std::string bin = COROSCOPE_BIN_DIR;

void require_display() {
    const char* display = std::getenv("DISPLAY");
    if (!display || !*display)
        FAIL("DISPLAY is not set: GUI tests need an X display; run them with `make test` (under xvfb-run)");
}

// The `coroscope: state k=v k=v ... status=free text` line printed by --print-state.
std::map<std::string, std::string> parse_state(const std::string& out) {
    std::map<std::string, std::string> fields;
    auto at = out.find("coroscope: state ");
    if (at == std::string::npos) return fields;
    std::string line = out.substr(at + 17, out.find('\n', at) - at - 17);
    std::size_t pos = 0;
    while (pos < line.size()) {
        std::size_t end = line.find(' ', pos);
        if (end == std::string::npos) end = line.size();
        std::string kv = line.substr(pos, end - pos);
        if (auto eq = kv.find('='); eq != std::string::npos) fields[kv.substr(0, eq)] = kv.substr(eq + 1);
        pos = end + 1;
    }
    return fields;
}

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
}

TEST_CASE("a scripted session ends where the model says: cursor, selection, stack depth, zoom") {
    require_display();
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

TEST_CASE("script problems: a bad line stops before the window, a bad task is reported and fails the run") {
    std::string bad = write_file("bad-script.txt", "step\nfly\n");
    auto r = run_command(bin + "/coroscope --script " + bad + " 2>&1");
    CHECK(r.status == 2);
    CHECK(r.out.find(bad + ":2: unknown command 'fly'") != std::string::npos);
    std::remove(bad.c_str());

    require_display();
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
