#pragma once
// Facts about the whole trace, folded once over all events (and kept up to date live): each task's
// name, parent and state intervals, where every step and tick begins. The timeline draws this.
#include <coroscope/inspector/snapshot.hpp>
#include <coroscope/traces/event.hpp>

#include <cstdint>
#include <limits>
#include <vector>

namespace coroscope::inspector {

// A span of time a task spent in one state. An interval still open has end_ts == open_end.
struct state_interval {
    static constexpr std::uint64_t open_end = std::numeric_limits<std::uint64_t>::max();
    std::uint64_t begin_ts = 0;
    std::uint64_t end_ts = open_end;
    std::uint64_t begin_step = 0;  // the step field of the event that began it
    task_state state = task_state::ready;
    traces::wait_reason reason = traces::wait_reason::none;
};

struct task_history {
    std::uint32_t id = 0;
    bool known = false;
    std::uint32_t parent = 0;       // 0 = none (or spawned before the trace began)
    std::uint32_t name = 0;         // string id
    std::uint64_t spawn_ts = 0;
    std::uint64_t end_ts = state_interval::open_end; // when it exited; open_end while alive
    std::uint64_t steps = 0;
    traces::exit_status status = traces::exit_status::ok;
    bool ended = false;
    std::vector<state_interval> intervals;
    std::vector<std::uint32_t> children; // tasks it spawned, in spawn order
};

class history {
public:
    // Folds the event with index `index` in the trace (indices must be consecutive from 0).
    void apply(const traces::event& e, std::uint64_t index);

    const std::vector<task_history>& tasks() const { return m_tasks; }
    const task_history* task(std::uint32_t id) const {
        return id >= 1 && id <= m_tasks.size() && m_tasks[id - 1].known ? &m_tasks[id - 1] : nullptr;
    }
    // Number of steps in the trace so far.
    std::uint64_t step_count() const { return m_step_begin.size(); }
    // Index of the event that begins step n (its task_resume); n < step_count().
    std::uint64_t step_event(std::uint64_t n) const { return m_step_begin[n]; }
    // The task that runs step n.
    std::uint32_t step_task(std::uint64_t n) const { return m_step_task[n]; }
    // Timestamp at which step n began.
    std::uint64_t step_ts(std::uint64_t n) const { return m_step_ts[n]; }
    // Number of ticks seen, and the first step of tick t (== step_count() if none ran yet).
    std::uint64_t tick_count() const { return m_tick_first_step.size(); }
    std::uint64_t tick_first_step(std::uint64_t t) const { return m_tick_first_step[t]; }
    // The last step whose begin timestamp is <= ts (0 when none).
    std::uint64_t step_at_time(std::uint64_t ts) const;
    std::uint64_t first_ts() const { return m_first_ts; }
    std::uint64_t last_ts() const { return m_last_ts; }
    bool ended() const { return m_ended; } // a trace_end was seen

private:
    task_history& ensure(std::uint32_t id, std::uint64_t ts);
    void enter_state(task_history& t, std::uint64_t ts, std::uint64_t step, task_state s, traces::wait_reason r);

    std::vector<task_history> m_tasks;
    std::vector<std::uint64_t> m_step_begin;
    std::vector<std::uint32_t> m_step_task;
    std::vector<std::uint64_t> m_step_ts;
    std::vector<std::uint64_t> m_tick_first_step;
    std::uint64_t m_first_ts = 0;
    std::uint64_t m_last_ts = 0;
    bool m_any = false;
    bool m_ended = false;
};

} // namespace coroscope::inspector
