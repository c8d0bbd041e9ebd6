#include <coroscope/inspector/model.hpp>
#include <coroscope/inspector/stats.hpp>

#include <algorithm>
#include <cstdio>

namespace coroscope::inspector {

using traces::event_kind;

std::string format_duration(std::uint64_t ns) {
    char buf[64];
    if (ns >= 1'000'000'000) std::snprintf(buf, sizeof buf, "%.3f s", static_cast<double>(ns) / 1e9);
    else if (ns >= 1'000'000) std::snprintf(buf, sizeof buf, "%.3f ms", static_cast<double>(ns) / 1e6);
    else if (ns >= 1'000) std::snprintf(buf, sizeof buf, "%.3f us", static_cast<double>(ns) / 1e3);
    else std::snprintf(buf, sizeof buf, "%llu ns", static_cast<unsigned long long>(ns));
    return buf;
}

latency_summary summarize(std::vector<std::uint64_t> values) {
    latency_summary s;
    s.count = values.size();
    if (values.empty()) return s;
    std::sort(values.begin(), values.end());
    auto rank = [&](double p) {
        // Nearest rank: the smallest value with at least p of the values at or below it.
        auto n = static_cast<std::size_t>(p * static_cast<double>(values.size()) + 0.999999);
        return values[std::clamp<std::size_t>(n, 1, values.size()) - 1];
    };
    s.p50 = rank(0.50);
    s.p90 = rank(0.90);
    s.p99 = rank(0.99);
    s.max = values.back();
    for (std::uint64_t v : values) s.total += v;
    return s;
}

std::string_view step_bucket_label(std::size_t bucket) {
    constexpr std::array<std::string_view, step_bucket_count> labels{"<10us", "<100us", "<1ms", "<10ms", "<100ms", ">=100ms"};
    return bucket < labels.size() ? labels[bucket] : "?";
}

std::size_t step_bucket(std::uint64_t d) {
    std::uint64_t limit = 10'000;
    for (std::size_t b = 0; b + 1 < step_bucket_count; ++b, limit *= 10)
        if (d < limit) return b;
    return step_bucket_count - 1;
}

trace_stats compute_stats(const model& m) {
    const history& h = m.history();
    trace_stats out;
    out.duration_ns = h.last_ts() - h.first_ts();
    std::size_t n = h.tasks().size();
    std::vector<std::vector<std::uint64_t>> durations(n + 1), latencies(n + 1);
    std::vector<std::uint64_t> resume_ts(n + 1, 0), ready_ts(n + 1, 0);
    std::vector<bool> running(n + 1, false), ready(n + 1, false);
    for (const traces::event& e : m.trace().events) {
        if (e.task == 0 || e.task > n) continue;
        switch (e.kind) {
        case event_kind::task_spawn: break;
        case event_kind::task_ready:
            if (!ready[e.task]) ready_ts[e.task] = e.ts_ns; // the first time it became ready
            ready[e.task] = true;
            break;
        case event_kind::task_resume:
            if (ready[e.task]) latencies[e.task].push_back(e.ts_ns >= ready_ts[e.task] ? e.ts_ns - ready_ts[e.task] : 0);
            ready[e.task] = false;
            running[e.task] = true;
            resume_ts[e.task] = e.ts_ns;
            break;
        case event_kind::task_suspend:
        case event_kind::task_exit:
            if (running[e.task]) durations[e.task].push_back(e.ts_ns >= resume_ts[e.task] ? e.ts_ns - resume_ts[e.task] : 0);
            running[e.task] = false;
            ready[e.task] = false;
            break;
        default: break;
        }
    }
    std::vector<std::uint64_t> all_durations, all_latencies;
    for (const task_history& th : h.tasks()) {
        if (!th.known) continue;
        task_stats t;
        t.id = th.id;
        t.steps = th.steps;
        for (std::uint64_t d : durations[th.id]) {
            t.busy_ns += d;
            ++t.step_histogram[step_bucket(d)];
        }
        for (std::uint64_t l : latencies[th.id]) ++t.ready_histogram[step_bucket(l)];
        t.step_duration = summarize(durations[th.id]);
        t.ready_latency = summarize(latencies[th.id]);
        for (const state_interval& iv : th.intervals) {
            if (iv.state != task_state::waiting) continue;
            std::uint64_t end = iv.end_ts == state_interval::open_end ? h.last_ts() : iv.end_ts;
            auto r = static_cast<std::size_t>(iv.reason);
            if (r < t.waiting_ns.size() && end > iv.begin_ts) t.waiting_ns[r] += end - iv.begin_ts;
        }
        out.total.steps += t.steps;
        out.total.busy_ns += t.busy_ns;
        for (std::size_t b = 0; b < step_bucket_count; ++b) {
            out.total.step_histogram[b] += t.step_histogram[b];
            out.total.ready_histogram[b] += t.ready_histogram[b];
        }
        for (std::size_t r = 0; r < t.waiting_ns.size(); ++r) out.total.waiting_ns[r] += t.waiting_ns[r];
        all_durations.insert(all_durations.end(), durations[th.id].begin(), durations[th.id].end());
        all_latencies.insert(all_latencies.end(), latencies[th.id].begin(), latencies[th.id].end());
        out.tasks.push_back(t);
    }
    out.total.step_duration = summarize(std::move(all_durations));
    out.total.ready_latency = summarize(std::move(all_latencies));
    return out;
}

namespace {

std::string waits_text(const task_stats& t) {
    std::string out;
    for (std::size_t r = 0; r < t.waiting_ns.size(); ++r) {
        if (t.waiting_ns[r] == 0) continue;
        if (!out.empty()) out += ", ";
        out += std::string(traces::to_string(static_cast<traces::wait_reason>(r))) + " " + format_duration(t.waiting_ns[r]);
    }
    return out.empty() ? "-" : out;
}

std::string row(const std::string& id, const std::string& name, const task_stats& t) {
    char line[512];
    std::string hist;
    for (std::size_t b = 0; b < step_bucket_count; ++b) hist.append(b ? "/" : "").append(std::to_string(t.step_histogram[b]));
    std::snprintf(line, sizeof line, "%5s  %-22.22s %7llu %12s %12s %12s %12s %12s  %-19s %s\n", id.c_str(), name.c_str(),
                  static_cast<unsigned long long>(t.steps), format_duration(t.busy_ns).c_str(),
                  format_duration(t.step_duration.max).c_str(), format_duration(t.ready_latency.p50).c_str(),
                  format_duration(t.ready_latency.p99).c_str(), format_duration(t.ready_latency.max).c_str(),
                  hist.c_str(), waits_text(t).c_str());
    return line;
}

nlohmann::json summary_json(const latency_summary& s) {
    return {{"count", s.count}, {"p50_ns", s.p50}, {"p90_ns", s.p90}, {"p99_ns", s.p99}, {"max_ns", s.max}, {"total_ns", s.total}};
}

nlohmann::json task_json(const task_stats& t) {
    nlohmann::json hist = nlohmann::json::object();
    for (std::size_t b = 0; b < step_bucket_count; ++b) hist[std::string(step_bucket_label(b))] = t.step_histogram[b];
    nlohmann::json waits = nlohmann::json::object();
    for (std::size_t r = 0; r < t.waiting_ns.size(); ++r)
        if (t.waiting_ns[r]) waits[std::string(traces::to_string(static_cast<traces::wait_reason>(r)))] = t.waiting_ns[r];
    return {{"steps", t.steps},
            {"busy_ns", t.busy_ns},
            {"step_histogram", hist},
            {"step_duration", summary_json(t.step_duration)},
            {"ready_latency", summary_json(t.ready_latency)},
            {"waiting_ns", waits}};
}

} // namespace

std::string stats_text(const model& m, const trace_stats& s) {
    std::string out = "duration " + format_duration(s.duration_ns) + ", " + std::to_string(s.total.steps) + " steps, busy " +
                      format_duration(s.total.busy_ns) + "\n";
    std::string hist_header = "steps ";
    for (std::size_t b = 0; b < step_bucket_count; ++b) hist_header.append(b ? "/" : "").append(step_bucket_label(b));
    char header[512];
    std::snprintf(header, sizeof header, "%5s  %-22s %7s %12s %12s %12s %12s %12s  %-19s %s\n", "task", "name", "steps",
                  "busy", "step max", "ready p50", "ready p99", "ready max", "histogram", "waiting");
    out += header;
    for (const task_stats& t : s.tasks) out += row(std::to_string(t.id), m.task_name(t.id), t);
    out += row("all", "(total)", s.total);
    out += "histogram = " + hist_header + "\n";
    const latency_summary& l = s.total.ready_latency;
    out += "ready -> resume latency (all tasks): p50 " + format_duration(l.p50) + ", p90 " + format_duration(l.p90) +
           ", p99 " + format_duration(l.p99) + ", max " + format_duration(l.max) + " over " + std::to_string(l.count) +
           " wake-ups\n";
    return out;
}

nlohmann::json stats_json(const model& m, const trace_stats& s) {
    nlohmann::json tasks = nlohmann::json::array();
    for (const task_stats& t : s.tasks) {
        nlohmann::json j = task_json(t);
        j["id"] = t.id;
        j["name"] = m.task_name(t.id);
        tasks.push_back(std::move(j));
    }
    return {{"duration_ns", s.duration_ns}, {"tasks", tasks}, {"total", task_json(s.total)}};
}

} // namespace coroscope::inspector
