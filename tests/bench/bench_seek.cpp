// bench-seek: time travel in a long trace. A synthetic 10-million-event trace is folded into the
// inspector's model, then the cursor is sent to 100 random steps (seek latency p50/p99), and at
// 100 random steps one step back and one step forward are timed (back must cost no more than
// forward). Memory held by the model is measured with mallinfo2() before and after the fold (the
// generator feeds events one at a time, so the only large allocation is the model itself).
// Targets (issue #5): seek p99 <= 20 ms; step back <= step forward; <= 24 bytes held per event.
// Seeks and the 20000-step walks are timed in thread CPU time (CLOCK_THREAD_CPUTIME_ID): on a
// machine shared by many processes, wall time adds whole scheduler time slices (~10 ms) to random
// samples. Single steps (sub-microsecond; reading that clock costs ~1 us here) use the wall clock,
// reported as p50 and p99.
//
// The trace is a realistic mix shaped like the samples' traces (~7 events per step): 2000 live
// tasks with spawn/exit churn, nested frames up to 8 deep, sleeps (timer_arm, then timer_fire +
// task_ready in a later poll), IO waits (io_wait, io_ready), channel waits woken by other tasks,
// yields, and per tick a tick_begin, poll_begin and poll_end (synthetic_trace.hpp, shared with
// bench-gui-frame). Run `bench-seek N` for N events.
#include "bench_common.hpp"
#include "synthetic_trace.hpp"

#include <coroscope/inspector/model.hpp>

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

using bench::percentile;
using bench::rng;
using bench::synthetic_trace;

int main(int argc, char** argv) {
    std::uint64_t events = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 10'000'000;
    if (events < 1'000'000) {
        std::fprintf(stderr, "bench-seek: the event count '%s' must be at least 1000000\n", argv[1]);
        return 2;
    }
    // Freed memory stays in the process so mallinfo2 deltas are not disturbed by trimming.
    mallopt(M_TRIM_THRESHOLD, -1);
    mallopt(M_MMAP_MAX, 0); // every block is counted by uordblks, also the large ones

    std::size_t before = mallinfo2().uordblks;
    auto m = std::make_unique<coroscope::inspector::model>();
    synthetic_trace gen(*m, 2000, 100, "bench-seek");
    double fold_s = bench::seconds([&] { gen.run(events); });
    std::size_t after = mallinfo2().uordblks;
    // The generator's own state (a few tables of live tasks) is counted too: the figure is an upper bound.
    double bytes_per_event = static_cast<double>(after - before) / static_cast<double>(gen.count());
    std::uint64_t steps = m->step_count();

    rng r{7};
    std::vector<double> seek_ms;
    for (int i = 0; i < 100; ++i) {
        std::uint64_t target = r.next() % steps;
        seek_ms.push_back(1e3 * bench::cpu_seconds([&] { m->seek(target); }));
        if (m->cursor() != target) {
            std::fprintf(stderr, "bench-seek: seek(%llu) left the cursor at %llu\n",
                         static_cast<unsigned long long>(target), static_cast<unsigned long long>(m->cursor()));
            return 1;
        }
    }
    // One step back, then one step forward, at each of 100 random places (after a seek there).
    std::vector<double> back_us, forward_us;
    for (int i = 0; i < 100; ++i) {
        std::uint64_t target = 1 + r.next() % (steps - 1);
        m->seek(target);
        back_us.push_back(1e6 * bench::seconds([&] { m->step_back(); }));
        forward_us.push_back(1e6 * bench::seconds([&] { m->step_forward(); }));
        if (m->cursor() != target) {
            std::fprintf(stderr, "bench-seek: stepping back and forth from %llu ended at %llu\n",
                         static_cast<unsigned long long>(target), static_cast<unsigned long long>(m->cursor()));
            return 1;
        }
    }
    // Walking backwards step by step over a long stretch (what holding the Left key does): long
    // enough to cross several checkpoint intervals, so the mean includes the rebuilds it costs.
    constexpr int walk = 20000;
    double walk_back = 0, walk_forward = 0; // mean per step, us
    {
        std::uint64_t start = walk + r.next() % (steps - 2 * walk);
        m->seek(start);
        walk_back = 1e6 / walk * bench::cpu_seconds([&] {
            for (int k = 0; k < walk; ++k) m->step_back();
        });
        walk_forward = 1e6 / walk * bench::cpu_seconds([&] {
            for (int k = 0; k < walk; ++k) m->step_forward();
        });
        if (m->cursor() != start) {
            std::fprintf(stderr, "bench-seek: the walk from %llu ended at %llu\n", static_cast<unsigned long long>(start),
                         static_cast<unsigned long long>(m->cursor()));
            return 1;
        }
    }

    // Memory again after the seeks and walks: the cursor's snapshot and its undo records are held now.
    double bytes_after_seeks = static_cast<double>(mallinfo2().uordblks - before) / static_cast<double>(gen.count());
    std::printf("bench-seek: of that, events %.2f B/event, history (steps, intervals, tasks) %.2f B/event\n",
                static_cast<double>(m->trace().events.bytes_held()) / static_cast<double>(gen.count()),
                static_cast<double>(m->history().bytes_held()) / static_cast<double>(gen.count()));
    double p50 = percentile(seek_ms, 0.5), p99 = percentile(seek_ms, 0.99);
    double back50 = percentile(back_us, 0.5), fwd50 = percentile(forward_us, 0.5);
    double back99 = percentile(back_us, 0.99), fwd99 = percentile(forward_us, 0.99);
    std::printf("bench-seek: %llu events, %llu steps, %zu tasks, folded in %.2f s (%.1f M events/s)\n",
                static_cast<unsigned long long>(gen.count()), static_cast<unsigned long long>(steps),
                m->history().tasks().size(), fold_s, static_cast<double>(gen.count()) / fold_s / 1e6);
    // Noise allowance for "back <= forward": both are microseconds on a shared, loaded machine.
    constexpr double noise = 1.1;
    std::vector<bench::row> rows{
        {"seek to a random step, p50", p50, "ms", "", "", bench::verdict::none},
        {"seek to a random step, p99", p99, "ms", bench::fmt("%.2fx target", p99 / 20.0), "<= 20 ms",
         bench::check(p99 <= 20.0)},
        {"step forward one step, p50 (baseline)", fwd50, "us", "", "", bench::verdict::none},
        {"step back one step, p50", back50, "us", bench::fmt("%.2fx forward", back50 / fwd50), "<= 1x forward (+10%)",
         bench::check(back50 <= fwd50 * noise)},
        {"step forward one step, p99 (info)", fwd99, "us", "", "", bench::verdict::none},
        {"step back one step, p99", back99, "us", bench::fmt("%.2fx forward p99", back99 / fwd99),
         "<= 1x forward (+10%)", bench::check(back99 <= fwd99 * noise)},
        {"walk 20000 steps back, mean per step", walk_back, "us",
         bench::fmt("%.2fx forward walk", walk_back / walk_forward), "<= 1x forward (+10%)",
         bench::check(walk_back <= walk_forward * noise)},
        {"walk 20000 steps forward, mean per step (info)", walk_forward, "us", "", "", bench::verdict::none},
        {"memory held by the model after the fold", bytes_per_event, "B/event", bench::fmt("%.2fx target", bytes_per_event / 24.0),
         "<= 24 B/event", bench::check(bytes_per_event <= 24.0)},
        {"memory held after the seeks and walks", bytes_after_seeks, "B/event",
         bench::fmt("%.2fx target", bytes_after_seeks / 24.0), "<= 24 B/event", bench::check(bytes_after_seeks <= 24.0)},
    };
    bench::print_table("5. Seek (synthetic trace, model.seek / step_back / step_forward)", rows);
    return 0;
}
