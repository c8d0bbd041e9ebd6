#pragma once
// Cancellation. handle.cancel() (or scheduler::cancel) makes the task's current or next await point
// throw coroscope::cancelled; the exception unwinds its nested frames like any other, and a task
// whose root frame ends by it exits with status `cancelled`. Catching it is allowed (to clean up),
// but every later await point in the task throws again: cancellation is sticky.
#include <coroscope/detail/context.hpp>
#include <coroscope/detail/task_record.hpp>

#include <exception>

namespace coroscope {

class cancelled : public std::exception {
public:
    const char* what() const noexcept override { return "task cancelled"; }
};

namespace detail {
// Every awaitable calls this first thing in await_resume().
inline void throw_if_cancelled() {
    if (current.task && current.task->cancel_requested) [[unlikely]]
        throw cancelled{};
}
} // namespace detail

} // namespace coroscope
