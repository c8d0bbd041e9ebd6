// Hand-built event vectors for the inspector's tests: one builder that numbers steps and ticks the
// way the scheduler does (a step ends at a suspend or an exit; a tick is a pass over the run queue),
// so a test states a scenario in scheduling terms rather than in raw event fields.
#pragma once

#include <coroscope/traces/event.hpp>
#include <coroscope/traces/trace.hpp>

#include <cstdint>
#include <string>

namespace test_support {

struct event_builder {
    coroscope::traces::trace t;
    std::uint64_t ts = 0;
    std::uint64_t step = 0;
    std::uint32_t tick = 0;

    using event_kind = coroscope::traces::event_kind;
    using wait_reason = coroscope::traces::wait_reason;
    using exit_status = coroscope::traces::exit_status;

    // Interns nothing: every call appends, so a test knows each string's index from call order.
    std::uint32_t str(const std::string& s) {
        t.strings.push_back(s);
        return static_cast<std::uint32_t>(t.strings.size() - 1);
    }
    // One event `dt` ns after the previous one, stamped with the current step and tick.
    void add(event_kind kind, std::uint32_t task, std::uint8_t code = 0, std::uint32_t a = 0, std::uint64_t b = 0,
             std::uint64_t dt = 10) {
        coroscope::traces::event e;
        e.ts_ns = ts += dt;
        e.step = step;
        e.tick = tick;
        e.task = task;
        e.kind = kind;
        e.code = code;
        e.a = a;
        e.b = b;
        t.events.push_back(e);
    }
    // Spawned and made ready by `parent`; an empty name leaves the task unnamed (string 0).
    void spawn(std::uint32_t task, std::uint32_t parent, const std::string& name = "") {
        add(event_kind::task_spawn, task, 0, parent, name.empty() ? 0 : str(name));
        add(event_kind::task_ready, task, static_cast<std::uint8_t>(wait_reason::spawn), parent);
    }
    // A tick_begin at the current tick number (the caller moves `tick`).
    void tick_begin() { add(event_kind::tick_begin, 0); }
    // A tick_begin at the same instant as the previous event, then the tick number moves on.
    void next_tick() {
        add(event_kind::tick_begin, 0, 0, 0, 0, 0);
        ++tick;
    }
    void resume(std::uint32_t task) { add(event_kind::task_resume, task); }
    // Ends the step: `task` waits for `r` on `target` (a task, timer or resource id).
    void suspend(std::uint32_t task, wait_reason r, std::uint32_t target = 0, std::uint64_t dt = 10) {
        add(event_kind::task_suspend, task, static_cast<std::uint8_t>(r), target, 0, dt);
        ++step;
    }
    void ready(std::uint32_t task, wait_reason cause, std::uint32_t waker = 0) {
        add(event_kind::task_ready, task, static_cast<std::uint8_t>(cause), waker);
    }
    // Ends the step: `task` finishes with `s`; `error` is the message's string index for a failure.
    void exit(std::uint32_t task, exit_status s = exit_status::ok, std::uint32_t error = 0, std::uint64_t dt = 10) {
        add(event_kind::task_exit, task, static_cast<std::uint8_t>(s), error, 0, dt);
        ++step;
    }
    // A nested coroutine frame: function and source location are string indices.
    void enter(std::uint32_t task, std::uint32_t fn, std::uint32_t loc) { add(event_kind::frame_enter, task, 0, fn, loc); }
    void leave(std::uint32_t task, bool threw = false, std::uint32_t error = 0) {
        add(event_kind::frame_exit, task, threw ? 1 : 0, error);
    }
    void end() { add(event_kind::trace_end, 0); }
    // Format 1.2 lock events: `task` now holds / gives back `object` (a mutex or a semaphore).
    void acquire(std::uint32_t task, wait_reason what, std::uint32_t object) {
        add(event_kind::acquire, task, static_cast<std::uint8_t>(what), object);
    }
    void release(std::uint32_t task, wait_reason what, std::uint32_t object, std::uint64_t permits = 1) {
        add(event_kind::release, task, static_cast<std::uint8_t>(what), object, permits);
    }
};

} // namespace test_support
