#pragma once
// The scheduler: a FIFO run queue of tasks on one libuv loop, instrumented so that every step,
// nested frame, wait and wake-up can be recorded as events (see traces/event.hpp).
//
// One pass of run() is a tick: each task that was ready when the pass began runs one step (until it
// suspends or ends), then the loop polls IO once (without blocking when tasks are ready).
#include <coroscope/detail/context.hpp>
#include <coroscope/detail/loop_alive.hpp>
#include <coroscope/detail/run_queue.hpp>
#include <coroscope/detail/task_record.hpp>
#include <coroscope/detail/trace_clock.hpp>
#include <coroscope/join_handle.hpp>
#include <coroscope/task.hpp>
#include <coroscope/traces/sink.hpp>

#include <uv.h>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace coroscope {

class scheduler {
public:
    // Runs on `loop`, which the caller owns and closes after the scheduler is destroyed.
    explicit scheduler(uv_loop_t* loop);
    ~scheduler(); // destroys any task still alive and closes the scheduler's own handles
    scheduler(const scheduler&) = delete;
    scheduler& operator=(const scheduler&) = delete;

    // Starts recording into `sink` (header, then trace_start). Call before spawning anything.
    // In a build with COROSCOPE_INSTRUMENTATION=OFF nothing is recorded (see detail/instrumentation.hpp).
    void record_to(traces::event_sink& sink, traces::header header);
    // Emits trace_end and flushes. Called by run() when recording; harmless to call twice.
    void end_recording();

    // Makes `body` a task (a microthread) named `name`, ready to run. Its parent is the task
    // running now, if any. The returned handle can be awaited for the result, or dropped.
    template <typename T>
    join_handle<T> spawn(task<T> body, std::string name);

    // Runs until every task is done, or until no task can make progress (see stuck()).
    void run();
    // Scheduling policy. FIFO (the default) runs the tasks of a tick in run-queue order; random
    // picks each next task among the tick's remaining ones with a PRNG seeded by `seed`, so the
    // same program, seed and inputs give the same sequence of steps.
    void use_random_policy(std::uint64_t seed);
    // Cancels a task (see cancel.hpp): a waiting task is woken and its await point throws.
    void cancel(detail::task_record& task);

    // --- debugger control (the live agent drives these from loop callbacks) -------------------
    enum class pause_reason : std::uint8_t { pause, step, tick, breakpoint };
    // Told about pauses and steps; all calls come from the loop's thread, inside run().
    class debugger {
    public:
        virtual ~debugger() = default;
        // Before `task` runs a step: true pauses before it runs (a "task resumed" breakpoint).
        virtual bool break_before(std::uint32_t task) = 0;
        // After every step, once the step's events have reached the sink.
        virtual void after_step() = 0;
        // After every poll of the loop (running or paused), once its events have reached the sink.
        virtual void after_poll() = 0;
        // The scheduler stopped running steps (paused before the next one), or runs again.
        virtual void pause_changed(bool paused, pause_reason why) = 0;
        // Nothing is ready and libuv has nothing left that could wake a task: true pauses there
        // (a breakpoint) instead of ending run() stuck; asked again when it goes on.
        virtual bool break_stuck() { return false; }
    };
    // Attaches a debugger: events are handed to the sink after every step rather than every poll.
    void attach_debugger(debugger* d) {
        m_debugger = d;
        stop_direct();
    }
    // Stops before the next step. While paused the loop keeps polling: IO and timers are
    // recorded and tasks become ready, but none runs.
    void pause(pause_reason why = pause_reason::pause);
    // Runs freely again.
    void resume();
    // Runs exactly `count` steps, then pauses.
    void step(std::uint64_t count = 1);
    // Runs to the `count`-th next tick boundary (after a tick's poll, before the next tick), then pauses.
    void tick(std::uint64_t count = 1);
    bool paused() const { return m_paused; }
    // Whether the current tick has begun and not finished (false = at a tick boundary).
    bool inside_tick() const { return m_tick_open; }
    // run() ended with tasks still waiting on something that can never happen.
    bool stuck() const { return m_stuck; }
    // One line per live task saying what it waits on (for the stuck report).
    std::string describe_waiting() const;
    std::size_t live_tasks() const { return m_tasks.size(); }
    std::uint64_t steps() const { return m_step; }
    std::uint32_t ticks() const { return m_tick; }
    uv_loop_t* loop() const { return m_loop; }
    bool tracing() const { return detail::instrumented && m_sink != nullptr; }

    // The scheduler running the current step (nullptr outside of steps).
    static scheduler* current() { return detail::current.sched; }

    // --- for awaitables -----------------------------------------------------------------------
    // Puts a waiting task back in the run queue, recording why and who woke it.
    void make_ready(detail::task_record& task, traces::wait_reason cause, std::uint32_t waker);
    // Wakes `task` (waiting with reason sleep) when the monotonic clock reaches `due_ns`.
    void wake_at(detail::task_record& task, std::uint64_t due_ns);
    // Nanoseconds on the scheduler's monotonic clock (uv_hrtime based, 0 = scheduler creation).
    std::uint64_t now_ns() const;
    // Records an event for the current step or loop phase (no-op when not recording).
    void emit(traces::event_kind kind, std::uint32_t task, std::uint8_t code = 0, std::uint32_t a = 0,
              std::uint64_t b = 0) {
        if constexpr (detail::instrumented)
            if (m_sink) [[unlikely]]
                emit_slow(kind, task, code, a, b);
    }
    // Records an event from a libuv callback, stamped with the current time (inside a step it keeps
    // the step's timestamp, like emit()). No-op when not recording.
    void emit_now(traces::event_kind kind, std::uint32_t task, std::uint8_t code = 0, std::uint32_t a = 0,
                  std::uint64_t b = 0) {
        if constexpr (detail::instrumented)
            if (m_sink) [[unlikely]] {
                if (!m_in_step) m_step_ts = stamp();
                emit_slow(kind, task, code, a, b);
            }
    }
    // Counts one libuv callback in the current poll (reported by poll_end). Call it from IO callbacks.
    void note_callback() { ++m_callbacks; }
    // Interns a string for the trace, returning its id (0 when not recording).
    std::uint32_t intern(std::string_view text);
    std::uint32_t intern_location(const char* file, std::uint32_t line);
    std::uint32_t intern_function(const char* name);
    // Allocates a fresh id for a resource or a synchronization object.
    std::uint32_t next_object_id() { return ++m_object_ids; }
    // For yield() (yield.hpp): ends the running task's step with the task put back in the run queue,
    // and returns the frame to resume next. On the plain path (see run_fifo_steps) that is the next
    // ready task's frame, whose step begins right here (a direct hand-over, without returning to the
    // step loop); otherwise a no-op frame, i.e. back to the step loop, which puts the task back.
    // Inline, with no call: a few loads and stores (with two tasks ping-ponging, every other
    // hand-over also crosses a tick boundary). Anything else takes yield_switch_slow.
    std::coroutine_handle<> yield_switch(detail::task_record& self, std::coroutine_handle<> waiting) noexcept {
        if (--m_direct_left < 0) [[unlikely]] {
            // The tick's end, or the chain's limit (then back to the loop), or no hand-over allowed
            // at all (stop_direct). At the tick's end the next tick begins here if libuv has
            // nothing to deliver (else run() polls first) and another task is ready (self alone:
            // yield_switch_slow), as run_fifo_steps begins it after run_step<false> has put self
            // back: its batch is every ready task, self last.
            std::uint64_t next_step = m_step + 1;
            if (next_step != m_tick_end || next_step >= m_direct_limit || m_ready.empty() || detail::loop_alive(m_loop))
                return yield_switch_slow(self, waiting);
            std::size_t batch = m_ready.size() + 1;
            ++m_tick;
            m_tick_end = next_step + batch;
            m_direct_left = std::min(static_cast<std::int64_t>(batch), static_cast<std::int64_t>(m_direct_limit - next_step)) - 1;
        }
        // A first step goes through the loop (first_step). At a tick boundary the tick has begun
        // above: the loop then runs the front task's first step as the new tick's first, as it
        // would have after beginning that tick itself.
        if (!m_ready.front()->started) [[unlikely]]
            return yield_switch_slow(self, waiting);
        return hand_over(self, waiting);
    }

private:
    friend struct introspection; // introspect.hpp: reads the task table and run queue, changes nothing
    struct sleeper {
        std::uint64_t due_ns;
        std::uint64_t sequence; // ties wake in the order they slept
        detail::task_record* task;
        std::uint32_t timer_id;
        bool operator<(const sleeper& other) const {
            return due_ns != other.due_ns ? due_ns < other.due_ns : sequence < other.sequence;
        }
    };
    static void leave_sleepers(detail::task_record& task, void* self);

    void adopt(std::shared_ptr<detail::task_record> record);
    void begin_tick();
    bool hold() const { return m_paused; }
    void enter_pause(pause_reason why);
    void announce_pause();
    void wait_while_paused();
    std::size_t pick_next(std::size_t candidates);
    // Whether the debugger is consulted (never in a build without instrumentation).
    bool debugging() const { return detail::instrumented && m_debugger != nullptr; }
    // Steps can run back to back: no debugger, FIFO, no pause, no step or tick budget pending.
    bool fifo_run() const {
        return !debugging() && !m_random_policy && !m_paused && m_step_budget == 0 && m_tick_budget == 0;
    }
    template <bool Traced>
    void run_fifo_steps();
    // One step of `task`, recording it when Traced (the plain path has no instrumentation branch).
    template <bool Traced>
    [[gnu::always_inline]] inline void run_step(detail::task_record& task);
    void first_step(detail::task_record& task, std::coroutine_handle<> body);
    // make_ready's run-queue half: what a task put back by its own awaitable (yield) needs.
    void enqueue(detail::task_record& task) {
        task.state = detail::task_state::ready;
        task.unwait = nullptr;
        task.unwait_context = nullptr;
        task.reason = traces::wait_reason::none;
        task.target = 0;
        m_ready.push_back(&task);
    }
    // A timestamp for events: the trace clock, in nanoseconds since the trace's start.
    std::uint64_t stamp() { return m_clock.now() - m_origin_ns; }
    void finish_task(detail::task_record& task);
    void poll_io();
    void arm_timer();
    static void on_timer(uv_timer_t* timer);
    void emit_slow(traces::event_kind kind, std::uint32_t task, std::uint8_t code, std::uint32_t a, std::uint64_t b);
    // emit() for the step loop's recorded path: the same event, written in place at the call
    // (scheduler.cpp only), so the 3.5 events of a recorded task switch cost no call each.
    void emit_inline(traces::event_kind kind, std::uint32_t task, std::uint8_t code = 0, std::uint32_t a = 0,
                     std::uint64_t b = 0);
    bool grow_pending(); // false when the bound is reached
    void flush_events();

    uv_loop_t* m_loop;
    // What every task switch reads and writes, together (two cache lines).
    detail::run_queue m_ready;
    std::uint64_t m_step = 0;        // the next step's number (the running step's while one runs)
    std::uint32_t m_tick = 0;
    // The step number at which the current tick's batch ends: the tasks that were ready when the
    // tick began run steps m_tick_end - size ... m_tick_end - 1 (between steps, m_tick_end - m_step
    // are still to run). An end rather than a count left, so a step changes one counter (m_step).
    std::uint64_t m_tick_end = 0;
    std::uint64_t tick_left() const { return m_tick_end - m_step; } // between steps
    // Direct hand-overs from yield_switch, at most direct_chain_limit in a row before control returns
    // to the step loop: bounded because a hand-over is a tail call only when the compiler makes it
    // one (not at -O0 or under ASan), so each may cost a stack frame until the chain returns.
    // A step numbered below m_direct_limit may begin by a hand-over. m_direct_left counts the
    // hand-overs the running step's task may still make before yield_switch must look: as many as
    // steps before the tick's end or that limit, whichever comes first, so that the inline path
    // costs one decrement and one sign test (minus one: look at the next yield). Set by
    // run_fifo_steps<false> before each step it runs and at each tick boundary crossed directly
    // (allow_direct); stop_direct() everywhere else (recording, debugger, random policy, pauses
    // and budgets all go through the loop).
    std::int64_t m_direct_left = -1;
    std::uint64_t m_direct_limit = 0;
    // For the running step `step`: hand-overs allowed until the tick's end or the chain's limit.
    void allow_direct(std::uint64_t step) {
        m_direct_left = static_cast<std::int64_t>(std::min(m_tick_end, m_direct_limit)) - static_cast<std::int64_t>(step + 1);
    }
    void stop_direct() {
        m_direct_left = -1;
        m_direct_limit = 0;
    }
    uv_timer_t m_timer{};
    std::uint64_t m_origin_ns;
    std::unordered_map<std::uint32_t, std::shared_ptr<detail::task_record>> m_tasks; // live tasks by id
    std::set<sleeper> m_sleepers; // ordered by due time; cancelled sleepers are erased
    bool m_random_policy = false;
    std::uint64_t m_rng_state = 0; // splitmix64 state of the random policy
    std::uint64_t m_sleep_sequence = 0;
    std::uint32_t m_next_task_id = 1;
    std::uint32_t m_object_ids = 0;
    std::uint32_t m_callbacks = 0;   // loop callbacks that ran in the current poll
    bool m_stuck = false;
    // Debugger control state.
    debugger* m_debugger = nullptr;
    bool m_paused = false;
    bool m_pause_announced = false;    // the debugger was told (the loop has stopped running steps)
    pause_reason m_pause_why = pause_reason::pause;
    bool m_tick_open = false;          // a tick has begun: its tick_begin was emitted
    std::uint64_t m_step_budget = 0;   // steps to run before pausing (0 = no limit)
    std::uint64_t m_tick_budget = 0;   // tick boundaries to pass before pausing (0 = no limit)
    bool m_break_checked = false;      // the front task already passed break_before (resume runs it)
    bool m_have_pick = false;          // m_pick was drawn for the next step (kept across a pause)
    std::size_t m_pick = 0;
    std::coroutine_handle<> yield_switch_slow(detail::task_record& self, std::coroutine_handle<> waiting) noexcept;
    // The hand-over itself, once yield_switch has checked that the front task may run next in this
    // tick: self's step ends as run_step<false> ends a yield's step (self back in the run queue, the
    // step counted) and the front task's begins as run_step<false> begins one (current). No state
    // is written: running is "ready and current" (see task_state), and a running task's wait
    // fields are already clear (enqueue cleared them when it became ready, and an awaitable sets
    // them only when it suspends). The front's resume_point is left as it is (stale while it runs).
    std::coroutine_handle<> hand_over(detail::task_record& self, std::coroutine_handle<> waiting) noexcept {
        assert(self.reason == traces::wait_reason::none && self.unwait == nullptr && self.target == 0);
        assert(self.state == detail::task_state::ready);
        detail::task_record* next = m_ready.rotate(&self); // first: the stores below may alias the queue's links
        ++m_step;
        self.resume_point = waiting;
        detail::current.task = next;
        return next->resume_point;
    }
    bool m_in_step = false;
    std::uint64_t m_step_ts = 0;     // the running step's timestamp, shared by its events
    bool m_clock_fresh = false;      // m_step_ts was read just now (no poll, flush or callback since)
    std::uint64_t m_clock_synced_step = 0; // the step at which m_clock was last re-anchored

    // Recording state.
    traces::event_sink* m_sink = nullptr;
    detail::trace_clock m_clock;          // started by record_to
    // Events not yet handed to the sink: m_pending_size of m_pending_room slots (bounded).
    std::unique_ptr<traces::event[]> m_pending;
    std::size_t m_pending_size = 0;
    std::size_t m_pending_room = 0;
    std::uint64_t m_dropped = 0;          // events lost because m_pending was full, not yet reported
    std::unordered_map<std::string, std::uint32_t> m_strings;
    std::unordered_map<const void*, std::uint32_t> m_function_ids;
    struct location_key {
        const char* file;
        std::uint32_t line;
        bool operator==(const location_key&) const = default;
    };
    struct location_hash {
        std::size_t operator()(const location_key& k) const noexcept {
            return std::hash<const void*>{}(k.file) * 31 + k.line;
        }
    };
    std::unordered_map<location_key, std::uint32_t, location_hash> m_location_ids;
    std::uint32_t m_next_string_id = 1;
    bool m_recording_ended = false;
};

template <typename T>
join_handle<T> scheduler::spawn(task<T> body, std::string name) {
    auto record = std::make_shared<detail::typed_task_record<T>>(std::move(body));
    record->name = std::move(name);
    record->resume_point = record->root.handle();
    record->root.handle().promise().m_task = record.get();
    join_handle<T> handle(record);
    adopt(std::move(record));
    return handle;
}

} // namespace coroscope
