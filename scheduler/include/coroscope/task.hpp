#pragma once
// task<T>: a lazy coroutine. Calling a task function creates its frame suspended; `co_await` runs it
// as a nested frame of the awaiting task, and gives its value or rethrows its exception. spawn() makes a task a microthread.
//
// A call or return between frames hands the next frame to the scheduler's step loop instead of
// resuming it on the C++ stack, so a million synchronous completions in a row use constant stack.
//
// Every frame is named without annotations: the promise captures the coroutine function's name and
// source location. `co_await child().named("friendly name")` overrides the name shown.
#include <coroscope/detail/context.hpp>
#include <coroscope/detail/task_record.hpp>

#include <cassert>
#include <coroutine>
#include <exception>
#include <optional>
#include <source_location>
#include <utility>

namespace coroscope {

struct promise_base {
    explicit promise_base(std::source_location location) : m_location(location) {}

    std::source_location m_location;          // the coroutine function and its definition line
    const char* m_friendly_name = nullptr;    // set by task::named(); shown instead of the function name
    std::coroutine_handle<> m_continuation;   // the awaiting frame; empty for a task's root frame
    std::exception_ptr m_error;               // what the frame threw
    detail::task_record* m_task = nullptr;    // the task this frame runs in

    // m_error = the exception being handled. Out of line on purpose: inlined into a coroutine's
    // body, its exception_ptr temporaries gave the body a stack frame, i.e. two pushes and a stack
    // adjustment on every resumption (4 of the ~57 instructions of a task switch in bench-switch).
    [[gnu::noinline]] void capture_exception() noexcept { m_error = std::current_exception(); }
};

namespace detail {
// Recorded only while tracing (see scheduler.cpp); the depth bookkeeping is always done.
void trace_frame_enter(promise_base& frame);
void trace_frame_exit(promise_base& frame);

inline void frame_enter(promise_base& frame) {
    ++frame.m_task->depth;
    if (instrumented && current.tracing) [[unlikely]]
        trace_frame_enter(frame);
}
inline void frame_exit(promise_base& frame) {
    --frame.m_task->depth;
    if (instrumented && current.tracing) [[unlikely]]
        trace_frame_exit(frame);
}

struct final_awaiter {
    bool await_ready() const noexcept { return false; }
    template <typename Promise>
    void await_suspend(std::coroutine_handle<Promise> self) noexcept {
        promise_base& frame = self.promise();
        frame_exit(frame);
        if (frame.m_continuation) frame.m_task->transfer = frame.m_continuation; // back to the caller
        else frame.m_task->finished = true; // the root frame ended: the step ends
    }
    void await_resume() const noexcept {}
};
} // namespace detail

template <typename T = void>
class task;

namespace detail {
template <typename T>
struct task_promise : promise_base {
    task_promise(std::source_location location = std::source_location::current()) : promise_base(location) {}
    task<T> get_return_object() noexcept;
    std::suspend_always initial_suspend() const noexcept { return {}; }
    final_awaiter final_suspend() const noexcept { return {}; }
    void unhandled_exception() noexcept { capture_exception(); }
    template <typename U>
    void return_value(U&& value) {
        m_value.emplace(std::forward<U>(value));
    }
    T take() {
        if (m_error) std::rethrow_exception(m_error);
        return std::move(*m_value);
    }
    std::optional<T> m_value;
};

template <>
struct task_promise<void> : promise_base {
    task_promise(std::source_location location = std::source_location::current()) : promise_base(location) {}
    task<void> get_return_object() noexcept;
    std::suspend_always initial_suspend() const noexcept { return {}; }
    final_awaiter final_suspend() const noexcept { return {}; }
    void unhandled_exception() noexcept { capture_exception(); }
    void return_void() noexcept {}
    void take() {
        if (m_error) std::rethrow_exception(m_error);
    }
};
} // namespace detail

template <typename T>
class [[nodiscard]] task {
public:
    using promise_type = detail::task_promise<T>;
    using value_type = T;

    task() noexcept = default;
    explicit task(std::coroutine_handle<promise_type> handle) noexcept : m_handle(handle) {}
    task(task&& other) noexcept : m_handle(std::exchange(other.m_handle, {})) {}
    task& operator=(task&& other) noexcept {
        if (this != &other) {
            reset();
            m_handle = std::exchange(other.m_handle, {});
        }
        return *this;
    }
    task(const task&) = delete;
    task& operator=(const task&) = delete;
    ~task() { reset(); }

    // Shows `name` for this frame instead of its function name. Use before awaiting or spawning.
    task&& named(const char* name) && noexcept {
        if (m_handle) m_handle.promise().m_friendly_name = name;
        return std::move(*this);
    }

    bool valid() const noexcept { return static_cast<bool>(m_handle); }
    std::coroutine_handle<promise_type> handle() const noexcept { return m_handle; }
    void reset() noexcept {
        if (m_handle) std::exchange(m_handle, {}).destroy();
    }

    auto operator co_await() && noexcept {
        struct awaiter {
            std::coroutine_handle<promise_type> child;
            bool await_ready() const noexcept { return false; }
            void await_suspend(std::coroutine_handle<> parent) noexcept {
                promise_type& frame = child.promise();
                frame.m_continuation = parent;
                frame.m_task = detail::current.task;
                assert(frame.m_task && "a task can only be awaited from inside a running task");
                detail::frame_enter(frame);
                frame.m_task->transfer = child; // the step loop runs the child next
            }
            T await_resume() { return child.promise().take(); }
        };
        assert(m_handle && "awaiting an empty task");
        return awaiter{m_handle};
    }

private:
    std::coroutine_handle<promise_type> m_handle;
};

namespace detail {
template <typename T>
task<T> task_promise<T>::get_return_object() noexcept {
    return task<T>{std::coroutine_handle<task_promise<T>>::from_promise(*this)};
}
inline task<void> task_promise<void>::get_return_object() noexcept {
    return task<void>{std::coroutine_handle<task_promise<void>>::from_promise(*this)};
}
} // namespace detail

} // namespace coroscope
