#pragma once
// co_await sleep_for(d) / sleep_until(t): the task waits (wait reason: sleep) at least `d`, or
// until the steady clock reaches `t`, on the loop's timer. A zero or negative wait still suspends,
// like yield(), but with reason sleep. Sleepers due at the same poll wake in the order of the time
// they asked for, also when sleep_until(t) is awaited after `t` has passed: such a task is due at
// once, but it keeps its place as due at `t`, so it still wakes before a sleeper due later than `t`.
#include <coroscope/cancel.hpp>
#include <coroscope/scheduler.hpp>

#include <algorithm>
#include <chrono>

namespace coroscope {

struct sleep_awaiter {
    // From the moment of the await. Negative only from sleep_until(t) with `t` already past: how
    // late the task is (a slow step before the await), kept so it is ordered among the sleepers as
    // due at `t` rather than at the moment it got to the await.
    std::chrono::nanoseconds duration;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> waiting) const {
        detail::task_record* self = detail::current.task;
        self->resume_point = waiting;
        self->reason = traces::wait_reason::sleep;
        scheduler& sched = *detail::current.sched;
        const std::uint64_t now = sched.now_ns();
        const auto d = duration.count();
        const std::uint64_t late = d < 0 ? static_cast<std::uint64_t>(-d) : 0;
        sched.wake_at(*self, d >= 0 ? now + static_cast<std::uint64_t>(d) : (late < now ? now - late : 0));
    }
    void await_resume() const { detail::throw_if_cancelled(); }
};

template <typename Rep, typename Period>
sleep_awaiter sleep_for(std::chrono::duration<Rep, Period> duration) {
    return {std::max(std::chrono::duration_cast<std::chrono::nanoseconds>(duration), std::chrono::nanoseconds::zero())};
}

template <typename Duration>
sleep_awaiter sleep_until(std::chrono::time_point<std::chrono::steady_clock, Duration> when) {
    return {std::chrono::duration_cast<std::chrono::nanoseconds>(when - std::chrono::steady_clock::now())};
}

} // namespace coroscope
