#include <coroscope/inspector/model.hpp>

#include <algorithm>

namespace coroscope::inspector {

namespace {
// A checkpoint is taken at the first step boundary after this many events, so seeking anywhere
// folds at most about this many events after copying one checkpoint.
constexpr std::uint64_t checkpoint_every_events = 4096;
} // namespace

model::model() { m_checkpoints.push_back({0, snapshot{}}); }

model::model(const traces::trace& t) : model() {
    on_header(t.header);
    m_trace.strings = t.strings;
    m_trace.events.reserve(t.events.size());
    for (const traces::event& e : t.events) on_event(e);
}

void model::on_header(const traces::header& h) { m_trace.header = h; }

void model::on_string(std::uint32_t id, std::string_view text) { m_trace.define_string(id, text); }

void model::on_event(const traces::event& e) {
    std::uint64_t index = m_trace.events.size();
    if (e.kind == traces::event_kind::task_resume) add_checkpoint_if_due();
    m_trace.events.push_back(e);
    m_history.apply(e, index);
    m_tip.apply(e);
    if (m_follow) m_cursor = m_history.step_count();
}

void model::add_checkpoint_if_due() {
    // Called before the task_resume of step_count() is folded: m_tip is the state before that step.
    std::uint64_t step = m_history.step_count();
    const checkpoint& last = m_checkpoints.back();
    std::uint64_t last_index = last.step < step ? m_history.step_event(last.step) : 0;
    if (step > last.step && m_trace.events.size() - last_index >= checkpoint_every_events)
        m_checkpoints.push_back({step, m_tip});
}

std::string model::task_name(std::uint32_t id) const {
    const task_history* t = m_history.task(id);
    if (t && t->name != 0) return std::string(text(t->name));
    return "task " + std::to_string(id);
}

std::uint64_t model::cursor_event() const {
    return m_cursor < m_history.step_count() ? m_history.step_event(m_cursor) : m_trace.events.size();
}

void model::seek(std::uint64_t step) {
    m_follow = false;
    step = std::min(step, m_history.step_count());
    if (step == m_history.step_count()) {
        m_state = m_tip;
        m_state_valid = true;
        m_cursor = step;
        return;
    }
    std::uint64_t target_event = m_history.step_event(step);
    // Nearest checkpoint at or before the target; fold forward from the current state instead
    // when that is closer.
    auto it = std::upper_bound(m_checkpoints.begin(), m_checkpoints.end(), step,
                               [](std::uint64_t s, const checkpoint& c) { return s < c.step; });
    const checkpoint& base = *std::prev(it);
    bool from_current = m_state_valid && m_cursor <= step && m_cursor >= base.step;
    std::uint64_t from_event;
    if (from_current) {
        from_event = m_state.events_applied();
    } else {
        m_state = base.state;
        from_event = base.step == 0 ? 0 : m_history.step_event(base.step);
    }
    for (std::uint64_t i = from_event; i < target_event; ++i) m_state.apply(m_trace.events[i]);
    m_state_valid = true;
    m_cursor = step;
}

void model::seek_end() {
    m_follow = true;
    m_cursor = m_history.step_count();
}

void model::tick_forward() {
    // The first tick boundary strictly after the cursor.
    for (std::uint64_t t = 0; t < m_history.tick_count(); ++t) {
        if (m_history.tick_first_step(t) > m_cursor) {
            seek(m_history.tick_first_step(t));
            return;
        }
    }
    seek(m_history.step_count());
}

void model::tick_back() {
    std::uint64_t target = 0;
    for (std::uint64_t t = 0; t < m_history.tick_count(); ++t) {
        std::uint64_t first = m_history.tick_first_step(t);
        if (first < m_cursor) target = first;
        else break;
    }
    seek(target);
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
