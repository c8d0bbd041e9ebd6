#pragma once
// The task-switch workloads shared by bench_switch and bench_tracing.
//   floor:     bare std::coroutine_handle::resume() on a ready queue of two trivial coroutines —
//              the least any coroutine scheduler can do per switch (one indirect resume, one queue
//              push and pop), with no bookkeeping at all.
//   coroscope: two tasks ping-ponging with `co_await coroscope::yield()` through the scheduler's run
//              queue, on a real libuv loop, optionally recording into an event sink.
#include <coroscope/coroscope.hpp>
#include <coroscope/traces/sink.hpp>

#include <uv.h>

#include <coroutine>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

namespace bench {

// --- the floor ---------------------------------------------------------------------------------

struct trivial_coroutine {
    struct promise_type {
        trivial_coroutine get_return_object() {
            return {std::coroutine_handle<promise_type>::from_promise(*this)};
        }
        std::suspend_always initial_suspend() noexcept { return {}; }
        std::suspend_always final_suspend() noexcept { return {}; }
        void return_void() {}
        void unhandled_exception() { std::terminate(); }
    };
    std::coroutine_handle<promise_type> handle;
};

// Counts its resumptions and suspends again, forever.
inline trivial_coroutine spinner(std::uint64_t& counter) {
    for (;;) {
        ++counter;
        co_await std::suspend_always{};
    }
}

struct no_extra_work {
    void operator()(std::uint64_t) const noexcept {}
};

// `switches` resumptions alternating between two coroutines through a FIFO ring (the ready queue).
// `after_each(i)` runs after the i-th resumption: nothing by default (bench_tracing puts a clock
// read there, to see what a timestamp adds inside a loop of switches).
template <typename After = no_extra_work>
inline std::uint64_t floor_switches(std::uint64_t switches, After&& after_each = {}) {
    std::uint64_t counter = 0;
    trivial_coroutine a = spinner(counter), b = spinner(counter);
    std::coroutine_handle<> ring[4] = {a.handle, b.handle, {}, {}};
    std::uint32_t head = 0, tail = 2;
    for (std::uint64_t i = 0; i < switches; ++i) {
        std::coroutine_handle<> h = ring[head++ & 3];
        h.resume();
        after_each(i);
        ring[tail++ & 3] = h; // still ready: back of the queue
    }
    a.handle.destroy();
    b.handle.destroy();
    return counter;
}

// --- coroscope ---------------------------------------------------------------------------------

// A sink that throws everything away: what remains is the scheduler's own instrumentation cost
// (timestamps, event records, the pending buffer, one virtual call per batch of events).
class discard_sink final : public coroscope::traces::event_sink {
public:
    void on_header(const coroscope::traces::header&) override {}
    void on_string(std::uint32_t, std::string_view) override { ++strings; }
    void on_event(const coroscope::traces::event&) override { ++events; }
    void on_events(const coroscope::traces::event*, std::size_t count) override { events += count; }
    std::uint64_t strings = 0;
    std::uint64_t events = 0;
};

inline coroscope::task<void> yielder(std::uint64_t count) {
    for (std::uint64_t i = 0; i < count; ++i) co_await coroscope::yield();
}

// `switches` yields in total, shared by `tasks` tasks (two by default: each yield hands the CPU to
// the other task). With a sink, the scheduler records everything into it. Returns the steps run.
inline std::uint64_t coroscope_switches(std::uint64_t switches, coroscope::traces::event_sink* sink = nullptr,
                                        std::uint64_t tasks = 2) {
    uv_loop_t loop;
    if (uv_loop_init(&loop) != 0) std::abort();
    std::uint64_t steps = 0;
    {
        coroscope::scheduler sched(&loop);
        if (sink) sched.record_to(*sink, coroscope::traces::header{});
        std::vector<coroscope::join_handle<void>> handles;
        for (std::uint64_t i = 0; i < tasks; ++i)
            handles.push_back(sched.spawn(yielder(switches / tasks + (i < switches % tasks ? 1 : 0)),
                                          "yielder " + std::to_string(i)));
        sched.run();
        sched.end_recording();
        steps = sched.steps();
    }
    if (uv_loop_close(&loop) != 0) std::abort();
    return steps;
}

} // namespace bench
