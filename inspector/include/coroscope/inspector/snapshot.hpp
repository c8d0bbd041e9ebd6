#pragma once
// The state of every task at one point of a trace: what a debugger shows when paused there.
// A snapshot is a pure fold: start empty, apply() each event in order.
#include <coroscope/traces/event.hpp>

#include <cstdint>
#include <deque>
#include <memory>
#include <string_view>
#include <vector>

namespace coroscope::inspector {

enum class task_state : std::uint8_t { ready, running, waiting, done };
std::string_view to_string(task_state state);

// One frame of a task's nested (async) call stack; both fields are string ids of the trace.
struct frame_info {
    std::uint32_t function = 0; // the coroutine function (or the friendly name given with named())
    std::uint32_t location = 0; // "file:line" of its definition
    bool operator==(const frame_info&) const = default;
};

struct task_snapshot {
    std::uint32_t id = 0;
    bool known = false;                 // the task has appeared in the events folded so far
    task_state state = task_state::ready;
    traces::wait_reason reason = traces::wait_reason::none; // while waiting
    std::uint32_t target = 0;           // what it waits on: task id (join), timer/resource/object id
    std::uint64_t deadline_ns = 0;      // while sleeping
    traces::exit_status status = traces::exit_status::ok; // once done
    std::uint32_t error = 0;            // string id of the exception text (failed tasks), else 0
    std::uint64_t steps = 0;            // steps the task has run so far
    std::vector<frame_info> stack;      // outermost first, innermost last
    std::vector<frame_info> thrown_stack; // for a failed task: the stack where its exception was thrown
};

// What apply() changed, so that undo() can take one event back out of a snapshot (stepping back
// costs what stepping forward cost). Filled by apply(e, &u).
struct snapshot_undo {
    struct frames {
        std::vector<frame_info> stack;        // the stack an exit cleared
        std::vector<frame_info> thrown_stack; // the thrown stack the event replaced
    };
    std::uint64_t last_ts = 0;
    std::uint64_t deadline_ns = 0;
    std::uint32_t running = 0;
    std::uint32_t task_count = 0; // tasks().size() before (ensure() may have grown it)
    std::uint32_t target = 0;
    std::uint32_t error = 0;
    std::uint32_t queue_pos = 0;  // run-queue position the event took the task from
    frame_info popped;            // frame_exit: the frame it popped
    std::uint8_t queue_op = 0;    // see snapshot.cpp
    bool known = false;
    bool popped_valid = false;
    task_state state = task_state::ready;
    traces::wait_reason reason = traces::wait_reason::none;
    traces::exit_status status = traces::exit_status::ok;
    std::unique_ptr<frames> saved; // only when the event replaced a non-empty stack
};

class snapshot {
public:
    void apply(const traces::event& e) { apply(e, nullptr); }
    // Applies e and records in *undo how to take it back (undo may be null).
    void apply(const traces::event& e, snapshot_undo* undo);
    // Takes back the last event applied, given what its apply() recorded.
    void undo(const traces::event& e, snapshot_undo& undo);

    // A compact copy (checkpoint) of the whole snapshot, and its inverse. Every field of the
    // snapshot must be written by save(), read by load() and restored by undo().
    void save(std::vector<std::uint8_t>& out) const;
    void load(const std::vector<std::uint8_t>& in);

    // Tasks by id (index = id - 1; ids are dense from 1). Unknown ids return nullptr.
    const task_snapshot* task(std::uint32_t id) const {
        return id >= 1 && id <= m_tasks.size() && m_tasks[id - 1].known ? &m_tasks[id - 1] : nullptr;
    }
    const std::vector<task_snapshot>& tasks() const { return m_tasks; }
    // Task ids in the run queue, in the order the scheduler will run them.
    const std::deque<std::uint32_t>& run_queue() const { return m_run_queue; }
    // The task running now (between its resume and its suspend/exit), 0 if none.
    std::uint32_t running() const { return m_running; }
    std::uint64_t events_applied() const { return m_events; }
    std::uint64_t last_ts() const { return m_last_ts; }

private:
    // The task's entry, made known. Inline for the common case (the table already holds it): it
    // runs once per event of the fold; grow() extends the table for a new id.
    task_snapshot& ensure(std::uint32_t id) {
        if (id > m_tasks.size()) return grow(id);
        task_snapshot& t = m_tasks[id - 1];
        t.known = true;
        return t;
    }
    task_snapshot& grow(std::uint32_t id);

    std::vector<task_snapshot> m_tasks;
    std::deque<std::uint32_t> m_run_queue;
    std::uint32_t m_running = 0;
    std::uint64_t m_events = 0;
    std::uint64_t m_last_ts = 0;
};

} // namespace coroscope::inspector
