// with_timeout: fires, does not fire, on tasks and on awaitables, and cancellation of the caller.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using coroscope::task;
using coroscope::traces::event_kind;
using test_support::live_counter;
using test_support::run_recorded;

namespace {

task<int> slow_value(std::chrono::milliseconds how_long, int value, bool& cancelled) {
    live_counter alive;
    try {
        co_await coroscope::sleep_for(how_long);
    } catch (const coroscope::cancelled&) {
        cancelled = true;
        throw;
    }
    co_return value;
}

task<void> slow_failure(std::chrono::milliseconds how_long) {
    live_counter alive;
    co_await coroscope::sleep_for(how_long);
    throw std::runtime_error("operation broke");
}

task<void> send_later(coroscope::channel<int>& ch, std::chrono::milliseconds delay, int value) {
    co_await coroscope::sleep_for(delay);
    co_await ch.send(value);
}

} // namespace

TEST_CASE("timeout fires") {
    bool cancelled = false, timed_out = false;
    auto start = std::chrono::steady_clock::now();
    auto result = run_recorded([&]() -> task<void> {
        try {
            (void)co_await coroscope::with_timeout(5ms, slow_value(10s, 1, cancelled));
        } catch (const coroscope::timeout_error&) {
            timed_out = true;
        }
    });
    auto took = std::chrono::steady_clock::now() - start;
    CHECK(timed_out);
    CHECK(cancelled); // the loser (the operation) was cancelled
    CHECK(took >= 5ms);
    CHECK(took < 5s);
    CHECK(live_counter::live == 0);
    CHECK(result.live_tasks_after_run == 0);
    CHECK(result.loop_close == 0);
}

TEST_CASE("timeout does not fire") {
    bool cancelled = false;
    int value = 0;
    std::string error;
    auto start = std::chrono::steady_clock::now();
    auto result = run_recorded([&]() -> task<void> {
        value = co_await coroscope::with_timeout(10s, slow_value(1ms, 42, cancelled));
        try {
            co_await coroscope::with_timeout(10s, slow_failure(1ms));
        } catch (const std::runtime_error& e) {
            error = e.what(); // the operation's own exception passes through
        }
    });
    CHECK(std::chrono::steady_clock::now() - start < 5s); // the 10 s timers were cancelled
    CHECK(value == 42);
    CHECK_FALSE(cancelled);
    CHECK(error == "operation broke");
    // Every helper task (operation + timer) has ended: nothing outlives the calls.
    int spawned = 0, exited = 0;
    for (const auto& e : result.trace.events) {
        spawned += e.kind == event_kind::task_spawn;
        exited += e.kind == event_kind::task_exit;
    }
    CHECK(spawned == 5);
    CHECK(exited == 5);
    CHECK(live_counter::live == 0);
    CHECK(result.loop_close == 0);
}

TEST_CASE("timeout on a channel recv") {
    std::optional<int> got;
    bool timed_out = false;
    std::size_t waiting_after_timeout = 99;
    auto result = run_recorded([&]() -> task<void> {
        coroscope::channel<int> ch(1);
        try {
            (void)co_await coroscope::with_timeout(2ms, ch.recv());
        } catch (const coroscope::timeout_error&) {
            timed_out = true;
        }
        waiting_after_timeout = ch.waiting_receivers(); // the timed-out receiver left the queue
        auto sender = coroscope::spawn(send_later(ch, 1ms, 7), "sender");
        got = co_await coroscope::with_timeout(10s, ch.recv());
        co_await sender;
    });
    CHECK(timed_out);
    CHECK(waiting_after_timeout == 0);
    CHECK(got == std::optional<int>(7));
    CHECK(result.live_tasks_after_run == 0);
    CHECK(result.loop_close == 0);
}

TEST_CASE("timeout: cancelling the caller cancels the operation and the timer") {
    bool cancelled = false;
    auto start = std::chrono::steady_clock::now();
    auto result = run_recorded([&]() -> task<void> {
        auto caller = coroscope::spawn([](bool& cancelled) -> task<void> {
            (void)co_await coroscope::with_timeout(10s, slow_value(10s, 1, cancelled));
        }(cancelled), "caller");
        co_await coroscope::sleep_for(1ms);
        caller.cancel();
        CHECK_THROWS_AS(co_await caller, coroscope::cancelled);
    });
    CHECK(std::chrono::steady_clock::now() - start < 5s);
    CHECK(cancelled);
    CHECK(live_counter::live == 0);
    CHECK(result.live_tasks_after_run == 0);
    CHECK(result.loop_close == 0);
}
