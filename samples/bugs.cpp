// sample-bugs: one program with each classic cooperative-scheduling bug that `coroscope-trace lint`
// finds. Every bug is marked BUG and named after the lint that reports it.
//
// Phase 1, a busy task set (main joins all of it):
//   "cruncher N" (5)   CPU work done on the loop in 6 ms slices, yielding between slices: no slice
//                      is a long step, but together they fill every tick with ~30 ms of work ...
//   "ticker"           ... so this task, which wants to run every millisecond (sleep_for(1ms)),
//                      sits ~30 ms in the run queue after each wake-up            -> starvation
//   "hog"              computes for ~3 ms in its only step and never awaits anything, while the
//                      crunchers are ready                                         -> never-yielding
// Phase 2:
//   "blocker"          blocks the loop for ~50 ms in one step (std::this_thread::sleep_for instead
//                      of co_await sleep_for)                                      -> long-step
//   "forgotten"        a detached task (its join handle dropped) that fails: nobody can read its
//                      exception; the scheduler records unobserved_failure and prints one line
//                                                                                  -> swallowed-exception
//   "waiter"           waits on an event nobody ever sets                          -> lost-wakeup
//   "left", "right"    lock two mutexes in opposite orders: each holds one and waits for the other
//                                                                                  -> deadlock
//   After 20 ms main sees that waiter and left made no progress, says so, cancels and joins them
//   (left's mutex then goes to right, which finishes), so the program ends by itself (exit 0)
//   instead of being reported stuck.
// Phase 3:
//   "unjoined"         a background task main starts and never joins: it is still running when main
//                      ends, and runs on, owned by nobody, for a few more milliseconds -> leaked-task
//
//   sample-bugs [--seed N]     exits 0 (the bugs are in the trace, not in the exit code)
#include <coroscope/coroscope.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using coroscope::task;

namespace sample {

constexpr int crunchers = 5;
constexpr int slices = 3;

// Busy CPU work for `how_long` of wall-clock time (wall clock, so a preempted slice is not longer).
std::uint64_t crunch(std::chrono::microseconds how_long, std::uint64_t seed) {
    auto until = std::chrono::steady_clock::now() + how_long;
    std::uint64_t x = seed | 1;
    while (std::chrono::steady_clock::now() < until)
        for (int i = 0; i < 1000; ++i) x = x * 6364136223846793005ull + 1442695040888963407ull;
    return x;
}

task<void> cruncher(int& left, std::uint64_t seed) {
    std::uint64_t sum = 0;
    for (int i = 0; i < slices; ++i) {
        sum += crunch(6ms, seed + i); // BUG (with the others): slices too coarse for a latency-bound neighbour
        co_await coroscope::yield();
    }
    --left;
    if (sum == 42) std::printf("cruncher: unlikely sum\n"); // keeps the work observable
}

task<void> ticker(const int& crunchers_left) {
    std::chrono::microseconds worst{0};
    int ticks = 0;
    while (crunchers_left > 0) {
        auto due = std::chrono::steady_clock::now() + 1ms;
        co_await coroscope::sleep_for(1ms);
        auto late = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - due);
        if (late > worst) worst = late;
        ++ticks;
    }
    std::printf("ticker: %d ticks, up to %lld us late (wanted every 1 ms)\n", ticks,
                static_cast<long long>(worst.count()));
}

task<std::uint64_t> hog(std::uint64_t seed) {
    co_return crunch(3ms, seed); // BUG: a long computation without a single yield
}

task<void> blocker() {
    co_await coroscope::sleep_for(2ms);
    std::this_thread::sleep_for(50ms); // BUG: blocks the loop; should be co_await coroscope::sleep_for
    co_await coroscope::yield();
}

task<void> forgotten(std::chrono::milliseconds delay) {
    co_await coroscope::sleep_for(delay);
    throw std::runtime_error("the forgotten task failed and nobody is listening");
}

task<void> waiter(coroscope::event& never_set) {
    co_await never_set.wait(); // BUG: nobody sets it
}

task<void> lock_in_order(coroscope::mutex& first, coroscope::mutex& second, bool& done) {
    auto a = co_await first.lock();
    co_await coroscope::yield(); // the other task takes its first mutex meanwhile
    auto b = co_await second.lock(); // BUG: the two tasks lock the mutexes in opposite orders
    done = true;
}

task<void> unjoined() {
    for (int i = 0; i < 3; ++i) co_await coroscope::sleep_for(2ms);
}

// Cancels a task that made no progress and joins it, so that the program can end.
task<void> give_up_on(coroscope::join_handle<void>& h, const char* name, const char* why) {
    if (h.done()) co_return;
    std::printf("main: '%s' %s; cancelling it\n", name, why);
    h.cancel();
    try {
        co_await h;
    } catch (const coroscope::cancelled&) {
    }
}

task<int> main_task(std::uint64_t seed) {
    std::mt19937_64 rng(seed);

    // Phase 1: a busy task set starves a latency-bound task; a hog never yields.
    int crunchers_left = crunchers;
    std::vector<coroscope::join_handle<void>> busy;
    for (int i = 0; i < crunchers; ++i)
        busy.push_back(coroscope::spawn(cruncher(crunchers_left, rng()), "cruncher " + std::to_string(i + 1)));
    auto t = coroscope::spawn(ticker(crunchers_left), "ticker");
    auto h = coroscope::spawn(hog(rng()), "hog");
    for (auto& c : busy) co_await c;
    co_await t;
    (void)co_await h;

    // Phase 2: a long step, a swallowed exception, a lost wakeup, a deadlock.
    coroscope::event never_set;
    coroscope::mutex first, second;
    bool left_done = false, right_done = false;
    auto b = coroscope::spawn(blocker(), "blocker");
    (void)coroscope::spawn(forgotten(std::chrono::milliseconds(1 + rng() % 5)), "forgotten"); // BUG: detached
    auto w = coroscope::spawn(waiter(never_set), "waiter");
    auto l = coroscope::spawn(lock_in_order(first, second, left_done), "left");
    auto r = coroscope::spawn(lock_in_order(second, first, right_done), "right");
    co_await b;
    co_await coroscope::sleep_for(20ms);
    co_await give_up_on(w, "waiter", "still waits on an event nobody sets");
    co_await give_up_on(l, "left", "holds one mutex and waits for the one 'right' holds: deadlock");
    co_await give_up_on(r, "right", "holds one mutex and waits for the one 'left' holds: deadlock");

    // Phase 3: a task nobody owns outlives main.
    auto u = coroscope::spawn(unjoined(), "unjoined"); // BUG: never awaited; runs on after main ends
    std::printf("main: done ('left' %s both mutexes, 'right' %s; 'unjoined' still runs, never joined)\n",
                left_done ? "got" : "never got", right_done ? "got" : "never got");
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
