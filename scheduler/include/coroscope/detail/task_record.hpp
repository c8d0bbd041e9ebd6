#pragma once
// The scheduler's bookkeeping for one task (one microthread). Not part of the user API.
#include <coroscope/traces/event.hpp>

#include <coroutine>
#include <cstdint>
#include <exception>
#include <string>
#include <vector>

namespace coroscope {
class scheduler;
struct promise_base;
}

namespace coroscope::detail {

// ready: runnable, i.e. in the run queue or running. Which ready task runs is not stored in the
// record: it is detail::current.task (so a task switch writes no state). introspect() reports it
// as "running".
enum class task_state : std::uint8_t { ready, waiting, done };

struct task_record {
    virtual ~task_record() = default;
    // Moves the root frame's result or exception into the record and frees the root frame.
    virtual void harvest_root() = 0;
    // The root frame's promise (to name the root frame when the task first runs).
    virtual promise_base& root_promise() = 0;
    // Frees the root frame (and so every nested frame) of a task that never finished.
    virtual void destroy_root() = 0;

    std::uint32_t id = 0;
    std::uint32_t parent = 0;
    std::string name;
    task_state state = task_state::ready;
    traces::wait_reason reason = traces::wait_reason::none; // why it waits (valid while waiting)
    std::uint32_t target = 0;                               // what it waits on (task, resource, object id)
    std::uint64_t deadline_ns = 0;                          // for sleeps: when it is due
    // The innermost frame to resume next. While the task runs it still holds the frame the step
    // began in (stale: not cleared, to save a store per task switch); nothing reads it then.
    std::coroutine_handle<> resume_point;
    task_record* next_ready = nullptr; // the task behind this one in the run queue (run_queue.hpp)
    // A frame to run next within the current step: a child being called, or the caller of a
    // child that returned. The scheduler's step loop resumes it (a trampoline), so chains of
    // nested calls never grow the C++ stack, with or without tail calls (e.g. under ASan).
    std::coroutine_handle<> transfer;
    bool started = false;
    bool finished = false;      // the root frame reached its final suspend point
    bool requeue = false;       // the awaitable asked to be put back in the run queue (yield)
    bool error_observed = false;// somebody joined the task and so saw its exception
    traces::exit_status status = traces::exit_status::ok;
    std::exception_ptr error;
    std::string error_text;
    std::vector<task_record*> joiners; // tasks waiting for this one to end
    bool cancel_requested = false;     // cancel() was called: the next await point throws cancelled
    std::uint64_t sleep_sequence = 0;  // identifies the task's entry in the scheduler's sleep queue
    // Set by the awaitable the task is suspended in: takes the task out of whatever list it waits
    // in (a channel's receivers, a mutex queue, a stream's reader...) when it is cancelled. Cleared
    // whenever the task becomes ready.
    void (*unwait)(task_record& self, void* context) = nullptr;
    void* unwait_context = nullptr;
    std::uint32_t depth = 0;           // frames currently on the task's nested stack
};

} // namespace coroscope::detail
