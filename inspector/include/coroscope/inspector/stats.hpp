#pragma once
// Where the time went: per task and in total, steps, busy time, step-duration histogram,
// ready-to-resume latency and time spent waiting by reason. `coroscope-trace stats`.
#include <coroscope/traces/event.hpp>

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace coroscope::inspector {

class model;

// Percentiles of a set of durations (nearest rank); all 0 when count == 0.
struct latency_summary {
    std::uint64_t count = 0;
    std::uint64_t p50 = 0, p90 = 0, p99 = 0, max = 0;
    std::uint64_t total = 0;
};
latency_summary summarize(std::vector<std::uint64_t> values);

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
    std::vector<task_stats> tasks; // known tasks, by id
    task_stats total;              // every step and latency of every task together
    std::uint64_t duration_ns = 0; // last ts - first ts
};

trace_stats compute_stats(const model& m);
std::string stats_text(const model& m, const trace_stats& s);
nlohmann::json stats_json(const model& m, const trace_stats& s);

// "1.234 ms", "17 ns", ...
std::string format_duration(std::uint64_t ns);

} // namespace coroscope::inspector
