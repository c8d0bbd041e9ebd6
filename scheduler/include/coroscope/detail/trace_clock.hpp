#pragma once
// The clock of trace timestamps. Not part of the user API.
//
// Nanoseconds on uv_hrtime()'s scale, read from the CPU's time-stamp counter where it is invariant
// (x86-64 with CPUID's invariant-TSC bit) and scaled by a rate calibrated against uv_hrtime();
// uv_hrtime() itself elsewhere. Why: a recording scheduler reads the clock once per step, and on
// virtual machines clock_gettime() (behind uv_hrtime) costs 30-300 ns where rdtsc costs a fraction.
// Readings never go backwards: each is at least the one before (a thread that moves to a CPU whose
// counter lags sees the clock stand still rather than jump back). resync() re-anchors the counter
// to uv_hrtime() and refines the rate over the longest baseline seen, so the two stay within
// microseconds of each other.
#include <cstdint>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace coroscope::detail {

class trace_clock {
public:
    // Until start(), readings come from uv_hrtime().
    trace_clock() = default;
    // Anchors the counter to uv_hrtime() now. The first start() in a process measures the counter's
    // rate over one millisecond (so a program that never records never pays it).
    void start();
    // Nanoseconds, comparable with uv_hrtime(); never less than the previous reading.
    std::uint64_t now() noexcept {
        std::uint64_t ns = m_tsc ? from_tsc() : hrtime();
        if (ns < m_last) [[unlikely]]
            ns = m_last;
        m_last = ns;
        return ns;
    }
    // Re-anchors the counter to uv_hrtime() and refines its rate. Costs two clock reads: call it
    // off the hot path (the scheduler does when it hands events to the sink).
    void resync() noexcept;
    // Whether readings come from the time-stamp counter (false: from uv_hrtime()).
    bool uses_tsc() const noexcept { return m_tsc; }

private:
    static std::uint64_t hrtime() noexcept;
    std::uint64_t from_tsc() const noexcept {
#if defined(__x86_64__)
        auto ticks = static_cast<std::int64_t>(__rdtsc() - m_anchor_tsc);
        if (ticks < 0) [[unlikely]]
            ticks = 0; // a CPU whose counter lags the anchor's: stand still
        __extension__ using u128 = unsigned __int128;
        // Widened as unsigned (ticks is not negative here): a signed widening costs three more
        // instructions per reading.
        return m_anchor_ns +
               static_cast<std::uint64_t>((static_cast<u128>(static_cast<std::uint64_t>(ticks)) * m_scale) >> 32);
#else
        return hrtime();
#endif
    }

    bool m_tsc = false;
    std::uint64_t m_scale = 0;      // nanoseconds per counter tick, 32.32 fixed point
    std::uint64_t m_anchor_tsc = 0; // a counter reading and the uv_hrtime() taken with it
    std::uint64_t m_anchor_ns = 0;
    std::uint64_t m_first_tsc = 0;  // the first anchor: the longest baseline for the rate
    std::uint64_t m_first_ns = 0;
    std::uint64_t m_last = 0;       // the previous reading
};

} // namespace coroscope::detail
