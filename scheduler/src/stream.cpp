#include "io_internal.hpp"

#include <coroscope/cancel.hpp>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <memory>
#include <mutex>
#include <stdexcept>

namespace coroscope {

using traces::event_kind;
using traces::io_direction;

namespace detail {

void ignore_sigpipe() {
    static std::once_flag once;
    std::call_once(once, [] {
        struct sigaction current {};
        if (::sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) std::signal(SIGPIPE, SIG_IGN);
    });
}

void retain(io_resource* resource) noexcept { ++resource->refs; }
void release(io_resource* resource) noexcept {
    if (--resource->refs == 0) delete resource;
}

io_resource::io_resource(scheduler& owner, traces::resource_kind resource_kind)
    : sched(&owner), id(owner.next_object_id()), kind(resource_kind) {}

void io_resource::handle_initialized() noexcept {
    handle_live = true;
    handle()->data = this;
    retain(this);
}

void io_resource::opened(std::string text) {
    label = std::move(text);
    if (sched->tracing()) sched->emit_now(event_kind::resource_open, 0, static_cast<std::uint8_t>(kind), id, sched->intern(label));
}

void io_resource::close(bool reset) {
    if (closing) return;
    closing = true;
    before_close();
    if (sched->tracing() && !label.empty()) sched->emit_now(event_kind::resource_close, 0, 0, id);
    if (!handle_live) {
        closed = true;
        return;
    }
    if (reset && handle()->type == UV_TCP &&
        uv_tcp_close_reset(reinterpret_cast<uv_tcp_t*>(handle()), &io_resource::on_close) == 0)
        return;
    uv_close(handle(), &io_resource::on_close);
}

void io_resource::wake(task_record*& task, io_direction direction, std::int64_t value) {
    task_record* woken = std::exchange(task, nullptr);
    sched->emit_now(event_kind::io_ready, woken->id, static_cast<std::uint8_t>(direction), id,
                    static_cast<std::uint64_t>(value));
    sched->make_ready(*woken, traces::wait_reason::io, 0);
}

void io_resource::suspend(task_record& task, std::coroutine_handle<> waiting, io_direction direction,
                          void (*unwait)(task_record&, void*), void* context) {
    task.resume_point = waiting;
    task.reason = traces::wait_reason::io;
    task.target = id;
    task.unwait = unwait;
    task.unwait_context = context;
    sched->emit(event_kind::io_wait, task.id, static_cast<std::uint8_t>(direction), id);
}

// The libuv callbacks of streams (a friend of the awaiters).
struct stream_io {
    static void wake_closers(io_resource& self) {
        for (close_awaiter* closer : std::exchange(self.closers, {})) {
            task_record* task = std::exchange(closer->m_task, nullptr);
            if (task) self.sched->make_ready(*task, traces::wait_reason::io, 0);
        }
    }

    static void cancel_reader(stream_state& self) {
        if (read_awaiter* reader = std::exchange(self.reader, nullptr)) {
            reader->m_result = UV_ECANCELED;
            self.wake(reader->m_task, io_direction::read, UV_ECANCELED);
        }
        self.inbox.reset(); // closing: what nobody read is gone with the stream
        self.inbox_capacity = self.inbox_begin = self.inbox_end = 0;
    }

    // The handle keeps the loop alive only while a task waits to read (or for what else libuv
    // counts: pending writes, connects and shutdowns are requests and keep it alive on their own).
    static void update_ref(stream_state& self) {
        if (!self.handle_live || self.closing) return;
        if (self.reader) uv_ref(self.handle());
        else uv_unref(self.handle());
    }

    // Turns libuv reading on (no-op while on). Returns a libuv status.
    static int start_reading(stream_state& self) {
        if (self.reading) return 0;
        int rc = uv_read_start(self.stream(), &stream_io::on_alloc, &stream_io::on_read);
        if (rc == 0) self.reading = true;
        update_ref(self);
        return rc;
    }

    static void stop_reading(stream_state& self) {
        if (!self.reading) return;
        self.reading = false;
        uv_read_stop(self.stream());
    }

    // Makes room for `extra` more bytes after the inbox's unread ones (moving them to the front).
    static void make_room(stream_state& self, std::size_t extra) {
        std::size_t unread = self.buffered();
        if (self.inbox_capacity - self.inbox_end >= extra) return;
        if (self.inbox_capacity >= unread + extra) {
            std::memmove(self.inbox.get(), self.inbox.get() + self.inbox_begin, unread);
        } else {
            std::size_t capacity = std::max(stream_state::read_buffer_limit, unread + extra);
            auto bigger = std::make_unique_for_overwrite<char[]>(capacity);
            if (unread > 0) std::memcpy(bigger.get(), self.inbox.get() + self.inbox_begin, unread);
            self.inbox = std::move(bigger);
            self.inbox_capacity = capacity;
        }
        self.inbox_begin = 0;
        self.inbox_end = unread;
    }

    // A read completes from what was kept: the inbox's bytes, then end of file or the error.
    // Returns false when there is nothing kept (the reader must wait).
    static bool take_kept(stream_state& self, read_awaiter& reader) {
        if (std::size_t unread = self.buffered(); unread > 0) {
            std::size_t n = std::min(unread, reader.m_buffer.size());
            std::memcpy(reader.m_buffer.data(), self.inbox.get() + self.inbox_begin, n);
            self.inbox_begin += n;
            reader.m_result = static_cast<std::ptrdiff_t>(n);
            if (self.buffered() == 0) {
                self.inbox_begin = self.inbox_end = 0;
                // Drained: reading goes on again if backpressure had stopped it.
                if (!self.eof && self.read_error == 0)
                    if (int rc = start_reading(self); rc != 0) self.read_error = rc;
            }
            return true;
        }
        if (self.eof || self.read_error != 0) {
            reader.m_result = self.eof ? 0 : self.read_error;
            return true;
        }
        return false;
    }

    // A woken reader that was cancelled before it ran puts its bytes back in front of the inbox, so
    // the next read gets them: cancelling a read loses no bytes.
    static void give_back(stream_state& self, std::span<const char> bytes) {
        if (self.closing || bytes.empty()) return;
        std::size_t unread = self.buffered();
        if (self.inbox_begin < bytes.size()) {
            auto bigger = std::make_unique_for_overwrite<char[]>(std::max(stream_state::read_buffer_limit, unread + bytes.size()));
            if (unread > 0) std::memcpy(bigger.get() + bytes.size(), self.inbox.get() + self.inbox_begin, unread);
            self.inbox = std::move(bigger);
            self.inbox_capacity = std::max(stream_state::read_buffer_limit, unread + bytes.size());
            self.inbox_begin = bytes.size();
            self.inbox_end = bytes.size() + unread;
        }
        self.inbox_begin -= bytes.size();
        std::memcpy(self.inbox.get() + self.inbox_begin, bytes.data(), bytes.size());
        if (read_awaiter* reader = std::exchange(self.reader, nullptr)) {
            // Another task began waiting to read in the meantime (it found nothing): it gets them.
            take_kept(self, *reader);
            update_ref(self);
            self.wake(reader->m_task, io_direction::read, reader->m_result);
        }
        if (self.buffered() >= stream_state::read_buffer_limit) stop_reading(self);
    }

    // Where libuv reads to. A waiting reader with a buffer of at least the limit gets the bytes
    // straight into it. Otherwise they go to the inbox (empty while a reader waits), and the reader
    // takes its share from there: a small buffer filled to the brim would make libuv read again at
    // once, only to find nothing (one wasted read syscall per read_some), where the inbox's room
    // makes that read a partial one, after which libuv stops.
    static void on_alloc(uv_handle_t* handle, std::size_t, uv_buf_t* buf) {
        auto* self = state_of<stream_state>(handle);
        if (self->reader && self->reader->m_buffer.size() >= stream_state::read_buffer_limit) {
            self->read_direct = true;
            *buf = uv_buf_init(self->reader->m_buffer.data(), static_cast<unsigned>(self->reader->m_buffer.size()));
            return;
        }
        self->read_direct = false;
        std::size_t room = stream_state::read_buffer_limit - std::min(stream_state::read_buffer_limit, self->buffered());
        make_room(*self, room);
        *buf = uv_buf_init(self->inbox.get() + self->inbox_end, static_cast<unsigned>(room));
    }

    static void on_read(uv_stream_t* handle, ssize_t nread, const uv_buf_t*) {
        auto* self = state_of<stream_state>(handle);
        self->sched->note_callback();
        if (nread == 0) return; // EAGAIN: nothing this time
        read_awaiter* reader = std::exchange(self->reader, nullptr);
        if (nread < 0) { // end of file or an error: reading is over (libuv already stopped it at EOF)
            stop_reading(*self);
            if (nread == UV_EOF) self->eof = true;
            else self->read_error = static_cast<int>(nread);
        } else if (!self->read_direct) { // into the inbox: kept (reading stops past the limit)
            self->inbox_end += static_cast<std::size_t>(nread);
            if (reader) take_kept(*self, *reader); // the waiting reader's share
            if (self->buffered() >= stream_state::read_buffer_limit) stop_reading(*self);
        } else if (reader) {
            reader->m_result = nread; // straight into its buffer
        }
        if (reader) {
            if (nread < 0) reader->m_result = nread == UV_EOF ? 0 : nread;
            update_ref(*self);
            self->wake(reader->m_task, io_direction::read, nread);
        } else {
            // Bytes, end of file or an error that nobody waits for yet (task 0): the next read takes it.
            self->sched->emit_now(event_kind::io_ready, 0, static_cast<std::uint8_t>(io_direction::read), self->id,
                                  static_cast<std::uint64_t>(static_cast<std::int64_t>(nread)));
        }
    }

    struct write_request {
        uv_write_t req{};
        io_ref stream;
        write_awaiter* waiter = nullptr;
        std::unique_ptr<char[]> bytes; // a copy: the writer's buffer may go away if it is cancelled
        std::size_t size = 0;
    };

    static void on_write(uv_write_t* req, int status) {
        std::unique_ptr<write_request> request(static_cast<write_request*>(req->data));
        stream_state* self = as_stream(request->stream);
        self->sched->note_callback();
        if (write_awaiter* waiter = request->waiter) {
            waiter->m_request = nullptr;
            waiter->m_status = status;
            self->wake(waiter->m_task, io_direction::write, status < 0 ? status : static_cast<std::int64_t>(request->size));
        } else {
            // Its writer was cancelled: the bytes went out anyway; nobody to wake.
            self->sched->emit_now(traces::event_kind::io_ready, 0, static_cast<std::uint8_t>(io_direction::write), self->id,
                                  static_cast<std::uint64_t>(status < 0 ? status : static_cast<std::int64_t>(request->size)));
        }
    }

    static void on_shutdown(uv_shutdown_t* req, int status) {
        auto* self = static_cast<stream_state*>(req->data);
        self->sched->note_callback();
        if (shutdown_awaiter* waiter = std::exchange(self->shutter, nullptr)) {
            waiter->m_status = status;
            self->wake(waiter->m_task, io_direction::write, status);
        }
        release(self); // the request's reference
    }
};

void io_resource::on_close(uv_handle_t* handle) {
    auto* self = state_of<io_resource>(handle);
    self->sched->note_callback();
    self->closed = true;
    self->handle_live = false;
    stream_io::wake_closers(*self);
    release(self); // the handle's reference
}

void stream_state::before_close() { stream_io::cancel_reader(*this); }

} // namespace detail

using detail::as_stream;
using detail::stream_io;

namespace {
std::string peer_of(const detail::io_ref& ref) { return ref ? ref.get()->label : std::string("a closed stream"); }
} // namespace

// --- read ---------------------------------------------------------------------------------------

bool read_awaiter::await_ready() {
    if (detail::cancel_pending()) return true;
    detail::stream_state* self = as_stream(m_stream);
    if (!self || self->closing) {
        m_result = UV_EBADF;
        return true;
    }
    if (self->reader) throw std::logic_error("two tasks read " + self->label + " at once");
    return stream_io::take_kept(*self, *this); // from the inbox: no wait, no event
}

bool read_awaiter::await_suspend(std::coroutine_handle<> waiting) {
    detail::stream_state* self = as_stream(m_stream);
    if (int rc = stream_io::start_reading(*self); rc != 0) {
        m_result = rc;
        return false;
    }
    self->reader = this;
    stream_io::update_ref(*self);
    m_task = detail::current.task;
    self->suspend(*m_task, waiting, traces::io_direction::read, &read_awaiter::unwait, this);
    return true;
}

std::size_t read_awaiter::await_resume() {
    if (detail::cancel_pending()) [[unlikely]] {
        // Woken with bytes, then cancelled before it ran: the bytes go back to the stream.
        if (m_result > 0 && m_stream)
            stream_io::give_back(*as_stream(m_stream), std::span<const char>(m_buffer.data(), static_cast<std::size_t>(m_result)));
        throw cancelled{};
    }
    if (m_result < 0) throw_io_error(static_cast<int>(m_result), "read from", peer_of(m_stream));
    return static_cast<std::size_t>(m_result);
}

void read_awaiter::unwait(detail::task_record&, void* self) { static_cast<read_awaiter*>(self)->detach(); }

void read_awaiter::detach() noexcept {
    if (!m_task) return;
    m_task = nullptr;
    detail::stream_state* self = as_stream(m_stream);
    if (self->reader == this) {
        self->reader = nullptr; // reading stays on: what arrives now is kept for the next read
        stream_io::update_ref(*self);
    }
}

// --- write --------------------------------------------------------------------------------------

bool write_awaiter::await_ready() {
    if (detail::cancel_pending()) return true;
    detail::stream_state* self = as_stream(m_stream);
    if (!self || self->closing) {
        m_status = UV_EBADF;
        return true;
    }
    if (m_bytes.empty()) return true;
    uv_buf_t buf = uv_buf_init(const_cast<char*>(m_bytes.data()), static_cast<unsigned>(m_bytes.size()));
    int written = uv_try_write(self->stream(), &buf, 1);
    if (written == UV_EAGAIN || written == UV_ENOSYS) return false;
    if (written < 0) {
        m_status = written;
        return true;
    }
    m_bytes.remove_prefix(static_cast<std::size_t>(written));
    return m_bytes.empty();
}

bool write_awaiter::await_suspend(std::coroutine_handle<> waiting) {
    detail::stream_state* self = as_stream(m_stream);
    auto request = std::make_unique<stream_io::write_request>();
    request->req.data = request.get();
    request->stream = m_stream;
    request->size = m_bytes.size();
    request->bytes = std::make_unique<char[]>(m_bytes.size());
    std::memcpy(request->bytes.get(), m_bytes.data(), m_bytes.size());
    uv_buf_t buf = uv_buf_init(request->bytes.get(), static_cast<unsigned>(request->size));
    if (int rc = uv_write(&request->req, self->stream(), &buf, 1, &stream_io::on_write); rc != 0) {
        m_status = rc;
        return false;
    }
    request->waiter = this;
    m_request = request.release();
    m_task = detail::current.task;
    self->suspend(*m_task, waiting, traces::io_direction::write, &write_awaiter::unwait, this);
    return true;
}

void write_awaiter::await_resume() {
    detail::throw_if_cancelled();
    if (m_status < 0) throw_io_error(m_status, "write to", peer_of(m_stream));
}

void write_awaiter::unwait(detail::task_record&, void* self) { static_cast<write_awaiter*>(self)->detach(); }

void write_awaiter::detach() noexcept {
    m_task = nullptr;
    if (m_request) static_cast<stream_io::write_request*>(std::exchange(m_request, nullptr))->waiter = nullptr;
}

// --- shutdown -----------------------------------------------------------------------------------

bool shutdown_awaiter::await_ready() {
    if (detail::cancel_pending()) return true;
    detail::stream_state* self = as_stream(m_stream);
    if (!self || self->closing) {
        m_status = UV_EBADF;
        return true;
    }
    if (self->shutdown_started) {
        m_status = UV_EALREADY;
        return true;
    }
    return false;
}

bool shutdown_awaiter::await_suspend(std::coroutine_handle<> waiting) {
    detail::stream_state* self = as_stream(m_stream);
    self->shutdown_req.data = self;
    if (int rc = uv_shutdown(&self->shutdown_req, self->stream(), &stream_io::on_shutdown); rc != 0) {
        m_status = rc;
        return false;
    }
    detail::retain(self); // until the callback
    self->shutdown_started = true;
    self->shutter = this;
    m_task = detail::current.task;
    self->suspend(*m_task, waiting, traces::io_direction::write, &shutdown_awaiter::unwait, this);
    return true;
}

void shutdown_awaiter::await_resume() {
    detail::throw_if_cancelled();
    if (m_status < 0) throw_io_error(m_status, "shutdown of", peer_of(m_stream));
}

void shutdown_awaiter::unwait(detail::task_record&, void* self) { static_cast<shutdown_awaiter*>(self)->detach(); }

void shutdown_awaiter::detach() noexcept {
    if (!m_task) return;
    m_task = nullptr;
    detail::stream_state* self = as_stream(m_stream);
    if (self->shutter == this) self->shutter = nullptr;
}

// --- close --------------------------------------------------------------------------------------

bool close_awaiter::await_ready() const noexcept {
    return detail::cancel_pending() || !m_resource || m_resource.get()->closed;
}

void close_awaiter::await_suspend(std::coroutine_handle<> waiting) {
    detail::io_resource* self = m_resource.get();
    m_task = detail::current.task;
    self->closers.push_back(this);
    m_task->resume_point = waiting;
    m_task->reason = traces::wait_reason::io;
    m_task->target = self->id;
    m_task->unwait = &close_awaiter::unwait;
    m_task->unwait_context = this;
}

void close_awaiter::await_resume() const { detail::throw_if_cancelled(); }

void close_awaiter::unwait(detail::task_record&, void* self) { static_cast<close_awaiter*>(self)->detach(); }

void close_awaiter::detach() noexcept {
    if (!m_task) return;
    m_task = nullptr;
    std::erase(m_resource.get()->closers, this);
}

// --- stream -------------------------------------------------------------------------------------

stream& stream::operator=(stream&& other) noexcept {
    if (this != &other) {
        if (m_state) m_state.get()->close();
        m_state = std::move(other.m_state);
    }
    return *this;
}

stream::~stream() {
    if (m_state) m_state.get()->close();
}

bool stream::is_open() const noexcept { return m_state && !m_state.get()->closing; }
std::uint32_t stream::id() const noexcept { return m_state ? m_state.get()->id : 0; }
std::string stream::label() const { return m_state ? m_state.get()->label : std::string(); }

read_awaiter stream::read_some(std::span<char> buffer) {
    if (buffer.empty()) throw std::invalid_argument("read_some needs a non-empty buffer");
    return read_awaiter(m_state, buffer);
}

task<void> stream::read_exact(std::span<char> buffer, std::size_t n) {
    if (n > buffer.size()) throw std::invalid_argument("read_exact: n is larger than the buffer");
    std::size_t got = 0;
    while (got < n) {
        std::size_t count = co_await read_some(buffer.subspan(got, n - got));
        if (count == 0)
            throw end_of_file(UV_EOF, "read_exact (" + std::to_string(got) + " of " + std::to_string(n) + " bytes) from",
                              peer_of(m_state));
        got += count;
    }
}

write_awaiter stream::write(std::string_view bytes) { return write_awaiter(m_state, bytes); }
shutdown_awaiter stream::shutdown() { return shutdown_awaiter(m_state); }

close_awaiter stream::close() {
    detail::io_ref state = std::move(m_state);
    if (state) state.get()->close();
    return close_awaiter(std::move(state));
}

} // namespace coroscope
