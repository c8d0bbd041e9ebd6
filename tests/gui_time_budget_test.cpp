// gui/time_budget.hpp: run_slices_for stops before a slice that would overrun, and frame_budget
// gives the work what a frame's target leaves after drawing. The checks hold however slow the
// machine is: sleeps last at least what they ask, and the bounds asserted only need that.
#include "../gui/time_budget.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

using coroscope::gui::frame_budget;
using coroscope::gui::run_slices_for;

namespace {

void sleep_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

// A frame that draws for `draw_ms` (real time) and claims `work_s` of work without taking it.
void frame(frame_budget& f, int draw_ms, double work_s = 0) {
    f.begin_frame();
    f.spend(work_s);
    if (draw_ms > 0) sleep_ms(draw_ms);
    f.end_frame();
}

} // namespace

TEST_CASE("run_slices_for: takes slices until none is left, or stops before one would overrun the budget") {
    int left = 5, calls = 0;
    bool stopped = true;
    CHECK(run_slices_for(10.0, [&]() -> std::uint64_t { return left > 0 ? (--left, 3u) : 0u; }, stopped) == 15);
    CHECK_FALSE(stopped); // it ran out of work, not of time

    // Slices of at least 4 ms against 10 ms: after two (>= 8 ms) a third would end past 10 ms.
    std::uint64_t taken = run_slices_for(0.010, [&]() -> std::uint64_t {
        ++calls;
        sleep_ms(4);
        return 1;
    }, stopped);
    CHECK(stopped);
    CHECK(taken == static_cast<std::uint64_t>(calls));
    CHECK(calls >= 1);
    CHECK(calls <= 2);

    // The first slice always runs, even with no budget at all.
    calls = 0;
    CHECK(run_slices_for(0.0, [&]() -> std::uint64_t { return ++calls; }, stopped) == 1);
    CHECK(stopped);
}

TEST_CASE("frame_budget: the work gets what the target leaves after drawing, one slow frame does not shrink it") {
    frame_budget f;
    f.begin_frame();
    CHECK(f.work_s() == frame_budget::max_work_s); // nothing drawn yet
    // What is left is also bounded by the time since the frame began (a slow machine leaves less).
    CHECK(f.left_s() <= frame_budget::max_work_s);
    CHECK(f.left_s() > 0);
    f.spend(0.002);
    CHECK(f.spent_s() == Approx(0.002));
    CHECK(f.left_s() <= frame_budget::max_work_s - 0.002 + 1e-12);
    f.spend(1.0);
    CHECK(f.left_s() == 0); // never negative
    f.end_frame();
    // A frame already past its target still has min_work_s in all, and nothing once that is spent.
    f.begin_frame();
    sleep_ms(6);
    CHECK(f.left_s() == Approx(frame_budget::min_work_s));
    f.spend(frame_budget::min_work_s / 2);
    CHECK(f.left_s() == Approx(frame_budget::min_work_s / 2));
    f.spend(frame_budget::min_work_s / 2);
    CHECK(f.left_s() == 0);
    f.spend(1.0); // the sleep stood for work, not drawing (however long it took)
    f.end_frame();

    // Work claimed is not drawing: a frame whose time was all work leaves the budget whole.
    frame(f, 0, 0.050);
    f.begin_frame();
    CHECK(f.work_s() == frame_budget::max_work_s);
    f.end_frame();

    // One frame drawing for longer than the whole target: the next budgets stay whole (a refreshed
    // graph, say, is a one-off); a second one makes it a kind of frame that recurs: the least.
    frame(f, 8);
    f.begin_frame();
    CHECK(f.work_s() == frame_budget::max_work_s);
    f.end_frame();
    frame(f, 8);
    f.begin_frame();
    CHECK(f.work_s() == frame_budget::min_work_s);
    f.end_frame();

    // A drawing cost between: the budget is the target minus it (the sleeps last at least 3 ms,
    // so the work gets at most target - 3 ms).
    frame_budget g;
    frame(g, 3);
    frame(g, 3);
    g.begin_frame();
    CHECK(g.work_s() <= frame_budget::target_s - 0.003 + 1e-9);
    CHECK(g.work_s() >= frame_budget::min_work_s);
    g.end_frame();

    // Once the slow frames are older than the history, the budget is whole again.
    for (std::size_t i = 0; i < frame_budget::history; ++i) frame(f, 0);
    f.begin_frame();
    CHECK(f.work_s() == frame_budget::max_work_s);
    f.end_frame();
}
