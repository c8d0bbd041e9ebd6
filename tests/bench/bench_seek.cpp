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
// yields, and per tick a tick_begin, poll_begin and poll_end. Run `bench-seek N` for N events.
#include "bench_common.hpp"

#include <coroscope/inspector/model.hpp>

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace {

namespace tr = coroscope::traces;
using tr::event_kind;
using tr::wait_reason;

struct rng {
    std::uint64_t state;
    std::uint64_t next() { // splitmix64
        std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
    std::uint32_t below(std::uint32_t n) { return static_cast<std::uint32_t>(next() % n); }
};

// A scheduler simulated just enough to emit a consistent stream: every task is ready, running,
// waiting or done exactly as the events say, so the model's fold is exercised as for a real trace.
class synthetic_trace {
public:
    static constexpr std::uint32_t live_tasks = 2000;
    static constexpr std::uint32_t functions = 64;
    static constexpr std::uint32_t max_depth = 8;

    explicit synthetic_trace(tr::event_sink& sink) : m_sink(sink) {}

    void run(std::uint64_t events) {
        tr::header h;
        h.producer = "bench-seek";
        m_sink.on_header(h);
        for (std::uint32_t i = 0; i < functions; ++i) {
            m_sink.on_string(2 * i + 1, "coroscope::task<int> app::function_" + std::to_string(i) + "(int)");
            m_sink.on_string(2 * i + 2, "app/source_" + std::to_string(i % 8) + ".cpp:" + std::to_string(10 + i));
        }
        m_task_name = 2 * functions + 1;
        m_sink.on_string(m_task_name, "worker");
        emit(event_kind::trace_start, 0, 0, 1);
        for (std::uint32_t i = 0; i < live_tasks; ++i) spawn(0);
        while (m_count < events) tick();
        emit(event_kind::trace_end, 0, 0, static_cast<std::uint32_t>(m_live));
    }
    std::uint64_t count() const { return m_count; }

private:
    struct task_info {
        std::uint32_t depth = 0;
        bool alive = false;
    };

    void emit(event_kind kind, std::uint32_t task, std::uint8_t code = 0, std::uint32_t a = 0, std::uint64_t b = 0) {
        tr::event e;
        e.ts_ns = m_ts;
        e.step = m_step;
        e.tick = m_tick;
        e.task = task;
        e.kind = kind;
        e.code = code;
        e.a = a;
        e.b = b;
        m_sink.on_event(e);
        ++m_count;
    }
    void ready(std::uint32_t task, wait_reason cause, std::uint32_t waker) {
        emit(event_kind::task_ready, task, static_cast<std::uint8_t>(cause), waker);
        m_ready.push_back(task);
    }
    void spawn(std::uint32_t parent) {
        std::uint32_t id = static_cast<std::uint32_t>(m_tasks.size() + 1);
        m_tasks.push_back({});
        m_tasks.back().alive = true;
        ++m_live;
        emit(event_kind::task_spawn, id, 0, parent, m_task_name);
        ready(id, wait_reason::spawn, parent);
    }
    void tick() {
        m_ts += 1000 + m_rng.below(5000);
        emit(event_kind::tick_begin, 0, 0, static_cast<std::uint32_t>(m_ready.size()));
        std::size_t batch = m_ready.size();
        for (std::size_t i = 0; i < batch; ++i) {
            std::uint32_t task = m_ready.front();
            m_ready.pop_front();
            step(task);
        }
        poll();
        ++m_tick;
    }
    void step(std::uint32_t id) {
        m_ts += 200 + m_rng.below(3000);
        emit(event_kind::task_resume, id);
        task_info& t = m_tasks[id - 1];
        if (t.depth == 0) push_frame(id, t);
        // Nested calls that complete within the step, and some that stay entered.
        for (std::uint32_t calls = m_rng.below(3); calls > 0; --calls) {
            if (t.depth < max_depth && m_rng.below(2) == 0) push_frame(id, t);
            else if (t.depth > 1) {
                emit(event_kind::frame_exit, id);
                --t.depth;
            }
        }
        m_ts += 500 + m_rng.below(20000);
        std::uint32_t what = m_rng.below(100);
        if (what < 1) { // ends, and spawns its replacement
            spawn(id);
            for (; t.depth > 0; --t.depth) emit(event_kind::frame_exit, id);
            emit(event_kind::task_exit, id);
            t.alive = false;
            --m_live;
        } else if (what < 40) { // sleeps
            std::uint32_t timer = ++m_objects;
            std::uint64_t due = m_ts + 100000 + m_rng.below(2000000);
            emit(event_kind::timer_arm, id, 0, timer, due);
            emit(event_kind::task_suspend, id, static_cast<std::uint8_t>(wait_reason::sleep), timer, due);
            m_sleepers.push_back({id, timer});
        } else if (what < 60) { // waits for IO
            std::uint32_t resource = 1 + m_rng.below(64);
            emit(event_kind::io_wait, id, 0, resource);
            emit(event_kind::task_suspend, id, static_cast<std::uint8_t>(wait_reason::io), resource);
            m_io.push_back({id, resource});
        } else if (what < 80) { // receives on a channel another task sends on
            std::uint32_t channel = 1000 + m_rng.below(32);
            emit(event_kind::task_suspend, id, static_cast<std::uint8_t>(wait_reason::channel), channel);
            m_channel.push_back({id, channel});
        } else { // yields
            emit(event_kind::task_suspend, id, static_cast<std::uint8_t>(wait_reason::yield));
            ready(id, wait_reason::yield, id);
        }
        // A step that sends wakes one channel receiver.
        if (!m_channel.empty() && m_rng.below(3) == 0) {
            auto [waiter, channel] = m_channel.front();
            m_channel.pop_front();
            ready(waiter, wait_reason::channel, id);
        }
        ++m_step;
    }
    void poll() {
        m_ts += 2000 + m_rng.below(10000);
        emit(event_kind::poll_begin, 0, 0, m_ready.empty() ? 0xffffffffu : 0);
        std::uint32_t callbacks = 0;
        for (std::uint32_t n = m_rng.below(static_cast<std::uint32_t>(std::min<std::size_t>(m_sleepers.size(), 40)) + 1);
             n > 0 && !m_sleepers.empty(); --n, ++callbacks) {
            std::size_t pick = m_rng.below(static_cast<std::uint32_t>(std::min<std::size_t>(m_sleepers.size(), 64)));
            auto [task, timer] = m_sleepers[pick];
            m_sleepers.erase(m_sleepers.begin() + static_cast<std::ptrdiff_t>(pick));
            emit(event_kind::timer_fire, task, 0, timer);
            ready(task, wait_reason::sleep, 0);
        }
        for (std::uint32_t n = m_rng.below(static_cast<std::uint32_t>(std::min<std::size_t>(m_io.size(), 20)) + 1);
             n > 0 && !m_io.empty(); --n, ++callbacks) {
            auto [task, resource] = m_io.front();
            m_io.pop_front();
            emit(event_kind::io_ready, task, 0, resource, 64 + m_rng.below(4000));
            ready(task, wait_reason::io, 0);
        }
        // Keep the program alive: a tick with nothing ready wakes the oldest channel receiver.
        if (m_ready.empty() && !m_channel.empty()) {
            ready(m_channel.front().first, wait_reason::channel, 0);
            m_channel.pop_front();
        }
        emit(event_kind::poll_end, 0, 0, callbacks);
    }
    void push_frame(std::uint32_t id, task_info& t) {
        std::uint32_t f = m_rng.below(functions);
        emit(event_kind::frame_enter, id, 0, 2 * f + 1, 2 * f + 2);
        ++t.depth;
    }

    tr::event_sink& m_sink;
    rng m_rng{42};
    std::vector<task_info> m_tasks;
    std::deque<std::uint32_t> m_ready;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> m_sleepers;
    std::deque<std::pair<std::uint32_t, std::uint32_t>> m_io, m_channel;
    std::uint64_t m_ts = 0, m_step = 0, m_count = 0;
    std::uint32_t m_tick = 0, m_objects = 0, m_task_name = 0;
    std::size_t m_live = 0;
};

double percentile(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    std::size_t rank = static_cast<std::size_t>(p * static_cast<double>(v.size()) + 0.999999); // nearest rank
    return v[std::clamp<std::size_t>(rank, 1, v.size()) - 1];
}

} // namespace

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
    synthetic_trace gen(*m);
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
