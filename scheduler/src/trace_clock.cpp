#include <coroscope/detail/trace_clock.hpp>

#include <uv.h>

#include <cmath>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace coroscope::detail {

namespace {

struct clock_pair {
    std::uint64_t tsc;
    std::uint64_t ns;
};

#if defined(__x86_64__)
bool invariant_tsc() {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (!__get_cpuid(0x80000000u, &eax, &ebx, &ecx, &edx) || eax < 0x80000007u) return false;
    if (!__get_cpuid(0x80000007u, &eax, &ebx, &ecx, &edx)) return false;
    return (edx & (1u << 8)) != 0; // "TscInvariant": constant rate, runs in every power state
}

// A counter reading and a uv_hrtime() reading taken together: of a few tries, the one whose
// bracketing counter reads are closest (the thread was not preempted in between).
clock_pair read_pair() {
    clock_pair best{0, 0};
    std::uint64_t best_gap = ~std::uint64_t{0};
    for (int i = 0; i < 5; ++i) {
        std::uint64_t before = __rdtsc();
        std::uint64_t ns = uv_hrtime();
        std::uint64_t after = __rdtsc();
        if (after - before < best_gap) {
            best_gap = after - before;
            best = {before + (after - before) / 2, ns};
        }
    }
    return best;
}

// Nanoseconds per tick in 32.32 fixed point between two pairs (0 if they are too close to tell).
std::uint64_t rate(const clock_pair& from, const clock_pair& to) {
    if (to.tsc <= from.tsc || to.ns <= from.ns) return 0;
    double ns_per_tick = static_cast<double>(to.ns - from.ns) / static_cast<double>(to.tsc - from.tsc);
    return static_cast<std::uint64_t>(std::ldexp(ns_per_tick, 32));
}

// The counter's rate, measured once per process over a millisecond.
std::uint64_t initial_rate() {
    static const std::uint64_t measured = [] {
        clock_pair start = read_pair();
        while (uv_hrtime() - start.ns < 1'000'000) {
        }
        return rate(start, read_pair());
    }();
    return measured;
}
#endif

} // namespace

std::uint64_t trace_clock::hrtime() noexcept { return uv_hrtime(); }

void trace_clock::start() {
    m_tsc = false;
#if defined(__x86_64__)
    if (invariant_tsc()) {
        m_scale = initial_rate();
        m_tsc = m_scale != 0;
    }
    if (m_tsc) {
        clock_pair p = read_pair();
        m_anchor_tsc = m_first_tsc = p.tsc;
        m_anchor_ns = m_first_ns = p.ns;
        if (p.ns > m_last) m_last = p.ns;
        return;
    }
#endif
    if (std::uint64_t ns = uv_hrtime(); ns > m_last) m_last = ns;
}

void trace_clock::resync() noexcept {
#if defined(__x86_64__)
    if (!m_tsc) return;
    clock_pair p = read_pair();
    // The longer the baseline, the better the rate; under a millisecond keep the one we have.
    if (p.ns - m_first_ns >= 1'000'000)
        if (std::uint64_t r = rate({m_first_tsc, m_first_ns}, p); r != 0) m_scale = r;
    m_anchor_tsc = p.tsc;
    m_anchor_ns = p.ns;
#endif
}

} // namespace coroscope::detail
