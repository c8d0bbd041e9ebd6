#pragma once
// TCP on the scheduler's loop. Addresses are numeric IPv4/IPv6 ("127.0.0.1", "::1"); no DNS.
// Listeners and sockets are made inside a running task and must be gone before their scheduler.
//   tcp_listener listener("127.0.0.1", 0);   listens now (port 0: any free port, see port());
//                                             throws address_in_use if the port is taken.
//   co_await listener.accept()             -> tcp_stream (reason io, direction accept, target listener.id())
//   co_await tcp_connect("127.0.0.1", port) -> tcp_stream (reason io, direction connect); throws
//                                             connection_refused when nobody listens there.
//   co_await stream.close_reset()          -> closes with RST: the peer's reads throw connection_reset.
// Cancellation: a cancelled accept leaves pending connections for the next accept; a cancelled
// connect closes its half-made socket. Closing a listener wakes its acceptors with io_error ECANCELED.
// tcp_stream has the read/write/shutdown/close API of stream (stream.hpp).
#include <coroscope/stream.hpp>

#include <string>
#include <string_view>

namespace coroscope {

namespace detail {
struct tcp_io;
}

class tcp_stream : public stream {
public:
    tcp_stream() = default;
    // Closes at once with a TCP reset (RST) instead of an orderly FIN; waits like close().
    close_awaiter close_reset();

private:
    friend struct detail::tcp_io;
    friend class connect_awaiter;
    friend class accept_awaiter;
    explicit tcp_stream(detail::io_ref state) noexcept : stream(std::move(state)) {}
};

// co_await listener.accept() -> tcp_stream.
class accept_awaiter {
public:
    explicit accept_awaiter(detail::io_ref listener) noexcept : m_listener(std::move(listener)) {}
    accept_awaiter(accept_awaiter&& other) noexcept
        : m_listener(std::move(other.m_listener)), m_claimed(std::exchange(other.m_claimed, false)), m_status(other.m_status) {}
    accept_awaiter(const accept_awaiter&) = delete;
    accept_awaiter& operator=(const accept_awaiter&) = delete;
    ~accept_awaiter();
    bool await_ready();
    void await_suspend(std::coroutine_handle<> waiting);
    tcp_stream await_resume();

private:
    friend struct detail::tcp_io;
    static void unwait(detail::task_record& task, void* self);
    void detach() noexcept;
    detail::io_ref m_listener;
    detail::task_record* m_task = nullptr; // set while queued on the listener
    bool m_claimed = false;                // woken for a pending connection it has not taken yet
    int m_status = 0;
};

// co_await tcp_connect(host, port) -> tcp_stream.
class connect_awaiter {
public:
    connect_awaiter(std::string host, int port) : m_host(std::move(host)), m_port(port) {}
    connect_awaiter(connect_awaiter&& other) noexcept
        : m_host(std::move(other.m_host)), m_port(other.m_port), m_stream(std::move(other.m_stream)), m_status(other.m_status) {}
    connect_awaiter(const connect_awaiter&) = delete;
    connect_awaiter& operator=(const connect_awaiter&) = delete;
    ~connect_awaiter();
    bool await_ready() const noexcept { return detail::cancel_pending(); }
    bool await_suspend(std::coroutine_handle<> waiting);
    tcp_stream await_resume();

private:
    friend struct detail::tcp_io;
    static void unwait(detail::task_record& task, void* self);
    void detach() noexcept;
    std::string m_host;
    int m_port;
    detail::io_ref m_stream; // the socket being connected, until handed to the tcp_stream
    detail::task_record* m_task = nullptr;
    int m_status = 0;
};

inline connect_awaiter tcp_connect(std::string host, int port) { return connect_awaiter(std::move(host), port); }

class tcp_listener {
public:
    tcp_listener() = default;
    tcp_listener(std::string_view host, int port, int backlog = 128);
    tcp_listener(tcp_listener&&) noexcept = default;
    tcp_listener& operator=(tcp_listener&& other) noexcept; // closes the listener held before
    ~tcp_listener();                                        // closes

    accept_awaiter accept() { return accept_awaiter(m_state); }
    int port() const noexcept;           // the bound port (useful after listening on port 0)
    std::uint32_t id() const noexcept;   // the resource id in traces
    std::string label() const;           // "tcp listen 127.0.0.1:PORT"
    void close();                        // stops listening; blocked acceptors throw io_error ECANCELED

private:
    detail::io_ref m_state;
};

} // namespace coroscope
