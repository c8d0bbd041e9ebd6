#pragma once
// The colors of task states and wait reasons, as plain RGB so that tests can check a screenshot
// for them without ImGui. The timeline, the task table and the legend all use these.
#include <coroscope/inspector/snapshot.hpp>
#include <coroscope/traces/event.hpp>

#include <cstdint>

namespace coroscope::gui {

struct rgb {
    std::uint8_t r, g, b;
};

inline constexpr rgb color_ready{232, 196, 64};     // yellow: in the run queue
inline constexpr rgb color_running{64, 200, 96};    // green: executing a step
inline constexpr rgb color_done{128, 128, 128};     // gray text; done tasks draw no bar
inline constexpr rgb color_failed{232, 72, 72};     // red: done with an exception

// Waiting, by wait reason.
inline constexpr rgb color_wait_sleep{72, 132, 232};     // blue
inline constexpr rgb color_wait_io{240, 140, 48};        // orange
inline constexpr rgb color_wait_join{168, 104, 224};     // purple
inline constexpr rgb color_wait_channel{48, 184, 184};   // teal
inline constexpr rgb color_wait_event{224, 96, 168};     // pink
inline constexpr rgb color_wait_yield{150, 150, 150};    // gray
inline constexpr rgb color_wait_lock{196, 112, 80};      // brown: mutex, semaphore
inline constexpr rgb color_wait_other{110, 120, 140};    // slate: spawn, none

inline constexpr rgb wait_color(traces::wait_reason reason) {
    using traces::wait_reason;
    switch (reason) {
    case wait_reason::sleep: return color_wait_sleep;
    case wait_reason::io: return color_wait_io;
    case wait_reason::join: return color_wait_join;
    case wait_reason::channel: return color_wait_channel;
    case wait_reason::event: return color_wait_event;
    case wait_reason::yield: return color_wait_yield;
    case wait_reason::mutex:
    case wait_reason::semaphore: return color_wait_lock;
    default: return color_wait_other; // none, spawn, and reasons added later
    }
}

// The color of a task in a state (the wait reason matters only while waiting).
inline constexpr rgb state_color(inspector::task_state state, traces::wait_reason reason,
                                 traces::exit_status status = traces::exit_status::ok) {
    using inspector::task_state;
    switch (state) {
    case task_state::ready: return color_ready;
    case task_state::running: return color_running;
    case task_state::waiting: return wait_color(reason);
    case task_state::done: return status == traces::exit_status::failed ? color_failed : color_done;
    }
    return color_done;
}

} // namespace coroscope::gui
