#pragma once
// semaphore: a counting semaphore for tasks.
//
//   co_await s.acquire()  takes one permit, waiting while none is available (wait reason:
//                         semaphore, target: the semaphore's id).
//   s.release(n)          returns n permits; each goes to the longest-waiting task first (FIFO).
//   s.try_acquire()       takes a permit without waiting; false if none.
//
// Instrumentation: each permit taken (acquire() without waiting, try_acquire(), or a hand-over to a
// waiter) is an `acquire` event naming the task; each release(n) a `release` event naming the
// releasing task and n.
//
// Cancellation: a task cancelled while waiting leaves the queue; one cancelled after a permit was
// handed to it (before it ran) releases that permit. The semaphore must outlive its waiters.
#include <coroscope/cancel.hpp>
#include <coroscope/detail/waiter_queue.hpp>
#include <coroscope/scheduler.hpp>

#include <cstddef>
#include <utility>

namespace coroscope {

class semaphore {
public:
    class [[nodiscard]] acquire_awaiter : public detail::waiter {
    public:
        explicit acquire_awaiter(semaphore& s) : m_semaphore(&s) {}
        bool await_ready() {
            if (detail::cancel_pending()) return true;
            if (m_semaphore->m_permits == 0) return false;
            --m_semaphore->m_permits;
            m_granted = true;
            detail::note_acquire(traces::wait_reason::semaphore, m_semaphore->m_id,
                                 detail::current.task ? detail::current.task->id : 0);
            return true;
        }
        void await_suspend(std::coroutine_handle<> waiting) {
            suspend(m_semaphore->m_waiters, waiting, traces::wait_reason::semaphore,
                    detail::object_id(m_semaphore->m_id, detail::current.sched));
        }
        void await_resume() {
            if (detail::cancel_pending()) [[unlikely]] {
                if (std::exchange(m_granted, false)) m_semaphore->release(); // handed over, then cancelled
                throw cancelled{};
            }
            m_granted = false;
        }

    private:
        friend class semaphore;
        semaphore* m_semaphore;
        bool m_granted = false;
    };

    explicit semaphore(std::size_t permits) : m_permits(permits) { detail::object_id(m_id, scheduler::current()); }
    semaphore(const semaphore&) = delete;
    semaphore& operator=(const semaphore&) = delete;

    // Takes one permit, waiting for it if needed.
    acquire_awaiter acquire() { return acquire_awaiter(*this); }
    bool try_acquire() {
        if (m_permits == 0) return false;
        --m_permits;
        detail::note_acquire(traces::wait_reason::semaphore, m_id, detail::current.task ? detail::current.task->id : 0);
        return true;
    }
    // Returns `n` permits, waking waiters first come, first served.
    void release(std::size_t n = 1) {
        if (n > 0) detail::note_release(traces::wait_reason::semaphore, m_id, n);
        for (; n > 0; --n) {
            if (detail::waiter* w = m_waiters.pop_front()) {
                static_cast<acquire_awaiter*>(w)->m_granted = true;
                detail::note_acquire(traces::wait_reason::semaphore, m_id, w->task->id);
                detail::waiter_queue::wake(*w, traces::wait_reason::semaphore);
            } else {
                m_permits += n;
                break;
            }
        }
    }

    std::size_t available() const noexcept { return m_permits; }
    std::size_t waiting() const noexcept { return m_waiters.size(); }
    // The id shown as the wait target (0 until a scheduler has been seen).
    std::uint32_t id() const noexcept { return m_id; }

private:
    std::size_t m_permits;
    std::uint32_t m_id = 0;
    detail::waiter_queue m_waiters;
};

} // namespace coroscope
