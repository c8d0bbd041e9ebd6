#pragma once
// The inspector's model: every event of a trace, the whole-trace history, and a cursor that can be
// put at any step ("the state before step N runs"), forwards or backwards. Files, live connections
// and tests all feed it through the same event_sink calls; the GUI and the CLI only read it.
//
// Memory: events are stored delta-coded (event_store), intervals packed (interval_list), and
// checkpoints are compact encodings of a snapshot taken often enough that seeking folds a bounded
// number of events, and rarely enough that they cost at most ~4 bytes per event.
#include <coroscope/inspector/event_store.hpp>
#include <coroscope/inspector/history.hpp>
#include <coroscope/inspector/snapshot.hpp>
#include <coroscope/traces/sink.hpp>
#include <coroscope/traces/trace.hpp>

#include <cstdint>
#include <deque>
#include <string_view>
#include <vector>

namespace coroscope::inspector {

class model final : public traces::event_sink {
public:
    model();
    // Builds a model of a whole trace (the cursor is left at the end).
    explicit model(const traces::trace& t);

    // event_sink: the one way in.
    void on_header(const traces::header& h) override;
    void on_string(std::uint32_t id, std::string_view text) override;
    void on_event(const traces::event& e) override;
    // A run of consecutive events (the binary decoder and the live client deliver them so): the
    // same fold as on_event for each, without a call through the sink per event.
    void on_events(const traces::event* events, std::size_t count) override;

    // The trace as stored: header, strings, and events (decoded on access; see event_store.hpp).
    const stored_trace& trace() const { return m_trace; }
    const inspector::history& history() const { return m_history; }
    std::string_view text(std::uint64_t string_id) const { return m_trace.text(string_id); }
    // A task's name, or "task N" if it has none.
    std::string task_name(std::uint32_t id) const;

    // --- time travel -----------------------------------------------------------------------
    // Steps in the trace; the cursor ranges over 0..step_count() (step_count() = after the last event).
    std::uint64_t step_count() const { return m_history.step_count(); }
    std::uint64_t cursor() const { return m_cursor; }
    // Puts the cursor before step n (clamped to step_count()).
    void seek(std::uint64_t step);
    void seek_time(std::uint64_t ts_ns) { seek(m_history.step_at_time(ts_ns)); }
    void step_forward() { seek(m_cursor + 1); }
    void step_back() { seek(m_cursor == 0 ? 0 : m_cursor - 1); }
    // To the next / previous tick boundary (the first step of a tick).
    void tick_forward();
    void tick_back();
    // Keeps the cursor at the end while events arrive (live view); seek() turns it off, seek_end() on.
    void seek_end();
    bool following() const { return m_follow; }
    // The state at the cursor.
    const snapshot& state() const { return m_follow ? m_tip : m_state; }
    // Index of the first event not folded into state() (the step's task_resume, or events().size()).
    std::uint64_t cursor_event() const;

    // Task ids index every table (history, snapshot, the answers' folds), so an id past this is
    // damage, not a task: such an event is not kept (a 4-line trace naming task 4000000000 made
    // every fold allocate for 4e9 tasks). How many were skipped, and where the first would have
    // been (its index among the events kept).
    static constexpr std::uint32_t max_task_id = 1u << 24;
    std::uint64_t skipped_events() const { return m_skipped_events; }
    std::uint64_t first_skipped_at() const { return m_first_skipped; }
    static bool names_impossible_task(const traces::event& e);

    // Bytes held by the model's own tables (events, history, checkpoints, snapshots, undo log),
    // counted from their capacities: an estimate; the seek benchmark measures the allocator.
    std::size_t bytes_held() const;

private:
    void add_checkpoint_if_due();
    void fold(const traces::event& e); // on_event without the cursor update
    // Moves m_state to the state before event `target` (an index), folding or undoing events.
    void move_state_to(std::uint64_t target);

    struct checkpoint {
        std::uint64_t step;
        std::uint64_t event;             // index of the step's task_resume: events folded into it
        std::vector<std::uint8_t> state; // snapshot::save()
    };

    stored_trace m_trace;
    inspector::history m_history;
    snapshot m_tip;                // every event folded: the state at the end
    snapshot m_state;              // the state at the cursor, when not following the end
    bool m_state_valid = false;    // m_state corresponds to m_cursor
    std::uint64_t m_cursor = 0;
    bool m_follow = true;
    std::vector<checkpoint> m_checkpoints; // in step order; the first is the empty state at step 0
    std::uint64_t m_checkpoint_due = 0; // events().size() before which no checkpoint is due
    std::vector<std::uint8_t> m_checkpoint_scratch; // the next checkpoint's bytes (capacity kept)
    std::uint64_t m_skipped_events = 0, m_first_skipped = 0;
    // How to take back the events folded into m_state, for events [m_undo_base, events applied).
    std::deque<snapshot_undo> m_undo;
    std::uint64_t m_undo_base = 0;
};

// "coroscope::task<int> ns::f(int)" -> "ns::f(int)": drops the return type of a function name.
std::string_view short_function_name(std::string_view name);

} // namespace coroscope::inspector
