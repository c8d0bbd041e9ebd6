#pragma once
// Shared helpers of the benchmarks: timing (warmup, then the median of several interleaved runs)
// and the result table every benchmark prints. Results are ratios against a baseline measured in
// the same run, so they compare across machines better than absolute times do.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include <time.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace bench {

using clock_type = std::chrono::steady_clock;

// Seconds taken by f().
template <typename F>
double seconds(F&& f) {
    auto start = clock_type::now();
    f();
    return std::chrono::duration<double>(clock_type::now() - start).count();
}

// Seconds of CPU time the calling thread spent in f(). On a machine shared with other work the time
// spent descheduled is left out, so single-threaded variants compare with less noise; benchmarks
// that involve other processes or threads (echo) keep wall time.
template <typename F>
double cpu_seconds(F&& f) {
    timespec start{}, end{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &start);
    f();
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &end);
    return static_cast<double>(end.tv_sec - start.tv_sec) + static_cast<double>(end.tv_nsec - start.tv_nsec) * 1e-9;
}

enum class timer { wall, cpu };

// A cycle count for timing operations far shorter than a microsecond, where reading a clock through
// clock_gettime (30-300 ns in a virtual machine, a system call for thread CPU time) would be most of
// the sample. The fences keep the timed work from moving across the reading. Units are the time-stamp
// counter's (steady_clock nanoseconds where there is none): compare two counts, or convert with
// ticks_per_second measured over the same stretch.
inline std::uint64_t ticks() {
#if defined(__x86_64__)
    _mm_lfence();
    std::uint64_t t = __rdtsc();
    _mm_lfence();
    return t;
#else
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now().time_since_epoch()).count());
#endif
}

// The nearest-rank percentile (p in [0, 1]) of the samples: always one of them, never interpolated.
inline double percentile(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    std::size_t rank = static_cast<std::size_t>(p * static_cast<double>(v.size()) + 0.999999);
    return v[std::clamp<std::size_t>(rank, 1, v.size()) - 1];
}

inline double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    std::size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Several variants measured round-robin (A B C, A B C, ...) so slow drift of the machine hits all
// of them alike; one warmup round first. Returns the median seconds of each variant (wall time, or
// the thread's CPU time with timer::cpu).
inline std::vector<double> interleaved_medians(const std::vector<std::function<void()>>& variants, int runs,
                                               int warmup = 1, timer how = timer::wall) {
    for (int w = 0; w < warmup; ++w)
        for (const auto& v : variants) v();
    std::vector<std::vector<double>> times(variants.size());
    for (int r = 0; r < runs; ++r)
        for (std::size_t i = 0; i < variants.size(); ++i)
            times[i].push_back(how == timer::cpu ? cpu_seconds(variants[i]) : seconds(variants[i]));
    std::vector<double> medians;
    for (auto& t : times) medians.push_back(median(t));
    return medians;
}

// As interleaved_medians, for variants that measure themselves (e.g. in a worker process): each
// returns its own seconds; a negative value means it failed and is returned as the median.
inline std::vector<double> interleaved_self_timed(const std::vector<std::function<double()>>& variants, int runs,
                                                  int warmup = 1) {
    for (int w = 0; w < warmup; ++w)
        for (const auto& v : variants) v();
    std::vector<std::vector<double>> times(variants.size());
    std::vector<bool> failed(variants.size(), false);
    for (int r = 0; r < runs; ++r)
        for (std::size_t i = 0; i < variants.size(); ++i) {
            double t = variants[i]();
            if (t < 0) failed[i] = true;
            times[i].push_back(t);
        }
    std::vector<double> medians;
    for (std::size_t i = 0; i < variants.size(); ++i) medians.push_back(failed[i] ? -1 : median(times[i]));
    return medians;
}

// The median and quartiles of per-round ratios (a paired verdict: each round measures both variants
// under the same conditions, and the verdict is the median round, with the quartiles as its spread).
// q1 and q3 are nearest-rank, always one of the ratios.
struct spread {
    double median = 0, q1 = 0, q3 = 0;
};

inline spread quartiles(std::vector<double> v) {
    spread s;
    if (v.empty()) return s;
    s.median = median(v);
    std::sort(v.begin(), v.end());
    s.q1 = v[v.size() / 4];
    s.q3 = v[v.size() * 3 / 4];
    return s;
}

enum class verdict { none, pass, miss };

struct row {
    std::string name;
    double value = 0;     // in `unit`
    std::string unit;     // "ns/switch", "M events/s", ...
    std::string ratio;    // e.g. "1.85x floor", "17.2x faster" ("" = the baseline itself)
    std::string target;   // e.g. "<= 2x floor" ("" = none)
    verdict result = verdict::none;
};

inline std::string fmt(const char* format, double value) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, format, value);
    return buffer;
}

inline verdict check(bool ok) { return ok ? verdict::pass : verdict::miss; }

inline void print_table(const std::string& title, const std::vector<row>& rows) {
    std::printf("\n== %s ==\n", title.c_str());
    std::printf("%-44s %12s %-12s %-22s %-24s %s\n", "benchmark", "value", "unit", "ratio", "target", "result");
    for (const row& r : rows) {
        const char* result = r.result == verdict::pass ? "PASS" : r.result == verdict::miss ? "MISS" : "-";
        std::printf("%-44s %12.2f %-12s %-22s %-24s %s\n", r.name.c_str(), r.value, r.unit.c_str(),
                    r.ratio.empty() ? "(baseline)" : r.ratio.c_str(), r.target.empty() ? "-" : r.target.c_str(),
                    result);
    }
    std::fflush(stdout);
}

} // namespace bench
