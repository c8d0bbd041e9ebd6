#pragma once
// Facts about the whole trace, folded once over all events (and kept up to date live): each task's
// name, parent and state intervals, where every step and tick begins. The timeline draws this.
#include <coroscope/inspector/byte_arena.hpp>
#include <coroscope/inspector/chunked_vector.hpp>
#include <coroscope/inspector/index_iterator.hpp>
#include <coroscope/inspector/snapshot.hpp>
#include <coroscope/traces/event.hpp>

#include <compare>
#include <cstddef>
#include <cstdint>
#include <iterator>
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

// A task's state intervals, stored compactly (~4 bytes each: varint deltas of begin timestamp and
// step, and one byte of state and reason). Reads look like a vector of state_interval returned by
// value: size(), operator[], back(), random-access iterators. An interval ends where the next one
// begins; the last one ends at the task's exit (or is open while the task lives).
//
// The bytes live in segments of the history's byte_arena (32 bytes, doubling to 16 KiB; an
// interval never spans two), shared by all tasks: nothing is copied as a list grows, and all
// tasks' intervals fill the same huge pages. Not copyable (a copy would share the segments).
class interval_list {
    struct decoded {
        std::uint64_t ts = 0, step = 0;
        task_state state = task_state::ready;
        traces::wait_reason reason = traces::wait_reason::none;
    };
    struct read_cursor {
        std::size_t index = static_cast<std::size_t>(-1); // the interval decoded last (none yet)
        std::uint64_t offset = 0;                         // position just after it (see m_group)
        decoded cur;
    };

public:
    interval_list() = default;
    interval_list(const interval_list&) = delete;
    interval_list& operator=(const interval_list&) = delete;
    interval_list(interval_list&&) noexcept = default;
    interval_list& operator=(interval_list&&) noexcept = default;

    std::size_t size() const { return m_count; }
    bool empty() const { return m_count == 0; }
    state_interval operator[](std::size_t i) const {
        read_cursor fresh;
        return read(i, fresh);
    }
    state_interval back() const { return (*this)[m_count - 1]; }
    // Bytes of its segments and indexes (the arena's unused room is counted by the history).
    std::size_t segment_bytes() const { return m_segment_bytes; }
    std::size_t bytes_held() const {
        return m_segment_bytes + m_segments.capacity() * sizeof(segment) + m_group.capacity() * sizeof(std::uint64_t);
    }

    class iterator : public index_iterator<iterator> {
    public:
        using value_type = state_interval;
        using pointer = void;
        using reference = state_interval;
        iterator() = default;
        iterator(const interval_list* list, std::size_t index) : index_iterator<iterator>(index), m_list(list) {}
        state_interval operator*() const { return m_list->read(m_index, m_cursor); }

    private:
        const interval_list* m_list = nullptr;
        mutable read_cursor m_cursor; // so that reading in order decodes each interval once
    };
    iterator begin() const { return iterator(this, 0); }
    iterator end() const { return iterator(this, m_count); }

    // --- written by history only ---
    // Begins a new interval (the previous one, if open, ends at ts), its bytes from `arena`.
    void push(byte_arena& arena, std::uint64_t ts, std::uint64_t step, task_state s, traces::wait_reason r);
    // Ends the last interval at ts (the task exited).
    void close(std::uint64_t ts) { m_end_ts = ts; }
    bool open() const { return m_count > 0 && m_end_ts == state_interval::open_end; }
    task_state last_state() const { return m_last_state; }
    traces::wait_reason last_reason() const { return m_last_reason; }

private:
    static constexpr std::size_t group = 16; // an index entry every `group` intervals
    static constexpr std::uint32_t first_segment_bytes = 32;
    static constexpr std::uint32_t max_segment_bytes = 16u << 10;
    struct segment {
        std::uint8_t* data;
        std::uint32_t used;
        std::uint32_t capacity;
    };
    // Interval i, given where an earlier read stopped (reading i or i + 1 next is cheap).
    state_interval read(std::size_t i, read_cursor& cursor) const;
    // Decodes the interval at position `at` (its deltas are against `prev`) and moves `at` past it.
    decoded decode_from(std::uint64_t& at, const decoded& prev) const;

    std::vector<segment> m_segments;
    std::size_t m_segment_bytes = 0;     // their capacities, summed
    // Position (segment << 32 | byte offset in it) of intervals 0, group, 2*group, ...
    std::vector<std::uint64_t> m_group;
    std::size_t m_count = 0;
    std::uint64_t m_end_ts = state_interval::open_end;
    std::uint64_t m_last_ts = 0, m_last_step = 0;
    task_state m_last_state = task_state::ready;
    traces::wait_reason m_last_reason = traces::wait_reason::none;
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
    interval_list intervals;
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
    // Bytes held by the tables and every task's intervals.
    std::size_t bytes_held() const;

private:
    // The task's entry, made known (from ts) if it was not. Inline for the common case (a task
    // already known): it runs once or twice per event of the fold.
    task_history& ensure(std::uint32_t id, std::uint64_t ts) {
        if (id <= m_tasks.size() && m_tasks[id - 1].known) return m_tasks[id - 1];
        return ensure_slow(id, ts);
    }
    task_history& ensure_slow(std::uint32_t id, std::uint64_t ts);
    void enter_state(task_history& t, std::uint64_t ts, std::uint64_t step, task_state s, traces::wait_reason r);

    // Every task's intervals live in m_interval_bytes (declared first: destroyed after the lists).
    byte_arena m_interval_bytes;
    std::vector<task_history> m_tasks;
    // One entry per step or tick: millions in a long live session, so chunked (never copied on growth).
    chunked_vector<std::uint64_t> m_step_begin;
    chunked_vector<std::uint32_t> m_step_task;
    chunked_vector<std::uint64_t> m_step_ts;
    chunked_vector<std::uint64_t> m_tick_first_step;
    std::uint64_t m_first_ts = 0;
    std::uint64_t m_last_ts = 0;
    bool m_any = false;
    bool m_ended = false;
};

} // namespace coroscope::inspector
