#include <coroscope/inspector/live_client.hpp>
#include <coroscope/traces/wire.hpp>

#include <uv.h>

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <cctype>
#include <csignal>
#include <pthread.h>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>

namespace coroscope::inspector {

namespace wire = traces::wire;
using nlohmann::json;
using clock_type = std::chrono::steady_clock;

// --- addresses -----------------------------------------------------------------------------------

std::optional<live_address> parse_live_address(std::string_view text, std::string& error) {
    live_address out;
    out.text = std::string(text);
    auto bad = [&](const std::string& why) -> std::optional<live_address> {
        error = "bad address '" + std::string(text) + "': " + why;
        return std::nullopt;
    };
    if (text.rfind("unix:", 0) == 0) {
        out.unix_socket = true;
        out.path = std::string(text.substr(5));
        if (out.path.empty()) return bad("unix: needs a socket path");
        return out;
    }
    std::string_view host, port;
    if (!text.empty() && text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
            return bad("expected [IPV6]:PORT");
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string_view::npos) return bad("expected HOST:PORT or unix:PATH");
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
        if (host.find(':') != std::string_view::npos) return bad("put an IPv6 address in brackets: [::1]:PORT");
    }
    if (host.empty()) return bad("no host before the port");
    if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) {
            return std::isdigit(static_cast<unsigned char>(c));
        }))
        return bad("port must be a number 1..65535");
    unsigned long value = std::strtoul(std::string(port).c_str(), nullptr, 10);
    if (value == 0 || value > 65535) return bad("port must be a number 1..65535");
    out.host = std::string(host);
    out.port = static_cast<std::uint16_t>(value);
    return out;
}

std::string_view to_string(live_client::state s) {
    switch (s) {
    case live_client::state::connecting: return "connecting";
    case live_client::state::connected: return "connected";
    case live_client::state::failed: return "failed";
    case live_client::state::closed: return "closed";
    }
    return "?";
}

// --- the client thread ---------------------------------------------------------------------------

namespace {

// "connection refused", "no such file or directory", ...: libuv's message, lower-cased.
std::string describe_uv_error(int status) {
    std::string text = uv_strerror(status);
    if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
    return text;
}

struct write_request {
    uv_write_t req;
    std::string data;
};

} // namespace

struct live_client::impl {
    // ---- shared with other threads, under `mu` ----
    mutable std::mutex mu;
    std::condition_variable cv;
    state st = state::connecting;
    std::string failure;
    std::optional<int> exit_code;
    json welcome;
    std::uint64_t bytes = 0;
    std::uint64_t events = 0;
    traces::read_report report;
    // The trace stream's bytes received and not yet drained (the events frames' payloads, in
    // order), in blocks of inbox_block_bytes. The client thread only reads and appends: it keeps
    // up with the program at the cost of a copy per byte, so a program that produces fast does not
    // take a reader whose folding lags for one that stopped reading (the stream is ~12x smaller
    // than the events it decodes to). Blocks never grow or move (no reallocation copies however
    // far drain() lags); drained ones come back through free_blocks (at most max_free_blocks kept).
    static constexpr std::size_t inbox_block_bytes = std::size_t{1} << 20;
    static constexpr std::size_t max_free_blocks = 4;
    std::vector<std::string> inbox_blocks;
    std::vector<std::string> free_blocks;
    bool stream_over = false; // no more bytes will come (the connection ended)

    void append_inbox_locked(std::string_view piece) {
        while (!piece.empty()) {
            if (inbox_blocks.empty() || inbox_blocks.back().size() == inbox_blocks.back().capacity()) {
                if (!free_blocks.empty()) {
                    inbox_blocks.push_back(std::move(free_blocks.back()));
                    free_blocks.pop_back();
                } else {
                    inbox_blocks.emplace_back();
                    inbox_blocks.back().reserve(inbox_block_bytes);
                }
            }
            std::string& block = inbox_blocks.back();
            const std::size_t n = std::min(piece.size(), block.capacity() - block.size());
            block.append(piece.data(), n);
            piece.remove_prefix(n);
        }
    }

    // ---- the drain side, under drain_mu (one drain() at a time) ----
    std::mutex drain_mu;
    std::vector<std::string> drain_blocks; // the blocks drain() took from the inbox
    std::size_t drain_offset = 0; // bytes of inbox_blocks.front() a drain() with a budget already took (under mu)
    // Forwards the decoder's output to the sink of the current drain(): batches of events straight
    // from the decoder into the model, no copy in between.
    struct forward_sink final : traces::event_sink {
        traces::event_sink* target = nullptr;
        std::uint64_t delivered = 0;
        void on_header(const traces::header& h) override { target->on_header(h); }
        void on_string(std::uint32_t id, std::string_view text) override { target->on_string(id, text); }
        void on_event(const traces::event& e) override {
            ++delivered;
            target->on_event(e);
        }
        void on_events(const traces::event* e, std::size_t n) override {
            delivered += n;
            target->on_events(e, n);
        }
    } forward{};
    std::unique_ptr<traces::decoder> decoder{std::make_unique<traces::decoder>(forward)};
    bool decoder_fed = false;      // some stream bytes were decoded (a connection without any has no report)
    bool decoder_finished = false; // the stream ended and the decoder was told
    std::deque<message> messages;
    std::string outgoing; // command frames not yet handed to libuv
    std::uint64_t next_id = 1;
    bool stopping = false;

    // ---- client thread only (and the constructor/destructor, before/after the thread) ----
    options opts;
    live_address addr;
    uv_loop_t loop{};
    uv_async_t wake{};
    uv_timer_t timer{};
    union {
        uv_tcp_t tcp;
        uv_pipe_t pipe;
    } stream{};
    bool stream_open = false;    // the stream handle is initialised and not closing
    bool stream_closing = false; // uv_close was called; stream_closed() will run
    bool welcomed = false;
    bool finished = false;       // failed or closed: the connection is over
    uv_connect_t connect_req{};
    uv_getaddrinfo_t resolve_req{};
    bool resolving = false;
    addrinfo* resolved = nullptr;
    addrinfo* next_candidate = nullptr;
    int last_connect_error = 0;
    // Bytes are read into one buffer that lives as long as the connection; frames are split in
    // place (no copy per frame), and an incomplete frame at its end moves to its start. A read
    // takes up to read_buffer_bytes at once: whatever the socket holds, in one system call.
    static constexpr std::size_t read_buffer_bytes = std::size_t{1} << 20;
    std::unique_ptr<char[]> read_buffer;
    std::size_t read_used = 0; // bytes at read_buffer's start: the beginning of an incomplete frame
    std::vector<std::string_view> pending_events; // split_frames: events payloads not yet in the inbox
    std::thread thread;
    bool loop_ok = false;

    uv_stream_t* stream_handle() { return reinterpret_cast<uv_stream_t*>(&stream); }
    uv_handle_t* stream_as_handle() { return reinterpret_cast<uv_handle_t*>(&stream); }

    void notify_locked() { cv.notify_all(); }

    // Ends the connection (or the attempt). `reason` is "" after a clean end.
    void finish(std::string reason) {
        if (finished) return;
        finished = true;
        uv_timer_stop(&timer);
        close_stream();
        std::lock_guard lock(mu);
        stream_over = true;
        if (!welcomed) {
            st = state::failed;
            failure = reason.empty() ? "handshake: the connection closed before the welcome" : std::move(reason);
        } else {
            st = state::closed;
            failure = std::move(reason);
        }
        notify_locked();
    }

    void close_stream() {
        if (!stream_open || stream_closing) return;
        stream_closing = true;
        uv_close(stream_as_handle(), [](uv_handle_t* h) {
            auto* self = static_cast<impl*>(h->data);
            self->stream_open = false;
            self->stream_closing = false;
            self->stream_closed();
        });
    }

    // After a failed connect the handle is closed; then the next resolved address is tried.
    void stream_closed() {
        if (finished || stopping_now()) return;
        connect_next();
    }

    bool stopping_now() {
        std::lock_guard lock(mu);
        return stopping;
    }

    void fail(std::string reason) { finish(std::move(reason)); }

    // ---- connecting ----

    void start() {
        timer.data = this;
        uv_timer_start(
            &timer,
            [](uv_timer_t* t) {
                auto* self = static_cast<impl*>(t->data);
                self->fail(self->welcomed_pending_text());
            },
            static_cast<std::uint64_t>(std::max<std::int64_t>(opts.handshake_timeout.count(), 1)), 0);
        if (addr.unix_socket) {
            uv_pipe_init(&loop, &stream.pipe, 0);
            stream.pipe.data = this;
            stream_open = true;
            connect_req.data = this;
            uv_pipe_connect(&connect_req, &stream.pipe, addr.path.c_str(), on_connect);
            return;
        }
        sockaddr_storage sa{};
        if (uv_ip4_addr(addr.host.c_str(), addr.port, reinterpret_cast<sockaddr_in*>(&sa)) == 0 ||
            uv_ip6_addr(addr.host.c_str(), addr.port, reinterpret_cast<sockaddr_in6*>(&sa)) == 0) {
            connect_tcp(reinterpret_cast<const sockaddr*>(&sa));
            return;
        }
        addrinfo hints{};
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        resolve_req.data = this;
        resolving = true;
        std::string port = std::to_string(addr.port);
        int rc = uv_getaddrinfo(&loop, &resolve_req, on_resolved, addr.host.c_str(), port.c_str(), &hints);
        if (rc != 0) {
            resolving = false;
            fail("cannot resolve " + addr.host + ": " + describe_uv_error(rc));
        }
    }

    std::string welcomed_pending_text() const {
        auto ms = opts.handshake_timeout.count();
        std::string span = ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms";
        return last_connect_error == 0 && stream_open && connected_socket ? "handshake: no welcome within " + span
                                                                           : "connect: timed out after " + span;
    }
    bool connected_socket = false;

    static void on_resolved(uv_getaddrinfo_t* req, int status, addrinfo* res) {
        auto* self = static_cast<impl*>(req->data);
        self->resolving = false;
        if (status != 0 || self->finished || self->stopping_now()) {
            if (res) uv_freeaddrinfo(res);
            if (status == UV_ECANCELED || self->finished) return;
            self->fail("cannot resolve " + self->addr.host + ": " + describe_uv_error(status));
            return;
        }
        self->resolved = res;
        self->next_candidate = res;
        self->connect_next();
    }

    void connect_next() {
        if (!resolved) { // a numeric or unix address has one candidate only
            fail(describe_uv_error(last_connect_error));
            return;
        }
        while (next_candidate && next_candidate->ai_family != AF_INET && next_candidate->ai_family != AF_INET6)
            next_candidate = next_candidate->ai_next;
        if (!next_candidate) {
            fail(describe_uv_error(last_connect_error ? last_connect_error : UV_EADDRNOTAVAIL));
            return;
        }
        const sockaddr* sa = next_candidate->ai_addr;
        next_candidate = next_candidate->ai_next;
        connect_tcp(sa);
    }

    void connect_tcp(const sockaddr* sa) {
        uv_tcp_init(&loop, &stream.tcp);
        stream.tcp.data = this;
        stream_open = true;
        connect_req.data = this;
        int rc = uv_tcp_connect(&connect_req, &stream.tcp, sa, on_connect);
        if (rc != 0) {
            last_connect_error = rc;
            close_stream(); // stream_closed() tries the next candidate or fails
        }
    }

    static void on_connect(uv_connect_t* req, int status) {
        auto* self = static_cast<impl*>(req->data);
        if (status == UV_ECANCELED || self->finished) return;
        if (status < 0) {
            self->last_connect_error = status;
            if (self->resolved && self->next_candidate) self->close_stream(); // then the next address
            else self->fail(describe_uv_error(status));
            return;
        }
        self->connected_socket = true;
        self->read_buffer = std::make_unique<char[]>(read_buffer_bytes);
        self->read_used = 0;
        uv_read_start(
            self->stream_handle(),
            [](uv_handle_t* h, std::size_t, uv_buf_t* buf) {
                auto* me = static_cast<impl*>(h->data);
                *buf = uv_buf_init(me->read_buffer.get() + me->read_used,
                                   static_cast<unsigned>(read_buffer_bytes - me->read_used));
            },
            on_read);
        json hello = {{"magic", wire::hello_magic}, {"version", self->opts.version}, {"token", self->opts.token}};
        std::string frame;
        wire::append_frame(frame, wire::frame_type::hello, hello.dump());
        self->write(std::move(frame));
    }

    void write(std::string bytes) {
        if (!stream_open || stream_closing || bytes.empty()) return;
        auto* w = new write_request;
        w->data = std::move(bytes);
        w->req.data = this;
        uv_buf_t buf = uv_buf_init(w->data.data(), static_cast<unsigned>(w->data.size()));
        int rc = uv_write(&w->req, stream_handle(), &buf, 1, [](uv_write_t* req, int status) {
            auto* w = reinterpret_cast<write_request*>(req);
            auto* self = static_cast<impl*>(req->data);
            delete w;
            if (status < 0 && status != UV_ECANCELED && !self->finished)
                self->fail("write failed: " + describe_uv_error(status));
        });
        if (rc != 0) {
            delete w;
            fail("write failed: " + describe_uv_error(rc));
        }
    }

    // ---- reading ----

    static void on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
        auto* self = static_cast<impl*>(s->data);
        (void)buf; // always read_buffer + read_used
        if (self->finished) return;
        if (nread > 0) {
            self->read_used += static_cast<std::size_t>(nread);
            self->split_frames(static_cast<std::size_t>(nread));
            return;
        }
        if (nread == UV_EOF) {
            bool exited;
            {
                std::lock_guard lock(self->mu);
                exited = self->exit_code.has_value();
            }
            self->finish(exited || !self->welcomed ? "" : "the program closed the connection");
            return;
        }
        if (nread < 0) self->fail("connection lost: " + describe_uv_error(static_cast<int>(nread)));
    }

    // Handles every complete frame in read_buffer (`fresh` bytes were just read into it). The
    // events frames' payloads go to the inbox together, one lock per read, and always before a
    // message that follows them (a notice never overtakes the events of its step).
    void split_frames(std::size_t fresh) {
        const char* data = read_buffer.get();
        std::size_t at = 0;
        auto publish = [&] {
            std::lock_guard lock(mu);
            bytes += fresh;
            fresh = 0;
            if (opts.collect_events)
                for (std::string_view piece : pending_events) append_inbox_locked(piece);
            pending_events.clear();
            notify_locked();
        };
        while (read_used - at >= wire::frame_header_bytes) {
            const auto* p = reinterpret_cast<const unsigned char*>(data + at);
            const std::uint32_t length = p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
            if (length > wire::max_frame_payload) {
                publish();
                return fail("protocol: frame of " + std::to_string(length) + " bytes is over the " +
                            std::to_string(wire::max_frame_payload) + "-byte limit");
            }
            if (read_used - at < wire::frame_header_bytes + length) break;
            const auto type = static_cast<wire::frame_type>(p[4]);
            const std::string_view payload(data + at + wire::frame_header_bytes, length);
            at += wire::frame_header_bytes + length;
            if (type == wire::frame_type::events) {
                pending_events.push_back(payload);
                continue;
            }
            publish();
            handle_frame(type, payload);
            if (finished) return;
        }
        publish();
        // The incomplete frame (at most a header and max_frame_payload bytes) moves to the start.
        std::memmove(read_buffer.get(), data + at, read_used - at);
        read_used -= at;
    }

    static json parse_json(std::string_view payload) {
        json j = json::parse(payload, nullptr, false);
        return j.is_discarded() ? json() : j;
    }

    void handle_frame(wire::frame_type type, std::string_view payload) {
        switch (type) {
        case wire::frame_type::welcome: {
            if (welcomed) return;
            json j = parse_json(payload);
            if (!j.is_object()) return fail("handshake: the welcome is not a JSON object");
            std::string version = j.value("version", std::string());
            if (version.substr(0, version.find('.')) != std::to_string(wire::protocol_major))
                return fail("handshake: the program speaks live protocol " + (version.empty() ? "?" : version) +
                            ", this inspector " + std::to_string(wire::protocol_major) + "." +
                            std::to_string(wire::protocol_minor));
            welcomed = true;
            uv_timer_stop(&timer);
            std::string pending;
            {
                std::lock_guard lock(mu);
                welcome = std::move(j);
                st = state::connected;
                pending.swap(outgoing);
                notify_locked();
            }
            write(std::move(pending));
            return;
        }
        case wire::frame_type::error: {
            json j = parse_json(payload);
            std::string text = j.is_object() && j.contains("error") && j["error"].is_string()
                                   ? j["error"].get<std::string>()
                                   : std::string(payload);
            if (welcomed) return fail("the program reported: " + text);
            return fail(text.rfind("handshake", 0) == 0 ? text : "handshake: " + text);
        }
        case wire::frame_type::reply:
        case wire::frame_type::notice: {
            json j = parse_json(payload);
            if (!j.is_object()) return; // not ours to judge: skip what cannot be read
            std::lock_guard lock(mu);
            if (type == wire::frame_type::notice && j.contains("exited") && j["exited"].is_number_integer())
                exit_code = j["exited"].get<int>();
            messages.push_back(message{type == wire::frame_type::reply, std::move(j)});
            notify_locked();
            return;
        }
        default:
            return; // hello/command from a program, or a type of a newer minor: ignored
        }
    }

    // ---- commands and shutdown (the async handle) ----

    static void on_wake(uv_async_t* a) {
        auto* self = static_cast<impl*>(a->data);
        bool stop;
        std::string pending;
        {
            std::lock_guard lock(self->mu);
            stop = self->stopping;
            if (!stop && self->welcomed && !self->finished) pending.swap(self->outgoing);
        }
        if (stop) return self->shutdown();
        self->write(std::move(pending));
    }

    void shutdown() {
        if (resolving) uv_cancel(reinterpret_cast<uv_req_t*>(&resolve_req));
        if (!finished) finish("closed by the inspector");
        close_stream();
        if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&timer))) uv_close(reinterpret_cast<uv_handle_t*>(&timer), nullptr);
        if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&wake))) uv_close(reinterpret_cast<uv_handle_t*>(&wake), nullptr);
    }

    void run() {
        // A write to a connection the program closed raises SIGPIPE in the writing thread; block it
        // here (only this thread writes) so the write fails with EPIPE instead of killing the
        // inspector, without touching the process-wide disposition.
        sigset_t pipe_only;
        sigemptyset(&pipe_only);
        sigaddset(&pipe_only, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &pipe_only, nullptr);
        start();
        uv_run(&loop, UV_RUN_DEFAULT);
        if (resolved) uv_freeaddrinfo(resolved);
        resolved = nullptr;
    }
};

// --- the public side -----------------------------------------------------------------------------

live_client::live_client(std::string address, options opts) : m_address(std::move(address)), m_impl(new impl) {
    auto& s = *m_impl;
    s.opts = std::move(opts);
    std::string error;
    auto parsed = parse_live_address(m_address, error);
    if (!parsed) {
        s.st = state::failed;
        s.failure = error;
        return;
    }
    s.addr = *parsed;
    if (int rc = uv_loop_init(&s.loop); rc != 0) {
        s.st = state::failed;
        s.failure = "cannot create an event loop: " + describe_uv_error(rc);
        return;
    }
    s.loop_ok = true;
    uv_async_init(&s.loop, &s.wake, impl::on_wake);
    s.wake.data = &s;
    uv_timer_init(&s.loop, &s.timer);
    s.thread = std::thread([&s] { s.run(); });
}

live_client::~live_client() {
    auto& s = *m_impl;
    if (!s.loop_ok) return;
    {
        std::lock_guard lock(s.mu);
        s.stopping = true;
    }
    uv_async_send(&s.wake);
    s.thread.join();
    if (int rc = uv_loop_close(&s.loop); rc != 0) {
        std::fprintf(stderr, "coroscope: live client: libuv handles left open: %s\n", uv_strerror(rc));
        assert(!"live client loop did not close cleanly");
    }
}

live_client::state live_client::current_state() const {
    std::lock_guard lock(m_impl->mu);
    return m_impl->st;
}

std::string live_client::failure() const {
    std::lock_guard lock(m_impl->mu);
    return m_impl->failure;
}

std::optional<int> live_client::exit_code() const {
    std::lock_guard lock(m_impl->mu);
    return m_impl->exit_code;
}

nlohmann::json live_client::welcome() const {
    std::lock_guard lock(m_impl->mu);
    return m_impl->welcome;
}

std::uint64_t live_client::bytes_received() const {
    std::lock_guard lock(m_impl->mu);
    return m_impl->bytes;
}

std::uint64_t live_client::events_received() const {
    std::lock_guard lock(m_impl->mu);
    return m_impl->events;
}

traces::read_report live_client::stream_report() const {
    std::lock_guard lock(m_impl->mu);
    return m_impl->report;
}

std::uint64_t live_client::drain(traces::event_sink& sink, std::size_t max_bytes) {
    impl& s = *m_impl;
    std::lock_guard drain_lock(s.drain_mu);
    std::vector<std::string>& blocks = s.drain_blocks;
    bool over;
    {
        std::lock_guard lock(s.mu);
        // Whole blocks move out; within max_bytes, a block is taken whole when it fits, else its
        // next bytes are copied out and drain_offset remembers where the next drain goes on.
        std::vector<std::string>& inbox = s.inbox_blocks;
        std::size_t budget = max_bytes;
        while (budget > 0 && !inbox.empty()) {
            std::string& front = inbox.front();
            const std::size_t avail = front.size() - s.drain_offset;
            if (s.drain_offset == 0 && avail <= budget) {
                blocks.push_back(std::move(front));
                inbox.erase(inbox.begin());
                budget -= avail;
                continue;
            }
            const std::size_t n = std::min(avail, budget);
            blocks.emplace_back(front, s.drain_offset, n);
            s.drain_offset += n;
            budget -= n;
            if (s.drain_offset < front.size() || inbox.size() == 1) break; // the reader may still append to it
            if (s.free_blocks.size() < impl::max_free_blocks) {
                front.clear();
                s.free_blocks.push_back(std::move(front));
            }
            inbox.erase(inbox.begin());
            s.drain_offset = 0;
        }
        over = s.stream_over && (inbox.empty() || (inbox.size() == 1 && s.drain_offset == inbox.front().size()));
    }
    // Decoded here, on the caller's thread, straight into its sink: the decoder hands the model
    // batches of events from its own buffer (no event is copied or queued in between).
    s.forward.target = &sink;
    s.forward.delivered = 0;
    for (const std::string& block : blocks) {
        if (block.empty()) continue;
        s.decoder->feed(block);
        s.decoder_fed = true;
    }
    if (over && s.decoder_fed && !s.decoder_finished) {
        // Everything the connection carried is decoded: what is left is an incomplete record.
        s.decoder_finished = true;
        s.decoder->finish();
    }
    s.forward.target = nullptr;
    {
        std::lock_guard lock(s.mu);
        s.events += s.forward.delivered;
        s.report = s.decoder->report();
        for (std::string& block : blocks) {
            if (s.free_blocks.size() >= impl::max_free_blocks) break;
            if (block.capacity() < impl::inbox_block_bytes) continue; // a piece a budget cut out
            block.clear(); // keeps its capacity: the reader fills it again without faulting in pages
            s.free_blocks.push_back(std::move(block));
        }
    }
    blocks.clear();
    return s.forward.delivered;
}

std::uint64_t live_client::send_command(nlohmann::json command) {
    auto& s = *m_impl;
    std::uint64_t id;
    bool wake;
    {
        std::lock_guard lock(s.mu);
        id = s.next_id++;
        if (!command.is_object()) command = json{{"cmd", command}};
        command["id"] = id;
        wire::append_frame(s.outgoing, wire::frame_type::command, command.dump());
        wake = s.loop_ok && !s.stopping;
    }
    if (wake) uv_async_send(&s.wake);
    return id;
}

std::vector<live_client::message> live_client::poll_messages() {
    std::lock_guard lock(m_impl->mu);
    std::vector<message> out(std::make_move_iterator(m_impl->messages.begin()),
                             std::make_move_iterator(m_impl->messages.end()));
    m_impl->messages.clear();
    return out;
}

nlohmann::json live_client::wait_reply(std::uint64_t id, std::chrono::milliseconds timeout) {
    auto& s = *m_impl;
    auto deadline = clock_type::now() + timeout;
    std::unique_lock lock(s.mu);
    for (;;) {
        for (auto it = s.messages.begin(); it != s.messages.end(); ++it) {
            if (it->is_reply && it->body.value("id", std::uint64_t{0}) == id) {
                json reply = std::move(it->body);
                s.messages.erase(it);
                return reply;
            }
        }
        if (s.st == state::failed) return json{{"ok", false}, {"error", s.failure}};
        if (s.st == state::closed) {
            std::string why = s.exit_code ? "the program exited (code " + std::to_string(*s.exit_code) + ")"
                                          : "the connection closed" + (s.failure.empty() ? "" : ": " + s.failure);
            return json{{"ok", false}, {"error", why + " before replying"}};
        }
        if (s.cv.wait_until(lock, deadline) == std::cv_status::timeout && clock_type::now() >= deadline) {
            auto ms = timeout.count();
            std::string span = ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms";
            return json{{"ok", false}, {"error", "timeout: no reply within " + span}};
        }
    }
}

nlohmann::json live_client::command_and_wait(nlohmann::json command, std::chrono::milliseconds timeout) {
    return wait_reply(send_command(std::move(command)), timeout);
}

bool live_client::wait_connected(std::chrono::milliseconds timeout) {
    std::unique_lock lock(m_impl->mu);
    m_impl->cv.wait_for(lock, timeout, [&] { return m_impl->st != state::connecting; });
    return m_impl->st == state::connected || (m_impl->st == state::closed && !m_impl->welcome.is_null());
}

void live_client::wait_activity(std::chrono::milliseconds timeout) {
    std::unique_lock lock(m_impl->mu);
    m_impl->cv.wait_for(lock, timeout);
}

bool live_client::wait_finished(std::chrono::milliseconds timeout) {
    std::unique_lock lock(m_impl->mu);
    return m_impl->cv.wait_for(lock, timeout,
                               [&] { return m_impl->st == state::failed || m_impl->st == state::closed; });
}

} // namespace coroscope::inspector
