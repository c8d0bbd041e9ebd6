#include "io_internal.hpp"

#include <coroscope/cancel.hpp>
#include <coroscope/tcp.hpp>

#include <algorithm>
#include <deque>
#include <stdexcept>

namespace coroscope {

using traces::io_direction;
using traces::resource_kind;

namespace detail {

namespace {

int parse_address(const std::string& host, int port, sockaddr_storage& out) {
    out = {};
    if (uv_ip4_addr(host.c_str(), port, reinterpret_cast<sockaddr_in*>(&out)) == 0) return 0;
    return uv_ip6_addr(host.c_str(), port, reinterpret_cast<sockaddr_in6*>(&out));
}

std::string host_port(const std::string& host, int port) {
    return host.find(':') != std::string::npos ? "[" + host + "]:" + std::to_string(port)
                                               : host + ":" + std::to_string(port);
}

std::string format_address(const sockaddr_storage& address) {
    char ip[64] = "?";
    int port = 0;
    if (address.ss_family == AF_INET) {
        const auto* in = reinterpret_cast<const sockaddr_in*>(&address);
        uv_ip4_name(in, ip, sizeof ip);
        port = ntohs(in->sin_port);
    } else if (address.ss_family == AF_INET6) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&address);
        uv_ip6_name(in6, ip, sizeof ip);
        port = ntohs(in6->sin6_port);
    }
    return host_port(ip, port);
}

std::string local_address(const uv_tcp_t* tcp) {
    sockaddr_storage address{};
    int size = sizeof address;
    if (uv_tcp_getsockname(tcp, reinterpret_cast<sockaddr*>(&address), &size) != 0) return "?";
    return format_address(address);
}

std::string peer_address(const uv_tcp_t* tcp) {
    sockaddr_storage address{};
    int size = sizeof address;
    if (uv_tcp_getpeername(tcp, reinterpret_cast<sockaddr*>(&address), &size) != 0) return "?";
    return format_address(address);
}

scheduler& current_scheduler(const char* what) {
    scheduler* sched = scheduler::current();
    if (!sched) throw std::logic_error(std::string(what) + " outside a running task");
    return *sched;
}

// A new TCP socket's state; the handle is initialized (so it must be closed).
io_ref new_tcp_state(scheduler& sched) {
    ignore_sigpipe();
    auto* state = new stream_state(sched, resource_kind::tcp);
    io_ref ref(state);
    if (int rc = uv_tcp_init(sched.loop(), &state->h.tcp); rc != 0) throw_io_error(rc, "create", "a tcp socket");
    state->handle_initialized();
    return ref;
}

} // namespace

struct listener_state final : io_resource {
    explicit listener_state(scheduler& owner) : io_resource(owner, resource_kind::tcp) {}
    uv_tcp_t tcp{};
    uv_handle_t* handle() noexcept override { return reinterpret_cast<uv_handle_t*>(&tcp); }
    std::deque<accept_awaiter*> acceptors; // waiting, in arrival order
    int pending = 0;                       // connections announced by libuv, not yet accepted
    int claims = 0;                        // of those, promised to woken acceptors
    int error = 0;                         // a failed incoming connection, for the next acceptor
    int port = 0;

    void before_close() override;
    void dispatch();
    // The listener keeps the loop alive only while somebody waits in accept().
    void update_ref() {
        if (closing || !handle_live) return;
        if (acceptors.empty()) uv_unref(handle());
        else uv_ref(handle());
    }
};

struct tcp_io {
    static void on_connection(uv_stream_t* server, int status) {
        auto* self = state_of<listener_state>(server);
        self->sched->note_callback();
        if (status < 0) self->error = status;
        else ++self->pending;
        self->dispatch();
    }

    static void on_connect(uv_connect_t* req, int status) {
        auto* self = static_cast<stream_state*>(req->data);
        self->sched->note_callback();
        if (connect_awaiter* waiter = std::exchange(self->connector, nullptr)) {
            waiter->m_status = status;
            self->wake(waiter->m_task, io_direction::connect, status);
        }
    }

    static void wake_acceptor(listener_state& self, int status) {
        accept_awaiter* waiter = self.acceptors.front();
        self.acceptors.pop_front();
        waiter->m_status = status;
        if (status == 0) {
            waiter->m_claimed = true;
            ++self.claims;
        }
        self.wake(waiter->m_task, io_direction::accept, status);
    }
};

void listener_state::dispatch() {
    while (!acceptors.empty() && (error != 0 || pending > claims)) {
        int status = std::exchange(error, 0);
        tcp_io::wake_acceptor(*this, status);
    }
    update_ref();
}

void listener_state::before_close() {
    while (!acceptors.empty()) tcp_io::wake_acceptor(*this, UV_ECANCELED);
}

inline listener_state* as_listener(const io_ref& ref) { return static_cast<listener_state*>(ref.get()); }

} // namespace detail

using detail::as_listener;
using detail::as_stream;
using detail::tcp_io;

// --- tcp_stream ---------------------------------------------------------------------------------

close_awaiter tcp_stream::close_reset() {
    detail::io_ref state = std::move(m_state);
    if (state) state.get()->close(true);
    return close_awaiter(std::move(state));
}

// --- accept -------------------------------------------------------------------------------------

accept_awaiter::~accept_awaiter() {
    detach();
    if (m_claimed) {
        // Woken for a connection but cancelled before taking it: pass it on.
        m_claimed = false;
        detail::listener_state* self = as_listener(m_listener);
        --self->claims;
        if (!self->closing) self->dispatch();
    }
}

bool accept_awaiter::await_ready() {
    if (detail::cancel_pending()) return true;
    detail::listener_state* self = as_listener(m_listener);
    if (!self || self->closing) {
        m_status = UV_EBADF;
        return true;
    }
    if (self->error != 0) {
        m_status = std::exchange(self->error, 0);
        return true;
    }
    if (self->acceptors.empty() && self->pending > self->claims) {
        m_claimed = true;
        ++self->claims;
        return true;
    }
    return false;
}

void accept_awaiter::await_suspend(std::coroutine_handle<> waiting) {
    detail::listener_state* self = as_listener(m_listener);
    self->acceptors.push_back(this);
    m_task = detail::current.task;
    self->suspend(*m_task, waiting, io_direction::accept, &accept_awaiter::unwait, this);
    self->update_ref();
}

tcp_stream accept_awaiter::await_resume() {
    detail::throw_if_cancelled();
    detail::listener_state* self = as_listener(m_listener);
    std::string where = self ? self->label : std::string("a closed listener");
    if (m_status == 0 && self->closing) m_status = UV_EBADF;
    if (m_status < 0) throw_io_error(m_status, "accept on", where);
    m_claimed = false;
    --self->claims;
    --self->pending;
    detail::io_ref client = detail::new_tcp_state(*self->sched);
    detail::stream_state* state = as_stream(client);
    if (int rc = uv_accept(reinterpret_cast<uv_stream_t*>(&self->tcp), state->stream()); rc != 0) {
        state->close();
        throw_io_error(rc, "accept on", where);
    }
    state->opened("tcp " + detail::local_address(&state->h.tcp) + " -> " + detail::peer_address(&state->h.tcp));
    return tcp_stream(std::move(client));
}

void accept_awaiter::unwait(detail::task_record&, void* self) { static_cast<accept_awaiter*>(self)->detach(); }

void accept_awaiter::detach() noexcept {
    if (!m_task) return;
    m_task = nullptr;
    detail::listener_state* self = as_listener(m_listener);
    std::erase(self->acceptors, this);
    self->update_ref();
}

// --- connect ------------------------------------------------------------------------------------

connect_awaiter::~connect_awaiter() {
    detach();
    if (m_stream) m_stream.get()->close(); // failed or cancelled: the half-made socket goes
}

bool connect_awaiter::await_suspend(std::coroutine_handle<> waiting) {
    sockaddr_storage address;
    if (int rc = detail::parse_address(m_host, m_port, address); rc != 0) {
        m_status = rc;
        return false;
    }
    scheduler& sched = detail::current_scheduler("tcp_connect");
    m_stream = detail::new_tcp_state(sched);
    detail::stream_state* state = as_stream(m_stream);
    state->opened("tcp -> " + detail::host_port(m_host, m_port));
    state->connect_req.data = state;
    if (int rc = uv_tcp_connect(&state->connect_req, &state->h.tcp, reinterpret_cast<sockaddr*>(&address),
                                &tcp_io::on_connect);
        rc != 0) {
        m_status = rc;
        return false;
    }
    state->connector = this;
    m_task = detail::current.task;
    state->suspend(*m_task, waiting, io_direction::connect, &connect_awaiter::unwait, this);
    return true;
}

tcp_stream connect_awaiter::await_resume() {
    detail::throw_if_cancelled();
    if (m_status < 0) throw_io_error(m_status, "connect to", detail::host_port(m_host, m_port));
    return tcp_stream(std::move(m_stream));
}

void connect_awaiter::unwait(detail::task_record&, void* self) { static_cast<connect_awaiter*>(self)->detach(); }

void connect_awaiter::detach() noexcept {
    if (!m_task) return;
    m_task = nullptr;
    detail::stream_state* state = as_stream(m_stream);
    if (state->connector == this) state->connector = nullptr;
}

// --- tcp_listener -------------------------------------------------------------------------------

tcp_listener::tcp_listener(std::string_view host_view, int port, int backlog) {
    std::string host(host_view);
    std::string where = detail::host_port(host, port);
    scheduler& sched = detail::current_scheduler("tcp_listener");
    detail::ignore_sigpipe();
    sockaddr_storage address;
    if (int rc = detail::parse_address(host, port, address); rc != 0) throw_io_error(rc, "listen on", where);
    auto* state = new detail::listener_state(sched);
    detail::io_ref ref(state);
    if (int rc = uv_tcp_init(sched.loop(), &state->tcp); rc != 0) throw_io_error(rc, "listen on", where);
    state->handle_initialized();
    int rc = uv_tcp_bind(&state->tcp, reinterpret_cast<sockaddr*>(&address), 0);
    if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(&state->tcp), backlog, &tcp_io::on_connection);
    if (rc != 0) {
        state->close();
        throw_io_error(rc, "listen on", where);
    }
    sockaddr_storage bound{};
    int size = sizeof bound;
    uv_tcp_getsockname(&state->tcp, reinterpret_cast<sockaddr*>(&bound), &size);
    state->port = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                                    : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    state->opened("tcp listen " + detail::format_address(bound));
    state->update_ref();
    m_state = std::move(ref);
}

tcp_listener& tcp_listener::operator=(tcp_listener&& other) noexcept {
    if (this != &other) {
        close();
        m_state = std::move(other.m_state);
    }
    return *this;
}

tcp_listener::~tcp_listener() { close(); }

void tcp_listener::close() {
    if (m_state) m_state.get()->close();
    m_state.reset();
}

int tcp_listener::port() const noexcept { return m_state ? as_listener(m_state)->port : 0; }
std::uint32_t tcp_listener::id() const noexcept { return m_state ? m_state.get()->id : 0; }
std::string tcp_listener::label() const { return m_state ? m_state.get()->label : std::string(); }

} // namespace coroscope
