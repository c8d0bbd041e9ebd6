#pragma once
// Work done in slices within a frame's time budget: the live stream's drain (live_link::poll) and
// the answers' folds (refresh_answers) both stop before a slice that would overrun their budget,
// and frame_budget says how much of a frame they may take in all.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <functional>

namespace coroscope::gui {

// Runs `slice` (folds one slice, returns the events it took, 0 when nothing was left) while the
// next one should still end within budget_s of the start, judged by the slowest slice so far: a
// frame stops before a slice that would overrun it, not after. poll() drains so, and the frame
// benchmark with it. Returns the events taken; `stopped` says the budget ended it (more may wait).
template <class Slice>
std::uint64_t run_slices_for(double budget_s, Slice&& slice, bool& stopped) {
    using clock = std::chrono::steady_clock;
    const auto start = clock::now();
    std::uint64_t taken = 0;
    double slowest = 0;
    stopped = false;
    for (;;) {
        const auto before = clock::now();
        const std::uint64_t n = slice();
        if (n == 0) return taken;
        taken += n;
        const auto after = clock::now();
        slowest = std::max(slowest, std::chrono::duration<double>(after - before).count());
        if (std::chrono::duration<double>(after - start).count() + slowest > budget_s) {
            stopped = true;
            return taken;
        }
    }
}

// The time a frame may give to work that can wait for the next one (the live stream's drain, the
// answers' folds and their publication): what a frame's target leaves after drawing, as recent
// frames drew. A frame whose panels cost more leaves less to the work, so that frames stay near
// the target whatever is on screen, and a cheap frame lets the work catch up faster.
//
// Per frame: begin_frame() before the drain, spend() by each piece of work for what it took,
// panels_drawn() once the panels are (the answers' folds run then, knowing this frame's drawing
// cost: what is left is bounded by the target too), end_frame() after ImGui::Render(). Times are
// wall clock: a preempted frame leaves less to the work, never more.
class frame_budget {
public:
    // A whole frame's work: 2.5 ms under the 8 ms p99 of issue #7 for what no budget stops (a
    // slice costing more than the last, a page fault of fresh memory). 6.5 ms missed it (p99 8.0 and
    // 11.4 ms in the live bench on a quiet machine, 5.5 ms: 6.8-8.5), at ~1.5x the ingest rate.
    static constexpr double target_s = 0.0055;
    static constexpr double min_work_s = 0.0008;  // the work's share even when drawing takes it all (or more)
    static constexpr double max_work_s = 0.005;   // and at most (a frame draws something)
    static constexpr std::size_t history = 32;    // frames whose drawing cost is remembered

    void begin_frame() {
        m_start = clock::now();
        m_spent = 0;
        m_panels_drawn = false;
        // The drawing cost expected: the second largest of the last frames' (one frame's spike,
        // a refreshed graph say, does not shrink every budget; a kind of frame that recurs does).
        std::array<double, history> sorted = m_draw;
        std::nth_element(sorted.begin(), sorted.begin() + 1, sorted.end(), std::greater<>());
        m_work = std::clamp(target_s - sorted[1], min_work_s, max_work_s);
    }
    void end_frame() {
        const double frame = std::chrono::duration<double>(clock::now() - m_start).count();
        m_draw[m_next++ % history] = std::max(0.0, frame - m_spent);
    }
    // This frame's budget for the work, and what is left of it.
    double work_s() const { return m_work; }
    // Bounded by the target (a frame that drew slowly leaves less), but never below min_work_s in
    // all: a window whose drawing alone reaches the target would otherwise fold one slice a frame
    // and take minutes to catch up with a stream that ended (the frame is slow anyway).
    double left_s() const {
        const double to_target = target_s - std::chrono::duration<double>(clock::now() - m_start).count();
        return std::max(0.0, std::min(m_work - m_spent, std::max(to_target, min_work_s - m_spent)));
    }
    double spent_s() const { return m_spent; }
    void spend(double seconds) { m_spent += seconds; }
    void panels_drawn() { m_panels_drawn = true; }
    bool panels_are_drawn() const { return m_panels_drawn; }

private:
    using clock = std::chrono::steady_clock;
    clock::time_point m_start = clock::now();
    std::array<double, history> m_draw{}; // the drawing cost of recent frames, a ring
    std::size_t m_next = 0;
    double m_work = max_work_s, m_spent = 0;
    bool m_panels_drawn = false;
};

} // namespace coroscope::gui
