// bench-switch: the cost of one task switch. Two tasks ping-pong N = 1e6 times through each
// runtime's ready queue, against:
//   floor     bare coroutine_handle::resume() on a two-entry ready queue (switch_workloads.hpp)
//   asio      Asio 1.22 C++20 coroutines: co_spawn + co_await post(executor, use_awaitable), one io_context
//   fiber     Boost.Fiber 1.74: boost::this_fiber::yield() with two fibers (round_robin scheduler)
// Targets: coroscope <= 2x floor, >= 10x faster than Asio, >= 5x faster than Boost.Fiber.
// Times are the thread's CPU time (all variants run on this one thread), so the time the machine
// spends on other work does not land on whichever variant happened to be running.
#include "bench_common.hpp"
#include "switch_workloads.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>
#include <boost/fiber/all.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

constexpr std::uint64_t switches = 1'000'000;
constexpr int runs = 11;

asio::awaitable<void> asio_pinger(std::uint64_t count) {
    auto executor = co_await asio::this_coro::executor;
    for (std::uint64_t i = 0; i < count; ++i) co_await asio::post(executor, asio::use_awaitable);
}

void asio_switches(std::uint64_t n) {
    asio::io_context ctx(1); // concurrency hint 1: one thread, no locking
    asio::co_spawn(ctx, asio_pinger(n / 2), asio::detached);
    asio::co_spawn(ctx, asio_pinger(n - n / 2), asio::detached);
    ctx.run();
}

void fiber_switches(std::uint64_t n) {
    auto body = [](std::uint64_t count) {
        for (std::uint64_t i = 0; i < count; ++i) boost::this_fiber::yield();
    };
    boost::fibers::fiber a(body, n / 2), b(body, n - n / 2);
    a.join();
    b.join();
}

volatile std::uint64_t sink_value; // keeps results observable

} // namespace

int main() {
    // BENCH_SWITCH_ONCE=floor|coroscope[:SWITCHES]: one run of that variant and nothing else, for
    // callgrind (instructions per switch: a run of N switches minus a run of 0).
    if (const char* once = std::getenv("BENCH_SWITCH_ONCE")) {
        std::string_view spec(once);
        std::string_view variant = spec.substr(0, spec.find(':'));
        std::uint64_t n = spec.find(':') == std::string_view::npos
                              ? switches
                              : std::strtoull(std::string(spec.substr(spec.find(':') + 1)).c_str(), nullptr, 10);
        if (variant == "floor") sink_value = bench::floor_switches(n);
        else if (variant == "coroscope") sink_value = bench::coroscope_switches(n);
        else {
            std::fprintf(stderr, "bench-switch: BENCH_SWITCH_ONCE=%s: expected floor or coroscope[:SWITCHES]\n", once);
            return 2;
        }
        return 0;
    }
    std::printf("bench-switch: %llu switches per run, median of %d interleaved runs after 1 warmup (thread CPU time)\n",
                static_cast<unsigned long long>(switches), runs);
    if (bench::coroscope_switches(1000) < 1000) { // sanity: one step per yield (+ the final steps)
        std::fprintf(stderr, "bench-switch: the coroscope workload ran fewer steps than yields\n");
        return 1;
    }
    auto t = bench::interleaved_medians(
        {
            [] { sink_value = bench::floor_switches(switches); },
            [] { sink_value = bench::coroscope_switches(switches); },
            [] { asio_switches(switches); },
            [] { fiber_switches(switches); },
            [] { sink_value = bench::coroscope_switches(switches, nullptr, 100); },
        },
        runs, 1, bench::timer::cpu);
    auto ns = [](double s) { return s * 1e9 / switches; };
    double floor = ns(t[0]), coro = ns(t[1]), asio = ns(t[2]), fiber = ns(t[3]), many = ns(t[4]);
    using bench::fmt;
    bench::print_table(
        "Task switch (ns per switch; two tasks ping-pong)",
        {
            {"floor: bare resume() on a ready queue", floor, "ns/switch", "", "", bench::verdict::none},
            {"coroscope: co_await yield() (tracing off)", coro, "ns/switch", fmt("%.2fx floor", coro / floor),
             "<= 2x floor", bench::check(coro <= 2 * floor)},
            {"asio 1.22: co_await post(use_awaitable)", asio, "ns/switch",
             fmt("coroscope %.1fx faster", asio / coro), ">= 10x faster", bench::check(asio >= 10 * coro)},
            {"boost.fiber 1.74: this_fiber::yield()", fiber, "ns/switch",
             fmt("coroscope %.1fx faster", fiber / coro), ">= 5x faster", bench::check(fiber >= 5 * coro)},
            {"coroscope: 100 tasks yielding (info)", many, "ns/switch", fmt("%.2fx floor", many / floor), "(info)",
             bench::verdict::none},
        });
    std::printf("note: a tick runs every ready task once; with nothing for libuv to deliver the next tick starts\n"
                "without a poll. Times are the thread's CPU time: the machine is shared with other work.\n");
    return 0;
}
