#pragma once
// task_group: structured concurrency. The tasks spawned into a group are its members.
//
//   group.spawn(body, name)  starts a member task (a child of the running task); its value, if any,
//                            is discarded (pass results through a channel or a reference).
//   co_await group.wait()    waits until every member has ended (it joins them one by one: wait
//                            reason join, target the member being joined), then rethrows the first
//                            member failure, if any.
//   group.cancel()           cancels every member still running.
//
// The first member to fail (with anything but `cancelled`) cancels all its siblings; its exception is
// what wait() rethrows (the member itself still exits `failed` in the trace). A member spawned after
// that failure is cancelled before it starts. If the task in wait() is itself cancelled, it cancels
// the members and throws `cancelled` without waiting for them to end.
// Destroying a group whose members are still running cancels them; they end at their next await
// point, detached (a failure then nobody waited for is reported on stderr like any detached task's).
#include <coroscope/cancel.hpp>
#include <coroscope/join_handle.hpp>
#include <coroscope/spawn.hpp>
#include <coroscope/task.hpp>

#include <cstddef>
#include <deque>
#include <exception>
#include <memory>
#include <string>

namespace coroscope {

class task_group {
public:
    task_group() : m_state(std::make_shared<state>()) {}
    task_group(const task_group&) = delete;
    task_group& operator=(const task_group&) = delete;
    ~task_group() { cancel(); }

    // Starts `body` as a member task named `name`.
    template <typename T>
    void spawn(task<T> body, std::string name) {
        m_state->members.push_back(coroscope::spawn(member(std::move(body), m_state), std::move(name)));
        if (m_state->first_error) m_state->members.back().cancel();
    }

    // Waits for every member, then rethrows the first failure (see above).
    task<void> wait() { return wait_all(m_state).named("task_group::wait"); }

    // Cancels every member still running.
    void cancel() { m_state->cancel_all(0); }

    // Members not yet joined by wait() that have not ended.
    std::size_t running() const {
        std::size_t n = 0;
        for (const auto& m : m_state->members) n += !m.done();
        return n;
    }

private:
    struct state {
        std::deque<join_handle<void>> members; // not yet joined by wait()
        std::exception_ptr first_error;
        void cancel_all(std::uint32_t except) {
            for (auto& m : members)
                if (!m.done() && m.id() != except) m.cancel();
        }
    };

    template <typename T>
    static task<void> member(task<T> body, std::shared_ptr<state> group) {
        bool failed = false;
        try {
            co_await std::move(body);
        } catch (const cancelled&) {
            throw;
        } catch (...) {
            if (!group->first_error) {
                group->first_error = std::current_exception();
                failed = true;
            }
            if (!failed) throw;
        }
        if (failed) {
            // Cancel the siblings, then end `failed` with the exception (wait() reports it).
            group->cancel_all(detail::current.task->id);
            std::rethrow_exception(group->first_error);
        }
    }

    static task<void> wait_all(std::shared_ptr<state> group) {
        while (!group->members.empty()) {
            bool self_cancelled = false;
            try {
                co_await group->members.front();
            } catch (...) {
                // A member's failure or cancellation is the group's business (first_error); our own
                // cancellation is not.
                self_cancelled = detail::current.task->cancel_requested;
            }
            if (self_cancelled) {
                group->cancel_all(0);
                throw cancelled{};
            }
            group->members.pop_front();
        }
        if (auto error = std::exchange(group->first_error, nullptr)) std::rethrow_exception(error);
    }

    std::shared_ptr<state> m_state;
};

} // namespace coroscope
