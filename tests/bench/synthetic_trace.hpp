#pragma once
// A synthetic trace for benchmarks: a scheduler simulated just enough to emit a consistent stream
// shaped like the samples' traces (~7 events per step): live tasks with spawn/exit churn, nested
// frames up to 8 deep, sleeps (timer_arm, then timer_fire + task_ready in a later poll), IO waits
// (io_wait, io_ready), channel waits woken by other tasks, yields, and per tick a tick_begin,
// poll_begin and poll_end. Every task is ready, running, waiting or done exactly as the events say,
// so the model's fold is exercised as for a real trace. (Generalized from bench_seek.cpp's.)
#include <coroscope/traces/sink.hpp>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <string>
#include <utility>
#include <vector>

namespace bench {

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
    static constexpr std::uint32_t functions = 64;
    static constexpr std::uint32_t max_depth = 8;

    // live_tasks run at once; a task that ends (exit_per_10k of its steps) spawns its replacement.
    synthetic_trace(tr::event_sink& sink, std::uint32_t live_tasks = 2000, std::uint32_t exit_per_10k = 100,
                    std::string producer = "bench")
        : m_sink(sink), m_live_tasks(live_tasks), m_exit_per_10k(exit_per_10k), m_producer(std::move(producer)) {}

    void run(std::uint64_t events) {
        tr::header h;
        h.producer = m_producer;
        m_sink.on_header(h);
        for (std::uint32_t i = 0; i < functions; ++i) {
            m_sink.on_string(2 * i + 1, "coroscope::task<int> app::function_" + std::to_string(i) + "(int)");
            m_sink.on_string(2 * i + 2, "app/source_" + std::to_string(i % 8) + ".cpp:" + std::to_string(10 + i));
        }
        m_task_name = 2 * functions + 1;
        m_sink.on_string(m_task_name, "worker");
        emit(event_kind::trace_start, 0, 0, 1);
        for (std::uint32_t i = 0; i < m_live_tasks; ++i) spawn(0);
        while (m_count < events) tick();
        emit(event_kind::trace_end, 0, 0, static_cast<std::uint32_t>(m_live));
    }
    std::uint64_t count() const { return m_count; }
    std::size_t tasks() const { return m_tasks.size(); }

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
        if (m_rng.below(10000) < m_exit_per_10k) { // ends, and spawns its replacement
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
    std::uint32_t m_live_tasks;
    std::uint32_t m_exit_per_10k;
    std::string m_producer;
    rng m_rng{42};
    std::vector<task_info> m_tasks;
    std::deque<std::uint32_t> m_ready;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> m_sleepers;
    std::deque<std::pair<std::uint32_t, std::uint32_t>> m_io, m_channel;
    std::uint64_t m_ts = 0, m_step = 0, m_count = 0;
    std::uint32_t m_tick = 0, m_objects = 0, m_task_name = 0;
    std::size_t m_live = 0;
};

} // namespace bench
