#pragma once
// Shared state of IO resources (streams, listeners, processes). Private to the scheduler library.
//
// A resource's state is reference counted (detail::io_ref): the owning object (stream, listener,
// process), every awaiter and every pending libuv request holds a reference, and the live libuv
// handle holds one that its close callback drops. So memory outlives both the handle and anyone
// who might still look at it, whatever order tasks, awaiters and callbacks end in.
#include <coroscope/scheduler.hpp>
#include <coroscope/stream.hpp>

#include <uv.h>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace coroscope {
class connect_awaiter;
class accept_awaiter;
class exit_awaiter;
}

namespace coroscope::detail {

// Sets SIGPIPE to ignored once, if it still has its default action.
void ignore_sigpipe();

struct io_resource {
    io_resource(scheduler& owner, traces::resource_kind resource_kind);
    io_resource(const io_resource&) = delete;
    io_resource& operator=(const io_resource&) = delete;
    virtual ~io_resource() = default;
    virtual uv_handle_t* handle() noexcept = 0;
    // Wakes the waiters libuv will not call back once the handle closes (readers, acceptors...).
    virtual void before_close() {}

    // Call right after uv_*_init succeeded: the handle now holds a reference until it closes.
    void handle_initialized() noexcept;
    // Names the resource and records resource_open.
    void opened(std::string text);
    // Starts closing the handle (once) and records resource_close. `reset` closes a TCP stream with RST.
    void close(bool reset = false);

    scheduler* sched;
    std::uint32_t id;
    traces::resource_kind kind;
    std::string label;
    int refs = 0;
    bool handle_live = false; // initialized and not yet through its close callback
    bool closing = false;     // close() was called
    bool closed = false;      // the close callback ran (or the handle never existed)
    std::vector<close_awaiter*> closers;

    // Wakes `task` (waiting with reason io), recording io_ready for `direction` with `value`.
    void wake(task_record*& task, traces::io_direction direction, std::int64_t value);
    // Records io_wait for the current task and sets its wait reason and target.
    void suspend(task_record& task, std::coroutine_handle<> waiting, traces::io_direction direction,
                 void (*unwait)(task_record&, void*), void* context);

private:
    static void on_close(uv_handle_t* handle);
};

struct stream_state final : io_resource {
    stream_state(scheduler& owner, traces::resource_kind resource_kind) : io_resource(owner, resource_kind) {
        h.handle.data = this;
    }
    union handles {
        uv_handle_t handle;
        uv_stream_t stream;
        uv_tcp_t tcp;
        uv_pipe_t pipe;
    } h{};
    uv_handle_t* handle() noexcept override { return &h.handle; }
    uv_stream_t* stream() noexcept { return &h.stream; }
    void before_close() override;

    // Reading. Once a task first reads, libuv reading stays on between reads (re-arming the socket
    // in epoll for every read_some cost two syscalls per read). Bytes that arrive while no task
    // waits are kept in `inbox` and handed to the next read_some; past read_buffer_limit bytes
    // reading stops (backpressure) until a read drains the inbox. End of file and read errors are
    // kept too, and reach the reads after the bytes that came before them. The handle is referenced
    // only while a reader waits, so a stream nobody reads does not keep run() from seeing it is stuck.
    static constexpr std::size_t read_buffer_limit = coroscope::stream::read_buffer_limit;
    read_awaiter* reader = nullptr;
    bool reading = false;       // libuv reading is on (uv_read_start)
    bool read_direct = false;   // the last on_alloc gave libuv the waiting reader's own buffer
    bool eof = false;           // end of file arrived (delivered once the inbox is empty)
    int read_error = 0;         // a read failed with this libuv code (likewise; every later read gets it)
    std::unique_ptr<char[]> inbox; // allocated on first use; inbox_capacity bytes
    std::size_t inbox_capacity = 0;
    std::size_t inbox_begin = 0;   // unread bytes are [inbox_begin, inbox_end)
    std::size_t inbox_end = 0;
    std::size_t buffered() const noexcept { return inbox_end - inbox_begin; }
    shutdown_awaiter* shutter = nullptr;
    uv_shutdown_t shutdown_req{};
    bool shutdown_started = false;
    connect_awaiter* connector = nullptr;
    uv_connect_t connect_req{};
};

inline stream_state* as_stream(const io_ref& ref) { return static_cast<stream_state*>(ref.get()); }

// The resource a libuv handle belongs to (handle->data holds its io_resource*).
template <typename State>
State* state_of(const void* handle) {
    return static_cast<State*>(static_cast<io_resource*>(static_cast<const uv_handle_t*>(handle)->data));
}

} // namespace coroscope::detail

#include <coroscope/pipe.hpp>

namespace coroscope::detail {
// A new pipe's state; the handle is initialized (so it must be closed).
io_ref new_pipe_state(scheduler& sched);
struct pipe_io {
    static pipe_stream make(io_ref state);
    static stream_state* state(const pipe_stream& pipe) { return as_stream(pipe.m_state); }
};
} // namespace coroscope::detail
