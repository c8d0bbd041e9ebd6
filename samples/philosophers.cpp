// sample-philosophers: five dining philosophers; the forks are coroscope::mutex.
//
//   sample-philosophers [--seed N]          each philosopher eats 3 meals, picking up the lower-
//                                           numbered fork first (no cycle possible); exits 0
//   sample-philosophers --deadlock [--seed N]
//                                           each picks up the left fork, yields, then the right one:
//                                           all five hold their left fork and wait (wait reason
//                                           mutex) for the right one, held by their neighbour.
//
// A watchdog task waits for meals with with_timeout(100ms, meals.recv()). When no philosopher has
// eaten for 100 ms while some are still hungry, it prints that the table is deadlocked and who
// waits for whom, and cancels the philosophers (their guards release the forks as they unwind).
// The program then exits with code 2 — the code coroscope::run() uses for "tasks were stuck" — so
// scripts can tell a detected deadlock from success. The watchdog is what lets it end by itself:
// without it, run() would find the tasks stuck, report them on stderr and also return 2.
#include <coroscope/coroscope.hpp>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>

using namespace std::chrono_literals;
using coroscope::task;

namespace sample {

constexpr int seats = 5;
constexpr int meals_each = 3;

struct table {
    std::array<coroscope::mutex, seats> forks;
    std::array<int, seats> fork_holder{-1, -1, -1, -1, -1}; // who holds each fork (-1 = on the table)
    std::array<int, seats> wants{-1, -1, -1, -1, -1};       // the fork each philosopher waits for
    coroscope::channel<int> meals;                          // a philosopher's seat, once per meal
    bool deadlock_mode = false;
    std::mt19937_64 rng;
};

std::chrono::microseconds pause(table& t) { return std::chrono::microseconds(200 + t.rng() % 1500); }

task<coroscope::mutex::guard> pick_up(table& t, int who, int fork) {
    t.wants[who] = fork;
    auto guard = co_await t.forks[fork].lock();
    t.wants[who] = -1;
    t.fork_holder[fork] = who;
    co_return guard;
}

task<void> philosopher(table& t, int who) {
    int left = who, right = (who + 1) % seats;
    for (int meal = 0; meal < meals_each; ++meal) {
        // Thinking. In --deadlock mode they all sit down hungry: the first meal starts at once, so
        // every philosopher takes their left fork in the same tick, whatever the schedule.
        if (!(t.deadlock_mode && meal == 0)) co_await coroscope::sleep_for(pause(t));
        int first = left, second = right;
        if (!t.deadlock_mode && first > second) std::swap(first, second); // resource ordering
        auto a = co_await pick_up(t, who, first);
        if (t.deadlock_mode) co_await coroscope::yield(); // let every neighbour take their left fork
        auto b = co_await pick_up(t, who, second);
        co_await coroscope::sleep_for(pause(t)); // eating
        t.fork_holder[first] = t.fork_holder[second] = -1;
        co_await t.meals.send(who);
    }
}

// Returns true if it found the table stuck.
task<bool> watchdog(table& t, coroscope::task_group& diners) {
    int eaten = 0;
    while (eaten < seats * meals_each) {
        try {
            (void)co_await coroscope::with_timeout(100ms, t.meals.recv());
            ++eaten;
        } catch (const coroscope::timeout_error&) {
            std::printf("watchdog: stuck! no philosopher has eaten for 100 ms (%d of %d meals eaten): deadlock\n",
                        eaten, seats * meals_each);
            for (int p = 0; p < seats; ++p) {
                if (t.wants[p] < 0) continue;
                std::printf("  philosopher %d waits for fork %d, held by philosopher %d\n", p, t.wants[p],
                            t.fork_holder[t.wants[p]]);
            }
            std::printf("watchdog: cancelling the philosophers\n");
            diners.cancel();
            co_return true;
        }
    }
    co_return false;
}

task<int> main_task(bool deadlock_mode, std::uint64_t seed) {
    table t;
    t.deadlock_mode = deadlock_mode;
    t.rng.seed(seed);
    coroscope::task_group diners;
    for (int p = 0; p < seats; ++p) diners.spawn(philosopher(t, p), "philosopher " + std::to_string(p));
    auto dog = coroscope::spawn(watchdog(t, diners), "watchdog");
    co_await diners.wait(); // cancelled philosophers are not failures: wait() returns normally
    bool stuck = co_await dog;
    if (stuck) {
        std::printf("the table was deadlocked; exiting with code 2\n");
        co_return 2;
    }
    std::printf("all %d philosophers ate %d meals\n", seats, meals_each);
    co_return 0;
}

} // namespace sample

int main(int argc, char** argv) {
    unsigned long long seed = 1;
    bool deadlock = false;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--seed") == 0 && i + 1 < argc) seed = std::strtoull(argv[++i], nullptr, 10);
        else if (std::strcmp(argv[i], "--deadlock") == 0) deadlock = true;
        else {
            std::fprintf(stderr, "usage: %s [--deadlock] [--seed N]\n", argv[0]);
            return 64;
        }
    }
    return coroscope::run(sample::main_task(deadlock, seed), "main");
}
