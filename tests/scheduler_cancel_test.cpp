// Cancellation: at every kind of await point, inside nested frames, before a task starts.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <chrono>

using namespace std::chrono_literals;
using coroscope::task;
using coroscope::traces::event_kind;
using coroscope::traces::exit_status;
using test_support::live_counter;
using test_support::run_recorded;

namespace {

task<void> sleep_deep(int& reached_after, std::chrono::milliseconds how_long) {
    live_counter alive;
    co_await coroscope::sleep_for(how_long);
    ++reached_after;
}
task<void> nested_sleeper(int& reached_after, bool& cleaned_up) {
    live_counter alive;
    try {
        co_await sleep_deep(reached_after, 10s);
    } catch (const coroscope::cancelled&) {
        cleaned_up = true;
        throw;
    }
}
task<void> spinner(int& spins) {
    for (;;) {
        ++spins;
        co_await coroscope::yield();
    }
}

exit_status exit_of(const coroscope::traces::trace& t, std::uint32_t task) {
    for (const auto& e : t.events)
        if (e.kind == event_kind::task_exit && e.task == task) return static_cast<exit_status>(e.code);
    FAIL("task " << task << " never exited");
    return exit_status::ok;
}

} // namespace

TEST_CASE("cancelling a task asleep in a nested frame unwinds it at once, exit cancelled") {
    int reached_after = 0;
    bool cleaned_up = false, join_threw = false;
    auto start = std::chrono::steady_clock::now();
    auto result = run_recorded([&]() -> task<void> {
        auto victim = coroscope::spawn(nested_sleeper(reached_after, cleaned_up), "victim");
        co_await coroscope::sleep_for(2ms);
        victim.cancel();
        try {
            co_await victim;
        } catch (const coroscope::cancelled&) {
            join_threw = true;
        }
    });
    CHECK(std::chrono::steady_clock::now() - start < 5s); // the 10 s sleep did not keep the loop
    CHECK(reached_after == 0);
    CHECK(cleaned_up);
    CHECK(join_threw);
    CHECK(exit_of(result.trace, 2) == exit_status::cancelled);
    CHECK(live_counter::live == 0);
    CHECK(result.loop_close == 0);
}

TEST_CASE("cancelling a ready task makes its next await point throw") {
    int spins = 0;
    auto result = run_recorded([&]() -> task<void> {
        auto victim = coroscope::spawn(spinner(spins), "spinner");
        for (int i = 0; i < 3; ++i) co_await coroscope::yield();
        victim.cancel();
        try {
            co_await victim;
        } catch (const coroscope::cancelled&) {
        }
    });
    CHECK(spins >= 3);
    CHECK(spins <= 5);
    CHECK(exit_of(result.trace, 2) == exit_status::cancelled);
    CHECK(result.loop_close == 0);
}

TEST_CASE("a task cancelled before it starts never runs its body") {
    int spins = 0;
    auto result = run_recorded([&]() -> task<void> {
        auto victim = coroscope::spawn(spinner(spins), "never runs");
        victim.cancel();
        CHECK_THROWS_AS(co_await victim, coroscope::cancelled);
    });
    CHECK(spins == 0);
    CHECK(exit_of(result.trace, 2) == exit_status::cancelled);
    CHECK(result.loop_close == 0);
}

TEST_CASE("a cancelled joiner leaves the joined task's waiters") {
    int reached = 0;
    auto result = run_recorded([&]() -> task<void> {
        auto slow = coroscope::spawn(sleep_deep(reached, 5ms), "slow");
        auto joiner = coroscope::spawn([](coroscope::join_handle<void>& h) -> task<void> { co_await h; }(slow), "joiner");
        co_await coroscope::sleep_for(1ms);
        joiner.cancel();
        CHECK_THROWS_AS(co_await joiner, coroscope::cancelled);
        co_await slow; // still joinable, and ends normally
    });
    CHECK(reached == 1);
    CHECK(exit_of(result.trace, 3) == exit_status::cancelled);
    CHECK(exit_of(result.trace, 2) == exit_status::ok);
    CHECK(result.loop_close == 0);
}

TEST_CASE("the random policy is reproducible by seed and differs from FIFO") {
    auto steps_with = [](std::optional<std::uint64_t> seed) {
        std::vector<std::uint32_t> order;
        uv_loop_t loop;
        uv_loop_init(&loop);
        {
            coroscope::traces::collector sink;
            coroscope::scheduler sched(&loop);
            if (seed) sched.use_random_policy(*seed);
            sched.record_to(sink, {});
            auto main = sched.spawn([]() -> task<void> {
                std::vector<coroscope::join_handle<void>> workers;
                for (int i = 0; i < 6; ++i)
                    workers.push_back(coroscope::spawn([]() -> task<void> {
                        for (int k = 0; k < 4; ++k) co_await coroscope::yield();
                    }(), "worker"));
                for (auto& w : workers) co_await w;
            }(), "main");
            sched.run();
            sched.end_recording();
            for (const auto& e : sink.trace().events)
                if (e.kind == event_kind::task_resume) order.push_back(e.task);
        }
        CHECK(uv_loop_close(&loop) == 0);
        return order;
    };
    auto fifo = steps_with(std::nullopt);
    auto a = steps_with(42), b = steps_with(42), c = steps_with(7);
    CHECK(a == b);
    CHECK(a != fifo);
    CHECK(a != c);
    CHECK(a.size() == fifo.size());
}
