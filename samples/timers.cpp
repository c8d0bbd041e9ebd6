// sample-timers: sleeps and timeouts.
//
//   sleep sort   8 tasks each sleep for their (pseudo-random) number of ms; they wake in order
//   tickers      two periodic tasks (every 4 ms and every 7 ms) until main sets a stop event
//   timeouts     with_timeout(10ms) on a channel nobody sends to fires (timeout_error);
//                with_timeout(200ms) on a 3 ms computation returns its value
//
//   sample-timers [--seed N]     exits 0 when the sort came out sorted and both timeouts behaved
#include <coroscope/coroscope.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using coroscope::task;

namespace sample {

// Sleeps until `ms` after the sort's common start: deadlines taken from when each sleeper first
// runs would drift by the steps before it, and a slow machine (or a sanitizer build) would then
// wake 10 before 9.
task<void> sleep_then_report(std::chrono::steady_clock::time_point start, int ms, std::vector<int>& out) {
    co_await coroscope::sleep_until(start + std::chrono::milliseconds(ms));
    out.push_back(ms);
}

task<bool> sleep_sort(std::vector<int> values) {
    std::vector<int> sorted;
    coroscope::task_group sleepers;
    const auto start = std::chrono::steady_clock::now();
    for (int v : values) sleepers.spawn(sleep_then_report(start, v, sorted), "sleep " + std::to_string(v) + " ms");
    co_await sleepers.wait();
    std::printf("sleep sort:");
    for (int v : sorted) std::printf(" %d", v);
    std::printf("\n");
    bool ok = sorted.size() == values.size();
    for (std::size_t i = 1; i < sorted.size(); ++i) ok = ok && sorted[i - 1] <= sorted[i];
    co_return ok;
}

// Ticks every `period` until `stop` is set.
task<void> ticker(std::chrono::milliseconds period, coroscope::event& stop, int& ticks) {
    while (!stop.is_set()) {
        co_await coroscope::sleep_for(period);
        ++ticks;
    }
}

task<int> compute(int x) {
    co_await coroscope::sleep_for(3ms);
    co_return x * x;
}

task<int> main_task(std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<int> values;
    for (int i = 0; i < 8; ++i) values.push_back(1 + static_cast<int>(rng() % 30));

    coroscope::event stop;
    int fast_ticks = 0, slow_ticks = 0;
    auto fast = coroscope::spawn(ticker(4ms, stop, fast_ticks), "ticker 4 ms");
    auto slow = coroscope::spawn(ticker(7ms, stop, slow_ticks), "ticker 7 ms");

    bool sorted = co_await sleep_sort(values);

    bool fired = false;
    coroscope::channel<int> silent;
    try {
        (void)co_await coroscope::with_timeout(10ms, silent.recv());
    } catch (const coroscope::timeout_error&) {
        fired = true;
    }
    std::printf("with_timeout(10ms, recv on a silent channel): %s\n", fired ? "timed out" : "returned?!");

    int value = co_await coroscope::with_timeout(200ms, compute(12));
    std::printf("with_timeout(200ms, compute(12)): %d\n", value);

    stop.set();
    co_await fast;
    co_await slow;
    std::printf("tickers: %d fast ticks, %d slow ticks\n", fast_ticks, slow_ticks);
    co_return sorted && fired && value == 144 && fast_ticks > 0 && slow_ticks > 0 ? 0 : 1;
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
