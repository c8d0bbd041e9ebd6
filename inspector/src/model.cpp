#include <coroscope/inspector/model.hpp>

#include <algorithm>

namespace coroscope::inspector {

namespace {
// A checkpoint is taken at the first step boundary after at least this many events, and after at
// least (size of the previous checkpoint) / max_checkpoint_bytes_per_event events, so
// checkpoints cost at most ~4 bytes per event while seeking folds at most one interval of events.
constexpr std::uint64_t min_checkpoint_events = 4096;
constexpr std::uint64_t max_checkpoint_bytes_per_event = 4;
// Undo records kept behind the cursor: stepping back within them costs what stepping forward
// did; further back, the state is rebuilt from a checkpoint.
constexpr std::size_t max_undo_events = std::size_t{1} << 17;
// A long seek records undo for this many events before its target; stepping further back than
// that rebuilds from a checkpoint again.
constexpr std::uint64_t undo_after_seek = std::uint64_t{1} << 14;
} // namespace

model::model() {
    checkpoint first{0, 0, {}};
    snapshot{}.save(first.state);
    m_checkpoints.push_back(std::move(first));
    m_checkpoint_due = min_checkpoint_events;
}

model::model(const traces::trace& t) : model() {
    on_header(t.header);
    m_trace.strings = t.strings;
    for (const traces::event& e : t.events) on_event(e);
}

void model::on_header(const traces::header& h) { m_trace.header = h; }

void model::on_string(std::uint32_t id, std::string_view text) { m_trace.define_string(id, text); }

bool model::names_impossible_task(const traces::event& e) {
    using traces::event_kind;
    if (e.task > max_task_id) return true;
    // `a` names a task for a spawn (the parent) and a join (the joined task, or the one that ended).
    const bool a_is_task = e.kind == event_kind::task_spawn ||
                           ((e.kind == event_kind::task_suspend || e.kind == event_kind::task_ready) &&
                            static_cast<traces::wait_reason>(e.code) == traces::wait_reason::join);
    return a_is_task && e.a > max_task_id;
}

void model::fold(const traces::event& e) {
    if (names_impossible_task(e)) [[unlikely]] {
        // Every table is indexed by task id: folding it would allocate for ~id tasks (bad_alloc).
        if (m_skipped_events == 0) m_first_skipped = m_trace.events.size();
        ++m_skipped_events;
        return;
    }
    std::uint64_t index = m_trace.events.size();
    // The event count test first: most steps are far from the next checkpoint.
    if (e.kind == traces::event_kind::task_resume && index >= m_checkpoint_due) add_checkpoint_if_due();
    m_trace.events.push_back(e);
    m_history.apply(e, index);
    m_tip.apply(e);
}

void model::on_event(const traces::event& e) {
    fold(e);
    if (m_follow) m_cursor = m_history.step_count();
}

void model::on_events(const traces::event* events, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) fold(events[i]);
    if (m_follow) m_cursor = m_history.step_count();
}

void model::add_checkpoint_if_due() {
    // Called before the task_resume of step_count() is folded: m_tip is the state before that step.
    std::uint64_t step = m_history.step_count();
    const checkpoint& last = m_checkpoints.back();
    std::uint64_t since = m_trace.events.size() - last.event;
    std::uint64_t due = std::max<std::uint64_t>(min_checkpoint_events, last.state.size() / max_checkpoint_bytes_per_event);
    if (step > last.step && since >= due) {
        // Saved into a buffer kept between checkpoints, then copied once at its size: saving into
        // a fresh vector grew it by doubling (each growth fresh pages) and shrink_to_fit copied it
        // again, milliseconds inside a live frame's drain for a 10 000-task state.
        m_checkpoint_scratch.clear();
        m_tip.save(m_checkpoint_scratch);
        checkpoint c{step, m_trace.events.size(), {m_checkpoint_scratch.begin(), m_checkpoint_scratch.end()}};
        m_checkpoints.push_back(std::move(c));
        const checkpoint& added = m_checkpoints.back();
        m_checkpoint_due =
            added.event + std::max<std::uint64_t>(min_checkpoint_events, added.state.size() / max_checkpoint_bytes_per_event);
    }
}

std::string model::task_name(std::uint32_t id) const {
    const task_history* t = m_history.task(id);
    if (t && t->name != 0) return std::string(text(t->name));
    return "task " + std::to_string(id);
}

std::uint64_t model::cursor_event() const {
    return m_cursor < m_history.step_count() ? m_history.step_event(m_cursor) : m_trace.events.size();
}

void model::move_state_to(std::uint64_t target) {
    std::uint64_t current = m_state_valid ? m_state.events_applied() : 0;
    if (m_state_valid && target == current) return;
    if (m_state_valid && target < current && target >= m_undo_base) {
        // Backwards within the undo records: take the events back out, newest first.
        for (std::uint64_t i = current; i-- > target;) {
            m_state.undo(m_trace.events[i], m_undo.back());
            m_undo.pop_back();
        }
        return;
    }
    // Forwards: from the nearest checkpoint at or before the target, unless folding on from the
    // current state is about as short (loading a checkpoint costs about as much as folding a
    // few thousand events).
    auto it = std::upper_bound(m_checkpoints.begin(), m_checkpoints.end(), target,
                               [](std::uint64_t t, const checkpoint& c) { return t < c.event; });
    // A checkpoint's state comes without undo records: loaded exactly at the target, the next step
    // back would rebuild from the checkpoint before. Start from that one at once.
    if (std::prev(it)->event == target && std::prev(it) != m_checkpoints.begin()) --it;
    const checkpoint& base = *std::prev(it);
    bool backwards = m_state_valid && target < current; // stepping back past the undo records
    if (!m_state_valid || backwards || (base.event > current && target - current > min_checkpoint_events)) {
        m_state.load(base.state);
        m_undo.clear();
        m_undo_base = base.event;
        current = base.event;
    }
    // Only the last stretch before the target needs undo records (for stepping back from it);
    // when going backwards, keep going backwards cheaply: record the whole stretch.
    if (!backwards && target - current > undo_after_seek) {
        std::uint64_t plain_end = target - undo_after_seek;
        for (std::uint64_t i = current; i < plain_end; ++i) m_state.apply(m_trace.events[i]);
        m_undo.clear();
        m_undo_base = plain_end;
        current = plain_end;
    }
    for (std::uint64_t i = current; i < target; ++i) {
        m_undo.emplace_back();
        m_state.apply(m_trace.events[i], &m_undo.back());
    }
    while (m_undo.size() > max_undo_events) {
        m_undo.pop_front();
        ++m_undo_base;
    }
    m_state_valid = true;
}

void model::seek(std::uint64_t step) {
    m_follow = false;
    step = std::min(step, m_history.step_count());
    move_state_to(step < m_history.step_count() ? m_history.step_event(step) : m_trace.events.size());
    m_cursor = step;
}

void model::seek_end() {
    m_follow = true;
    m_cursor = m_history.step_count();
}

void model::tick_forward() {
    // The first tick boundary strictly after the cursor (tick first steps never decrease).
    std::uint64_t lo = 0, hi = m_history.tick_count();
    while (lo < hi) {
        std::uint64_t mid = lo + (hi - lo) / 2;
        if (m_history.tick_first_step(mid) > m_cursor) hi = mid;
        else lo = mid + 1;
    }
    seek(lo < m_history.tick_count() ? m_history.tick_first_step(lo) : m_history.step_count());
}

void model::tick_back() {
    // The last tick boundary strictly before the cursor (0 if none).
    std::uint64_t lo = 0, hi = m_history.tick_count();
    while (lo < hi) {
        std::uint64_t mid = lo + (hi - lo) / 2;
        if (m_history.tick_first_step(mid) < m_cursor) lo = mid + 1;
        else hi = mid;
    }
    seek(lo == 0 ? 0 : m_history.tick_first_step(lo - 1));
}

std::size_t model::bytes_held() const {
    std::size_t n = m_trace.events.bytes_held() + m_history.bytes_held();
    for (const checkpoint& c : m_checkpoints) n += sizeof(c) + c.state.capacity();
    return n + m_checkpoint_scratch.capacity() + m_undo.size() * sizeof(snapshot_undo);
}

std::string_view short_function_name(std::string_view name) {
    // Find the '(' that opens the parameter list (the last one at template depth 0), then the
    // space before the qualified name at depth 0.
    int depth = 0;
    std::size_t paren = std::string_view::npos;
    for (std::size_t i = 0; i < name.size(); ++i) {
        char c = name[i];
        if (c == '<') ++depth;
        else if (c == '>' && depth > 0) --depth;
        else if (c == '(' && depth == 0) {
            paren = i;
            break;
        }
    }
    if (paren == std::string_view::npos) return name;
    depth = 0;
    for (std::size_t i = paren; i-- > 0;) {
        char c = name[i];
        if (c == '>') ++depth;
        else if (c == '<' && depth > 0) --depth;
        else if (c == ' ' && depth == 0) return name.substr(i + 1);
    }
    return name;
}

} // namespace coroscope::inspector
