#pragma once
// stream: a byte stream on the scheduler's loop (a TCP connection or a pipe); the base of tcp_stream
// and pipe_stream. Every wait has reason io and target id() (records io_wait, then io_ready).
//   co_await s.read_some(buffer)     -> bytes read (>= 1), or 0 at end of file (and ever after).
//   co_await s.read_exact(buffer, n) -> fills buffer[0, n); throws end_of_file if the peer ends first.
//   co_await s.write(bytes)          -> writes all bytes; waits only for what the kernel did not take.
//   co_await s.shutdown()            -> sends end of file after the queued writes; reading goes on.
//   co_await s.close()               -> closes and waits until libuv has let go of the handle.
// Every awaitable here may be moved until it is awaited, so with_timeout(d, s.read_some(buffer))
// works. Failures throw io_error subclasses (io_error.hpp). One task reads a stream at a time (a second
// concurrent read throws std::logic_error); writes from several tasks go out in order.
// Reading stays on from the first read_some until end of file, an error or close: bytes that arrive
// while no task waits are kept for the next read_some, which then returns at once without waiting
// (up to read_buffer_limit bytes; past that reading pauses until the kept bytes are read). End of
// file and read errors come after the bytes that arrived before them, and stay: every later read
// returns 0, or throws the same error.
// Cancellation: a cancelled read loses no bytes (what its wake-up brought goes back to the stream)
// and the stream stays usable; a cancelled write or shutdown finishes in the background (the
// unwritten bytes were copied).
// Closing a stream (close(), destructor, assignment) wakes its blocked reader with io_error ECANCELED.
// Streams must be destroyed before their scheduler. Creating the first stream sets SIGPIPE to
// ignored (when it was the default), so a write to a closed peer throws broken_pipe instead.
#include <coroscope/detail/waiter_queue.hpp> // detail::cancel_pending()
#include <coroscope/io_error.hpp>
#include <coroscope/task.hpp>

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace coroscope {

namespace detail {
struct io_resource;
struct stream_io;
void retain(io_resource* resource) noexcept;
void release(io_resource* resource) noexcept;

// A counted reference to a resource's shared state. The state lives until its libuv handle has
// closed and the last reference is gone, so awaiters and callbacks never see freed memory.
class io_ref {
public:
    io_ref() = default;
    explicit io_ref(io_resource* resource) noexcept : m_resource(resource) {
        if (m_resource) retain(m_resource);
    }
    io_ref(const io_ref& other) noexcept : io_ref(other.m_resource) {}
    io_ref(io_ref&& other) noexcept : m_resource(std::exchange(other.m_resource, nullptr)) {}
    io_ref& operator=(io_ref other) noexcept {
        std::swap(m_resource, other.m_resource);
        return *this;
    }
    ~io_ref() { reset(); }
    void reset() noexcept {
        if (m_resource) release(std::exchange(m_resource, nullptr));
    }
    io_resource* get() const noexcept { return m_resource; }
    explicit operator bool() const noexcept { return m_resource != nullptr; }

private:
    io_resource* m_resource = nullptr;
};
} // namespace detail

// co_await stream.read_some(buffer) -> std::size_t (0 = end of file).
class read_awaiter {
public:
    read_awaiter(detail::io_ref stream, std::span<char> buffer) noexcept
        : m_stream(std::move(stream)), m_buffer(buffer) {}
    // Movable until awaited (e.g. into with_timeout); never while a task waits in it.
    read_awaiter(read_awaiter&& other) noexcept
        : m_stream(std::move(other.m_stream)), m_buffer(other.m_buffer), m_result(other.m_result) {}
    read_awaiter(const read_awaiter&) = delete;
    read_awaiter& operator=(const read_awaiter&) = delete;
    ~read_awaiter() { detach(); }
    bool await_ready();
    bool await_suspend(std::coroutine_handle<> waiting);
    std::size_t await_resume();

private:
    friend struct detail::stream_io;
    static void unwait(detail::task_record& task, void* self);
    void detach() noexcept;
    detail::io_ref m_stream;
    std::span<char> m_buffer;
    detail::task_record* m_task = nullptr; // set while linked to the stream as its reader
    std::ptrdiff_t m_result = 0;           // bytes, 0 for end of file, or a negative libuv code
};

// co_await stream.write(bytes) -> void, once every byte was handed to the kernel.
class write_awaiter {
public:
    write_awaiter(detail::io_ref stream, std::string_view bytes) noexcept
        : m_stream(std::move(stream)), m_bytes(bytes) {}
    write_awaiter(write_awaiter&& other) noexcept
        : m_stream(std::move(other.m_stream)), m_bytes(other.m_bytes), m_status(other.m_status) {}
    write_awaiter(const write_awaiter&) = delete;
    write_awaiter& operator=(const write_awaiter&) = delete;
    ~write_awaiter() { detach(); }
    bool await_ready();
    bool await_suspend(std::coroutine_handle<> waiting);
    void await_resume();

private:
    friend struct detail::stream_io;
    static void unwait(detail::task_record& task, void* self);
    void detach() noexcept;
    detail::io_ref m_stream;
    std::string_view m_bytes;          // what is left to write after the immediate attempt
    void* m_request = nullptr;         // the pending libuv write while linked
    detail::task_record* m_task = nullptr;
    int m_status = 0;
};

// co_await stream.shutdown() -> void, once queued writes went out and end of file was sent.
class shutdown_awaiter {
public:
    explicit shutdown_awaiter(detail::io_ref stream) noexcept : m_stream(std::move(stream)) {}
    shutdown_awaiter(shutdown_awaiter&& other) noexcept : m_stream(std::move(other.m_stream)), m_status(other.m_status) {}
    shutdown_awaiter(const shutdown_awaiter&) = delete;
    shutdown_awaiter& operator=(const shutdown_awaiter&) = delete;
    ~shutdown_awaiter() { detach(); }
    bool await_ready();
    bool await_suspend(std::coroutine_handle<> waiting);
    void await_resume();

private:
    friend struct detail::stream_io;
    static void unwait(detail::task_record& task, void* self);
    void detach() noexcept;
    detail::io_ref m_stream;
    detail::task_record* m_task = nullptr;
    int m_status = 0;
};

// co_await stream.close() -> void, once libuv has closed the handle (never throws but cancelled).
class close_awaiter {
public:
    explicit close_awaiter(detail::io_ref resource) noexcept : m_resource(std::move(resource)) {}
    close_awaiter(close_awaiter&& other) noexcept : m_resource(std::move(other.m_resource)) {}
    close_awaiter(const close_awaiter&) = delete;
    close_awaiter& operator=(const close_awaiter&) = delete;
    ~close_awaiter() { detach(); }
    bool await_ready() const noexcept;
    void await_suspend(std::coroutine_handle<> waiting);
    void await_resume() const;

private:
    friend struct detail::stream_io;
    static void unwait(detail::task_record& task, void* self);
    void detach() noexcept;
    detail::io_ref m_resource;
    detail::task_record* m_task = nullptr;
};

class stream {
public:
    // Bytes kept for the next read while no task reads; beyond this the stream stops reading
    // (backpressure: the kernel's buffers and then the peer's writes wait).
    static constexpr std::size_t read_buffer_limit = 64 * 1024;

    stream() = default;
    stream(stream&&) noexcept = default;
    stream& operator=(stream&& other) noexcept; // closes the stream held before
    ~stream();                                  // closes without waiting

    bool is_open() const noexcept;
    std::uint32_t id() const noexcept;   // the resource id in traces (0 once closed)
    std::string label() const;           // e.g. "tcp 127.0.0.1:5000 -> 127.0.0.1:40112"

    read_awaiter read_some(std::span<char> buffer);
    task<void> read_exact(std::span<char> buffer, std::size_t n);
    task<void> read_exact(std::span<char> buffer) { return read_exact(buffer, buffer.size()); }
    write_awaiter write(std::string_view bytes);
    shutdown_awaiter shutdown();
    close_awaiter close();

protected:
    explicit stream(detail::io_ref state) noexcept : m_state(std::move(state)) {}
    detail::io_ref m_state;
};

} // namespace coroscope
