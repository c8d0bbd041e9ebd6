#pragma once
// Where the time went: per task and in total, steps, busy time, step-duration histogram,
// ready-to-resume latency and time spent waiting by reason. `coroscope-trace stats`.
#include <coroscope/traces/event.hpp>

#include <nlohmann/json.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace coroscope::inspector {

class model;
class history;
struct task_history;

// Percentiles of a set of durations (nearest rank); all 0 when count == 0.
struct latency_summary {
    std::uint64_t count = 0;
    std::uint64_t p50 = 0, p90 = 0, p99 = 0, max = 0;
    std::uint64_t total = 0;
};
latency_summary summarize(std::vector<std::uint64_t> values);

// A growing multiset of durations with exact percentiles. Count, total and max are kept as values
// arrive. A small set keeps its values in one vector, sorted only when a summary is asked for (the
// ones added since the last summary sorted and merged into the sorted rest). Past
// bucketed_from values they go to buckets by their top bits instead (each bucket holds one value
// below 128, else a 1/64 slice of a power of two). A bucket that grows past split_from values
// splits into 64 narrower ones (by the next six bits), down to buckets of one value, which keep
// only a count. A summary walks the counts to the buckets holding the ranks asked for and sorts
// only those: at most split_from values each, however many were added (a live resource lane or
// the totals row gains millions between two summaries, most of them in a few buckets).
class duration_set {
public:
    static constexpr std::size_t bucketed_from = 4096;
    static constexpr std::size_t split_from = 4096;
    void add(std::uint64_t v) {
        ++m_count;
        m_total += v;
        if (v > m_max) m_max = v;
        if (m_buckets.empty()) {
            m_values.push_back(v);
            if (m_values.size() >= bucketed_from) to_buckets();
        } else {
            add_to_bucket(v);
        }
    }
    void add_all(const duration_set& other); // other's values too (in any order)
    std::size_t size() const { return m_count; }
    latency_summary summary(); // == summarize(every value added)
    // The most values a summary may have to sort in one bucket now (what bounds its cost).
    std::size_t largest_bucket() const;

private:
    struct bucket {
        std::uint64_t low = 0;      // its values are in [low, low + 2^shift)
        unsigned shift = 0;         // 0: one value (`low`), kept as a count only
        std::size_t count = 0;      // values in it (and in its parts)
        std::vector<std::uint64_t> values; // not split: [0, sorted) sorted, the rest as added
        std::size_t sorted = 0;
        std::vector<bucket> parts;  // split: by the next bits of the value, in value order
    };
    void to_buckets();
    void add_to_bucket(std::uint64_t v);
    static void add_to(bucket& b, std::uint64_t v);
    static void split(bucket& b);
    template <class F> void for_each(F f) const; // every value, in no order

    std::vector<std::uint64_t> m_values; // small: [0, m_sorted) sorted, the rest as added
    std::size_t m_sorted = 0;
    std::vector<bucket> m_buckets;       // large: by bucket index (see stats.cpp), empty while small
    std::uint64_t m_count = 0, m_total = 0, m_max = 0;
};

// Step-duration histogram buckets: < 10 us, < 100 us, < 1 ms, < 10 ms, < 100 ms, >= 100 ms.
inline constexpr std::size_t step_bucket_count = 6;
std::string_view step_bucket_label(std::size_t bucket);
std::size_t step_bucket(std::uint64_t duration_ns);

struct task_stats {
    std::uint32_t id = 0; // 0 = the totals row
    std::uint64_t steps = 0;
    std::uint64_t busy_ns = 0; // sum of step durations: task_resume ts -> its task_suspend / task_exit ts
    std::array<std::uint64_t, step_bucket_count> step_histogram{};
    latency_summary step_duration;
    latency_summary ready_latency; // task_ready ts -> the next task_resume ts of that task
    std::array<std::uint64_t, step_bucket_count> ready_histogram{}; // those latencies, in the step buckets
    // Time spent waiting by wait reason (index = wait_reason), from the history's intervals;
    // a wait still open at the end counts until the last timestamp of the trace.
    std::array<std::uint64_t, traces::wait_reason_count> waiting_ns{};
};

struct trace_stats {
    // Known tasks, by id. A deque: published live in place, it gains thousands of rows, and a
    // vector would move every row into fresh memory as it grew (milliseconds of page faults).
    std::deque<task_stats> tasks;
    task_stats total;              // every step and latency of every task together
    std::uint64_t duration_ns = 0; // last ts - first ts
};

// compute_stats as a fold that can be resumed: feed() takes the events a trace gained since the
// last call (live: a slice per frame), result() summarizes what was fed so far. Both read `m`, the
// model whose events are fed (events are addressed by index, never held). The per-task step counts
// and wait times come from m's history as it is when result() runs; once every event of m was fed,
// result(m) == compute_stats(m) exactly (compute_stats is this builder fed everything).
class stats_builder {
public:
    // Folds events [next(), end) of m.trace().events (end <= their count).
    void feed(const model& m, std::uint64_t end);
    std::uint64_t next() const { return m_next; } // the first event not fed yet
    // Sorts what the summaries need (hence not const); the fold state is unchanged.
    trace_stats result(const model& m);
    // result(m) written into `out` in place and in pieces (live: a frame's share at a time): only the
    // rows of tasks fed new values since the last publish are summarized again (the others get
    // their step counts and wait times from the history), new tasks' rows are inserted, then the
    // totals. Each call works until `deadline`, then returns false: call again (without feeding in
    // between) until it returns true; then out == result(m). `out` must be what the last publish
    // left, else it is rebuilt whole.
    bool publish(const model& m, trace_stats& out, std::chrono::steady_clock::time_point deadline);
    bool publishing() const { return m_publishing; } // a publish() returned false and is not finished

private:
    struct task_fold {
        bool dirty = true; // fed values since the last publish()
        duration_set durations, latencies;
        bool counted = false; // its values are in m_all_* (it was known to the history at a result())
        bool running = false, ready = false;
        std::uint64_t resume_ts = 0, ready_ts = 0;
        std::uint64_t busy_ns = 0;
        std::array<std::uint64_t, step_bucket_count> step_histogram{}, ready_histogram{};
        std::size_t waits_summed = 0; // intervals before this one are in `waited` (their ends are final)
        std::array<std::uint64_t, traces::wait_reason_count> waited{};
    };
    // One task's row from its fold and history (summaries: its percentiles too).
    void fill_row(const history& h, const task_history& th, task_fold& f, task_stats& t, bool summaries);
    void fill_totals(const history& h, trace_stats& out); // the totals row from the task rows

    // By task id. A deque: a task table of 10 000 tasks is MiBs, and a vector growing by doubling
    // writes all of it again into fresh memory (a page fault per 4 KiB) inside one fold slice.
    std::deque<task_fold> m_tasks;
    duration_set m_all_durations, m_all_latencies; // of the counted tasks
    std::uint64_t m_next = 0;
    // publish(): where the unfinished one stands (index into history().tasks(), row of `out`),
    // and the rows the last finished one left.
    bool m_publishing = false;
    std::size_t m_publish_task = 0, m_publish_row = 0, m_published_rows = 0;
    bool m_publish_whole = false; // `out` was not the last publication: every row summarized
};

trace_stats compute_stats(const model& m);
std::string stats_text(const model& m, const trace_stats& s);
nlohmann::json stats_json(const model& m, const trace_stats& s);

// "1.234 ms", "17 ns", ...
std::string format_duration(std::uint64_t ns);

} // namespace coroscope::inspector
