#include <coroscope/inspector/snapshot.hpp>

#include <algorithm>
#include <array>

namespace coroscope::inspector {

using traces::event_kind;

std::string_view to_string(task_state state) {
    constexpr std::array<std::string_view, 4> names{"ready", "running", "waiting", "done"};
    auto i = static_cast<std::size_t>(state);
    return i < names.size() ? names[i] : "unknown";
}

task_snapshot& snapshot::ensure(std::uint32_t id) {
    if (id > m_tasks.size()) {
        std::size_t old = m_tasks.size();
        m_tasks.resize(id);
        for (std::size_t i = old; i < id; ++i) m_tasks[i].id = static_cast<std::uint32_t>(i + 1);
    }
    task_snapshot& t = m_tasks[id - 1];
    t.known = true;
    return t;
}

void snapshot::leave_run_queue(std::uint32_t id) {
    auto it = std::find(m_run_queue.begin(), m_run_queue.end(), id);
    if (it != m_run_queue.end()) m_run_queue.erase(it);
}

void snapshot::apply(const traces::event& e) {
    ++m_events;
    m_last_ts = e.ts_ns;
    if (e.task == 0) return; // loop-level events do not change task state
    switch (e.kind) {
    case event_kind::task_spawn: {
        task_snapshot& t = ensure(e.task);
        t.state = task_state::ready;
        break;
    }
    case event_kind::task_ready: {
        task_snapshot& t = ensure(e.task);
        t.state = task_state::ready;
        t.reason = traces::wait_reason::none;
        t.target = 0;
        t.deadline_ns = 0;
        m_run_queue.push_back(e.task);
        break;
    }
    case event_kind::task_resume: {
        task_snapshot& t = ensure(e.task);
        t.state = task_state::running;
        ++t.steps;
        m_running = e.task;
        // FIFO: the resumed task is normally at the front; a partial stream may not have it.
        if (!m_run_queue.empty() && m_run_queue.front() == e.task) m_run_queue.pop_front();
        else leave_run_queue(e.task);
        break;
    }
    case event_kind::task_suspend: {
        task_snapshot& t = ensure(e.task);
        t.state = task_state::waiting;
        t.reason = static_cast<traces::wait_reason>(e.code);
        t.target = e.a;
        t.deadline_ns = e.b;
        t.thrown_stack.clear();
        if (m_running == e.task) m_running = 0;
        break;
    }
    case event_kind::task_exit: {
        task_snapshot& t = ensure(e.task);
        t.state = task_state::done;
        t.status = static_cast<traces::exit_status>(e.code);
        t.error = e.a;
        t.reason = traces::wait_reason::none;
        t.target = 0;
        t.stack.clear();
        if (m_running == e.task) m_running = 0;
        leave_run_queue(e.task);
        break;
    }
    case event_kind::frame_enter: {
        task_snapshot& t = ensure(e.task);
        t.stack.push_back({e.a, static_cast<std::uint32_t>(e.b)});
        t.thrown_stack.clear(); // execution went on after any earlier exception
        break;
    }
    case event_kind::frame_exit: {
        task_snapshot& t = ensure(e.task);
        // The first frame to exit by exception shows where the exception was thrown; frames
        // above it that exit by the same exception keep that stack. (A catch followed by a new
        // throw within one step without entering a frame is reported at the first throw.)
        if (e.code != 0 && t.thrown_stack.empty()) t.thrown_stack = t.stack;
        if (e.code == 0) t.thrown_stack.clear();
        if (!t.stack.empty()) t.stack.pop_back();
        break;
    }
    default:
        ensure(e.task);
        break;
    }
}

} // namespace coroscope::inspector
