#pragma once
// Export to the Chrome trace-event JSON format (opens in Perfetto, chrome://tracing, Speedscope):
//
//   - metadata: one process per trace (pid = the header's pid, named after the producer), one
//     thread per task (tid = task id, thread_name = task name) and tid 0 "scheduler loop";
//   - one "X" complete slice per step (ts/dur in microseconds, cat "step"), named after the task's
//     innermost frame when the step ended (short function name; the frame it ran in when it ended
//     with its task; else the task name), args {step, tick, task, end};
//   - "i" instant events for io_ready (on the woken task, or the loop) and timer_fire, and for mark;
//   - flow events ("s" -> "f", bound to the enclosing slices): cat "spawn" from the spawning step
//     to the spawned task's first step, cat "wake" from the step that readied a task (task_ready
//     with a waker other than the task itself, not for spawns) to the woken task's next step;
//   - with options.polls, "X" slices cat "poll" on the loop thread from poll_begin to poll_end.
//
// A step still running at the end of the trace lasts until the last event.
#include <coroscope/traces/trace.hpp>

#include <nlohmann/json.hpp>

namespace coroscope::inspector {

struct chrome_options {
    bool polls = false; // also show the loop's IO polls as slices on tid 0
};

// {"traceEvents":[...],"displayTimeUnit":"ns","otherData":{...}}
nlohmann::json chrome_trace(const traces::trace& t, const chrome_options& options = {});

} // namespace coroscope::inspector
