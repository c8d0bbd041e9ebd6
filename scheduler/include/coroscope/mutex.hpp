#pragma once
// mutex: an async mutual-exclusion lock for tasks (not threads).
//
//   auto guard = co_await m.lock();  waits until the mutex is free (wait reason: mutex, target: the
//                                    mutex's id) and returns a guard that owns it.
//   guard.unlock() / ~guard          releases it: the longest-waiting task gets it next (FIFO, no
//                                    barging: the lock is handed over, the mutex never looks free).
//   m.try_lock()                     a guard without waiting, or nullopt.
//
// Instrumentation: every time a task obtains the mutex (an uncontended lock() or try_lock(), or a
// hand-over to a waiter) an `acquire` event names it; every release is a `release` event, so the
// inspector knows the holder.
//
// Cancellation: a task cancelled while waiting leaves the queue; one cancelled after the lock was
// handed to it (before it ran) passes the lock on. Not recursive: locking a mutex the same task
// holds waits forever (the scheduler then reports it stuck). The mutex must outlive its waiters;
// destroying it while a guard is alive disarms the guard.
#include <coroscope/cancel.hpp>
#include <coroscope/detail/waiter_queue.hpp>
#include <coroscope/scheduler.hpp>

#include <optional>
#include <utility>

namespace coroscope {

class mutex {
public:
    // Owns a locked mutex; releases it when destroyed. Move-only.
    class [[nodiscard]] guard {
    public:
        guard() = default;
        guard(guard&& other) noexcept : m_mutex(std::exchange(other.m_mutex, nullptr)) {
            if (m_mutex) m_mutex->m_holder = this;
        }
        guard& operator=(guard&& other) noexcept {
            if (this != &other) {
                unlock();
                m_mutex = std::exchange(other.m_mutex, nullptr);
                if (m_mutex) m_mutex->m_holder = this;
            }
            return *this;
        }
        guard(const guard&) = delete;
        guard& operator=(const guard&) = delete;
        ~guard() { unlock(); }

        bool owns_lock() const noexcept { return m_mutex != nullptr; }
        explicit operator bool() const noexcept { return owns_lock(); }
        // Releases the mutex now (idempotent).
        void unlock() {
            if (mutex* m = std::exchange(m_mutex, nullptr)) {
                m->m_holder = nullptr;
                m->release();
            }
        }

    private:
        friend class mutex;
        explicit guard(mutex& m) noexcept : m_mutex(&m) { m.m_holder = this; }
        mutex* m_mutex = nullptr;
    };

    class [[nodiscard]] lock_awaiter : public detail::waiter {
    public:
        explicit lock_awaiter(mutex& m) : m_mutex(&m) {}
        bool await_ready() {
            if (detail::cancel_pending()) return true;
            if (m_mutex->m_locked) return false;
            m_mutex->m_locked = true;
            m_granted = true;
            detail::note_acquire(traces::wait_reason::mutex, m_mutex->m_id,
                                 detail::current.task ? detail::current.task->id : 0);
            return true;
        }
        void await_suspend(std::coroutine_handle<> waiting) {
            suspend(m_mutex->m_waiters, waiting, traces::wait_reason::mutex,
                    detail::object_id(m_mutex->m_id, detail::current.sched));
        }
        guard await_resume() {
            if (detail::cancel_pending()) [[unlikely]] {
                if (std::exchange(m_granted, false)) m_mutex->release(); // handed over, then cancelled
                throw cancelled{};
            }
            m_granted = false;
            return guard(*m_mutex);
        }

    private:
        friend class mutex;
        mutex* m_mutex;
        bool m_granted = false;
    };

    mutex() { detail::object_id(m_id, scheduler::current()); }
    mutex(const mutex&) = delete;
    mutex& operator=(const mutex&) = delete;
    ~mutex() {
        if (m_holder) m_holder->m_mutex = nullptr;
    }

    // Waits for the mutex; co_await gives a guard.
    lock_awaiter lock() { return lock_awaiter(*this); }
    // Takes the mutex if it is free.
    std::optional<guard> try_lock() {
        if (m_locked) return std::nullopt;
        m_locked = true;
        detail::note_acquire(traces::wait_reason::mutex, m_id, detail::current.task ? detail::current.task->id : 0);
        return std::optional<guard>(guard(*this));
    }

    bool locked() const noexcept { return m_locked; }
    std::size_t waiting() const noexcept { return m_waiters.size(); }
    // The id shown as the wait target (0 until a scheduler has been seen).
    std::uint32_t id() const noexcept { return m_id; }

private:
    // Hands the lock to the first waiter (the mutex stays locked), or frees it.
    void release() {
        detail::note_release(traces::wait_reason::mutex, m_id, 1);
        if (detail::waiter* w = m_waiters.pop_front()) {
            static_cast<lock_awaiter*>(w)->m_granted = true;
            detail::note_acquire(traces::wait_reason::mutex, m_id, w->task->id);
            detail::waiter_queue::wake(*w, traces::wait_reason::mutex);
        } else {
            m_locked = false;
        }
    }

    bool m_locked = false;
    guard* m_holder = nullptr; // the guard owning the lock, if any (disarmed if the mutex dies first)
    std::uint32_t m_id = 0;
    detail::waiter_queue m_waiters;
};

} // namespace coroscope
