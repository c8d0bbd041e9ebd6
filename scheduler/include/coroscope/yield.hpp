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
        m_self = detail::current.task;
        return detail::current.sched->yield_switch(*m_self, waiting);
    }
    // As detail::throw_if_cancelled(), without looking the task up again: this is every switch's path.
    void await_resume() const {
        if (m_self->cancel_requested) [[unlikely]]
            throw cancelled{};
    }
    detail::task_record* m_self = nullptr; // the yielding task, from await_suspend
};

inline yield_awaiter yield() noexcept { return {}; }

} // namespace coroscope
