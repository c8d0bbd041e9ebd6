#include <coroscope/inspector/snapshot.hpp>
#include "varint.hpp"

#include <algorithm>
#include <array>

namespace coroscope::inspector {

using traces::event_kind;

std::string_view to_string(task_state state) {
    constexpr std::array<std::string_view, 4> names{"ready", "running", "waiting", "done"};
    auto i = static_cast<std::size_t>(state);
    return i < names.size() ? names[i] : "unknown";
}

task_snapshot& snapshot::grow(std::uint32_t id) {
    std::size_t old = m_tasks.size();
    m_tasks.resize(id);
    for (std::size_t i = old; i < id; ++i) m_tasks[i].id = static_cast<std::uint32_t>(i + 1);
    task_snapshot& t = m_tasks[id - 1];
    t.known = true;
    return t;
}

namespace {
// How apply() changed the run queue (snapshot_undo::queue_op).
enum queue_op : std::uint8_t {
    q_none = 0,
    q_pushed_back,  // task_ready appended the task
    q_popped_front, // task_resume took the task from the front
    q_swapped,      // task_resume took it from queue_pos; the front task moved into its place
    q_erased,       // task_exit took it out at queue_pos
};

void put(std::vector<std::uint8_t>& out, std::uint64_t v) { detail::put_varint(out, v); }
std::uint64_t get(const std::uint8_t* data, std::size_t& offset) { return detail::get_varint(data, offset); }
void put_frames(std::vector<std::uint8_t>& out, const std::vector<frame_info>& frames) {
    put(out, frames.size());
    for (const frame_info& f : frames) {
        put(out, f.function);
        put(out, f.location);
    }
}
void get_frames(const std::uint8_t* data, std::size_t& offset, std::vector<frame_info>& frames) {
    frames.resize(get(data, offset));
    for (frame_info& f : frames) {
        f.function = static_cast<std::uint32_t>(get(data, offset));
        f.location = static_cast<std::uint32_t>(get(data, offset));
    }
}
} // namespace

void snapshot::apply(const traces::event& e, snapshot_undo* u) {
    if (u) {
        u->last_ts = m_last_ts;
        u->running = m_running;
        u->task_count = static_cast<std::uint32_t>(m_tasks.size());
        u->queue_op = q_none;
        u->popped_valid = false;
        u->saved.reset();
        if (e.task != 0 && e.task <= m_tasks.size()) {
            const task_snapshot& t = m_tasks[e.task - 1];
            u->known = t.known;
            u->state = t.state;
            u->reason = t.reason;
            u->target = t.target;
            u->deadline_ns = t.deadline_ns;
            u->status = t.status;
            u->error = t.error;
            bool clears_stack = e.kind == event_kind::task_exit && !t.stack.empty();
            bool changes_thrown = !t.thrown_stack.empty() || (e.kind == event_kind::frame_exit && e.code != 0);
            if (clears_stack || changes_thrown) {
                u->saved = std::make_unique<snapshot_undo::frames>();
                if (clears_stack) u->saved->stack = t.stack;
                u->saved->thrown_stack = t.thrown_stack;
            }
        } else {
            u->known = false;
        }
    }
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
        if (u) u->queue_op = q_pushed_back;
        break;
    }
    case event_kind::task_resume: {
        task_snapshot& t = ensure(e.task);
        t.state = task_state::running;
        ++t.steps;
        m_running = e.task;
        // FIFO runs the front task. The random policy runs another ready task of the tick and
        // moves the front one into its place (scheduler::run swaps them), so the order stays
        // exactly the scheduler's. A partial stream may not have the task queued at all.
        if (!m_run_queue.empty() && m_run_queue.front() == e.task) {
            m_run_queue.pop_front();
            if (u) u->queue_op = q_popped_front;
        } else if (auto it = std::find(m_run_queue.begin(), m_run_queue.end(), e.task); it != m_run_queue.end()) {
            if (u) {
                u->queue_op = q_swapped;
                u->queue_pos = static_cast<std::uint32_t>(it - m_run_queue.begin());
            }
            *it = m_run_queue.front();
            m_run_queue.pop_front();
        }
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
        if (auto it = std::find(m_run_queue.begin(), m_run_queue.end(), e.task); it != m_run_queue.end()) {
            if (u) {
                u->queue_op = q_erased;
                u->queue_pos = static_cast<std::uint32_t>(it - m_run_queue.begin());
            }
            m_run_queue.erase(it);
        }
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
        if (!t.stack.empty()) {
            if (u) {
                u->popped = t.stack.back();
                u->popped_valid = true;
            }
            t.stack.pop_back();
        }
        break;
    }
    default:
        ensure(e.task);
        break;
    }
}

void snapshot::undo(const traces::event& e, snapshot_undo& u) {
    --m_events;
    m_last_ts = u.last_ts;
    m_running = u.running;
    if (e.task == 0) return;
    switch (u.queue_op) {
    case q_pushed_back: m_run_queue.pop_back(); break;
    case q_popped_front: m_run_queue.push_front(e.task); break;
    case q_swapped: {
        std::uint32_t front = m_run_queue[u.queue_pos - 1];
        m_run_queue[u.queue_pos - 1] = e.task;
        m_run_queue.push_front(front);
        break;
    }
    case q_erased: m_run_queue.insert(m_run_queue.begin() + u.queue_pos, e.task); break;
    default: break;
    }
    if (u.task_count < e.task) { // the event made the task known: it was not in the table
        m_tasks.resize(u.task_count);
        return;
    }
    task_snapshot& t = m_tasks[e.task - 1];
    t.known = u.known;
    t.state = u.state;
    t.reason = u.reason;
    t.target = u.target;
    t.deadline_ns = u.deadline_ns;
    t.status = u.status;
    t.error = u.error;
    if (e.kind == event_kind::task_resume) --t.steps;
    if (e.kind == event_kind::frame_enter) t.stack.pop_back();
    if (u.popped_valid) t.stack.push_back(u.popped);
    if (u.saved) {
        if (e.kind == event_kind::task_exit) t.stack = std::move(u.saved->stack);
        t.thrown_stack = std::move(u.saved->thrown_stack);
        u.saved.reset();
    } else if (e.kind == event_kind::task_suspend || e.kind == event_kind::frame_enter ||
               e.kind == event_kind::frame_exit) {
        t.thrown_stack.clear(); // it was empty before the event
    }
}

// Layout: varint task count; per task a flags byte (bit 0 known, bits 1-2 state, then which
// optional fields follow: 3 reason, 4 target, 5 deadline, 6 status+error, 7 stacks), the fields
// present as varints; then run queue, running task, events applied, last timestamp.
void snapshot::save(std::vector<std::uint8_t>& out) const {
    put(out, m_tasks.size());
    for (const task_snapshot& t : m_tasks) {
        bool errors = t.status != traces::exit_status::ok || t.error != 0;
        bool stacks = !t.stack.empty() || !t.thrown_stack.empty();
        std::uint8_t flags = static_cast<std::uint8_t>(
            (t.known ? 1 : 0) | static_cast<std::uint8_t>(t.state) << 1 | (t.reason != traces::wait_reason::none) << 3 |
            (t.target != 0) << 4 | (t.deadline_ns != 0) << 5 | errors << 6 | stacks << 7);
        out.push_back(flags);
        if (flags & (1 << 3)) out.push_back(static_cast<std::uint8_t>(t.reason));
        if (flags & (1 << 4)) put(out, t.target);
        if (flags & (1 << 5)) put(out, t.deadline_ns);
        if (errors) {
            out.push_back(static_cast<std::uint8_t>(t.status));
            put(out, t.error);
        }
        put(out, t.steps);
        if (stacks) {
            put_frames(out, t.stack);
            put_frames(out, t.thrown_stack);
        }
    }
    put(out, m_run_queue.size());
    for (std::uint32_t id : m_run_queue) put(out, id);
    put(out, m_running);
    put(out, m_events);
    put(out, m_last_ts);
}

void snapshot::load(const std::vector<std::uint8_t>& in) {
    const std::uint8_t* data = in.data();
    std::size_t at = 0;
    m_tasks.clear();
    m_tasks.resize(get(data, at));
    std::uint32_t id = 0;
    for (task_snapshot& t : m_tasks) {
        t.id = ++id;
        std::uint8_t flags = data[at++];
        t.known = flags & 1;
        t.state = static_cast<task_state>((flags >> 1) & 3);
        if (flags & (1 << 3)) t.reason = static_cast<traces::wait_reason>(data[at++]);
        if (flags & (1 << 4)) t.target = static_cast<std::uint32_t>(get(data, at));
        if (flags & (1 << 5)) t.deadline_ns = get(data, at);
        if (flags & (1 << 6)) {
            t.status = static_cast<traces::exit_status>(data[at++]);
            t.error = static_cast<std::uint32_t>(get(data, at));
        }
        t.steps = get(data, at);
        if (flags & (1 << 7)) {
            get_frames(data, at, t.stack);
            get_frames(data, at, t.thrown_stack);
        }
    }
    m_run_queue.resize(get(data, at));
    for (std::uint32_t& q : m_run_queue) q = static_cast<std::uint32_t>(get(data, at));
    m_running = static_cast<std::uint32_t>(get(data, at));
    m_events = get(data, at);
    m_last_ts = get(data, at);
}

} // namespace coroscope::inspector
