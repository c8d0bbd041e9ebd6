// Lints on hand-built event vectors (one per kind) and on real recorded samples.
#include "support.hpp"

#include <coroscope/inspector/lints.hpp>
#include <coroscope/inspector/model.hpp>
#include <coroscope/traces/reader.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <map>

using namespace coroscope;
using inspector::lint_kind;
using traces::event_kind;
using traces::wait_reason;

namespace {

struct builder {
    traces::trace t;
    std::uint64_t ts = 0, step = 0;
    std::uint32_t tick = 0;
    std::uint32_t str(const std::string& s) {
        t.strings.push_back(s);
        return static_cast<std::uint32_t>(t.strings.size() - 1);
    }
    void add(event_kind kind, std::uint32_t task, std::uint8_t code = 0, std::uint32_t a = 0, std::uint64_t b = 0,
             std::uint64_t dt = 10) {
        traces::event e;
        e.ts_ns = ts += dt;
        e.step = step;
        e.tick = tick;
        e.task = task;
        e.kind = kind;
        e.code = code;
        e.a = a;
        e.b = b;
        t.events.push_back(e);
    }
    void spawn(std::uint32_t task, std::uint32_t parent, const std::string& name = "") {
        add(event_kind::task_spawn, task, 0, parent, name.empty() ? 0 : str(name));
        add(event_kind::task_ready, task, static_cast<std::uint8_t>(wait_reason::spawn), parent);
    }
    void next_tick() { add(event_kind::tick_begin, 0, 0, 0, 0, 0), ++tick; }
    void resume(std::uint32_t task) { add(event_kind::task_resume, task); }
    void suspend(std::uint32_t task, wait_reason r, std::uint32_t target = 0, std::uint64_t dt = 10) {
        add(event_kind::task_suspend, task, static_cast<std::uint8_t>(r), target, 0, dt);
        ++step;
    }
    void ready(std::uint32_t task, wait_reason cause, std::uint32_t waker = 0) {
        add(event_kind::task_ready, task, static_cast<std::uint8_t>(cause), waker);
    }
    void exit(std::uint32_t task, traces::exit_status s = traces::exit_status::ok, std::uint32_t error = 0,
              std::uint64_t dt = 10) {
        add(event_kind::task_exit, task, static_cast<std::uint8_t>(s), error, 0, dt);
        ++step;
    }
    void end() { add(event_kind::trace_end, 0); }
};

std::map<lint_kind, int> kinds(const std::vector<inspector::lint_finding>& findings) {
    std::map<lint_kind, int> out;
    for (const auto& f : findings) ++out[f.kind];
    return out;
}

const std::string bin = COROSCOPE_BIN_DIR;

std::vector<inspector::lint_finding> lint_sample(const std::string& args, const std::string& name, int expected_exit = 0) {
    std::string path = test_support::temp_path(name + ".trace");
    auto r = test_support::run_command("COROSCOPE_TRACE=" + path + " " + bin + "/sample-" + args + " >/dev/null 2>&1");
    REQUIRE(r.status == expected_exit);
    auto loaded = traces::load_file(path);
    REQUIRE(loaded.report.error.empty());
    inspector::model m(loaded.trace);
    auto findings = inspector::run_lints(m);
    for (const auto& f : findings) UNSCOPED_INFO(name << ": " << to_string(f.kind) << " " << f.why);
    std::remove(path.c_str());
    return findings;
}

} // namespace

TEST_CASE("lint: a step longer than the limit is a long step") {
    builder b;
    b.spawn(1, 0);
    b.resume(1);
    b.suspend(1, wait_reason::yield, 0, 20'000'000); // 20 ms
    b.ready(1, wait_reason::yield);
    b.resume(1);
    b.exit(1);
    b.end();
    inspector::model m(b.t);
    auto f = inspector::run_lints(m);
    REQUIRE(f.size() == 1);
    CHECK(f[0].kind == lint_kind::long_step);
    CHECK(f[0].step == 0);
    CHECK(f[0].task == 1);
    inspector::lint_options relaxed;
    relaxed.long_step_ns = 30'000'000;
    CHECK(inspector::run_lints(m, relaxed).empty());
}

TEST_CASE("lint: ready for more ticks than the limit is starvation") {
    builder b;
    b.spawn(1, 0);
    b.next_tick();
    b.resume(1);
    b.spawn(2, 1); // ready in tick 0 ...
    b.suspend(1, wait_reason::yield);
    for (int i = 0; i < 4; ++i) {
        b.next_tick();
        b.ready(1, wait_reason::yield);
        b.resume(1);
        b.suspend(1, wait_reason::yield);
    }
    b.next_tick();
    b.resume(2); // ... runs in tick 5
    b.exit(2);
    b.ready(1, wait_reason::yield);
    b.resume(1);
    b.exit(1);
    b.end();
    inspector::model m(b.t);
    auto f = inspector::run_lints(m);
    REQUIRE(kinds(f) == std::map<lint_kind, int>{{lint_kind::starvation, 1}});
    CHECK(f[0].task == 2);
}

TEST_CASE("lint: alive at the end of a complete trace and never joined is a leaked task") {
    builder b;
    b.spawn(1, 0);
    b.resume(1);
    b.spawn(2, 1);
    b.exit(1);
    b.resume(2);
    b.suspend(2, wait_reason::sleep, 9);
    b.end();
    inspector::model m(b.t);
    auto f = inspector::run_lints(m);
    REQUIRE(kinds(f) == std::map<lint_kind, int>{{lint_kind::leaked_task, 1}});
    CHECK(f[0].task == 2);
    // Without trace_end (the program crashed) nothing is said about the end.
    b.t.events.pop_back();
    CHECK(inspector::run_lints(inspector::model(b.t)).empty());
}

TEST_CASE("lint: a failure nobody joins is a swallowed exception; a joined one is not") {
    builder b;
    std::uint32_t boom = b.str("boom"), bang = b.str("bang");
    b.spawn(1, 0);
    b.resume(1);
    b.spawn(2, 1, "detached");
    b.spawn(3, 1, "joined");
    b.suspend(1, wait_reason::join, 3);
    b.resume(2);
    b.exit(2, traces::exit_status::failed, boom);
    b.resume(3);
    b.ready(1, wait_reason::join, 3);
    b.exit(3, traces::exit_status::failed, bang);
    b.resume(1);
    b.exit(1);
    b.end();
    inspector::model m(b.t);
    auto f = inspector::run_lints(m);
    REQUIRE(kinds(f) == std::map<lint_kind, int>{{lint_kind::swallowed_exception, 1}});
    CHECK(f[0].task == 2);
    CHECK_THAT(f[0].why, Catch::Contains("boom"));
}

TEST_CASE("lint: a join cycle is one deadlock naming every task and await") {
    builder b;
    b.spawn(1, 0);
    b.resume(1);
    b.spawn(2, 1);
    b.spawn(3, 1);
    b.suspend(1, wait_reason::join, 2);
    b.resume(2);
    b.suspend(2, wait_reason::join, 3);
    b.resume(3);
    b.suspend(3, wait_reason::join, 1);
    inspector::model m(b.t);
    auto f = inspector::run_lints(m);
    REQUIRE(kinds(f) == std::map<lint_kind, int>{{lint_kind::deadlock, 1}});
    CHECK(f[0].cycle.tasks() == std::vector<std::uint32_t>{1, 2, 3});
    CHECK(f[0].step == 2);
    CHECK_THAT(f[0].why, Catch::Contains("3 tasks"));
    // At the end of a complete trace the deadlocked tasks are not also reported as leaked.
    b.end();
    CHECK(kinds(inspector::run_lints(inspector::model(b.t))) == std::map<lint_kind, int>{{lint_kind::deadlock, 1}});
}

TEST_CASE("lint: a wait nobody signals is a lost wakeup, unless bounded by with_timeout") {
    builder b;
    b.spawn(1, 0);
    b.resume(1);
    b.spawn(2, 1, "waiter");
    b.spawn(3, 1, "with_timeout");
    b.suspend(1, wait_reason::sleep, 5);
    b.resume(2);
    b.suspend(2, wait_reason::event, 40);
    b.resume(3);
    b.suspend(3, wait_reason::channel, 41);
    b.ready(1, wait_reason::sleep);
    b.resume(1);
    b.ready(2, wait_reason::cancel, 1); // main gives up on it
    b.ready(3, wait_reason::cancel, 1); // the timeout fired: by design
    b.suspend(1, wait_reason::join, 2);
    b.resume(2);
    b.ready(1, wait_reason::join, 2);
    b.exit(2, traces::exit_status::cancelled);
    b.resume(3);
    b.exit(3, traces::exit_status::cancelled);
    b.resume(1);
    b.spawn(4, 1, "stuck");
    b.exit(1);
    b.resume(4);
    b.suspend(4, wait_reason::channel, 42); // still waiting when the program ends
    b.end();
    inspector::model m(b.t);
    auto f = inspector::run_lints(m);
    REQUIRE(kinds(f) == std::map<lint_kind, int>{{lint_kind::lost_wakeup, 2}});
    CHECK(f[0].task == 2);
    CHECK(f[1].task == 4);
}

TEST_CASE("lint: one long step that is a task's whole life while others are ready is never-yielding") {
    builder b;
    b.spawn(1, 0);
    b.spawn(2, 0);
    b.resume(1);
    b.exit(1, traces::exit_status::ok, 0, 2'000'000); // 2 ms, task 2 ready meanwhile
    b.resume(2);
    b.exit(2, traces::exit_status::ok, 0, 2'000'000); // 2 ms, nobody else ready
    b.end();
    inspector::model m(b.t);
    auto f = inspector::run_lints(m);
    REQUIRE(kinds(f) == std::map<lint_kind, int>{{lint_kind::never_yielding, 1}});
    CHECK(f[0].task == 1);
}

TEST_CASE("lint: sample-bugs shows its bugs") {
    auto f = lint_sample("bugs", "bugs");
    auto k = kinds(f);
    CHECK(k[lint_kind::long_step] >= 1);           // blocker: 50 ms in one step
    CHECK(k[lint_kind::swallowed_exception] == 1); // forgotten
    CHECK(k[lint_kind::lost_wakeup] == 1);         // waiter, cancelled by main
    for (const auto& x : f) {
        if (x.kind == lint_kind::swallowed_exception) CHECK_THAT(x.why, Catch::Contains("'forgotten'"));
        if (x.kind == lint_kind::lost_wakeup) CHECK_THAT(x.why, Catch::Contains("'waiter'"));
    }
    CHECK(k[lint_kind::deadlock] == 0);
    CHECK(k[lint_kind::leaked_task] == 0);
}

TEST_CASE("lint: the clean samples give no findings") {
    for (std::string s : {"nested", "pipeline", "timers", "echo", "subprocess", "philosophers"}) {
        INFO(s);
        CHECK(lint_sample(s, s).empty());
    }
}

TEST_CASE("lint: sample-philosophers --deadlock shows the five stuck mutex waits") {
    // What the trace can prove today: five philosophers each wait on a different fork (mutex)
    // until the watchdog cancels them, and nobody hands a fork over. Who holds each fork is not in
    // the trace (an uncontended lock() emits no event), so the cycle cannot be closed: see the
    // next test and inspector/README.md, "Limits".
    auto f = lint_sample("philosophers --deadlock", "philosophers-deadlock", 2);
    std::set<std::uint32_t> tasks;
    for (const auto& x : f)
        if (x.kind == lint_kind::lost_wakeup && x.why.find("mutex") != std::string::npos) tasks.insert(x.task);
    CHECK(tasks.size() == 5);
}

TEST_CASE("lint: sample-philosophers --deadlock is exactly one deadlock of 5 tasks", "[!mayfail]") {
    // Needs mutex acquire/release events from the scheduler (see inspector/README.md, "Limits").
    auto f = lint_sample("philosophers --deadlock", "philosophers-deadlock-cycle", 2);
    auto k = kinds(f);
    REQUIRE(k[lint_kind::deadlock] == 1);
    for (const auto& x : f)
        if (x.kind == lint_kind::deadlock) CHECK(x.cycle.tasks().size() == 5);
}

TEST_CASE("coroscope-trace lint exits 1 with findings and 0 when clean") {
    std::string bugs = test_support::temp_path("lint-bugs.trace"), clean = test_support::temp_path("lint-nested.trace");
    REQUIRE(test_support::run_command("COROSCOPE_TRACE=" + bugs + " " + bin + "/sample-bugs >/dev/null 2>&1").status == 0);
    REQUIRE(test_support::run_command("COROSCOPE_TRACE=" + clean + " " + bin + "/sample-nested >/dev/null").status == 0);
    auto r = test_support::run_command(bin + "/coroscope-trace lint " + bugs);
    CHECK(r.status == 1);
    CHECK_THAT(r.out, Catch::Contains("long-step"));
    auto j = test_support::run_command(bin + "/coroscope-trace lint --json " + bugs);
    CHECK(j.status == 1);
    auto json = nlohmann::json::parse(j.out);
    CHECK(json["count"].get<std::size_t>() == json["findings"].size());
    auto c = test_support::run_command(bin + "/coroscope-trace lint " + clean);
    CHECK(c.status == 0);
    CHECK_THAT(c.out, Catch::Contains("0 findings"));
    std::remove(bugs.c_str());
    std::remove(clean.c_str());
}
