#include <coroscope/inspector/history.hpp>

#include <algorithm>

namespace coroscope::inspector {

using traces::event_kind;

task_history& history::ensure(std::uint32_t id, std::uint64_t ts) {
    if (id > m_tasks.size()) {
        std::size_t old = m_tasks.size();
        m_tasks.resize(id);
        for (std::size_t i = old; i < id; ++i) m_tasks[i].id = static_cast<std::uint32_t>(i + 1);
    }
    task_history& t = m_tasks[id - 1];
    if (!t.known) {
        // A task first seen without its spawn (the trace began mid-run) appears from here on.
        t.known = true;
        t.spawn_ts = ts;
    }
    return t;
}

void history::enter_state(task_history& t, std::uint64_t ts, std::uint64_t step, task_state s,
                          traces::wait_reason r) {
    if (!t.intervals.empty()) {
        state_interval& last = t.intervals.back();
        if (last.end_ts == state_interval::open_end) {
            if (last.state == s && last.reason == r) return; // no change
            last.end_ts = ts;
        }
    }
    if (s == task_state::done) return; // a done task has no interval after its end
    t.intervals.push_back({ts, state_interval::open_end, step, s, r});
}

void history::apply(const traces::event& e, std::uint64_t index) {
    if (!m_any) {
        m_any = true;
        m_first_ts = e.ts_ns;
    }
    m_last_ts = std::max(m_last_ts, e.ts_ns);
    switch (e.kind) {
    case event_kind::trace_end: m_ended = true; return;
    case event_kind::tick_begin:
        while (m_tick_first_step.size() <= e.tick) m_tick_first_step.push_back(m_step_begin.size());
        return;
    default: break;
    }
    if (e.task == 0) return;
    task_history& t = ensure(e.task, e.ts_ns);
    switch (e.kind) {
    case event_kind::task_spawn:
        t.parent = e.a;
        t.name = static_cast<std::uint32_t>(e.b);
        t.spawn_ts = e.ts_ns;
        if (e.a != 0) ensure(e.a, e.ts_ns).children.push_back(e.task);
        enter_state(t, e.ts_ns, e.step, task_state::ready, traces::wait_reason::none);
        break;
    case event_kind::task_ready:
        enter_state(t, e.ts_ns, e.step, task_state::ready, traces::wait_reason::none);
        break;
    case event_kind::task_resume:
        // Steps are numbered densely; a stream that begins mid-run starts numbering where it joined.
        m_step_begin.push_back(index);
        m_step_task.push_back(e.task);
        m_step_ts.push_back(e.ts_ns);
        ++t.steps;
        enter_state(t, e.ts_ns, e.step, task_state::running, traces::wait_reason::none);
        break;
    case event_kind::task_suspend:
        enter_state(t, e.ts_ns, e.step, task_state::waiting, static_cast<traces::wait_reason>(e.code));
        break;
    case event_kind::task_exit:
        enter_state(t, e.ts_ns, e.step, task_state::done, traces::wait_reason::none);
        t.ended = true;
        t.end_ts = e.ts_ns;
        t.status = static_cast<traces::exit_status>(e.code);
        break;
    default: break;
    }
}

std::uint64_t history::step_at_time(std::uint64_t ts) const {
    auto it = std::upper_bound(m_step_ts.begin(), m_step_ts.end(), ts);
    if (it == m_step_ts.begin()) return 0;
    return static_cast<std::uint64_t>(it - m_step_ts.begin()) - 1;
}

} // namespace coroscope::inspector
