#pragma once
// event: a manual-reset event (a flag tasks can wait for).
//
//   co_await e.wait()  returns at once if the event is set, else waits until it is (wait reason:
//                      event, target: the event's id).
//   e.set()            sets it and wakes every waiting task (in the order they started waiting).
//   e.reset()          clears it; later waits wait again.
//
// Cancellation: a task cancelled while waiting leaves the queue. The event must outlive its waiters.
#include <coroscope/cancel.hpp>
#include <coroscope/detail/waiter_queue.hpp>
#include <coroscope/scheduler.hpp>

namespace coroscope {

class event {
public:
    class [[nodiscard]] wait_awaiter : public detail::waiter {
    public:
        explicit wait_awaiter(event& e) : m_event(&e) {}
        bool await_ready() const noexcept { return detail::cancel_pending() || m_event->m_set; }
        void await_suspend(std::coroutine_handle<> waiting) {
            suspend(m_event->m_waiters, waiting, traces::wait_reason::event,
                    detail::object_id(m_event->m_id, detail::current.sched));
        }
        void await_resume() const { detail::throw_if_cancelled(); }

    private:
        event* m_event;
    };

    event() { detail::object_id(m_id, scheduler::current()); }
    event(const event&) = delete;
    event& operator=(const event&) = delete;

    // Waits until the event is set.
    wait_awaiter wait() { return wait_awaiter(*this); }
    // Sets the event and wakes all its waiters.
    void set() {
        m_set = true;
        while (detail::waiter* w = m_waiters.pop_front()) detail::waiter_queue::wake(*w, traces::wait_reason::event);
    }
    void reset() noexcept { m_set = false; }

    bool is_set() const noexcept { return m_set; }
    std::size_t waiting() const noexcept { return m_waiters.size(); }
    // The id shown as the wait target (0 until a scheduler has been seen).
    std::uint32_t id() const noexcept { return m_id; }

private:
    bool m_set = false;
    std::uint32_t m_id = 0;
    detail::waiter_queue m_waiters;
};

} // namespace coroscope
