#include <coroscope/scheduler.hpp>
#include <coroscope/cancel.hpp>
#include <coroscope/detail/loop_alive.hpp>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <stdexcept>

namespace coroscope {

using traces::event_kind;
using traces::wait_reason;

namespace {
constexpr std::size_t pending_flush_threshold = 4096;
// Events held between hand-offs to the sink; beyond this the newest are dropped and counted (a
// single step emitting a million events, say), and a `dropped` event records how many.
constexpr std::size_t pending_capacity = std::size_t{1} << 20;
// Steps between two re-anchorings of the trace clock to uv_hrtime() (done when events are flushed).
constexpr std::uint64_t clock_resync_steps = 4096;
// Direct hand-overs from yield() chained within one step of the step loop (see run_fifo_steps).
// 256: a return to the loop costs ~60 instructions (~0.9 per hand-over at 64, 0.25 at 256); at
// -O0 or under ASan, where each hand-over may keep a stack frame, 256 frames stay well under 1 MiB.
constexpr std::uint32_t direct_chain_limit = 256;

std::string describe(const std::exception_ptr& error) {
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        return e.what();
    } catch (...) {
        return "unknown exception";
    }
}
} // namespace

// --- frame instrumentation (slow path, only while tracing) ------------------------------------

namespace detail {
void trace_frame_enter(promise_base& frame) {
    scheduler* sched = current.sched;
    if (!sched) return;
    std::uint32_t name = frame.m_friendly_name ? sched->intern(frame.m_friendly_name)
                                               : sched->intern_function(frame.m_location.function_name());
    std::uint32_t location = sched->intern_location(frame.m_location.file_name(), frame.m_location.line());
    sched->emit(event_kind::frame_enter, frame.m_task->id, 0, name, location);
}

void trace_frame_exit(promise_base& frame) {
    scheduler* sched = current.sched;
    if (!sched) return;
    std::uint32_t error = frame.m_error ? sched->intern(describe(frame.m_error)) : 0;
    sched->emit(event_kind::frame_exit, frame.m_task->id, frame.m_error ? 1 : 0, error);
}

void request_cancel(task_record& task) {
    if (current.sched) current.sched->cancel(task);
    else task.cancel_requested = true; // outside any step: takes effect at the next await point
}

void report_unobserved_failure(task_record& task) {
    std::fprintf(stderr, "coroscope: task '%s' (id %u) failed and nobody joined it: %s\n", task.name.c_str(),
                 task.id, task.error_text.c_str());
    task.error_observed = true;
    if (scheduler* sched = current.sched)
        sched->emit_now(event_kind::unobserved_failure, task.id, 0, sched->intern(task.error_text));
}
} // namespace detail

// --- lifetime --------------------------------------------------------------------------------

scheduler::scheduler(uv_loop_t* loop) : m_loop(loop), m_origin_ns(uv_hrtime()) {
    uv_timer_init(m_loop, &m_timer);
    m_timer.data = this;
    uv_unref(reinterpret_cast<uv_handle_t*>(&m_timer)); // only pending sleeps keep the loop alive
}

scheduler::~scheduler() {
    // Tasks still alive (stuck, or run() never called): destroy their frames. A root frame owns
    // the nested frames it awaits, so destroying roots frees every frame.
    auto tasks = std::move(m_tasks);
    m_ready.clear();
    m_sleepers.clear();
    for (auto& [id, record] : tasks) {
        (void)id;
        record->state = detail::task_state::done;
        record->joiners.clear();
        record->destroy_root();
    }
    tasks.clear();
    uv_close(reinterpret_cast<uv_handle_t*>(&m_timer), nullptr);
    uv_run(m_loop, UV_RUN_NOWAIT); // let the close complete so uv_loop_close() succeeds
}

std::uint64_t scheduler::now_ns() const { return uv_hrtime() - m_origin_ns; }

void scheduler::adopt(std::shared_ptr<detail::task_record> record) {
    record->id = m_next_task_id++;
    record->parent = detail::current.task ? detail::current.task->id : 0;
    detail::task_record& task = *record;
    if (!m_in_step) m_step_ts = tracing() ? stamp() : 0;
    m_tasks.emplace(task.id, std::move(record));
    if (tracing()) [[unlikely]]
        emit(event_kind::task_spawn, task.id, 0, task.parent, intern(task.name));
    make_ready(task, wait_reason::spawn, task.parent);
}

// --- running ---------------------------------------------------------------------------------

void scheduler::make_ready(detail::task_record& task, wait_reason cause, std::uint32_t waker) {
    enqueue(task);
    emit(event_kind::task_ready, task.id, static_cast<std::uint8_t>(cause), waker);
}

void scheduler::use_random_policy(std::uint64_t seed) {
    m_random_policy = true;
    stop_direct();
    m_rng_state = seed;
}

void scheduler::cancel(detail::task_record& task) {
    if (task.state == detail::task_state::done || task.cancel_requested) return;
    task.cancel_requested = true;
    if (task.state != detail::task_state::waiting) return; // ready (or running): throws at its next await
    if (task.unwait) task.unwait(task, task.unwait_context);
    std::uint32_t by = detail::current.task ? detail::current.task->id : 0;
    make_ready(task, wait_reason::cancel, by);
}

// Inline: the hot loop (run_fifo_steps) begins a tick every few steps.
inline void scheduler::begin_tick() {
    m_tick_open = true;
    m_tick_end = m_step + m_ready.size();
    if (tracing()) [[unlikely]] {
        if (!m_clock_fresh) m_step_ts = stamp();
        emit_inline(event_kind::tick_begin, 0, 0, static_cast<std::uint32_t>(m_ready.size()));
    }
}

void scheduler::run() {
    detail::context saved = detail::current;
    detail::current.sched = this;
    detail::current.tracing = tracing();
    while (!m_tasks.empty()) {
        if (!m_tick_open) {
            if (hold()) {
                wait_while_paused();
                continue;
            }
            begin_tick();
        }
        if (fifo_run()) {
            if (tracing()) run_fifo_steps<true>();
            else run_fifo_steps<false>();
        }
        // Only the tasks ready when the tick began run in it; tasks woken during it wait a tick.
        while (tick_left() > 0 && !hold()) {
            // The pick survives a pause, so a program stepped one step at a time runs the same
            // sequence of steps as when it runs freely.
            if (!m_have_pick) {
                m_pick = pick_next(static_cast<std::size_t>(tick_left()));
                m_have_pick = true;
            }
            detail::task_record* task = m_ready[m_pick]; // walks m_pick links (the random policy's pick)
            if (debugging() && !m_break_checked) {
                m_break_checked = true;
                if (m_debugger->break_before(task->id)) {
                    enter_pause(pause_reason::breakpoint);
                    break;
                }
            }
            m_break_checked = false;
            m_have_pick = false;
            m_ready.take(m_pick);
            if (tracing()) run_step<true>(*task);
            else run_step<false>(*task);
            if (m_pending_size >= pending_flush_threshold) flush_events(); // between steps, not inside them
            if (debugging()) {
                flush_events();
                m_debugger->after_step();
                m_clock_fresh = false;
                if (m_step_budget > 0 && --m_step_budget == 0) enter_pause(pause_reason::step);
            }
        }
        if (tick_left() > 0) { // paused inside the tick
            wait_while_paused();
            continue;
        }
        m_tick_open = false;
        if (m_tasks.empty()) break;
        if (m_ready.empty() && !uv_loop_alive(m_loop)) {
            if (debugging() && m_debugger->break_stuck()) {
                enter_pause(pause_reason::breakpoint);
                continue;
            }
            m_stuck = true; // nothing ready and nothing the loop could deliver
            break;
        }
        poll_io();
        ++m_tick;
        if (m_tick_budget > 0 && --m_tick_budget == 0) enter_pause(pause_reason::tick);
    }
    detail::current = saved;
    flush_events();
}

// The hot path: FIFO steps with no debugger to consult, tick after tick as long as libuv has
// nothing to deliver (then run() polls, exactly as it would have). Untraced, neither a step nor a
// tick boundary has an instrumentation branch (whether a recorder or debugger is attached is
// decided in run(): attach them before run()). It leaves as soon as a step pauses or sets a step
// or tick budget or the random policy.
//
// Untraced, a step that ends in yield() may hand over to the next step's task directly
// (scheduler::yield_switch): it does there what this loop and run_step<false> would do between the
// two steps — put the yielder back, count the step, begin the next tick at a tick boundary with no
// poll to make, take the front task and mark it running — so step numbers, tick numbers, task
// states and the order of steps are exactly those of the loop. It hands over at most
// direct_chain_limit times per step the loop starts; a step whose task has not started yet, a tick
// boundary where libuv has something to deliver, and every pause, budget, debugger, recorder or
// policy change return to this loop (they call stop_direct()).
template <bool Traced>
void scheduler::run_fifo_steps() {
    m_have_pick = false; // FIFO: the next task is always the front one
    for (;;) {
        while (tick_left() > 0 && !m_paused && m_step_budget == 0) {
            detail::task_record* task = m_ready.pop_front();
            if constexpr (!Traced) {
                m_direct_limit = m_step + 1 + direct_chain_limit;
                allow_direct(m_step);
            }
            run_step<Traced>(*task);
            if constexpr (Traced)
                if (m_pending_size >= pending_flush_threshold) flush_events(); // between steps
        }
        // A tick boundary with tasks ready and no poll to make (see poll_io): begin the next tick
        // here, as run() would, without the trip through it.
        if (tick_left() > 0 || m_ready.empty() || m_paused || m_step_budget > 0 || m_tick_budget > 0 ||
            m_random_policy || detail::loop_alive(m_loop)) { // inline: every other recorded switch
            stop_direct();
            return;
        }
        ++m_tick;
        begin_tick();
    }
}

// yield_switch when the inline hand-over does not apply: the front task's first step, a tick
// boundary where libuv has something to deliver (run() polls first), no hand-over allowed (the
// chain's limit, or not the plain path): back to the step loop. Or a tick boundary with self the
// only ready task: it runs the next tick's step itself, as run_fifo_steps would run it after
// run_step<false> put it back.
std::coroutine_handle<> scheduler::yield_switch_slow(detail::task_record& self, std::coroutine_handle<> waiting) noexcept {
    std::uint64_t next_step = m_step + 1;
    if (m_ready.empty() && next_step == m_tick_end && next_step < m_direct_limit && !detail::loop_alive(m_loop)) {
        m_step = next_step;
        ++m_tick;
        m_tick_end = next_step + 1;
        allow_direct(next_step);
        return waiting; // still running, still current
    }
    self.resume_point = waiting;
    self.reason = traces::wait_reason::yield;
    self.target = 0;
    self.requeue = true;
    return std::noop_coroutine();
}

std::size_t scheduler::pick_next(std::size_t candidates) {
    if (!m_random_policy || candidates < 2) return 0;
    // splitmix64: tiny, seedable, and the same on every platform.
    std::uint64_t z = (m_rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return static_cast<std::size_t>(z % candidates);
}

// --- debugger control ------------------------------------------------------------------------

void scheduler::enter_pause(pause_reason why) {
    stop_direct();
    m_step_budget = 0;
    m_tick_budget = 0;
    if (m_paused) return;
    m_paused = true;
    m_pause_announced = false; // announced when the loop actually stops (see wait_while_paused)
    m_pause_why = why;
}

void scheduler::announce_pause() {
    m_pause_announced = true;
    if (tracing()) [[unlikely]] {
        m_step_ts = stamp();
        auto kind = m_pause_why == pause_reason::breakpoint ? traces::control_kind::breakpoint : traces::control_kind::pause;
        emit(event_kind::control, 0, static_cast<std::uint8_t>(kind));
        flush_events();
    }
    if (debugging()) m_debugger->pause_changed(true, m_pause_why);
}

void scheduler::pause(pause_reason why) { enter_pause(why); }

void scheduler::resume() {
    m_step_budget = 0;
    m_tick_budget = 0;
    if (!m_paused) return;
    m_paused = false;
    if (!m_pause_announced) return; // it never stopped: nothing to announce either way
    if (tracing()) [[unlikely]] {
        m_step_ts = stamp();
        emit(event_kind::control, 0, static_cast<std::uint8_t>(traces::control_kind::resume));
    }
    if (debugging()) m_debugger->pause_changed(false, pause_reason::pause);
}

void scheduler::step(std::uint64_t count) {
    if (count == 0) return;
    stop_direct();
    resume();
    m_step_budget = count;
}

void scheduler::tick(std::uint64_t count) {
    if (count == 0) return;
    stop_direct();
    resume();
    m_tick_budget = count;
}

void scheduler::wait_while_paused() {
    // Paused: keep the loop turning so IO, timers and control messages are still handled. The
    // debugger keeps a handle referenced while paused, so this blocks until something happens.
    if (!m_pause_announced) announce_pause();
    flush_events();
    if (!uv_loop_alive(m_loop)) {
        resume(); // nothing could ever un-pause us: run on rather than hang
        return;
    }
    m_callbacks = 0;
    uv_run(m_loop, UV_RUN_ONCE);
    m_clock_fresh = false;
    flush_events();
    if (debugging()) m_debugger->after_poll();
}

namespace {
// Runs the task's frames from `next` until the step ends: the trampoline resumes each nested call
// and return that the frames hand back (see task.hpp). The running task is read again each time:
// a yield may have handed over to another task (yield_switch).
inline void resume_frames(std::coroutine_handle<> next) {
    next.resume();
    for (detail::task_record* task; (task = detail::current.task)->transfer;) std::exchange(task->transfer, {}).resume();
}
} // namespace

// A task's first step (kept out of line: run_step is inlined into the loops).
[[gnu::noinline]] void scheduler::first_step(detail::task_record& task, std::coroutine_handle<> body) {
    if (task.cancel_requested) {
        // Cancelled before it ever ran: it ends without running any of its body.
        task.finished = true;
        task.root_promise().m_error = std::make_exception_ptr(cancelled{});
        return;
    }
    task.started = true;
    detail::frame_enter(task.root_promise());
    resume_frames(body);
}

template <bool Traced>
void scheduler::run_step(detail::task_record& first) {
    if constexpr (Traced) {
        // One clock read per step: the previous step's end (or the poll's) is this step's start
        // when nothing else ran in between.
        if (!m_clock_fresh) m_step_ts = stamp();
        emit_inline(event_kind::task_resume, first.id);
        m_in_step = true;
    }
    detail::current.task = &first; // running (task_state::ready, and current)
    std::coroutine_handle<> next = std::exchange(first.resume_point, {});
    if (!first.started) [[unlikely]]
        first_step(first, next);
    else
        resume_frames(next);
    // The step that ends is the running task's: `first`'s, or, after direct hand-overs from yield
    // (never when Traced), the last task's.
    detail::task_record& task = *detail::current.task;
    detail::current.task = nullptr;
    if constexpr (Traced) {
        m_step_ts = stamp(); // the step's end: its suspend or exit event carries the step's duration
        m_clock_fresh = true;
    }
    if (task.finished) [[unlikely]] {
        finish_task(task); // may free the record
    } else if constexpr (Traced) {
        task.state = detail::task_state::waiting;
        emit_inline(event_kind::task_suspend, task.id, static_cast<std::uint8_t>(task.reason), task.target,
                    task.deadline_ns);
        if (task.requeue) { // make_ready(task, task.reason, task.id), with the event written here
            task.requeue = false;
            wait_reason cause = task.reason;
            enqueue(task);
            emit_inline(event_kind::task_ready, task.id, static_cast<std::uint8_t>(cause), task.id);
        }
    } else if (task.requeue) { // yield: straight back to the run queue (nobody records the detour)
        task.requeue = false;
        enqueue(task);
    } else {
        task.state = detail::task_state::waiting;
    }
    if constexpr (Traced) m_in_step = false;
    ++m_step;
}

void scheduler::finish_task(detail::task_record& task) {
    task.harvest_root();
    task.state = detail::task_state::done;
    if (task.error) {
        task.error_text = describe(task.error);
        try {
            std::rethrow_exception(task.error);
        } catch (const cancelled&) {
            task.status = traces::exit_status::cancelled;
        } catch (...) {
            task.status = traces::exit_status::failed;
        }
    }
    emit(event_kind::task_exit, task.id, static_cast<std::uint8_t>(task.status),
         task.error ? intern(task.error_text) : 0);
    for (detail::task_record* joiner : task.joiners) make_ready(*joiner, wait_reason::join, task.id);
    task.joiners.clear();
    auto it = m_tasks.find(task.id);
    if (it->second.use_count() == 1 && task.status == traces::exit_status::failed && !task.error_observed) {
        // Nobody holds a join handle: the exception would be lost silently.
        detail::report_unobserved_failure(task);
    }
    m_tasks.erase(it);
}

std::string scheduler::describe_waiting() const {
    std::vector<const detail::task_record*> waiting;
    for (const auto& [id, record] : m_tasks) waiting.push_back(record.get());
    std::sort(waiting.begin(), waiting.end(), [](auto* x, auto* y) { return x->id < y->id; });
    std::string out;
    for (const detail::task_record* t : waiting) {
        out += "  task '" + t->name + "' (id " + std::to_string(t->id) + ") waits: " +
               std::string(traces::to_string(t->reason));
        if (t->target != 0) out += " on " + std::to_string(t->target);
        out += "\n";
    }
    return out;
}

// --- time ------------------------------------------------------------------------------------

void scheduler::wake_at(detail::task_record& task, std::uint64_t due_ns) {
    std::uint32_t timer_id = next_object_id();
    task.target = timer_id;
    task.deadline_ns = due_ns;
    task.sleep_sequence = m_sleep_sequence++;
    task.unwait = &scheduler::leave_sleepers;
    task.unwait_context = this;
    m_sleepers.insert({due_ns, task.sleep_sequence, &task, timer_id});
    emit(event_kind::timer_arm, task.id, 0, timer_id, due_ns);
    arm_timer();
}

void scheduler::leave_sleepers(detail::task_record& task, void* self) {
    auto* sched = static_cast<scheduler*>(self);
    sched->m_sleepers.erase(sleeper{task.deadline_ns, task.sleep_sequence, &task, 0});
    sched->arm_timer();
}

void scheduler::arm_timer() {
    if (m_sleepers.empty()) {
        uv_timer_stop(&m_timer);
        uv_unref(reinterpret_cast<uv_handle_t*>(&m_timer));
        return;
    }
    std::uint64_t now = now_ns();
    std::uint64_t due = m_sleepers.begin()->due_ns;
    // Round up so the timer never fires before the earliest sleeper is due.
    std::uint64_t wait_ms = due > now ? (due - now + 999'999) / 1'000'000 : 0;
    uv_update_time(m_loop);
    uv_timer_start(&m_timer, &scheduler::on_timer, wait_ms, 0);
    uv_ref(reinterpret_cast<uv_handle_t*>(&m_timer));
}

void scheduler::on_timer(uv_timer_t* timer) {
    auto* self = static_cast<scheduler*>(timer->data);
    ++self->m_callbacks;
    std::uint64_t now = self->now_ns();
    while (!self->m_sleepers.empty() && self->m_sleepers.begin()->due_ns <= now) {
        sleeper s = *self->m_sleepers.begin();
        self->m_sleepers.erase(self->m_sleepers.begin());
        s.task->deadline_ns = 0;
        if (self->tracing()) [[unlikely]] {
            self->m_step_ts = self->stamp();
            self->emit(event_kind::timer_fire, s.task->id, 0, s.timer_id);
        }
        self->make_ready(*s.task, wait_reason::sleep, 0);
    }
    self->arm_timer();
    // uv_run(UV_RUN_ONCE) runs due timers *before* it polls, then blocks until the next timer or IO.
    // A task made ready here must run now: stopping the loop makes that poll non-blocking.
    if (!self->m_ready.empty()) uv_stop(self->m_loop);
}

void scheduler::poll_io() {
    bool block = m_ready.empty();
    if (!block && !debugging() && !uv_loop_alive(m_loop))
        return; // tasks are ready and libuv has nothing to deliver: a poll would only read the clock
    m_clock_fresh = false;
    if (tracing()) [[unlikely]] {
        int timeout = block ? uv_backend_timeout(m_loop) : 0;
        m_step_ts = stamp();
        emit(event_kind::poll_begin, 0, 0, timeout < 0 ? 0xffffffffu : static_cast<std::uint32_t>(timeout));
    }
    m_callbacks = 0;
    uv_run(m_loop, block ? UV_RUN_ONCE : UV_RUN_NOWAIT);
    if (tracing()) [[unlikely]] {
        m_step_ts = stamp();
        m_clock_fresh = true;
        emit(event_kind::poll_end, 0, 0, m_callbacks);
        if (debugging() || m_pending_size >= pending_flush_threshold) flush_events();
    }
    if (debugging()) m_debugger->after_poll();
}

// --- recording -------------------------------------------------------------------------------

void scheduler::record_to(traces::event_sink& sink, traces::header header) {
    if constexpr (!detail::instrumented) {
        (void)sink;
        (void)header;
        return; // built without instrumentation: there is nothing to record
    }
    m_sink = &sink;
    stop_direct();
    m_recording_ended = false;
    // Timestamps count from the trace's start (nothing is pending yet: this comes before spawning).
    if (m_tasks.empty() && m_sleepers.empty()) m_origin_ns = uv_hrtime();
    m_clock.start(); // after the origin, so that no reading is before it
    m_clock_synced_step = m_step;
    m_sink->on_header(header);
    m_step_ts = stamp();
    emit(event_kind::trace_start, 0, 0, header.pid);
}

void scheduler::end_recording() {
    if (!m_sink || m_recording_ended) return;
    m_step_ts = stamp();
    emit(event_kind::trace_end, 0, 0, static_cast<std::uint32_t>(m_tasks.size()));
    flush_events();
    m_recording_ended = true;
    m_sink = nullptr;
}

void scheduler::emit_slow(event_kind kind, std::uint32_t task, std::uint8_t code, std::uint32_t a, std::uint64_t b) {
    emit_inline(kind, task, code, a, b);
}

[[gnu::always_inline]] inline void scheduler::emit_inline(event_kind kind, std::uint32_t task, std::uint8_t code,
                                                          std::uint32_t a, std::uint64_t b) {
    if constexpr (!detail::instrumented) return;
    if (!m_sink) [[unlikely]] // recording ended inside the step (end_recording): nothing more is kept
        return;
    if (m_pending_size == m_pending_room && !grow_pending()) [[unlikely]] {
        ++m_dropped;
        return;
    }
    // Written in place: this is 3.5 times per task switch when recording.
    traces::event& e = m_pending[m_pending_size++];
    e.ts_ns = m_step_ts;
    e.step = m_step;
    e.tick = m_tick;
    e.task = task;
    e.kind = kind;
    e.code = code;
    e.reserved = 0;
    e.a = a;
    e.b = b;
}

bool scheduler::grow_pending() {
    if (m_pending_room >= pending_capacity) return false;
    std::size_t room = std::min(pending_capacity, std::max<std::size_t>(2 * pending_flush_threshold, 2 * m_pending_room));
    auto bigger = std::make_unique_for_overwrite<traces::event[]>(room);
    std::copy(m_pending.get(), m_pending.get() + m_pending_size, bigger.get());
    m_pending = std::move(bigger);
    m_pending_room = room;
    return true;
}

void scheduler::flush_events() {
    if (!m_sink) return;
    m_clock_fresh = false; // handing events to the sink takes time: the next event reads the clock
    if (m_step - m_clock_synced_step >= clock_resync_steps) {
        m_clock.resync(); // keeps the counter-based clock within microseconds of uv_hrtime()
        m_clock_synced_step = m_step;
    }
    // One call for the whole batch (a sink that does not override on_events gets on_event per event).
    if (m_pending_size > 0) m_sink->on_events(m_pending.get(), m_pending_size);
    m_pending_size = 0;
    if (m_dropped > 0) [[unlikely]] {
        traces::event e; // after the events that made it, before any that come later
        e.ts_ns = stamp();
        e.step = m_step;
        e.tick = m_tick;
        e.kind = event_kind::dropped;
        e.b = std::exchange(m_dropped, 0);
        m_sink->on_event(e);
    }
}

std::uint32_t scheduler::intern(std::string_view text) {
    if (!m_sink) return 0;
    auto [it, inserted] = m_strings.try_emplace(std::string(text), m_next_string_id);
    if (inserted) {
        ++m_next_string_id;
        m_sink->on_string(it->second, text);
    }
    return it->second;
}

std::uint32_t scheduler::intern_function(const char* name) {
    if (!m_sink) return 0;
    auto [it, inserted] = m_function_ids.try_emplace(name, 0);
    if (inserted) it->second = intern(name);
    return it->second;
}

std::uint32_t scheduler::intern_location(const char* file, std::uint32_t line) {
    if (!m_sink) return 0;
    auto [it, inserted] = m_location_ids.try_emplace(location_key{file, line}, 0);
    if (inserted) it->second = intern(std::string(file) + ":" + std::to_string(line));
    return it->second;
}

} // namespace coroscope
