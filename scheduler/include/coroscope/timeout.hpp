#pragma once
// with_timeout(limit, operation): `co_await with_timeout(50ms, ch.recv())` gives the operation's
// value, or throws timeout_error if it has not completed within `limit`.
//
// `operation` is anything co_await accepts: a task<T> (e.g. `fetch(id)`), an awaitable such as
// ch.recv(), ch.send(v), m.lock(), s.acquire(), e.wait(), sleep_for(d), or a join_handle. It runs
// as a child task named "with_timeout" raced against a task named "with_timeout timer" sleeping for
// `limit`; the loser is cancelled. So the operation must tolerate cancellation (all Coroscope
// awaitables do), and its frames show in the child task, not in the caller's.
// - The operation completes first: its value (or exception) is returned (thrown); the timer is
//   cancelled and joined. A value wins even if the timer fired in the same tick.
// - The timer fires first: the operation is cancelled; once it has ended, timeout_error is thrown.
// - The caller is cancelled while waiting: both are cancelled and `cancelled` is thrown at once.
// The caller waits with reason join on the child task.
#include <coroscope/cancel.hpp>
#include <coroscope/join_handle.hpp>
#include <coroscope/sleep.hpp>
#include <coroscope/spawn.hpp>
#include <coroscope/task.hpp>

#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

namespace coroscope {

// Thrown by with_timeout() when the limit passes first.
class timeout_error : public std::exception {
public:
    const char* what() const noexcept override { return "operation timed out"; }
};

namespace detail {

template <typename A>
decltype(auto) awaiter_of(A&& awaitable) {
    if constexpr (requires { std::forward<A>(awaitable).operator co_await(); })
        return std::forward<A>(awaitable).operator co_await();
    else if constexpr (requires { operator co_await(std::forward<A>(awaitable)); })
        return operator co_await(std::forward<A>(awaitable));
    else
        return std::forward<A>(awaitable);
}
// What `co_await std::move(a)` gives for an awaitable of type A.
template <typename A>
using await_result_t = decltype(awaiter_of(std::declval<A>()).await_resume());

struct timeout_race {
    task_record* operation = nullptr; // the child task running the operation, while it runs
    bool fired = false;               // the timer fired before the operation ended
};

template <typename R, typename A>
task<R> timeout_operation(A operation, std::shared_ptr<timeout_race> race) {
    race->operation = current.task;
    struct clear_on_exit {
        timeout_race& race;
        ~clear_on_exit() { race.operation = nullptr; }
    } clear{*race};
    if constexpr (std::is_void_v<R>) co_await std::move(operation);
    else co_return co_await std::move(operation);
}

inline task<void> timeout_timer(std::chrono::nanoseconds limit, std::shared_ptr<timeout_race> race) {
    co_await sleep_for(limit);
    race->fired = true;
    if (race->operation) request_cancel(*race->operation);
}

inline bool is_cancellation(const std::exception_ptr& error) {
    try {
        std::rethrow_exception(error);
    } catch (const cancelled&) {
        return true;
    } catch (...) {
        return false;
    }
}

} // namespace detail

template <typename Rep, typename Period, typename Operation>
task<detail::await_result_t<Operation>> with_timeout(std::chrono::duration<Rep, Period> limit, Operation operation) {
    using R = detail::await_result_t<Operation>;
    static_assert(!std::is_reference_v<R>, "with_timeout needs an operation that gives a value, not a reference");
    detail::throw_if_cancelled();
    auto race = std::make_shared<detail::timeout_race>();
    auto child = spawn(detail::timeout_operation<R>(std::move(operation), race), "with_timeout");
    auto timer = spawn(detail::timeout_timer(std::chrono::duration_cast<std::chrono::nanoseconds>(limit), race),
                       "with_timeout timer");
    std::conditional_t<std::is_void_v<R>, bool, std::optional<R>> value{};
    std::exception_ptr failure;
    try {
        if constexpr (std::is_void_v<R>) co_await child;
        else value.emplace(co_await child);
    } catch (...) {
        failure = std::current_exception();
    }
    if (failure && detail::current.task->cancel_requested) {
        child.cancel();
        timer.cancel();
        std::rethrow_exception(failure);
    }
    timer.cancel();
    try {
        co_await timer; // so no helper task outlives the call
    } catch (const cancelled&) {
    }
    if (failure) {
        if (race->fired && detail::is_cancellation(failure)) throw timeout_error{};
        std::rethrow_exception(failure);
    }
    if constexpr (!std::is_void_v<R>) co_return std::move(*value);
}

} // namespace coroscope
