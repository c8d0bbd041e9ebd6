#pragma once
// co_await yield(): ends the current step and puts the task at the back of the run queue
// (wait reason: yield). Every other ready task runs before it runs again.
#include <coroscope/cancel.hpp>
#include <coroscope/scheduler.hpp>

namespace coroscope {

struct yield_awaiter {
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> waiting) const noexcept {
        detail::task_record* self = detail::current.task;
        self->resume_point = waiting;
        self->reason = traces::wait_reason::yield;
        self->target = 0;
        self->requeue = true;
    }
    void await_resume() const { detail::throw_if_cancelled(); }
};

inline yield_awaiter yield() noexcept { return {}; }

} // namespace coroscope
