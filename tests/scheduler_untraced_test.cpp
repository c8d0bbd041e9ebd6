// The scheduler's untraced path: with no recorder, no debugger and the FIFO policy, run() takes a
// path with no instrumentation branch (scheduler.cpp, run_plain_steps). It must run the same steps
// in the same ticks as the recorded path, so a program behaves the same whether it is observed.
#include "support.hpp"

#include <coroscope/introspect.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using coroscope::task;
using test_support::live_counter;

namespace {

struct log_line {
    std::string what;
    std::uint64_t step;
    std::uint32_t tick;
    bool operator==(const log_line&) const = default;
};
using step_log = std::vector<log_line>;

// Called from inside a step: what ran, in which step and tick.
void note(step_log& out, std::string what) {
    coroscope::scheduler* sched = coroscope::scheduler::current();
    out.push_back({std::move(what), sched->steps(), sched->ticks()});
}

task<int> nested_sum(step_log& out, int depth) {
    live_counter alive;
    if (depth == 0) {
        co_await coroscope::yield();
        note(out, "leaf");
        co_return 1;
    }
    co_return 1 + co_await nested_sum(out, depth - 1);
}

task<void> yielder(step_log& out, std::string name, int yields) {
    live_counter alive;
    for (int i = 0; i < yields; ++i) {
        note(out, name + " " + std::to_string(i));
        co_await coroscope::yield();
    }
}

// Yields, spawns, joins, nested frames, a sleep, a failure, a cancellation: each changes the run
// queue in a different way.
task<void> workload(step_log& out) {
    live_counter alive;
    std::vector<coroscope::join_handle<void>> workers;
    for (int i = 0; i < 4; ++i) workers.push_back(coroscope::spawn(yielder(out, "w" + std::to_string(i), 3 + i * 2), "w"));
    auto deep = coroscope::spawn(nested_sum(out, 5), "deep");
    auto failing = coroscope::spawn([](step_log& o) -> task<int> {
        co_await coroscope::yield();
        note(o, "failing");
        throw std::runtime_error("expected");
    }(out), "failing");
    auto sleeper = coroscope::spawn([](step_log& o) -> task<void> {
        co_await coroscope::sleep_for(1ms);
        note(o, "slept");
        co_await coroscope::yield();
    }(out), "sleeper");
    auto doomed = coroscope::spawn(yielder(out, "doomed", 1000), "doomed");
    co_await coroscope::yield();
    co_await coroscope::yield();
    doomed.cancel();
    note(out, "deep = " + std::to_string(co_await deep));
    try {
        co_await failing;
    } catch (const std::runtime_error& e) {
        note(out, e.what());
    }
    for (auto& w : workers) co_await w;
    co_await sleeper;
    try {
        co_await doomed;
    } catch (const coroscope::cancelled&) {
        note(out, "doomed cancelled");
    }
    note(out, "done");
}

struct outcome {
    step_log lines;
    std::uint64_t steps = 0;
    std::uint32_t ticks = 0;
    int loop_close = -1;
};

outcome run_workload(bool recorded) {
    outcome o;
    uv_loop_t loop;
    uv_loop_init(&loop);
    {
        coroscope::traces::collector sink;
        coroscope::scheduler sched(&loop);
        if (recorded) sched.record_to(sink, coroscope::traces::header{});
        auto handle = sched.spawn(workload(o.lines), "main");
        sched.run();
        CHECK_FALSE(sched.stuck());
        CHECK(sched.live_tasks() == 0);
        CHECK(sched.tracing() == recorded);
        sched.end_recording();
        o.steps = sched.steps();
        o.ticks = sched.ticks();
        handle.get();
    }
    o.loop_close = uv_loop_close(&loop);
    return o;
}

} // namespace

TEST_CASE("untraced and recorded runs take the same steps in the same ticks") {
    outcome plain = run_workload(false);
    outcome recorded = run_workload(true);
    REQUIRE(!plain.lines.empty());
    CHECK(plain.lines.back().what == "done");
    // The sleep's timer may fire in a different tick from run to run (it is real time). Until the
    // sleeper runs again, it only joins the back of the run queue, so the steps before its "slept"
    // line are the same in both runs: the run whose timer fired first logs a prefix of the other's.
    auto until_sleep = [](const step_log& l) {
        step_log out;
        for (const auto& line : l) {
            if (line.what == "slept") break;
            out.push_back(line);
        }
        return out;
    };
    step_log a = until_sleep(plain.lines), b = until_sleep(recorded.lines);
    std::size_t common = std::min(a.size(), b.size());
    CHECK(common >= 10); // the workers' first yields come before any 1 ms timer can fire
    CHECK(step_log(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(common)) ==
          step_log(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(common)));
    auto names = [](const step_log& l) {
        std::vector<std::string> out;
        for (const auto& line : l) out.push_back(line.what);
        std::sort(out.begin(), out.end());
        return out;
    };
    CHECK(names(plain.lines) == names(recorded.lines));
    CHECK(plain.loop_close == 0);
    CHECK(recorded.loop_close == 0);
    CHECK(live_counter::live == 0);
}

TEST_CASE("untraced: a tick runs only the tasks ready when it began, then the next tick starts") {
    // Three tasks yielding: every tick holds exactly the three of them, so step s runs in tick s / 3.
    step_log out;
    uv_loop_t loop;
    uv_loop_init(&loop);
    {
        coroscope::scheduler sched(&loop);
        std::vector<coroscope::join_handle<void>> handles;
        for (int i = 0; i < 3; ++i) handles.push_back(sched.spawn(yielder(out, "t" + std::to_string(i), 50), "t"));
        sched.run();
        CHECK(sched.steps() == 3 * 51);
        CHECK(sched.ticks() == 50); // the last tick (the tasks' final steps) ends the run without a poll
    }
    REQUIRE(out.size() == 150);
    for (std::size_t i = 0; i < out.size(); ++i) {
        INFO("line " << i << ": " << out[i].what);
        CHECK(out[i].what == "t" + std::to_string(i % 3) + " " + std::to_string(i / 3));
        CHECK(out[i].step == i);
        CHECK(out[i].tick == i / 3);
    }
    CHECK(uv_loop_close(&loop) == 0);
    CHECK(live_counter::live == 0);
}

namespace {

// Each step checks what the scheduler says about itself: it is the running task, the others are
// ready and queued behind it in FIFO order, and its step and tick numbers are those of the loop.
// The yields here hand over directly from task to task (scheduler::yield_switch), in chains longer
// than one step of the step loop allows, so this covers the hand-overs and the returns to the loop.
task<void> self_checking_yielder(std::vector<std::string>& problems, int index, int tasks, int yields) {
    live_counter alive;
    for (int i = 0; i < yields; ++i) {
        coroscope::scheduler* sched = coroscope::scheduler::current();
        coroscope::scheduler_view v = coroscope::introspect(*sched);
        std::uint64_t expected_step = static_cast<std::uint64_t>(i) * static_cast<std::uint64_t>(tasks) +
                                      static_cast<std::uint64_t>(index);
        std::string where = "task " + std::to_string(index) + " yield " + std::to_string(i) + ": ";
        if (v.step != expected_step) problems.push_back(where + "step " + std::to_string(v.step));
        if (v.tick != static_cast<std::uint32_t>(i)) problems.push_back(where + "tick " + std::to_string(v.tick));
        for (const auto& t : v.tasks) {
            bool me = t.id == static_cast<std::uint32_t>(index + 1);
            if (t.state != (me ? "running" : "ready")) problems.push_back(where + "task " + std::to_string(t.id) + " is " + std::string(t.state));
        }
        std::vector<std::uint32_t> queue;
        for (int k = 1; k < tasks; ++k) queue.push_back(static_cast<std::uint32_t>((index + k) % tasks + 1));
        if (v.run_queue != queue) problems.push_back(where + "run queue differs");
        co_await coroscope::yield();
    }
}

// `tasks` self-checking yielders, `yields` yields each, untraced: every ready task runs in every
// tick, so each of the `yields` ticks holds one step of each, plus their final steps.
void check_self_checking_run(int tasks, int yields) {
    std::vector<std::string> problems;
    uv_loop_t loop;
    uv_loop_init(&loop);
    {
        coroscope::scheduler sched(&loop);
        std::vector<coroscope::join_handle<void>> handles;
        for (int i = 0; i < tasks; ++i)
            handles.push_back(sched.spawn(self_checking_yielder(problems, i, tasks, yields), "t" + std::to_string(i)));
        sched.run();
        CHECK(sched.steps() == static_cast<std::uint64_t>(tasks) * static_cast<std::uint64_t>(yields + 1));
        CHECK(sched.ticks() == static_cast<std::uint32_t>(yields));
        CHECK(sched.live_tasks() == 0);
    }
    CHECK(problems.empty());
    if (!problems.empty()) FAIL(problems.front());
    CHECK(uv_loop_close(&loop) == 0);
    CHECK(live_counter::live == 0);
}

} // namespace

TEST_CASE("untraced: across direct hand-overs from yield the steps, ticks, task states and run queue are exact") {
    check_self_checking_run(3, 1000); // 3000 hand-overs: many chains, each cut off by the limit (256)
}

TEST_CASE("untraced: a task yielding alone runs one step per tick and stays the running task") {
    // Each yield crosses a tick boundary with nobody else ready: the task hands over to itself,
    // several times the hand-over chain's limit in a row.
    check_self_checking_run(1, 1000);
}

namespace {

// Three tasks yielding `yields` times; in tick 3 the last task of the tick switches the scheduler
// to the random policy, so its yield is at a tick's end where the untraced path could otherwise
// hand over directly (FIFO) to the next tick's front.
step_log run_policy_switch(std::uint64_t seed, bool recorded) {
    step_log out;
    uv_loop_t loop;
    uv_loop_init(&loop);
    {
        coroscope::traces::collector sink;
        coroscope::scheduler sched(&loop);
        if (recorded) sched.record_to(sink, coroscope::traces::header{});
        auto body = [](step_log& o, int index, std::uint64_t s) -> task<void> {
            live_counter alive;
            for (int i = 0; i < 12; ++i) {
                note(o, "t" + std::to_string(index) + " " + std::to_string(i));
                if (index == 2 && i == 3) coroscope::scheduler::current()->use_random_policy(s);
                co_await coroscope::yield();
            }
        };
        std::vector<coroscope::join_handle<void>> handles;
        for (int i = 0; i < 3; ++i) handles.push_back(sched.spawn(body(out, i, seed), "t" + std::to_string(i)));
        sched.run();
        CHECK(sched.live_tasks() == 0);
        sched.end_recording();
    }
    CHECK(uv_loop_close(&loop) == 0);
    return out;
}

} // namespace

TEST_CASE("untraced: a policy change at a tick's end takes effect at the next step, as when recorded") {
    // The recorded run always goes through the step loop; the untraced one must stop handing over
    // directly once the policy changed (stop_direct), even exactly at a tick's end.
    bool any_reordered = false;
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
        INFO("seed " << seed);
        step_log plain = run_policy_switch(seed, false), recorded = run_policy_switch(seed, true);
        REQUIRE(plain.size() == 36);
        CHECK(plain == recorded);
        CHECK(plain[11].what == "t2 3"); // the switch is the last step of tick 3
        if (plain[12].what != "t0 4") any_reordered = true; // FIFO would run t0 first
    }
    CHECK(any_reordered); // the random policy did change the order after the switch
    CHECK(live_counter::live == 0);
}
