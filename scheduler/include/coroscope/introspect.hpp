#pragma once
// The scheduler's own view of its tasks, read without changing anything: what the inspector's
// self-check compares the model with (COROSCOPE_SELF_CHECK, see self_check.hpp). Taken between
// steps, it is "the state before the next step": no task is running.
#include <coroscope/traces/event.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace coroscope {

class scheduler;

// One frame of a task's nested stack, named exactly as frame_enter events name it.
struct frame_view {
    std::string function; // the friendly name given with named(), else the coroutine function's name
    std::string location; // "file:line" of its definition
};

struct task_view {
    std::uint32_t id = 0;
    std::uint32_t parent = 0;
    std::string name;
    std::string_view state;                                  // "ready", "running", "waiting" (live tasks only)
    traces::wait_reason reason = traces::wait_reason::none; // while waiting
    std::uint32_t target = 0;                               // what it waits on, while waiting
    std::vector<frame_view> frames;                         // outermost first, innermost last
};

struct scheduler_view {
    std::uint64_t step = 0;              // the next step to run (the view is the state before it)
    std::uint32_t tick = 0;
    std::vector<task_view> tasks;        // live tasks, by id
    std::vector<std::uint32_t> run_queue; // task ids, front (next to run) first
};

// Reads the scheduler's tasks, run queue and each task's frames (walked from the frame it will
// resume, through each frame's awaiting caller). Call between steps, from the loop's thread.
scheduler_view introspect(const scheduler& s);

// One JSON object on one line (no newline): {"step":N,"tick":T,"run_queue":[...],"tasks":[{"id",
// "parent","name","state","reason","target","frames":[{"function","location"}...]}...]}.
std::string to_json_line(const scheduler_view& v);

} // namespace coroscope
