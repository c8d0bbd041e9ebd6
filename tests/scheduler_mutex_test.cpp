// mutex: mutual exclusion, FIFO hand-over, guards, cancellation of waiters.
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

// Enters the critical section `rounds` times, yielding inside it so others would interleave.
task<void> worker(coroscope::mutex& m, int& inside, int& max_inside, std::vector<std::string>& log, std::string name,
                  int rounds) {
    live_counter alive;
    for (int i = 0; i < rounds; ++i) {
        auto guard = co_await m.lock();
        ++inside;
        if (inside > max_inside) max_inside = inside;
        log.push_back(name);
        co_await coroscope::yield();
        co_await coroscope::yield();
        --inside;
    }
}

task<void> lock_once(coroscope::mutex& m, std::vector<std::string>& log, std::string name) {
    live_counter alive;
    auto guard = co_await m.lock();
    log.push_back(name);
}

task<void> lock_both(coroscope::mutex& first, coroscope::mutex& second) {
    live_counter alive;
    auto a = co_await first.lock();
    co_await coroscope::yield();
    auto b = co_await second.lock();
}

} // namespace

TEST_CASE("mutex mutual exclusion") {
    int inside = 0, max_inside = 0;
    std::vector<std::string> log;
    auto result = run_recorded([&]() -> task<void> {
        coroscope::mutex m;
        std::vector<coroscope::join_handle<void>> workers;
        for (std::string name : {"a", "b", "c", "d"})
            workers.push_back(coroscope::spawn(worker(m, inside, max_inside, log, name, 3), name));
        for (auto& w : workers) co_await w;
        CHECK_FALSE(m.locked());
    });
    CHECK(max_inside == 1);
    CHECK(log.size() == 12);
    CHECK(live_counter::live == 0);
    CHECK(result.loop_close == 0);
}

TEST_CASE("mutex FIFO: unlock hands the lock to the longest waiter, waits are traced with the mutex id") {
    std::vector<std::string> log;
    std::uint32_t mutex_id = 0;
    auto result = run_recorded([&]() -> task<void> {
        coroscope::mutex m;
        mutex_id = m.id();
        auto held = co_await m.lock();
        std::vector<coroscope::join_handle<void>> waiters;
        for (std::string name : {"first", "second", "third"}) {
            waiters.push_back(coroscope::spawn(lock_once(m, log, name), name));
            co_await coroscope::yield(); // each starts waiting before the next is spawned
        }
        CHECK(m.waiting() == 3);
        CHECK_FALSE(m.try_lock().has_value());
        held.unlock();
        CHECK(m.locked()); // handed over, never free in between: a newcomer cannot barge in
        CHECK_FALSE(m.try_lock().has_value());
        for (auto& w : waiters) co_await w;
        auto again = m.try_lock();
        CHECK(again.has_value());
    });
    CHECK(log == std::vector<std::string>{"first", "second", "third"});
    CHECK(count_waits(result.trace, wait_reason::mutex, mutex_id) == 3);
    CHECK(live_counter::live == 0);
    CHECK(result.loop_close == 0);
}

TEST_CASE("mutex cancellation while waiting removes the waiter") {
    std::vector<std::string> log;
    auto result = run_recorded([&]() -> task<void> {
        coroscope::mutex m;
        auto held = co_await m.lock();
        auto victim = coroscope::spawn(lock_once(m, log, "victim"), "victim");
        auto other = coroscope::spawn(lock_once(m, log, "other"), "other");
        co_await coroscope::yield();
        CHECK(m.waiting() == 2);
        victim.cancel();
        CHECK(m.waiting() == 1);
        CHECK_THROWS_AS(co_await victim, coroscope::cancelled);
        held.unlock(); // goes to "other", never to the cancelled task
        co_await other;
        CHECK_FALSE(m.locked());
    });
    CHECK(log == std::vector<std::string>{"other"});
    CHECK(live_counter::live == 0);
    CHECK(result.loop_close == 0);
}

TEST_CASE("mutex handed to a task cancelled before it ran passes on to the next waiter") {
    std::vector<std::string> log;
    auto result = run_recorded([&]() -> task<void> {
        coroscope::mutex m;
        auto held = co_await m.lock();
        auto victim = coroscope::spawn(lock_once(m, log, "victim"), "victim");
        auto other = coroscope::spawn(lock_once(m, log, "other"), "other");
        co_await coroscope::yield();
        held.unlock(); // the victim now owns the lock but has not run yet
        victim.cancel();
        CHECK_THROWS_AS(co_await victim, coroscope::cancelled);
        co_await other;
        CHECK_FALSE(m.locked());
    });
    CHECK(log == std::vector<std::string>{"other"});
    CHECK(live_counter::live == 0);
    CHECK(result.loop_close == 0);
}

TEST_CASE("mutex guards moved around release exactly once, stuck lockers are freed") {
    auto result = run_recorded([&]() -> task<void> {
        coroscope::mutex m;
        coroscope::mutex::guard outer;
        {
            auto g = co_await m.lock();
            outer = std::move(g);
            CHECK_FALSE(g.owns_lock());
        }
        CHECK(m.locked());
        outer.unlock();
        outer.unlock();
        CHECK_FALSE(m.locked());
    });
    CHECK(result.loop_close == 0);

    // A task locking a mutex it already holds waits forever; the scheduler reports it stuck and
    // destroys its frame (and its guard) without touching freed memory.
    auto stuck = run_recorded([&]() -> task<void> {
        coroscope::mutex m;
        std::vector<std::string> log;
        auto g = co_await m.lock();
        co_await lock_once(m, log, "self");
    });
    CHECK(stuck.stuck);
    CHECK(live_counter::live == 0);
    CHECK(stuck.loop_close == 0);
}

TEST_CASE("mutex deadlock is reported stuck, and tearing it down frees frames, guards and mutexes in any order") {
    auto result = run_recorded([&]() -> task<void> {
        coroscope::mutex a, b; // live in main's frame, which may be destroyed before the lockers'
        auto x = coroscope::spawn(lock_both(a, b), "x");
        auto y = coroscope::spawn(lock_both(b, a), "y");
        co_await x;
        co_await y;
    });
    CHECK(result.stuck);
    CHECK(result.live_tasks_after_run == 3);
    CHECK(live_counter::live == 0);
    CHECK(result.loop_close == 0);
}

namespace {

// The acquire / release events of one mutex, as (kind, task) pairs in trace order.
std::vector<std::pair<event_kind, std::uint32_t>> lock_events(const coroscope::traces::trace& t, std::uint32_t object) {
    std::vector<std::pair<event_kind, std::uint32_t>> out;
    for (const auto& e : t.events)
        if ((e.kind == event_kind::acquire || e.kind == event_kind::release) && e.a == object) {
            CHECK(e.code == static_cast<std::uint8_t>(wait_reason::mutex));
            if (e.kind == event_kind::release) CHECK(e.b == 1);
            out.emplace_back(e.kind, e.task);
        }
    return out;
}

// The first task of a recorded run: run_recorded's "main".
std::uint32_t first_spawned(const coroscope::traces::trace& t) {
    for (const auto& e : t.events)
        if (e.kind == event_kind::task_spawn) return e.task;
    return 0;
}

} // namespace

TEST_CASE("mutex acquire and release events name every holder: uncontended, hand-over, cancelled hand-over, try_lock") {
    std::vector<std::string> log;
    std::uint32_t mutex_id = 0, main_id = 0, victim_id = 0, other_id = 0;
    auto result = run_recorded([&]() -> task<void> {
        coroscope::mutex m;
        mutex_id = m.id();
        auto held = co_await m.lock(); // uncontended
        auto victim = coroscope::spawn(lock_once(m, log, "victim"), "victim");
        auto other = coroscope::spawn(lock_once(m, log, "other"), "other");
        victim_id = victim.id();
        other_id = other.id();
        co_await coroscope::yield();
        held.unlock();  // handed to the victim ...
        victim.cancel(); // ... which passes it on to "other" when it runs
        CHECK_THROWS_AS(co_await victim, coroscope::cancelled);
        co_await other;
        auto again = m.try_lock();
        CHECK(again.has_value());
    });
    REQUIRE(mutex_id != 0);
    main_id = first_spawned(result.trace);
    using p = std::pair<event_kind, std::uint32_t>;
    CHECK(lock_events(result.trace, mutex_id) ==
          std::vector<p>{{event_kind::acquire, main_id}, {event_kind::release, main_id},
                         {event_kind::acquire, victim_id}, {event_kind::release, victim_id},
                         {event_kind::acquire, other_id}, {event_kind::release, other_id},
                         {event_kind::acquire, main_id}, {event_kind::release, main_id}});
    // A hand-over is recorded before the woken task's task_ready, so a reader knows the holder
    // from the moment the lock changed hands.
    std::size_t handed = 0, ready = 0;
    for (std::size_t i = 0; i < result.trace.events.size(); ++i) {
        const auto& e = result.trace.events[i];
        if (e.kind == event_kind::acquire && e.task == victim_id && handed == 0) handed = i;
        if (e.kind == event_kind::task_ready && e.task == victim_id &&
            e.code == static_cast<std::uint8_t>(wait_reason::mutex))
            ready = i;
    }
    CHECK(handed != 0);
    CHECK(handed < ready);
    CHECK(log == std::vector<std::string>{"other"});
    CHECK(live_counter::live == 0);
    CHECK(result.loop_close == 0);
}
