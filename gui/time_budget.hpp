#pragma once
// Work done in slices within a frame's time budget: the live stream's drain (live_link::poll) and
// the answers' folds (refresh_answers) both stop before a slice that would overrun their budget.
#include <algorithm>
#include <chrono>
#include <cstdint>

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

} // namespace coroscope::gui
