// sample-bugs: a program with the classic cooperative-scheduling bugs, for the inspector to find.
//
//   "blocker"    blocks the whole loop for ~50 ms in one step (std::this_thread::sleep_for instead
//                of co_await sleep_for): one very long step, and every other task's wake-up is late
//   "greedy"     holds a mutex across its yields and re-locks it at once after each unlock ...
//   "starved"    ... so this task, which polls with try_lock() + yield(), never gets it and gives up
//   "forgotten"  a detached task (its join handle dropped) that fails: nobody reads its exception,
//                the scheduler reports it on stderr ("failed and nobody joined it")
//   "waiter"     waits on an event nobody ever sets. Main notices at the end that it is still
//                waiting, prints so, cancels it and joins it — so the program still ends (exit 0)
//                instead of being reported stuck
//   "unjoined"   a task whose handle main keeps but never awaits; it simply runs to its end
//
//   sample-bugs [--seed N]     exits 0 (the bugs are in the trace, not in the exit code)
#include <coroscope/coroscope.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <stdexcept>
#include <thread>

using namespace std::chrono_literals;
using coroscope::task;

namespace sample {

task<void> blocker() {
    co_await coroscope::sleep_for(2ms);
    std::this_thread::sleep_for(50ms); // BUG: blocks the loop; should be co_await coroscope::sleep_for
    co_await coroscope::yield();
}

task<void> greedy(coroscope::mutex& m, int rounds) {
    for (int i = 0; i < rounds; ++i) {
        auto guard = co_await m.lock(); // BUG: holds the lock across a yield, then re-locks at once
        co_await coroscope::yield();
    }
}

task<void> starved(coroscope::mutex& m, int attempts) {
    for (int i = 0; i < attempts; ++i) {
        if (auto guard = m.try_lock()) {
            std::printf("starved: got the mutex after %d tries\n", i + 1);
            co_return;
        }
        co_await coroscope::yield(); // BUG: polling never queues, so FIFO hand-over never reaches it
    }
    std::printf("starved: gave up after %d tries without the mutex\n", attempts);
}

task<void> forgotten(std::chrono::milliseconds delay) {
    co_await coroscope::sleep_for(delay);
    throw std::runtime_error("the forgotten task failed and nobody is listening");
}

task<void> waiter(coroscope::event& never_set) {
    co_await never_set.wait(); // BUG: nobody sets it
}

task<void> unjoined(int& steps) {
    for (; steps < 3; ++steps) co_await coroscope::sleep_for(1ms);
}

task<int> main_task(std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    coroscope::mutex m;
    coroscope::event never_set;
    int unjoined_steps = 0;

    auto b = coroscope::spawn(blocker(), "blocker");
    auto g = coroscope::spawn(greedy(m, 30), "greedy");
    auto s = coroscope::spawn(starved(m, 20), "starved");
    (void)coroscope::spawn(forgotten(std::chrono::milliseconds(1 + rng() % 5)), "forgotten"); // BUG: detached
    auto w = coroscope::spawn(waiter(never_set), "waiter");
    auto u = coroscope::spawn(unjoined(unjoined_steps), "unjoined"); // BUG: never awaited

    co_await b;
    co_await g;
    co_await s;
    co_await coroscope::sleep_for(10ms);

    if (!w.done()) {
        std::printf("main: 'waiter' still waits on an event nobody sets; cancelling it\n");
        w.cancel();
        try {
            co_await w;
        } catch (const coroscope::cancelled&) {
        }
    }
    std::printf("main: done ('unjoined' took %d steps, never joined)\n", unjoined_steps);
    co_return 0;
}

} // namespace sample

int main(int argc, char** argv) {
    unsigned long long seed = 1;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--seed") == 0 && i + 1 < argc) seed = std::strtoull(argv[++i], nullptr, 10);
        else {
            std::fprintf(stderr, "usage: %s [--seed N]\n", argv[0]);
            return 64;
        }
    }
    return coroscope::run(sample::main_task(seed), "main");
}
