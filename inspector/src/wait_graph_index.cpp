#include <coroscope/inspector/model.hpp>
#include <coroscope/inspector/wait_graph_index.hpp>

#include <algorithm>

namespace coroscope::inspector {

wait_graph wait_graph_index::at(const model& m, std::uint64_t end) {
    const auto& events = m.trace().events;
    end = std::min<std::uint64_t>(end, events.size());
    // A fold of events [0, event) still describes m when m has them and the last is the same:
    // another trace put in the same model (or one cut shorter) starts the index again.
    auto still_describes = [&](std::uint64_t event, const traces::event& before) {
        return event == 0 || (event <= events.size() && events[event - 1] == before);
    };
    if (!m_points.empty() && !still_describes(m_points.back().event, m_points.back().before)) {
        m_points.resize(1);
        m_state_event = none;
    }
    if (m_state_event != none && !still_describes(m_state_event, m_state_before)) m_state_event = none; // past every point
    if (m_points.empty()) {
        point first; // no event folded
        snapshot{}.save(first.state);
        m_points.push_back(std::move(first));
    }
    auto fold = [&](std::uint64_t to) {
        for (auto it = decltype(events.begin())(&events, m_state_event); m_state_event < to; ++it, ++m_state_event) {
            m_locks.apply(*it, m_state);
            m_state.apply(*it);
        }
    };
    auto load = [&](const point& p) {
        m_state.load(p.state);
        m_locks = p.locks;
        m_state_event = p.event;
    };
    // Points missing before `end`: fold on from the last one (or from the last graph, when it is
    // past it), saving each.
    const std::uint64_t wanted = end / m_interval; // the point at or before `end`
    while (m_points.size() <= wanted) {
        const std::uint64_t next = m_points.size() * m_interval;
        if (m_state_event == none || m_state_event < m_points.back().event || m_state_event > next) load(m_points.back());
        fold(next);
        point p;
        p.event = next;
        p.before = events[next - 1];
        m_state.save(p.state);
        p.state.shrink_to_fit();
        p.locks = m_locks;
        m_points.push_back(std::move(p));
    }
    // From the last graph's fold when `end` is after it and no saved point is nearer (stepping
    // forwards), else from the nearest point.
    const point& base = m_points[wanted];
    if (m_state_event == none || m_state_event > end || m_state_event < base.event) load(base);
    fold(end);
    if (end > 0) m_state_before = events[end - 1];
    return build_wait_graph(m_state, m_locks);
}

std::size_t wait_graph_index::bytes_held() const {
    std::size_t n = m_points.capacity() * sizeof(point);
    for (const point& p : m_points) n += p.state.capacity();
    return n;
}

} // namespace coroscope::inspector
