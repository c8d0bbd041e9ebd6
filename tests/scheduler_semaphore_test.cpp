// semaphore: counting, FIFO hand-over, cancellation of waiters.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using coroscope::task;
using coroscope::traces::event_kind;
using coroscope::traces::wait_reason;
using test_support::count_waits;
using test_support::live_counter;
using test_support::run_recorded;

namespace {

task<void> use_permit(coroscope::semaphore& s, int& holders, int& max_holders, std::vector<std::string>& log,
                      std::string name) {
    live_counter alive;
    co_await s.acquire();
    ++holders;
    if (holders > max_holders) max_holders = holders;
    log.push_back(name);
    co_await coroscope::sleep_for(1ms);
    --holders;
    s.release();
}

} // namespace

TEST_CASE("semaphore counting") {
    int holders = 0, max_holders = 0;
    std::vector<std::string> log;
    std::uint32_t semaphore_id = 0;
    auto result = run_recorded([&]() -> task<void> {
        coroscope::semaphore s(2);
        semaphore_id = s.id();
        std::vector<coroscope::join_handle<void>> users;
        for (int i = 0; i < 6; ++i)
            users.push_back(coroscope::spawn(use_permit(s, holders, max_holders, log, "u" + std::to_string(i)),
                                             "user " + std::to_string(i)));
        for (auto& u : users) co_await u;
        CHECK(s.available() == 2);
        CHECK(s.try_acquire());
        CHECK(s.try_acquire());
        CHECK_FALSE(s.try_acquire());
        s.release(2);
        CHECK(s.available() == 2);
    });
    CHECK(max_holders == 2);
    CHECK(log == std::vector<std::string>{"u0", "u1", "u2", "u3", "u4", "u5"}); // FIFO
    CHECK(count_waits(result.trace, wait_reason::semaphore, semaphore_id) == 4);
    CHECK(live_counter::live == 0);
    CHECK(result.loop_close == 0);
}

TEST_CASE("semaphore cancellation while waiting removes the waiter") {
    int holders = 0, max_holders = 0;
    std::vector<std::string> log;
    auto result = run_recorded([&]() -> task<void> {
        coroscope::semaphore s(0);
        auto victim = coroscope::spawn(use_permit(s, holders, max_holders, log, "victim"), "victim");
        auto other = coroscope::spawn(use_permit(s, holders, max_holders, log, "other"), "other");
        co_await coroscope::yield();
        CHECK(s.waiting() == 2);
        victim.cancel();
        CHECK(s.waiting() == 1);
        CHECK_THROWS_AS(co_await victim, coroscope::cancelled);
        s.release(); // goes to "other", never to the cancelled task
        co_await other;
        CHECK(s.available() == 1);
    });
    CHECK(log == std::vector<std::string>{"other"});
    CHECK(live_counter::live == 0);
    CHECK(result.loop_close == 0);
}

TEST_CASE("semaphore permit handed to a task cancelled before it ran is released") {
    int holders = 0, max_holders = 0;
    std::vector<std::string> log;
    auto result = run_recorded([&]() -> task<void> {
        coroscope::semaphore s(0);
        auto victim = coroscope::spawn(use_permit(s, holders, max_holders, log, "victim"), "victim");
        co_await coroscope::yield();
        s.release(); // handed to the victim
        CHECK(s.available() == 0);
        victim.cancel();
        CHECK_THROWS_AS(co_await victim, coroscope::cancelled);
        CHECK(s.available() == 1);
    });
    CHECK(log.empty());
    CHECK(live_counter::live == 0);
    CHECK(result.loop_close == 0);
}

TEST_CASE("semaphore acquire and release events name each permit's holder and the permits released") {
    int holders = 0, max_holders = 0;
    std::vector<std::string> log;
    std::uint32_t semaphore_id = 0, user_id = 0;
    auto result = run_recorded([&]() -> task<void> {
        coroscope::semaphore s(1);
        semaphore_id = s.id();
        co_await s.acquire(); // uncontended
        CHECK_FALSE(s.try_acquire()); // a failed attempt records nothing
        auto user = coroscope::spawn(use_permit(s, holders, max_holders, log, "user"), "user");
        user_id = user.id();
        co_await coroscope::yield();
        s.release(); // handed to the waiting user, which releases it after 1 ms
        co_await user;
        CHECK(s.try_acquire());
        s.release(2);
        CHECK(s.available() == 2);
    });
    REQUIRE(semaphore_id != 0);
    std::uint32_t main_id = 0;
    for (const auto& e : result.trace.events)
        if (e.kind == event_kind::task_spawn && main_id == 0) main_id = e.task; // run_recorded's "main"
    struct lock_event {
        event_kind kind;
        std::uint32_t task;
        std::uint64_t permits;
        bool operator==(const lock_event&) const = default;
    };
    std::vector<lock_event> seen;
    for (const auto& e : result.trace.events)
        if ((e.kind == event_kind::acquire || e.kind == event_kind::release) && e.a == semaphore_id) {
            CHECK(e.code == static_cast<std::uint8_t>(wait_reason::semaphore));
            seen.push_back({e.kind, e.task, e.b});
        }
    CHECK(seen == std::vector<lock_event>{{event_kind::acquire, main_id, 0},
                                          {event_kind::release, main_id, 1},
                                          {event_kind::acquire, user_id, 0},
                                          {event_kind::release, user_id, 1},
                                          {event_kind::acquire, main_id, 0},
                                          {event_kind::release, main_id, 2}});
    CHECK(log == std::vector<std::string>{"user"});
    CHECK(live_counter::live == 0);
    CHECK(result.loop_close == 0);
}
