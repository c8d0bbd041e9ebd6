// event: set wakes all waiters, reset, cancellation of waiters.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using coroscope::task;
using coroscope::traces::event_kind;
using coroscope::traces::wait_reason;
using test_support::count_waits;
using test_support::live_counter;
using test_support::run_recorded;

namespace {

task<void> wait_for(coroscope::event& e, std::vector<std::string>& log, std::string name) {
    live_counter alive;
    co_await e.wait();
    log.push_back(name);
}

} // namespace

TEST_CASE("event wakes all") {
    std::vector<std::string> log;
    std::uint32_t event_id = 0;
    auto result = run_recorded([&]() -> task<void> {
        coroscope::event e;
        event_id = e.id();
        std::vector<coroscope::join_handle<void>> waiters;
        for (std::string name : {"a", "b", "c"}) waiters.push_back(coroscope::spawn(wait_for(e, log, name), name));
        co_await coroscope::yield();
        CHECK(e.waiting() == 3);
        CHECK(log.empty());
        e.set();
        CHECK(e.waiting() == 0);
        for (auto& w : waiters) co_await w;
        // Set: waits return at once. Reset: they wait again.
        co_await wait_for(e, log, "main while set");
        e.reset();
        auto late = coroscope::spawn(wait_for(e, log, "late"), "late");
        co_await coroscope::yield();
        CHECK(e.waiting() == 1);
        e.set();
        co_await late;
    });
    CHECK(log == std::vector<std::string>{"a", "b", "c", "main while set", "late"});
    int woken_by_event = 0;
    for (const auto& e : result.trace.events)
        woken_by_event += e.kind == event_kind::task_ready && e.code == static_cast<std::uint8_t>(wait_reason::event);
    CHECK(count_waits(result.trace, wait_reason::event, event_id) == 4);
    CHECK(woken_by_event == 4);
    CHECK(live_counter::live == 0);
    CHECK(result.loop_close == 0);
}

TEST_CASE("event cancellation while waiting removes the waiter") {
    std::vector<std::string> log;
    auto result = run_recorded([&]() -> task<void> {
        coroscope::event e;
        auto victim = coroscope::spawn(wait_for(e, log, "victim"), "victim");
        auto other = coroscope::spawn(wait_for(e, log, "other"), "other");
        co_await coroscope::yield();
        victim.cancel();
        CHECK(e.waiting() == 1);
        CHECK_THROWS_AS(co_await victim, coroscope::cancelled);
        e.set(); // wakes "other" only
        co_await other;
    });
    CHECK(log == std::vector<std::string>{"other"});
    CHECK(live_counter::live == 0);
    CHECK(result.loop_close == 0);
}
