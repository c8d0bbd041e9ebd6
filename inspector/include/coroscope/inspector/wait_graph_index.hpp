#pragma once
// The wait-for graph at any event of a model, without folding from the first event each time.
// wait_graph_at(m) folds every event before the cursor (a snapshot and the lock holders: the
// model's own checkpoints hold no lock holders): a quarter of a second in the middle of a
// 10-million-event trace, at every step while the graph is on screen. The index saves that fold
// every `interval` events the first time it passes them, so later graphs fold at most `interval`
// events after the nearest saved point, and it keeps the last graph's fold: a step forward folds
// only the step's events. (Points cost ~17 bytes per task each: ~50 MB for 10k tasks over 10
// million events, a quarter of what the model holds.)
#include <coroscope/inspector/snapshot.hpp>
#include <coroscope/inspector/wait_graph.hpp>
#include <coroscope/traces/event.hpp>

#include <cstdint>
#include <vector>

namespace coroscope::inspector {

class model;

class wait_graph_index {
public:
    static constexpr std::uint64_t default_interval = std::uint64_t{1} << 15;
    explicit wait_graph_index(std::uint64_t interval = default_interval) : m_interval(interval ? interval : 1) {}

    // The graph before event `end` of m (m.cursor_event(): at the cursor) == wait_graph_at there.
    // The first call past a point folds up to it once; a model replaced by another (the event
    // before a saved point differs) starts the index again.
    wait_graph at(const model& m, std::uint64_t end);
    std::size_t points() const { return m_points.size(); } // saved folds (the first: no event)
    std::size_t bytes_held() const;

private:
    struct point {
        std::uint64_t event = 0;           // the fold of events [0, event)
        traces::event before{};            // events[event - 1] (identifies the trace it was made of)
        std::vector<std::uint8_t> state;   // snapshot::save()
        lock_tracker locks;
    };
    static constexpr std::uint64_t none = ~std::uint64_t{0};
    std::uint64_t m_interval;
    std::vector<point> m_points;
    // The fold of events [0, m_state_event) of the last graph made: a step forward folds on from it.
    snapshot m_state;
    lock_tracker m_locks;
    std::uint64_t m_state_event = none;
    traces::event m_state_before{}; // events[m_state_event - 1] (the trace it was made of)
};

} // namespace coroscope::inspector
