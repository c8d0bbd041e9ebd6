#pragma once
// A task_record that owns a task<T>'s root frame and, once it ends, its result.
#include <coroscope/detail/task_record.hpp>
#include <coroscope/task.hpp>

#include <optional>
#include <type_traits>

namespace coroscope {

namespace detail {
template <typename T>
struct typed_task_record final : task_record {
    explicit typed_task_record(task<T> body) : root(std::move(body)) {}
    void harvest_root() override {
        auto& promise = root.handle().promise();
        error = promise.m_error;
        if constexpr (!std::is_void_v<T>) {
            if (!error) value.emplace(std::move(*promise.m_value));
        }
        root.reset();
    }
    promise_base& root_promise() override { return root.handle().promise(); }
    void destroy_root() override { root.reset(); }

    task<T> root;
    std::conditional_t<std::is_void_v<T>, bool, std::optional<T>> value{};
};
} // namespace detail

} // namespace coroscope
