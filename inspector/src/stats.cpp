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

namespace {

// Nearest rank over sorted values: the smallest value with at least p of the values at or below it.
latency_summary summary_of_sorted(const std::vector<std::uint64_t>& values) {
    latency_summary s;
    s.count = values.size();
    if (values.empty()) return s;
    auto rank = [&](double p) {
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

} // namespace

latency_summary summarize(std::vector<std::uint64_t> values) {
    std::sort(values.begin(), values.end());
    return summary_of_sorted(values);
}

namespace {

// Bucket index of a value: the value itself below 128; above, 64 buckets per power of two (its top
// seven bits), in value order.
std::size_t bucket_index(std::uint64_t v) {
    if (v < 128) return static_cast<std::size_t>(v);
    const int msb = 63 - __builtin_clzll(v);
    const int shift = msb - 6;
    return 128 + static_cast<std::size_t>(msb - 7) * 64 + static_cast<std::size_t>((v >> shift) & 63);
}

// Sorts what was added to values since [0, sorted) and merges it in (through a scratch vector kept
// per thread, so summaries do not allocate once it has grown).
void sort_in(std::vector<std::uint64_t>& values, std::size_t& sorted) {
    if (sorted == values.size()) return;
    auto middle = values.begin() + static_cast<std::ptrdiff_t>(sorted);
    std::sort(middle, values.end());
    if (sorted > 0 && *(middle - 1) > *middle) {
        thread_local std::vector<std::uint64_t> scratch;
        scratch.resize(values.size());
        std::merge(values.begin(), middle, middle, values.end(), scratch.begin());
        std::copy(scratch.begin(), scratch.end(), values.begin());
    }
    sorted = values.size();
}

// Nearest rank: the 1-based rank of percentile p among n values.
std::size_t rank_of(double p, std::size_t n) {
    auto r = static_cast<std::size_t>(p * static_cast<double>(n) + 0.999999);
    return std::clamp<std::size_t>(r, 1, n);
}

} // namespace

namespace {

// The range of top-level bucket i (bucket_index): below 128 one value; above, 1/64 of a power of two.
void top_range(std::size_t i, std::uint64_t& low, unsigned& shift) {
    if (i < 128) {
        low = i;
        shift = 0;
        return;
    }
    const unsigned msb = 7 + static_cast<unsigned>((i - 128) / 64);
    shift = msb - 6;
    low = (std::uint64_t{64} + (i - 128) % 64) << shift;
}

// The parts a bucket of 2^shift values splits into: 64, or one per value when it spans fewer.
unsigned part_shift(unsigned shift) { return shift >= 6 ? shift - 6 : 0; }

} // namespace

template <class F> void duration_set::for_each(F f) const {
    for (std::uint64_t v : m_values) f(v);
    // Depth first; a one-value bucket gives its value `count` times.
    std::vector<const bucket*> todo;
    for (const bucket& b : m_buckets) todo.push_back(&b);
    while (!todo.empty()) {
        const bucket* b = todo.back();
        todo.pop_back();
        if (!b->parts.empty()) {
            for (const bucket& p : b->parts) todo.push_back(&p);
        } else if (b->shift == 0) {
            for (std::size_t k = 0; k < b->count; ++k) f(b->low);
        } else {
            for (std::uint64_t v : b->values) f(v);
        }
    }
}

void duration_set::add_all(const duration_set& other) {
    other.for_each([this](std::uint64_t v) { add(v); });
}

void duration_set::to_buckets() {
    std::vector<std::uint64_t> values;
    values.swap(m_values);
    m_sorted = 0;
    for (std::uint64_t v : values) add_to_bucket(v);
}

void duration_set::add_to_bucket(std::uint64_t v) {
    const std::size_t i = bucket_index(v);
    if (i >= m_buckets.size()) {
        const std::size_t old = m_buckets.size();
        m_buckets.resize(i + 1);
        for (std::size_t k = old; k <= i; ++k) top_range(k, m_buckets[k].low, m_buckets[k].shift);
    }
    add_to(m_buckets[i], v);
}

void duration_set::add_to(bucket& top, std::uint64_t v) {
    bucket* b = &top;
    while (!b->parts.empty()) {
        ++b->count;
        const unsigned ps = part_shift(b->shift);
        b = &b->parts[static_cast<std::size_t>((v - b->low) >> ps)];
    }
    ++b->count;
    if (b->shift == 0) return; // one value: the count says it all
    b->values.push_back(v);
    if (b->values.size() > split_from) split(*b);
}

void duration_set::split(bucket& b) {
    const unsigned ps = part_shift(b.shift);
    b.parts.resize(std::size_t{1} << (b.shift - ps));
    for (std::size_t k = 0; k < b.parts.size(); ++k) {
        b.parts[k].low = b.low + (static_cast<std::uint64_t>(k) << ps);
        b.parts[k].shift = ps;
    }
    for (std::uint64_t v : b.values) {
        bucket& p = b.parts[static_cast<std::size_t>((v - b.low) >> ps)];
        ++p.count;
        if (p.shift != 0) p.values.push_back(v);
    }
    // A part can hold them all again (values close together): it splits in turn.
    for (bucket& p : b.parts)
        if (p.values.size() > split_from) split(p);
    std::vector<std::uint64_t>().swap(b.values);
    b.sorted = 0;
}

std::size_t duration_set::largest_bucket() const {
    std::size_t largest = m_buckets.empty() ? m_values.size() : 0;
    std::vector<const bucket*> todo;
    for (const bucket& b : m_buckets) todo.push_back(&b);
    while (!todo.empty()) {
        const bucket* b = todo.back();
        todo.pop_back();
        for (const bucket& p : b->parts) todo.push_back(&p);
        largest = std::max(largest, b->values.size());
    }
    return largest;
}

latency_summary duration_set::summary() {
    latency_summary s;
    s.count = m_count;
    if (m_count == 0) return s;
    s.max = m_max;
    s.total = m_total;
    const std::size_t n = static_cast<std::size_t>(m_count);
    const std::array<std::size_t, 3> ranks{rank_of(0.50, n), rank_of(0.90, n), rank_of(0.99, n)};
    std::array<std::uint64_t*, 3> into{&s.p50, &s.p90, &s.p99};
    if (m_buckets.empty()) {
        sort_in(m_values, m_sorted);
        for (std::size_t k = 0; k < ranks.size(); ++k) *into[k] = m_values[ranks[k] - 1];
        return s;
    }
    // Each rank: down the counts to the bucket holding it, then that rank inside it.
    for (std::size_t k = 0; k < ranks.size(); ++k) {
        std::size_t rank = ranks[k]; // 1-based, among the values of the buckets looked at
        std::vector<bucket>* level = &m_buckets;
        for (;;) {
            bucket* hit = nullptr;
            for (bucket& b : *level) {
                if (rank <= b.count) {
                    hit = &b;
                    break;
                }
                rank -= b.count;
            }
            if (!hit) break; // cannot happen: the counts add up to m_count
            if (!hit->parts.empty()) {
                level = &hit->parts;
                continue;
            }
            if (hit->shift == 0) {
                *into[k] = hit->low;
            } else {
                sort_in(hit->values, hit->sorted);
                *into[k] = hit->values[rank - 1];
            }
            break;
        }
    }
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

void stats_builder::feed(const model& m, std::uint64_t end) {
    const auto& events = m.trace().events;
    end = std::min<std::uint64_t>(end, events.size());
    if (m_next >= end) return;
    for (auto it = decltype(events.begin())(&events, m_next); m_next < end; ++it, ++m_next) {
        const traces::event& e = *it;
        if (e.task == 0) continue;
        if (e.task >= m_tasks.size()) {
            if (e.kind != event_kind::task_ready && e.kind != event_kind::task_resume &&
                e.kind != event_kind::task_suspend && e.kind != event_kind::task_exit)
                continue;
            m_tasks.resize(e.task + 1);
        }
        task_fold& t = m_tasks[e.task];
        t.dirty = true;
        switch (e.kind) {
        case event_kind::task_ready:
            if (!t.ready) t.ready_ts = e.ts_ns; // the first time it became ready
            t.ready = true;
            break;
        case event_kind::task_resume:
            if (t.ready) {
                const std::uint64_t l = e.ts_ns >= t.ready_ts ? e.ts_ns - t.ready_ts : 0;
                t.latencies.add(l);
                ++t.ready_histogram[step_bucket(l)];
                if (t.counted) m_all_latencies.add(l);
            }
            t.ready = false;
            t.running = true;
            t.resume_ts = e.ts_ns;
            break;
        case event_kind::task_suspend:
        case event_kind::task_exit:
            if (t.running) {
                const std::uint64_t d = e.ts_ns >= t.resume_ts ? e.ts_ns - t.resume_ts : 0;
                t.durations.add(d);
                t.busy_ns += d;
                ++t.step_histogram[step_bucket(d)];
                if (t.counted) m_all_durations.add(d);
            }
            t.running = false;
            t.ready = false;
            break;
        default: break;
        }
    }
}

void stats_builder::fill_row(const history& h, const task_history& th, task_fold& f, task_stats& t, bool summaries) {
    // A task becomes known once: its values join the totals the first time a row is made for it.
    if (!f.counted) {
        f.counted = true;
        m_all_durations.add_all(f.durations);
        m_all_latencies.add_all(f.latencies);
    }
    t.id = th.id;
    t.steps = th.steps;
    t.busy_ns = f.busy_ns;
    t.step_histogram = f.step_histogram;
    t.ready_histogram = f.ready_histogram;
    if (summaries) {
        t.step_duration = f.durations.summary();
        t.ready_latency = f.latencies.summary();
    }
    // Time waiting by reason from the intervals: every interval but the last ends where the next
    // begins, for good, so it is summed once; the last one (maybe open) each time.
    const interval_list& ivs = th.intervals;
    auto add_wait = [&](const state_interval& iv, std::array<std::uint64_t, traces::wait_reason_count>& into) {
        if (iv.state != task_state::waiting) return;
        std::uint64_t end = iv.end_ts == state_interval::open_end ? h.last_ts() : iv.end_ts;
        auto r = static_cast<std::size_t>(iv.reason);
        if (r < into.size() && end > iv.begin_ts) into[r] += end - iv.begin_ts;
    };
    t.waiting_ns = {};
    if (!ivs.empty()) {
        for (auto it = ivs.begin() + static_cast<std::ptrdiff_t>(f.waits_summed); f.waits_summed + 1 < ivs.size();
             ++it, ++f.waits_summed)
            add_wait(*it, f.waited);
        t.waiting_ns = f.waited;
        add_wait(ivs.back(), t.waiting_ns);
    }
}

void stats_builder::fill_totals(const history& h, trace_stats& out) {
    out.duration_ns = h.last_ts() - h.first_ts();
    out.total = task_stats{};
    for (const task_stats& t : out.tasks) {
        out.total.steps += t.steps;
        out.total.busy_ns += t.busy_ns;
        for (std::size_t b = 0; b < step_bucket_count; ++b) {
            out.total.step_histogram[b] += t.step_histogram[b];
            out.total.ready_histogram[b] += t.ready_histogram[b];
        }
        for (std::size_t r = 0; r < t.waiting_ns.size(); ++r) out.total.waiting_ns[r] += t.waiting_ns[r];
    }
    out.total.step_duration = m_all_durations.summary();
    out.total.ready_latency = m_all_latencies.summary();
}

trace_stats stats_builder::result(const model& m) {
    const history& h = m.history();
    trace_stats out;
    // Only the tasks the history knows are reported (and make the totals).
    if (m_tasks.size() < h.tasks().size() + 1) m_tasks.resize(h.tasks().size() + 1);
    for (const task_history& th : h.tasks()) {
        if (!th.known) continue;
        fill_row(h, th, m_tasks[th.id], out.tasks.emplace_back(), true);
    }
    fill_totals(h, out);
    return out;
}

bool stats_builder::publish(const model& m, trace_stats& out, std::chrono::steady_clock::time_point deadline) {
    const history& h = m.history();
    if (!m_publishing) {
        m_publishing = true;
        m_publish_task = m_publish_row = 0;
        m_publish_whole = out.tasks.size() != m_published_rows;
        if (m_publish_whole) out = trace_stats{};
    }
    // The model may have grown since the last call (live: its drain goes on; the fold does not).
    if (m_tasks.size() < h.tasks().size() + 1) m_tasks.resize(h.tasks().size() + 1);
    const auto& tasks = h.tasks();
    for (std::size_t n = 1; m_publish_task < tasks.size(); ++m_publish_task, ++n) {
        if (n % 8 == 0 && std::chrono::steady_clock::now() >= deadline) return false; // a row can cost ~20 us
        const task_history& th = tasks[m_publish_task];
        if (!th.known) continue;
        task_fold& f = m_tasks[th.id];
        const bool fresh = m_publish_row >= out.tasks.size() || out.tasks[m_publish_row].id != th.id;
        if (fresh) out.tasks.insert(out.tasks.begin() + static_cast<std::ptrdiff_t>(m_publish_row), task_stats{});
        fill_row(h, th, f, out.tasks[m_publish_row++], fresh || f.dirty || m_publish_whole);
        f.dirty = false;
    }
    fill_totals(h, out);
    m_published_rows = out.tasks.size();
    m_publishing = false;
    return true;
}

trace_stats compute_stats(const model& m) {
    stats_builder b;
    b.feed(m, m.trace().events.size());
    return b.result(m);
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
