#pragma once
// co_await yield(): ends the current step and puts the task at the back of the run queue
// (wait reason: yield). Every other ready task runs before it runs again.
#include <coroscope/cancel.hpp>
#include <coroscope/scheduler.hpp>

namespace coroscope {

struct yield_awaiter {
    bool await_ready() const noexcept { return false; }
    // Ends the step; on the plain FIFO path it hands over to the next ready task directly
    // (scheduler::yield_switch), else the step loop puts the task back.
    std::coroutine_handle<> await_suspend(std::coroutine_handle<> waiting) noexcept {
        return detail::current.sched->yield_switch(*detail::current.task, waiting);
    }
    // As detail::throw_if_cancelled(), inline: this is every switch's path.
    void await_resume() const {
        if (detail::current.task->cancel_requested) [[unlikely]]
            throw cancelled{};
    }
};

inline yield_awaiter yield() noexcept { return {}; }

} // namespace coroscope
