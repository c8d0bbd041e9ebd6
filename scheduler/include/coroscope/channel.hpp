#pragma once
// channel<T>: a FIFO queue of values between tasks, bounded (capacity N >= 1) or unbounded
// (capacity channel<T>::unbounded, the default).
//
//   co_await ch.send(v)  waits while a bounded channel is full (wait reason: channel, target: the
//                        channel's id); throws channel_closed if the channel is (or gets) closed.
//   co_await ch.recv()   gives the next value, waiting while the channel is empty (reason channel);
//                        std::nullopt once the channel is closed and drained.
//   ch.close()           no more sends; wakes every waiter (senders throw channel_closed, receivers
//                        get nullopt); values already buffered are still received.
//   try_send / try_recv  the same without waiting.
//
// Waiting senders and receivers are served first come, first served. A value sent while a receiver
// waits is handed straight to that receiver. Cancellation: a task cancelled while waiting leaves the
// queue. A receiver cancelled after a value was handed to it (but before it ran) gives the value back
// to the front of the channel; a sender cancelled after its value was accepted throws `cancelled`,
// but the value stays sent. The channel must outlive the tasks that wait on it.
#include <coroscope/cancel.hpp>
#include <coroscope/detail/waiter_queue.hpp>
#include <coroscope/scheduler.hpp>

#include <cstddef>
#include <deque>
#include <exception>
#include <optional>
#include <utility>

namespace coroscope {

// Thrown by send() on a closed channel.
class channel_closed : public std::exception {
public:
    const char* what() const noexcept override { return "channel closed"; }
};

template <typename T>
class channel {
public:
    static constexpr std::size_t unbounded = 0;

    explicit channel(std::size_t capacity = unbounded) : m_capacity(capacity) {
        detail::object_id(m_id, scheduler::current());
    }
    channel(const channel&) = delete;
    channel& operator=(const channel&) = delete;

    class [[nodiscard]] send_awaiter : public detail::waiter {
    public:
        send_awaiter(channel& ch, T value) : m_channel(&ch), m_value(std::move(value)) {}
        bool await_ready() {
            if (detail::cancel_pending() || m_channel->m_closed) return true;
            if (!m_channel->m_receivers.empty() || !m_channel->full()) {
                m_channel->deliver(std::move(*m_value));
                m_sent = true;
                return true;
            }
            return false;
        }
        void await_suspend(std::coroutine_handle<> waiting) {
            suspend(m_channel->m_senders, waiting, traces::wait_reason::channel,
                    detail::object_id(m_channel->m_id, detail::current.sched));
        }
        void await_resume() {
            detail::throw_if_cancelled();
            if (!m_sent) throw channel_closed{};
        }

    private:
        friend class channel;
        channel* m_channel;
        std::optional<T> m_value;
        bool m_sent = false;
    };

    class [[nodiscard]] recv_awaiter : public detail::waiter {
    public:
        explicit recv_awaiter(channel& ch) : m_channel(&ch) {}
        bool await_ready() {
            if (detail::cancel_pending()) return true;
            if (!m_channel->m_buffer.empty()) {
                m_value.emplace(m_channel->take_front());
                return true;
            }
            return m_channel->m_closed; // closed and drained: nullopt
        }
        void await_suspend(std::coroutine_handle<> waiting) {
            suspend(m_channel->m_receivers, waiting, traces::wait_reason::channel,
                    detail::object_id(m_channel->m_id, detail::current.sched));
        }
        std::optional<T> await_resume() {
            if (detail::cancel_pending()) [[unlikely]] {
                // Handed a value, then cancelled before running: the value goes back, not astray.
                if (m_value) m_channel->give_back(std::move(*m_value));
                throw cancelled{};
            }
            return std::move(m_value);
        }

    private:
        friend class channel;
        channel* m_channel;
        std::optional<T> m_value;
    };

    // Sends `value` (see the contract above).
    send_awaiter send(T value) { return send_awaiter(*this, std::move(value)); }
    // Receives the next value, or nullopt once closed and drained.
    recv_awaiter recv() { return recv_awaiter(*this); }

    // Sends without waiting: false (and `value` untouched) if the channel is full or closed.
    bool try_send(T&& value) {
        if (m_closed || (m_receivers.empty() && full())) return false;
        deliver(std::move(value));
        return true;
    }
    bool try_send(const T& value) {
        T copy(value);
        return try_send(std::move(copy));
    }
    // Receives without waiting: nullopt if nothing is buffered.
    std::optional<T> try_recv() {
        if (m_buffer.empty()) return std::nullopt;
        return take_front();
    }

    // Closes the channel (idempotent) and wakes every waiting sender and receiver.
    void close() {
        if (m_closed) return;
        m_closed = true;
        while (detail::waiter* w = m_receivers.pop_front()) detail::waiter_queue::wake(*w, traces::wait_reason::channel);
        while (detail::waiter* w = m_senders.pop_front()) detail::waiter_queue::wake(*w, traces::wait_reason::channel);
    }

    bool closed() const noexcept { return m_closed; }
    std::size_t size() const noexcept { return m_buffer.size(); } // buffered values
    std::size_t capacity() const noexcept { return m_capacity; }  // 0 = unbounded
    std::size_t waiting_senders() const noexcept { return m_senders.size(); }
    std::size_t waiting_receivers() const noexcept { return m_receivers.size(); }
    // The id shown as the wait target (0 until a scheduler has been seen).
    std::uint32_t id() const noexcept { return m_id; }

private:
    bool full() const noexcept { return m_capacity != unbounded && m_buffer.size() >= m_capacity; }

    // Accepts a value without waiting: to the first waiting receiver, else into the buffer.
    void deliver(T&& value) {
        if (detail::waiter* w = m_receivers.pop_front()) {
            static_cast<recv_awaiter*>(w)->m_value.emplace(std::move(value));
            detail::waiter_queue::wake(*w, traces::wait_reason::channel);
        } else {
            m_buffer.push_back(std::move(value));
        }
    }
    // Pops the oldest buffered value; the first waiting sender's value takes the freed slot.
    T take_front() {
        T value = std::move(m_buffer.front());
        m_buffer.pop_front();
        if (detail::waiter* w = m_senders.pop_front()) {
            auto* sender = static_cast<send_awaiter*>(w);
            m_buffer.push_back(std::move(*sender->m_value));
            sender->m_sent = true;
            detail::waiter_queue::wake(*w, traces::wait_reason::channel);
        }
        return value;
    }
    // A cancelled receiver's value: to the next waiting receiver, else back to the buffer's front
    // (a bounded buffer may then hold one value over its capacity until it is received).
    void give_back(T&& value) {
        if (detail::waiter* w = m_receivers.pop_front()) {
            static_cast<recv_awaiter*>(w)->m_value.emplace(std::move(value));
            detail::waiter_queue::wake(*w, traces::wait_reason::channel);
        } else {
            m_buffer.push_front(std::move(value));
        }
    }

    std::deque<T> m_buffer;
    std::size_t m_capacity;
    bool m_closed = false;
    std::uint32_t m_id = 0;
    detail::waiter_queue m_senders;
    detail::waiter_queue m_receivers;
};

} // namespace coroscope
