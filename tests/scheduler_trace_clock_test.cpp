// The trace clock (detail/trace_clock.hpp): never goes backwards and stays on uv_hrtime()'s scale,
// whether it reads the time-stamp counter or falls back to uv_hrtime().
#include <coroscope/detail/trace_clock.hpp>

#include <catch2/catch.hpp>

#include <uv.h>

#include <chrono>
#include <cstdint>
#include <thread>

using coroscope::detail::trace_clock;

TEST_CASE("trace clock: monotonic readings on uv_hrtime's scale") {
    trace_clock clock;
    std::uint64_t before = uv_hrtime();
    clock.start();
    std::uint64_t previous = clock.now();
    CHECK(previous + 1'000'000 >= before); // within a millisecond of the uv_hrtime read before start
    for (int i = 0; i < 100'000; ++i) {
        std::uint64_t t = clock.now();
        REQUIRE(t >= previous);
        previous = t;
    }
    INFO("reads the time-stamp counter: " << clock.uses_tsc());
    // Over 50 ms of sleep (the machine may be busy), both clocks advance alike: within 5 % plus
    // 2 ms of scheduling slack between the two reads.
    std::uint64_t h0 = uv_hrtime(), c0 = clock.now();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::uint64_t c1 = clock.now(), h1 = uv_hrtime();
    double hr = static_cast<double>(h1 - h0), cl = static_cast<double>(c1 - c0);
    CHECK(cl >= 45e6);
    CHECK(cl <= hr * 1.05 + 2e6);
    CHECK(cl >= hr * 0.95 - 2e6);
    // After a resync the clock is re-anchored: a reading lands near uv_hrtime() again.
    clock.resync();
    std::uint64_t h2 = uv_hrtime(), c2 = clock.now(), h3 = uv_hrtime();
    CHECK(c2 + 2'000'000 >= h2);
    CHECK(c2 <= h3 + 2'000'000);
    CHECK(c2 >= c1);
}
