#pragma once
// The FIFO of tasks suspended on one synchronization object (channel, mutex, semaphore, event).
// Not part of the user API.
//
// A `waiter` is the awaiter object itself (it lives in the suspended coroutine frame). Suspending
// links it at the back of the object's queue and installs the task's unwait hook, so cancelling the
// task unlinks it. Waking pops it from the front and makes its task ready. Lifetimes are guarded in
// both directions: a frame destroyed mid-wait (scheduler teardown of stuck tasks) unlinks its
// waiter, and an object destroyed with waiters detaches them (they stay waiting, and a later
// cancel no longer touches the dead object).
#include <coroscope/detail/context.hpp>
#include <coroscope/detail/task_record.hpp>
#include <coroscope/scheduler.hpp>

#include <cassert>
#include <coroutine>
#include <cstddef>
#include <cstdint>

namespace coroscope::detail {

struct waiter_queue;

struct waiter {
    waiter() = default;
    // Awaiters may be moved or copied before they are awaited (e.g. into with_timeout), never after.
    waiter(const waiter&) noexcept {}
    waiter& operator=(const waiter&) noexcept { return *this; }
    inline ~waiter();

    // Suspends the running task on `queue`: records why and on what (shown by the task_suspend event
    // the scheduler emits at the end of the step) and lets cancellation unlink it.
    inline void suspend(waiter_queue& queue, std::coroutine_handle<> resume_point, traces::wait_reason reason,
                        std::uint32_t target);

    task_record* task = nullptr;
    scheduler* sched = nullptr;
    waiter_queue* queue = nullptr; // non-null while linked
    waiter* prev = nullptr;
    waiter* next = nullptr;
    bool woken = false; // the object woke this waiter (as opposed to a cancellation)

private:
    static inline void unwait(task_record& self, void* context);
};

struct waiter_queue {
    waiter_queue() = default;
    waiter_queue(const waiter_queue&) = delete;
    waiter_queue& operator=(const waiter_queue&) = delete;
    ~waiter_queue() {
        while (waiter* w = head) {
            unlink(*w);
            if (w->task && w->task->unwait_context == w) {
                w->task->unwait = nullptr;
                w->task->unwait_context = nullptr;
            }
        }
    }

    bool empty() const noexcept { return head == nullptr; }
    std::size_t size() const noexcept { return count; }
    waiter* front() const noexcept { return head; }

    void push_back(waiter& w) noexcept {
        assert(!w.queue && "a waiter is linked in one queue at a time");
        w.queue = this;
        w.prev = tail;
        w.next = nullptr;
        (tail ? tail->next : head) = &w;
        tail = &w;
        ++count;
    }
    void unlink(waiter& w) noexcept {
        assert(w.queue == this);
        (w.prev ? w.prev->next : head) = w.next;
        (w.next ? w.next->prev : tail) = w.prev;
        w.prev = w.next = nullptr;
        w.queue = nullptr;
        --count;
    }
    // Unlinks the first waiter and returns it (nullptr when empty). The caller hands it its result,
    // then calls wake().
    waiter* pop_front() noexcept {
        waiter* w = head;
        if (w) unlink(*w);
        return w;
    }
    // Makes an unlinked waiter's task ready; the waker recorded is the running task (0 outside steps).
    static void wake(waiter& w, traces::wait_reason cause) {
        w.woken = true;
        w.sched->make_ready(*w.task, cause, current.task ? current.task->id : 0);
    }

    waiter* head = nullptr;
    waiter* tail = nullptr;
    std::size_t count = 0;
};

waiter::~waiter() {
    if (queue) queue->unlink(*this); // the frame is destroyed while waiting (teardown of stuck tasks)
}

void waiter::suspend(waiter_queue& q, std::coroutine_handle<> resume_point, traces::wait_reason reason,
                     std::uint32_t target) {
    task = current.task;
    sched = current.sched;
    assert(task && sched && "awaited outside a running task");
    task->resume_point = resume_point;
    task->reason = reason;
    task->target = target;
    task->deadline_ns = 0;
    task->unwait = &waiter::unwait;
    task->unwait_context = this;
    woken = false;
    q.push_back(*this);
}

void waiter::unwait(task_record&, void* context) {
    auto* self = static_cast<waiter*>(context);
    if (self->queue) self->queue->unlink(*self);
}

// True when the running task has been cancelled: awaitables then complete at once (without taking
// anything) so that await_resume throws `cancelled` instead of suspending a doomed task.
inline bool cancel_pending() noexcept { return current.task && current.task->cancel_requested; }

// Allocates an object id on first use (objects may be created before any scheduler runs).
inline std::uint32_t object_id(std::uint32_t& id, scheduler* sched) {
    if (id == 0 && sched) id = sched->next_object_id();
    return id;
}

// Records that `task` now holds mutex / a permit of semaphore `id` (`what` says which), so the
// inspector knows holders exactly: an acquire event. One branch on a thread-local when not tracing.
inline void note_acquire(traces::wait_reason what, std::uint32_t& id, std::uint32_t task) {
    if (current.tracing) [[unlikely]]
        current.sched->emit_now(traces::event_kind::acquire, task, static_cast<std::uint8_t>(what),
                                object_id(id, current.sched));
}
// Records that the running task (0 outside a step) gives back the mutex / `count` permits: a release
// event, emitted before the object is handed to a waiter (whose acquire follows).
inline void note_release(traces::wait_reason what, std::uint32_t& id, std::uint64_t count) {
    if (current.tracing) [[unlikely]]
        current.sched->emit_now(traces::event_kind::release, current.task ? current.task->id : 0,
                                static_cast<std::uint8_t>(what), object_id(id, current.sched), count);
}

} // namespace coroscope::detail
