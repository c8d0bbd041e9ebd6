#pragma once
// join_handle<T>: what spawn() returns. `co_await handle` waits for the task to end and gives its
// value or rethrows its exception (wait reason: join). Dropping the handle detaches the task: it
// keeps running, and if it fails nobody reads its exception, which is then reported on stderr.
#include <coroscope/cancel.hpp>
#include <coroscope/detail/context.hpp>
#include <coroscope/detail/typed_task_record.hpp>

#include <algorithm>
#include <memory>

namespace coroscope {

namespace detail {
// Reports a failed task whose exception nobody read (stderr line + event). Defined in scheduler.cpp.
void report_unobserved_failure(task_record& task);
// Requests cancellation of a task (see cancel.hpp). Defined in scheduler.cpp.
void request_cancel(task_record& task);
// Takes a cancelled joiner out of the joined task's list.
inline void leave_joiners(task_record& self, void* joined) {
    auto& joiners = static_cast<task_record*>(joined)->joiners;
    std::erase(joiners, &self);
}
} // namespace detail

template <typename T>
class join_handle {
public:
    join_handle() = default;
    explicit join_handle(std::shared_ptr<detail::typed_task_record<T>> record) : m_record(std::move(record)) {}
    join_handle(join_handle&&) noexcept = default;
    join_handle& operator=(join_handle&& other) noexcept {
        if (this != &other) {
            release();
            m_record = std::move(other.m_record);
        }
        return *this;
    }
    ~join_handle() { release(); }

    // The task's id (as in traces and the inspector).
    std::uint32_t id() const { return m_record ? m_record->id : 0; }
    bool done() const { return m_record && m_record->state == detail::task_state::done; }
    // Cancels the task: its current or next await point throws coroscope::cancelled.
    void cancel() {
        if (m_record) detail::request_cancel(*m_record);
    }

    // Outside of tasks (e.g. after scheduler::run()): the value of a done task, or its exception.
    T get() {
        m_record->error_observed = true;
        if (m_record->error) std::rethrow_exception(m_record->error);
        if constexpr (!std::is_void_v<T>) return std::move(*m_record->value);
    }

    auto operator co_await() noexcept {
        struct awaiter {
            detail::typed_task_record<T>* record;
            bool await_ready() const noexcept { return record->state == detail::task_state::done; }
            void await_suspend(std::coroutine_handle<> waiting) noexcept {
                detail::task_record* self = detail::current.task;
                self->resume_point = waiting;
                self->reason = traces::wait_reason::join;
                self->target = record->id;
                self->unwait = &detail::leave_joiners;
                self->unwait_context = record;
                record->joiners.push_back(self);
            }
            T await_resume() {
                detail::throw_if_cancelled();
                record->error_observed = true;
                if (record->error) std::rethrow_exception(record->error);
                if constexpr (!std::is_void_v<T>) return std::move(*record->value);
            }
        };
        return awaiter{m_record.get()};
    }

private:
    void release() {
        if (m_record && m_record.use_count() == 1 && m_record->state == detail::task_state::done && m_record->error &&
            !m_record->error_observed)
            detail::report_unobserved_failure(*m_record);
        m_record.reset();
    }

    std::shared_ptr<detail::typed_task_record<T>> m_record;
};

} // namespace coroscope
