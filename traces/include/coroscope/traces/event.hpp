#pragma once
// The event record: the one contract between the scheduler (which emits events) and the
// inspector (which folds them). Every field's meaning is stated here and in traces/README.md.
#include <cstdint>
#include <string_view>

namespace coroscope::traces {

// What happened. Values are part of the file format: append only, never renumber.
enum class event_kind : std::uint8_t {
    trace_start = 0,    // first event of a trace; a = process id
    trace_end = 1,      // last event of a complete trace; a = live tasks left
    task_spawn = 2,     // task = new task; a = parent task (0 = none); b = name string id
    task_ready = 3,     // task entered the run queue; code = wait_reason it was woken from; a = waker task (0 = the loop)
    task_resume = 4,    // a step begins: the scheduler resumes task (step = this step's number)
    task_suspend = 5,   // the step ends with the task waiting; code = wait_reason; a = target (task, resource or object id); b = deadline ns for sleeps
    task_exit = 6,      // the step ends with the task done; code = exit_status; a = exception text string id (0 = none)
    frame_enter = 7,    // task pushed a frame; a = function name string id; b = source location ("file:line") string id
    frame_exit = 8,     // task popped its innermost frame; code = 1 when it left by exception; a = exception text string id
    resource_open = 9,  // a = resource id; code = resource_kind; b = label string id
    resource_close = 10,// a = resource id
    io_wait = 11,       // task waits on resource a; code = io_direction
    io_ready = 12,      // resource a became ready for direction code; b = bytes (>= 0) or a negative libuv status; task = waiter woken (0 = none)
    timer_arm = 13,     // task armed timer a, due at b (ns since trace start)
    timer_fire = 14,    // timer a fired for task
    tick_begin = 15,    // a scheduler pass begins (tick = its number); a = tasks ready at its start
    poll_begin = 16,    // the loop polls IO; a = timeout in ms (0xffffffff = until an event)
    poll_end = 17,      // the poll returned; a = callbacks that ran
    mark = 18,          // user annotation; task = the task that made it; a = text string id
    dropped = 19,       // b = events that were lost before this point (buffer full)
    control = 20,       // a debugger command took effect; code = control_kind
    unobserved_failure = 21, // task failed and nobody can read its exception (no join handle left); a = exception text string id
    acquire = 22,       // (1.2) task now holds the mutex / a permit of the semaphore a; code = wait_reason mutex or semaphore
    release = 23,       // (1.2) task (0 = outside a step) gave back mutex / b permits of semaphore a; code = wait_reason mutex or semaphore
};
inline constexpr int event_kind_count = 24;

// Why a task waits; also the cause recorded with task_ready.
enum class wait_reason : std::uint8_t {
    none = 0, sleep = 1, io = 2, join = 3, channel = 4, event = 5, yield = 6, mutex = 7, semaphore = 8, spawn = 9,
    cancel = 10, // only as a task_ready cause: the task was cancelled while waiting
};
inline constexpr int wait_reason_count = 11;

enum class exit_status : std::uint8_t { ok = 0, failed = 1, cancelled = 2 };
enum class resource_kind : std::uint8_t { timer = 0, tcp = 1, pipe = 2, signal = 3, process = 4 };
enum class io_direction : std::uint8_t { read = 0, write = 1, connect = 2, accept = 3, exit = 4 };
enum class control_kind : std::uint8_t { pause = 0, resume = 1, step = 2, tick = 3, breakpoint = 4 };

// One record. Fixed size so that vectors of events are cheap to scan and copy.
struct event {
    std::uint64_t ts_ns = 0;   // nanoseconds since trace start, monotonic
    std::uint64_t step = 0;    // the step running when emitted; between steps, the next step to run
    std::uint32_t tick = 0;    // the scheduler pass this event belongs to
    std::uint32_t task = 0;    // the task concerned (ids start at 1; 0 = none)
    event_kind kind = event_kind::trace_start;
    std::uint8_t code = 0;     // kind-specific small value (wait_reason, exit_status, direction, ...)
    std::uint16_t reserved = 0;
    std::uint32_t a = 0;       // kind-specific, see event_kind
    std::uint64_t b = 0;       // kind-specific, see event_kind

    friend bool operator==(const event&, const event&) = default;
};
static_assert(sizeof(event) == 40, "event is part of the in-memory contract; keep it 40 bytes");

// Stable lowercase names, used by the JSON Lines encoding, the CLI and the GUI.
std::string_view to_string(event_kind kind);
std::string_view to_string(wait_reason reason);
std::string_view to_string(exit_status status);
std::string_view to_string(resource_kind kind);
std::string_view to_string(io_direction direction);
std::string_view to_string(control_kind kind);

// Inverse of to_string(event_kind); false when the name is unknown.
bool parse_event_kind(std::string_view name, event_kind& out);

} // namespace coroscope::traces
