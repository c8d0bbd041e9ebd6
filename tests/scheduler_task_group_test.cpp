// task_group: waits for all members, first failure cancels the siblings and is rethrown,
// destruction cancels running members.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using coroscope::task;
using coroscope::traces::event_kind;
using coroscope::traces::exit_status;
using test_support::live_counter;
using test_support::run_recorded;

namespace {

task<int> work(std::chrono::milliseconds how_long, std::vector<std::string>& log, std::string name) {
    live_counter alive;
    try {
        co_await coroscope::sleep_for(how_long);
    } catch (const coroscope::cancelled&) {
        log.push_back(name + " cancelled");
        throw;
    }
    log.push_back(name + " done");
    co_return 1;
}

task<void> fail_after(std::chrono::milliseconds how_long, std::vector<std::string>& log, std::string name) {
    live_counter alive;
    co_await coroscope::sleep_for(how_long);
    log.push_back(name + " fails");
    throw std::runtime_error(name + " broke");
}

task<void> run_group(std::vector<std::string>& log, bool& destroyed_early) {
    live_counter alive;
    coroscope::task_group group;
    group.spawn(work(10s, log, "slow"), "slow");
    co_await coroscope::sleep_for(1ms);
    destroyed_early = group.running() == 1;
    // The group goes out of scope with "slow" still running.
}

exit_status exit_of(const coroscope::traces::trace& t, std::uint32_t task) {
    for (const auto& e : t.events)
        if (e.kind == event_kind::task_exit && e.task == task) return static_cast<exit_status>(e.code);
    FAIL("task " << task << " never exited");
    return exit_status::ok;
}

} // namespace

TEST_CASE("task group waits for all its members") {
    std::vector<std::string> log;
    auto result = run_recorded([&]() -> task<void> {
        coroscope::task_group group;
        group.spawn(work(3ms, log, "a"), "a");
        group.spawn(work(1ms, log, "b"), "b");
        group.spawn(work(2ms, log, "c"), "c");
        CHECK(group.running() == 3);
        co_await group.wait();
        CHECK(group.running() == 0);
    });
    CHECK(log == std::vector<std::string>{"b done", "c done", "a done"});
    CHECK(live_counter::live == 0);
    CHECK(result.live_tasks_after_run == 0);
    CHECK(result.loop_close == 0);
}

TEST_CASE("task group failure cancels siblings and rethrows") {
    std::vector<std::string> log;
    std::string caught;
    auto start = std::chrono::steady_clock::now();
    auto result = run_recorded([&]() -> task<void> {
        coroscope::task_group group;
        group.spawn(work(10s, log, "slow 1"), "slow 1");         // task 2
        group.spawn(fail_after(2ms, log, "failing"), "failing"); // task 3
        group.spawn(work(10s, log, "slow 2"), "slow 2");         // task 4
        try {
            co_await group.wait();
        } catch (const std::runtime_error& e) {
            caught = e.what();
        }
    });
    CHECK(std::chrono::steady_clock::now() - start < 5s);
    CHECK(caught == "failing broke");
    CHECK(log == std::vector<std::string>{"failing fails", "slow 1 cancelled", "slow 2 cancelled"});
    CHECK(exit_of(result.trace, 2) == exit_status::cancelled);
    CHECK(exit_of(result.trace, 3) == exit_status::failed); // the failure stays visible in the trace
    CHECK(exit_of(result.trace, 4) == exit_status::cancelled);
    CHECK(live_counter::live == 0);
    CHECK(result.live_tasks_after_run == 0);
    CHECK(result.loop_close == 0);
}

TEST_CASE("task group destroyed with running members cancels them") {
    std::vector<std::string> log;
    bool destroyed_early = false;
    auto start = std::chrono::steady_clock::now();
    auto result = run_recorded([&]() -> task<void> { co_await run_group(log, destroyed_early); });
    CHECK(destroyed_early);
    CHECK(std::chrono::steady_clock::now() - start < 5s);
    CHECK(log == std::vector<std::string>{"slow cancelled"});
    CHECK(exit_of(result.trace, 2) == exit_status::cancelled);
    CHECK(live_counter::live == 0);
    CHECK(result.live_tasks_after_run == 0);
    CHECK(result.loop_close == 0);
}

TEST_CASE("task group: cancelling the waiting task cancels the members") {
    std::vector<std::string> log;
    auto result = run_recorded([&]() -> task<void> {
        auto owner = coroscope::spawn([](std::vector<std::string>& log) -> task<void> {
            coroscope::task_group group;
            group.spawn(work(10s, log, "member"), "member");
            co_await group.wait();
        }(log), "owner");
        co_await coroscope::sleep_for(1ms);
        owner.cancel();
        CHECK_THROWS_AS(co_await owner, coroscope::cancelled);
        co_await coroscope::yield(); // let the member run its cancellation step
        co_await coroscope::yield();
    });
    CHECK(log == std::vector<std::string>{"member cancelled"});
    CHECK(live_counter::live == 0);
    CHECK(result.live_tasks_after_run == 0);
    CHECK(result.loop_close == 0);
}
