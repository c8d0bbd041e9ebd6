#pragma once
// spawn(body, name): starts a task on the scheduler running the current step; its parent is the
// current task. Returns a join_handle (await it for the result, or drop it to detach the task).
#include <coroscope/scheduler.hpp>

#include <cassert>
#include <string>

namespace coroscope {

template <typename T>
join_handle<T> spawn(task<T> body, std::string name) {
    scheduler* sched = scheduler::current();
    assert(sched && "spawn() outside a running task: use scheduler::spawn or run()");
    return sched->spawn(std::move(body), std::move(name));
}

} // namespace coroscope
