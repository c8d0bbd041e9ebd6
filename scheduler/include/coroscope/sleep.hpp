#pragma once
// co_await sleep_for(d) / sleep_until(t): the task waits (wait reason: sleep) at least `d`, or
// until the steady clock reaches `t`, on the loop's timer. A zero or negative wait still suspends,
// like yield(), but with reason sleep.
#include <coroscope/cancel.hpp>
#include <coroscope/scheduler.hpp>

#include <chrono>

namespace coroscope {

struct sleep_awaiter {
    std::chrono::nanoseconds duration; // from the moment of the await
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> waiting) const {
        detail::task_record* self = detail::current.task;
        self->resume_point = waiting;
        self->reason = traces::wait_reason::sleep;
        scheduler& sched = *detail::current.sched;
        auto wait = duration.count() > 0 ? static_cast<std::uint64_t>(duration.count()) : 0;
        sched.wake_at(*self, sched.now_ns() + wait);
    }
    void await_resume() const { detail::throw_if_cancelled(); }
};

template <typename Rep, typename Period>
sleep_awaiter sleep_for(std::chrono::duration<Rep, Period> duration) {
    return {std::chrono::duration_cast<std::chrono::nanoseconds>(duration)};
}

template <typename Duration>
sleep_awaiter sleep_until(std::chrono::time_point<std::chrono::steady_clock, Duration> when) {
    return {std::chrono::duration_cast<std::chrono::nanoseconds>(when - std::chrono::steady_clock::now())};
}

} // namespace coroscope
