#include <coroscope/agent.hpp>
#include <coroscope/traces/binary.hpp>
#include <coroscope/traces/wire.hpp>

#include <nlohmann/json.hpp>

#include <cerrno>
#include <csignal>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <cstdio>
#include <cstring>
#include <vector>

namespace coroscope {

using nlohmann::json;
using traces::event_kind;
namespace wire = traces::wire;

namespace {
constexpr std::size_t keep_history_bytes = std::size_t{64} << 20; // late clients get the whole stream up to this
constexpr std::size_t client_queue_limit = std::size_t{8} << 20;  // a client further behind is disconnected
// A client whose socket took nothing while the program produced this many bytes is not reading:
// disconnected too, so that the bytes kept for it stop growing. Measured in bytes produced, not in
// time, so that a reader the loaded machine does not schedule for a while is not taken for one that
// stopped: the program cannot produce much while it is not scheduled either. (Until then it costs
// the running program one failed write per pump: see write_stream.)
constexpr std::size_t stall_limit_bytes = std::size_t{2} << 20;
// The stream is kept in chunks of this capacity that never reallocate, so writes can point into
// them instead of copying each batch; an event's encoding is at most max_event_bytes.
constexpr std::size_t chunk_bytes = std::size_t{1} << 20;
constexpr std::size_t max_event_bytes = 128;
constexpr std::uint64_t handshake_ms = 2000;

// Stream bytes go out in batches: once pump_batch_bytes are waiting (checked after every step), or
// after a tick's poll once pump_interval_ms passed since the last send, or when the program pauses
// or ends. A flush timer sends what a tick left behind when the program goes quiet. Not one write
// per tick: a busy program runs ticks of a few hundred bytes each, and a write and the reader's
// wake-up per tick cost both sides more than the events themselves.
constexpr std::size_t pump_batch_bytes = std::size_t{64} << 10;
constexpr std::uint64_t pump_interval_ms = 1;
// A running program pumps at least every pump_interval_ms, and each pump offers parked writes (see
// write_stream) to the socket again. One that has not pumped for this long is quiet (it waits on a
// timer or IO): its parked writes then go to libuv, whose poll wakes the loop when the socket
// drains. Checked by an unreferenced timer of this period, which runs only when the loop polls.
constexpr std::uint64_t quiet_ms = 5;
constexpr std::uint64_t lint_long_step_default_ms = 10; // the same defaults as `coroscope-trace lint`
constexpr std::uint64_t lint_starvation_default_ms = 20;
constexpr std::uint64_t lint_starvation_ticks = 3;
constexpr std::uint64_t lint_never_yielding_ns = 1'000'000;

enum class breakpoint_kind { spawn, resume, ready, exception, long_step, lint };

struct breakpoint {
    std::uint32_t id;
    breakpoint_kind kind;
    std::uint32_t task = 0;     // resume
    std::uint32_t resource = 0; // ready (0 = any)
    std::uint64_t ns = 0;       // long_step threshold; lint: its long-step threshold
    std::uint64_t starvation_ns = 0; // lint: the starvation time rule's threshold
};

// What the lint breakpoint needs to judge starvation and never-yielding as events arrive: the
// same bookkeeping as inspector/src/lints.cpp, from the moment a lint breakpoint is set.
struct live_lints {
    struct task {
        bool ready = false;
        traces::wait_reason ready_cause = traces::wait_reason::none;
        std::uint32_t ready_tick = 0;
        std::uint64_t busy_at_ready = 0, steps_at_ready = 0;
        bool starvation_reported = false;
        std::uint32_t steps = 0;   // steps begun since tracking began
        bool seen_before = true;   // not spawned since tracking began (its first step may be unknown)
        bool others_ready = false; // another task was ready during its current step
    };
    std::vector<task> tasks; // index = task id
    std::uint32_t ready_count = 0;
    std::uint32_t running = 0;
    bool spawned_process = false; // the current step started a child process (uv_spawn blocks)
    std::uint64_t busy_ns = 0, steps_done = 0;
    // (steps_done when it ended, duration) of steps, longest last-first: the longest step since a point.
    std::vector<std::pair<std::uint64_t, std::uint64_t>> suffix_max;

    // Found by the last event (0 when nothing): how long others' steps kept a woken task waiting,
    // without the longest of them; how many ticks it waited; how long a task's only step ran.
    std::uint64_t starved_ns = 0, starved_ticks = 0, never_yielded_ns = 0;

    task& at(std::uint32_t id) {
        if (id >= tasks.size()) tasks.resize(std::size_t{id} + 1);
        return tasks[id];
    }

    std::uint64_t longest_since(std::uint64_t index) const {
        auto it = std::lower_bound(suffix_max.begin(), suffix_max.end(), index,
                                   [](const std::pair<std::uint64_t, std::uint64_t>& p, std::uint64_t i) { return p.first < i; });
        return it == suffix_max.end() ? 0 : it->second;
    }

    void apply(const traces::event& e, std::uint64_t resume_ts) {
        starved_ns = starved_ticks = never_yielded_ns = 0;
        if (e.task == 0) return;
        switch (e.kind) {
        case event_kind::task_spawn: at(e.task).seen_before = false; break;
        case event_kind::task_ready: {
            task& t = at(e.task);
            if (!t.ready) {
                t.ready = true;
                t.ready_cause = static_cast<traces::wait_reason>(e.code);
                t.ready_tick = e.tick;
                t.busy_at_ready = busy_ns;
                t.steps_at_ready = steps_done;
                ++ready_count;
            }
            if (running != 0 && running != e.task) at(running).others_ready = true;
            break;
        }
        case event_kind::task_resume: {
            task& t = at(e.task);
            if (t.ready && !t.starvation_reported) {
                std::uint64_t ran = busy_ns - t.busy_at_ready;
                std::uint64_t ahead = ran - std::min(ran, longest_since(t.steps_at_ready));
                if (e.tick > t.ready_tick + lint_starvation_ticks) {
                    starved_ticks = e.tick - t.ready_tick;
                    t.starvation_reported = true;
                } else if (t.ready_cause != traces::wait_reason::yield && t.ready_cause != traces::wait_reason::spawn) {
                    starved_ns = ahead; // the breakpoint compares it with its threshold
                }
            }
            if (t.ready) --ready_count;
            t.ready = false;
            t.others_ready = ready_count > 0;
            ++t.steps;
            running = e.task;
            spawned_process = false;
            break;
        }
        case event_kind::task_suspend:
        case event_kind::task_exit: {
            task& t = at(e.task);
            if (running == e.task) {
                std::uint64_t d = e.ts_ns - resume_ts;
                if (!spawned_process) {
                    while (!suffix_max.empty() && suffix_max.back().second <= d) suffix_max.pop_back();
                    suffix_max.emplace_back(steps_done, d);
                    busy_ns += d;
                }
                ++steps_done;
                if (e.kind == event_kind::task_exit && t.steps == 1 && !t.seen_before && t.others_ready &&
                    d >= lint_never_yielding_ns)
                    never_yielded_ns = d;
                running = 0;
            }
            if (t.ready) --ready_count;
            t.ready = false;
            t.others_ready = false;
            break;
        }
        case event_kind::resource_open:
            if (static_cast<traces::resource_kind>(e.code) == traces::resource_kind::process && running != 0)
                spawned_process = true;
            break;
        default: break;
        }
    }

    // Tracking begins now: tasks spawned earlier are judged from here on, never as never-yielding.
    void start() { *this = live_lints{}; }
};

bool is_loopback(const sockaddr_storage& addr) {
    if (addr.ss_family == AF_INET) {
        auto* in = reinterpret_cast<const sockaddr_in*>(&addr);
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (addr.ss_family == AF_INET6) {
        auto* in6 = reinterpret_cast<const sockaddr_in6*>(&addr);
        static const unsigned char loopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
        return std::memcmp(&in6->sin6_addr, loopback, 16) == 0;
    }
    return false;
}

// "HOST:PORT", "[V6]:PORT"; localhost means 127.0.0.1. Returns "" or the problem.
std::string parse_tcp_address(const std::string& text, sockaddr_storage& out) {
    std::string host, port;
    if (!text.empty() && text[0] == '[') {
        auto close = text.find(']');
        if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':')
            return "expected [IPV6]:PORT";
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string::npos) return "expected HOST:PORT or unix:PATH";
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    if (host == "localhost") host = "127.0.0.1";
    char* end = nullptr;
    unsigned long port_number = std::strtoul(port.c_str(), &end, 10);
    if (port.empty() || *end != '\0' || port_number > 65535) return "port '" + port + "' is not a number from 0 to 65535";
    std::memset(&out, 0, sizeof out);
    if (uv_ip4_addr(host.c_str(), static_cast<int>(port_number), reinterpret_cast<sockaddr_in*>(&out)) == 0) return "";
    if (uv_ip6_addr(host.c_str(), static_cast<int>(port_number), reinterpret_cast<sockaddr_in6*>(&out)) == 0) return "";
    return "host '" + host + "' is not an IP address";
}

} // namespace

struct agent::impl {
    struct client;

    // One uv_write. Messages and a late joiner's own stream carry their bytes; a write of the shared
    // stream points into its chunks (frame headers are the only bytes it owns).
    struct write_request {
        uv_write_t req;
        client* owner = nullptr;
        std::string bytes;          // owned bytes: whole frames, or the frame headers of a stream write
        std::vector<uv_buf_t> bufs; // a stream write: header, payload piece(s), header, ...
        std::size_t size = 0;       // bytes in the write
        bool stream_write = false;  // carries stream bytes (shared or own)
        std::uint64_t to = 0;       // shared stream: the absolute offset after its last byte
        std::uint64_t events_to = 0; // events_encoded when it was written: all of them sent once it completes
        std::size_t first = 0;      // parked: bufs[first] is the first not (entirely) taken by the socket
    };

    struct stream_chunk {
        std::uint64_t base; // absolute stream offset of bytes[0]
        std::string bytes;  // never grows past its reserved capacity
    };

    struct client {
        impl* owner = nullptr;
        std::uint32_t id = 0;
        uv_stream_t* stream = nullptr;
        uv_timer_t* handshake_timer = nullptr;
        int open_handles = 0;
        wire::frame_reader reader;
        bool ready = false;
        bool streaming = false; // the welcome went out: stream bytes may follow
        bool closing = false;
        std::uint64_t offset = 0;                  // next byte of the shared stream to hand to libuv
        std::uint64_t acked = 0;                   // bytes of the shared stream written to the socket
        std::uint64_t joined = 0;                  // stream end at the handshake (history is not "behind")
        std::unique_ptr<traces::binary::encoder> own; // late joiner after history was dropped
        std::string own_pending;
        std::size_t queued = 0;                    // bytes handed to libuv, not yet written
        int stream_writes = 0;                     // stream writes handed to libuv, not yet completed
        // The rest of a stream write the socket did not take at once, held without a libuv request
        // while the program runs (see write_stream); at most one, and no stream write follows it.
        std::unique_ptr<write_request> parked;
        std::size_t last_write_queue = 0;          // libuv's unwritten bytes for it at the last pump
        std::uint64_t last_progress_end = 0;       // stream end when its socket last took bytes (or had none queued)
        std::uint64_t events_acked = 0;            // events_encoded as of the last completed stream write
    };

    struct pending_reply {
        std::uint32_t client;
        json id;
    };

    scheduler& sched;
    uv_loop_t* loop;
    agent_options options;
    std::string error;
    std::string bound;
    uv_stream_t* listener = nullptr;
    std::string unix_path;
    std::string binding_path; // where the socket was bound before it was renamed to unix_path
    int open_handles = 0; // listener + clients' handles not yet closed

    traces::header header;
    std::vector<std::string> strings{std::string{}};
    traces::binary::encoder encoder;
    // The shared stream (header, strings, events) from absolute offset chunks.front().base on.
    std::deque<stream_chunk> chunks;
    bool keeping_all = true;
    std::uint64_t pumped_to = 0;   // absolute stream offset at the last pump

    std::vector<std::unique_ptr<client>> clients;
    std::uint32_t next_client = 1;
    std::uint32_t controller = 0;
    std::vector<pending_reply> waiting_for_pause;

    std::vector<breakpoint> breakpoints;
    std::uint32_t next_breakpoint = 1;
    bool linting = false; // a lint breakpoint is set: `lints` follows the events
    live_lints lints;
    std::uint32_t hit = 0; // a breakpoint matched by an event; pause before the next step
    std::uint32_t hit_task = 0;      // the task of the event that matched
    const char* hit_lint = nullptr;  // the lint that matched (lint breakpoints)
    std::uint32_t last_hit = 0;
    std::uint32_t last_hit_task = 0;
    const char* last_hit_lint = nullptr;
    std::string last_hit_detail;     // stuck: who waits on what
    std::uint64_t stuck_reported_at = ~std::uint64_t{0}; // the step count when "stuck" last stopped
    std::uint64_t events_encoded = 0; // events put in the shared stream
    std::uint64_t dropped_clients = 0;   // clients disconnected because they stopped reading
    std::uint64_t undelivered_events = 0; // events those clients never received
    std::uint64_t resume_ts = 0;
    bool paused = false;
    bool finished = false;
    // Events other than loop bookkeeping (tick, poll) arrived since the last pump. A poll with
    // nothing else to report is not sent on its own: its write's completion would wake the loop
    // for another poll, and so on forever. It goes out with the next batch that matters.
    bool news = false;
    std::uint64_t last_pump_ms = 0; // uv_now() at the last pump
    uv_timer_t flush_timer{};       // sends what waits when the program goes quiet (unreferenced)
    uv_timer_t quiet_timer{};       // hands parked writes to libuv when the program goes quiet (unreferenced)
    std::uint32_t own_streams = 0;  // clients with their own encoder (late joiners), not closing

    impl(scheduler& s, agent_options o) : sched(s), loop(s.loop()), options(std::move(o)) { new_chunk(0); }

    // --- the shared stream ---------------------------------------------------------------------

    std::uint64_t stream_end() const { return chunks.back().base + chunks.back().bytes.size(); }
    std::uint64_t stream_begin() const { return chunks.front().base; }

    void new_chunk(std::size_t at_least) {
        std::uint64_t base = chunks.empty() ? 0 : stream_end();
        chunks.push_back(stream_chunk{base, {}});
        chunks.back().bytes.reserve(std::max(chunk_bytes, at_least));
    }

    // The chunk to append `n` more bytes to without reallocating it (writes may point into it).
    std::string& room_for(std::size_t n) {
        std::string& last = chunks.back().bytes;
        if (last.capacity() - last.size() >= n) return last;
        new_chunk(n);
        return chunks.back().bytes;
    }

    // --- listening -----------------------------------------------------------------------------

    void listen() {
        const std::string& address = options.address;
        int rc = 0;
        if (address.rfind("unix:", 0) == 0) {
            unix_path = address.substr(5);
            if (unix_path.empty()) {
                error = "COROSCOPE_LISTEN=" + address + ": empty socket path";
                return;
            }
            auto* pipe = new uv_pipe_t;
            uv_pipe_init(loop, pipe, 0);
            adopt_handle(reinterpret_cast<uv_handle_t*>(pipe), this);
            // Bound and listening under a temporary name, then renamed: a client that sees the file
            // can connect (bind creates it before listen, and a connect in between is refused).
            struct stat existing {};
            if (::lstat(unix_path.c_str(), &existing) == 0) rc = UV_EADDRINUSE; // as bind would say
            if (rc == 0) {
                binding_path = unix_path + ".bind-" + std::to_string(::getpid());
                if (binding_path.size() >= sizeof(sockaddr_un::sun_path)) binding_path = unix_path; // no room: bind it directly
                ::unlink(binding_path.c_str()); // a leftover of this pid's earlier agent
                mode_t old_mask = ::umask(0177); // the socket file is created mode 0600
                rc = uv_pipe_bind(pipe, binding_path.c_str());
                ::umask(old_mask);
            }
            listener = reinterpret_cast<uv_stream_t*>(pipe);
            bound = address;
        } else {
            sockaddr_storage addr;
            std::string problem = parse_tcp_address(address, addr);
            if (!problem.empty()) {
                error = "COROSCOPE_LISTEN=" + address + ": " + problem;
                return;
            }
            if (!is_loopback(addr)) {
                if (!options.allow_remote) {
                    error = "COROSCOPE_LISTEN=" + address +
                            ": not a loopback address; set COROSCOPE_ALLOW_REMOTE=1 (and COROSCOPE_TOKEN) to serve it";
                    return;
                }
                if (options.token.empty()) {
                    error = "COROSCOPE_LISTEN=" + address + ": a non-loopback address needs COROSCOPE_TOKEN";
                    return;
                }
                std::fprintf(stderr, "coroscope: warning: serving the debugger on non-loopback address %s\n",
                             address.c_str());
            }
            auto* tcp = new uv_tcp_t;
            uv_tcp_init(loop, tcp);
            adopt_handle(reinterpret_cast<uv_handle_t*>(tcp), this);
            rc = uv_tcp_bind(tcp, reinterpret_cast<const sockaddr*>(&addr), 0);
            listener = reinterpret_cast<uv_stream_t*>(tcp);
            if (rc == 0) {
                sockaddr_storage name;
                int len = sizeof name;
                uv_tcp_getsockname(tcp, reinterpret_cast<sockaddr*>(&name), &len);
                char host[64] = {};
                int port = 0;
                if (name.ss_family == AF_INET6) {
                    uv_ip6_name(reinterpret_cast<sockaddr_in6*>(&name), host, sizeof host);
                    port = ntohs(reinterpret_cast<sockaddr_in6*>(&name)->sin6_port);
                    bound = "[" + std::string(host) + "]:" + std::to_string(port);
                } else {
                    uv_ip4_name(reinterpret_cast<sockaddr_in*>(&name), host, sizeof host);
                    port = ntohs(reinterpret_cast<sockaddr_in*>(&name)->sin_port);
                    bound = std::string(host) + ":" + std::to_string(port);
                }
            }
        }
        if (rc == 0) rc = uv_listen(listener, 8, &impl::on_connection);
        if (rc == 0 && !binding_path.empty() && binding_path != unix_path &&
            ::rename(binding_path.c_str(), unix_path.c_str()) != 0)
            rc = uv_translate_sys_error(errno);
        if (rc != 0) {
            error = "COROSCOPE_LISTEN=" + address + ": " + uv_strerror(rc);
            if (!binding_path.empty()) ::unlink(binding_path.c_str());
            if (!unix_path.empty() && rc != UV_EADDRINUSE) ::unlink(unix_path.c_str());
            if (rc == UV_EADDRINUSE) unix_path.clear(); // not ours to remove
            return;
        }
        update_refs();
    }

    static void adopt_handle(uv_handle_t* handle, void* data) {
        handle->data = data;
    }

    static void on_listener_closed(uv_handle_t* handle) {
        auto* self = static_cast<impl*>(handle->data);
        --self->open_handles;
        if (handle->type == UV_NAMED_PIPE) delete reinterpret_cast<uv_pipe_t*>(handle);
        else delete reinterpret_cast<uv_tcp_t*>(handle);
    }

    static void on_connection(uv_stream_t* server, int status) {
        auto* self = static_cast<impl*>(server->data);
        if (status < 0) return;
        auto c = std::make_unique<client>();
        c->owner = self;
        c->id = self->next_client++;
        if (server->type == UV_NAMED_PIPE) {
            auto* pipe = new uv_pipe_t;
            uv_pipe_init(self->loop, pipe, 0);
            c->stream = reinterpret_cast<uv_stream_t*>(pipe);
        } else {
            auto* tcp = new uv_tcp_t;
            uv_tcp_init(self->loop, tcp);
            uv_tcp_nodelay(tcp, 1);
            c->stream = reinterpret_cast<uv_stream_t*>(tcp);
        }
        c->stream->data = c.get();
        ++c->open_handles;
        ++self->open_handles;
        if (uv_accept(server, c->stream) != 0) {
            self->close_client(*c);
            self->clients.push_back(std::move(c));
            return;
        }
        c->handshake_timer = new uv_timer_t;
        uv_timer_init(self->loop, c->handshake_timer);
        c->handshake_timer->data = c.get();
        ++c->open_handles;
        ++self->open_handles;
        uv_timer_start(c->handshake_timer, &impl::on_handshake_timeout, handshake_ms, 0);
        uv_unref(reinterpret_cast<uv_handle_t*>(c->handshake_timer));
        uv_read_start(c->stream, &impl::on_alloc, &impl::on_read);
        self->clients.push_back(std::move(c));
        self->update_refs();
    }

    // While paused the agent's handles keep the loop alive, so the paused scheduler waits for
    // commands; while running they do not, so a finished or stuck program is never held up.
    void update_refs() {
        auto set = [&](uv_handle_t* h) {
            if (!h || uv_is_closing(h)) return;
            if (paused) uv_ref(h);
            else uv_unref(h);
        };
        set(reinterpret_cast<uv_handle_t*>(listener));
        for (auto& c : clients) set(reinterpret_cast<uv_handle_t*>(c->stream));
    }

    // --- connections ---------------------------------------------------------------------------

    static void on_alloc(uv_handle_t*, std::size_t, uv_buf_t* buf) {
        static thread_local char buffer[64 * 1024];
        *buf = uv_buf_init(buffer, sizeof buffer);
    }

    static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
        auto* c = static_cast<client*>(stream->data);
        impl* self = c->owner;
        if (nread < 0) {
            self->close_client(*c);
            return;
        }
        if (c->closing) return;
        c->reader.feed(std::string_view(buf->base, static_cast<std::size_t>(nread)));
        wire::frame_reader::frame f;
        while (!c->closing && c->reader.next(f)) self->handle_frame(*c, f);
        if (!c->closing && !c->reader.error().empty()) {
            self->send_json(*c, wire::frame_type::error, {{"error", c->reader.error()}});
            self->close_client_after_flush(*c);
        }
    }

    static void on_handshake_timeout(uv_timer_t* timer) {
        auto* c = static_cast<client*>(timer->data);
        if (!c->ready && !c->closing) {
            c->owner->send_json(*c, wire::frame_type::error, {{"error", "handshake: no hello within 2 seconds"}});
            c->owner->close_client_after_flush(*c);
        }
    }

    void handle_frame(client& c, const wire::frame_reader::frame& f) {
        json message = json::parse(f.payload, nullptr, false);
        if (!c.ready) {
            handle_hello(c, f, message);
            return;
        }
        if (f.type != wire::frame_type::command) {
            send_json(c, wire::frame_type::reply,
                      {{"id", nullptr}, {"ok", false}, {"error", "unexpected frame type " + std::to_string(static_cast<int>(f.type))}});
            return;
        }
        if (message.is_discarded() || !message.is_object()) {
            send_json(c, wire::frame_type::reply, {{"id", nullptr}, {"ok", false}, {"error", "malformed command: not a JSON object"}});
            return;
        }
        handle_command(c, message);
    }

    void handle_hello(client& c, const wire::frame_reader::frame& f, const json& hello) {
        std::string problem;
        std::string version = "?";
        if (f.type != wire::frame_type::hello || hello.is_discarded() || !hello.is_object()) {
            problem = "handshake: expected a hello frame with a JSON object";
        } else if (hello.value("magic", std::string()) != wire::hello_magic) {
            problem = "handshake: wrong magic (expected \"coroscope-live\")";
        } else {
            version = hello.value("version", std::string("?"));
            unsigned major = 0;
            if (std::sscanf(version.c_str(), "%u.", &major) != 1 || major != wire::protocol_major) {
                problem = "handshake: protocol version " + version + " is not supported by this program (" +
                          std::to_string(wire::protocol_major) + "." + std::to_string(wire::protocol_minor) + ")";
            } else if (!options.token.empty() &&
                       !wire::constant_time_equal(hello.value("token", std::string()), options.token)) {
                problem = "handshake: wrong token";
            }
        }
        if (!problem.empty()) {
            send_json(c, wire::frame_type::error, {{"error", problem}});
            close_client_after_flush(c);
            return;
        }
        c.ready = true;
        uv_timer_stop(c.handshake_timer);
        send_json(c, wire::frame_type::welcome,
                  {{"version", std::to_string(wire::protocol_major) + "." + std::to_string(wire::protocol_minor)},
                   {"program", header.producer},
                   {"pid", header.pid},
                   {"client", c.id},
                   {"paused", paused},
                   {"step", sched.steps()},
                   {"tick", sched.ticks()}});
        c.joined = stream_end();
        if (keeping_all) {
            c.offset = c.acked = 0;
            c.events_acked = 0;
        } else {
            // The history was too long to keep: this client's stream starts now.
            c.own = std::make_unique<traces::binary::encoder>();
            ++own_streams;
            c.events_acked = events_encoded;
            c.own_pending = c.own->encode_header(header);
            for (std::size_t id = 1; id < strings.size(); ++id)
                c.own->encode_string(static_cast<std::uint32_t>(id), strings[id], c.own_pending);
        }
        c.streaming = true;
        pump();
    }

    json position(bool include_paused = true) const {
        json j = {{"step", sched.steps()}, {"tick", sched.ticks()}};
        if (include_paused) j["paused"] = paused;
        if (dropped_clients > 0) {
            j["dropped_clients"] = dropped_clients;
            j["undelivered_events"] = undelivered_events;
        }
        return j;
    }

    void reply(client& c, const json& id, json body) {
        body["id"] = id;
        send_json(c, wire::frame_type::reply, body);
    }

    void handle_command(client& c, const json& message) {
        json id = message.contains("id") ? message["id"] : json(nullptr);
        auto cmd_it = message.find("cmd");
        if (cmd_it == message.end() || !cmd_it->is_string()) {
            reply(c, id, {{"ok", false}, {"error", "malformed command: field 'cmd' is missing or not a string"}});
            return;
        }
        std::string cmd = cmd_it->get<std::string>();
        static const char* known[] = {"status", "pause", "resume", "continue", "step", "tick", "break", "clear"};
        if (std::find_if(std::begin(known), std::end(known), [&](const char* k) { return cmd == k; }) == std::end(known)) {
            reply(c, id, {{"ok", false}, {"error", "unknown command '" + cmd + "'"}});
            return;
        }
        if (cmd == "status") {
            json body = position();
            body["ok"] = true;
            reply(c, id, body);
            return;
        }
        if (controller != 0 && controller != c.id) {
            reply(c, id, {{"ok", false}, {"error", "busy: client " + std::to_string(controller) + " holds control"}});
            return;
        }
        std::uint64_t count = 1;
        if (auto it = message.find("count"); it != message.end()) {
            if (!it->is_number_unsigned() || it->get<std::uint64_t>() == 0) {
                reply(c, id, {{"ok", false}, {"error", "field 'count' must be a positive integer"}});
                return;
            }
            count = it->get<std::uint64_t>();
        }
        if (cmd == "break") {
            std::string problem;
            breakpoint bp = parse_breakpoint(message, problem);
            if (!problem.empty()) {
                reply(c, id, {{"ok", false}, {"error", problem}});
                return;
            }
            controller = c.id;
            breakpoints.push_back(bp);
            update_linting();
            reply(c, id, {{"ok", true}, {"breakpoint", bp.id}});
            return;
        }
        if (cmd == "clear") {
            auto it = message.find("breakpoint");
            if (it == message.end()) breakpoints.clear();
            else if (it->is_number_unsigned()) {
                auto which = it->get<std::uint32_t>();
                std::erase_if(breakpoints, [&](const breakpoint& b) { return b.id == which; });
            } else {
                reply(c, id, {{"ok", false}, {"error", "field 'breakpoint' must be a breakpoint id"}});
                return;
            }
            update_linting();
            controller = c.id;
            reply(c, id, {{"ok", true}});
            return;
        }
        controller = c.id;
        if (cmd == "pause") {
            if (paused) {
                json body = position();
                body["ok"] = true;
                reply(c, id, body);
            } else {
                waiting_for_pause.push_back({c.id, id}); // answered when the loop has stopped
                sched.pause();
            }
        } else if (cmd == "resume" || cmd == "continue") {
            sched.resume();
            reply(c, id, {{"ok", true}, {"paused", false}});
        } else if (cmd == "step" || cmd == "tick") {
            waiting_for_pause.push_back({c.id, id});
            if (cmd == "step") sched.step(count);
            else sched.tick(count);
        }
    }

    // The lint bookkeeping runs only while a lint breakpoint is set (it costs on every event).
    void update_linting() {
        bool any = std::any_of(breakpoints.begin(), breakpoints.end(),
                               [](const breakpoint& b) { return b.kind == breakpoint_kind::lint; });
        if (any && !linting) lints.start();
        if (!any) lints = live_lints{};
        linting = any;
    }

    breakpoint parse_breakpoint(const json& message, std::string& problem) {
        breakpoint bp{next_breakpoint, breakpoint_kind::spawn};
        auto it = message.find("breakpoint");
        if (it == message.end() || !it->is_object() || !it->contains("kind") || !(*it)["kind"].is_string()) {
            problem = "field 'breakpoint' must be an object with a 'kind'";
            return bp;
        }
        const json& b = *it;
        std::string kind = b["kind"].get<std::string>();
        auto number = [&](const char* field, bool required) -> std::uint64_t {
            auto f = b.find(field);
            if (f == b.end()) {
                if (required) problem = "breakpoint '" + kind + "' needs field '" + field + "'";
                return 0;
            }
            if (!f->is_number_unsigned()) {
                problem = std::string("breakpoint field '") + field + "' must be a non-negative integer";
                return 0;
            }
            return f->get<std::uint64_t>();
        };
        if (kind == "spawn") bp.kind = breakpoint_kind::spawn;
        else if (kind == "resume") {
            bp.kind = breakpoint_kind::resume;
            bp.task = static_cast<std::uint32_t>(number("task", true));
        } else if (kind == "ready") {
            bp.kind = breakpoint_kind::ready;
            bp.resource = static_cast<std::uint32_t>(number("resource", false));
        } else if (kind == "exception") bp.kind = breakpoint_kind::exception;
        else if (kind == "long_step") {
            bp.kind = breakpoint_kind::long_step;
            bp.ns = number("ms", true) * 1'000'000;
        } else if (kind == "lint") {
            bp.kind = breakpoint_kind::lint;
            bp.ns = (b.contains("ms") ? number("ms", false) : lint_long_step_default_ms) * 1'000'000;
            bp.starvation_ns =
                (b.contains("starvation_ms") ? number("starvation_ms", false) : lint_starvation_default_ms) * 1'000'000;
        } else problem = "unknown breakpoint kind '" + kind + "'";
        if (problem.empty()) ++next_breakpoint;
        return bp;
    }

    // --- sending -------------------------------------------------------------------------------

    // Messages go out after the stream bytes already produced, so a client sees the events of a
    // step before the notice or reply about it.
    void send_json(client& c, wire::frame_type type, const json& body) {
        if (c.closing) return;
        send_stream(c, true);
        std::string frame;
        wire::append_frame(frame, type, body.dump(-1, ' ', false, json::error_handler_t::replace));
        if (c.closing) return;
        if (unwritten(c) + frame.size() > client_queue_limit) {
            drop_slow_client(c);
            return;
        }
        auto* req = new write_request;
        req->size = frame.size();
        req->bytes = std::move(frame);
        req->bufs.push_back(uv_buf_init(req->bytes.data(), static_cast<unsigned>(req->bytes.size())));
        submit(c, req);
    }

    void submit(client& c, write_request* req) {
        req->owner = &c;
        req->req.data = req;
        c.queued += req->size;
        if (req->stream_write) ++c.stream_writes;
        int rc = uv_write(&req->req, c.stream, req->bufs.data(), static_cast<unsigned>(req->bufs.size()),
                          &impl::on_written);
        if (rc != 0) {
            c.queued -= req->size;
            if (req->stream_write) --c.stream_writes;
            delete req;
            close_client(c);
        }
    }

    // Whether the client's socket took none of the bytes libuv holds (or the agent parked) for it
    // while the program produced stall_limit_bytes (stream end `end` now).
    bool stalled(client& c, std::uint64_t end) {
        const std::size_t waiting = uv_stream_get_write_queue_size(c.stream) + (c.parked ? c.parked->size : 0);
        if (waiting == 0 || waiting < c.last_write_queue || c.last_progress_end == 0) c.last_progress_end = end;
        c.last_write_queue = waiting;
        return end - c.last_progress_end > stall_limit_bytes;
    }

    // Bytes accepted for the client and not yet taken by its socket: in libuv's requests or parked.
    static std::size_t unwritten(const client& c) { return c.queued + (c.parked ? c.parked->size : 0); }

    // The socket took bytes of a stream write: the client reads (see stalled).
    void note_progress(client& c) {
        c.last_progress_end = stream_end();
        c.last_write_queue = 0;
    }

    // A stream write is all in the socket.
    void stream_write_done(client& c, const write_request& w) {
        if (!c.own) c.acked = w.to;
        c.events_acked = w.events_to;
        note_progress(c);
    }

    // Offers the rest of a stream write to the socket without waiting (uv_try_write; nothing if
    // libuv still holds earlier bytes for it). True when all of it is now in the socket. A socket
    // error closes the client.
    bool try_write_rest(client& c, write_request& w) {
        int n = uv_try_write(c.stream, w.bufs.data() + w.first, static_cast<unsigned>(w.bufs.size() - w.first));
        if (n == UV_EAGAIN) return false;
        if (n < 0) {
            close_client(c);
            return false;
        }
        auto written = static_cast<std::size_t>(n);
        w.size -= written;
        while (written > 0) {
            uv_buf_t& b = w.bufs[w.first];
            if (written < b.len) {
                b.base += written;
                b.len -= static_cast<decltype(b.len)>(written);
                break;
            }
            written -= b.len;
            ++w.first;
        }
        if (n > 0) note_progress(c);
        return w.first == w.bufs.size();
    }

    // A new stream write (it follows every earlier one). What the socket takes at once goes now.
    // The rest is handed to libuv (uv_write) only when `now` (a message must follow it), while
    // paused or at the end: while the program runs it is parked and offered again at each pump.
    // A pending uv_write keeps libuv's loop alive, so a running program would poll (epoll_wait)
    // every tick for a client whose socket is full; a parked write costs one failed write per
    // pump. When the program goes quiet, parked writes go to libuv (on_quiet_timer).
    void write_stream(client& c, write_request* req, bool now) {
        req->owner = &c;
        req->first = 0;
        if (c.stream_writes == 0 && try_write_rest(c, *req)) {
            stream_write_done(c, *req);
            delete req;
            return;
        }
        if (c.closing) {
            delete req;
            return;
        }
        if (now || paused || finished) {
            submit_rest(c, req);
            return;
        }
        c.parked.reset(req);
        if (!uv_is_active(reinterpret_cast<uv_handle_t*>(&quiet_timer)))
            uv_timer_start(&quiet_timer, &impl::on_quiet_timer, quiet_ms, quiet_ms);
    }

    // Hands what the socket has not taken of a stream write to libuv.
    void submit_rest(client& c, write_request* req) {
        req->bufs.erase(req->bufs.begin(), req->bufs.begin() + static_cast<std::ptrdiff_t>(req->first));
        req->first = 0;
        submit(c, req);
    }

    // Offers a parked write to the socket again (to libuv when `now`, paused or at the end). True
    // when it is no longer parked, so that newer stream bytes may follow.
    bool retry_parked(client& c, bool now) {
        if (try_write_rest(c, *c.parked)) {
            stream_write_done(c, *c.parked);
            c.parked.reset();
            return true;
        }
        if (c.closing) return false;
        if (!now && !paused && !finished) return false;
        submit_rest(c, c.parked.release());
        return true;
    }

    // No pump for quiet_ms: the program waits. Parked writes go to libuv, so that the socket
    // draining wakes the loop; until then the timer checks again every quiet_ms.
    static void on_quiet_timer(uv_timer_t* timer) {
        auto* self = static_cast<impl*>(timer->data);
        if (uv_now(self->loop) - self->last_pump_ms < quiet_ms) return;
        for (std::size_t i = 0; i < self->clients.size(); ++i) {
            client& c = *self->clients[i];
            if (c.parked && !c.closing) self->send_stream(c, true);
        }
        uv_timer_stop(timer);
    }

    static void put_frame_header(std::string& out, std::size_t payload) {
        char header[wire::frame_header_bytes];
        for (int i = 0; i < 4; ++i) header[i] = static_cast<char>((payload >> (8 * i)) & 0xff);
        header[4] = static_cast<char>(wire::frame_type::events);
        out.append(header, sizeof header);
    }

    // The stream bytes a client has not been handed yet. Unless `now`, nothing is written while an
    // earlier stream write is still in libuv: the bytes wait and go out together when it completes
    // (on_written), so a client that reads slowly costs one write at a time, not one per tick.
    // A parked write is offered to the socket first; newer bytes wait until it has gone. Drops the
    // client once it is more than client_queue_limit bytes behind, or stalled.
    void send_stream(client& c, bool now) {
        if (c.closing || !c.streaming) return;
        const bool parked = c.parked && !retry_parked(c, now);
        if (c.closing) return;
        if (c.own) {
            if (parked || c.own_pending.empty() || (!now && c.stream_writes > 0)) return;
            if (unwritten(c) + c.own_pending.size() > client_queue_limit) {
                drop_slow_client(c);
                return;
            }
            auto* req = new write_request;
            std::string_view bytes = c.own_pending;
            while (!bytes.empty()) {
                std::size_t n = std::min(bytes.size(), wire::max_frame_payload);
                wire::append_frame(req->bytes, wire::frame_type::events, bytes.substr(0, n));
                bytes.remove_prefix(n);
            }
            c.own_pending.clear();
            req->size = req->bytes.size();
            req->bufs.push_back(uv_buf_init(req->bytes.data(), static_cast<unsigned>(req->bytes.size())));
            req->stream_write = true;
            req->events_to = events_encoded;
            write_stream(c, req, now);
            return;
        }
        const std::uint64_t end = stream_end();
        const std::uint64_t behind = end - std::max(c.acked, c.joined);
        if (behind > client_queue_limit || (behind > stall_limit_bytes && stalled(c, end))) {
            drop_slow_client(c);
            return;
        }
        if (parked || c.offset >= end || (!now && c.stream_writes > 0)) return;
        auto* req = new write_request;
        req->stream_write = true;
        req->to = end;
        req->events_to = events_encoded;
        std::size_t frames = (end - c.offset + wire::max_frame_payload - 1) / wire::max_frame_payload;
        req->bytes.reserve(frames * wire::frame_header_bytes); // header pointers must not move
        auto chunk = std::upper_bound(chunks.begin(), chunks.end(), c.offset,
                                      [](std::uint64_t at, const stream_chunk& k) { return at < k.base; });
        --chunk;
        std::uint64_t pos = c.offset;
        while (pos < end) {
            std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(end - pos, wire::max_frame_payload));
            std::size_t header_at = req->bytes.size();
            put_frame_header(req->bytes, n);
            req->bufs.push_back(uv_buf_init(req->bytes.data() + header_at, wire::frame_header_bytes));
            while (n > 0) {
                while (pos >= chunk->base + chunk->bytes.size()) ++chunk;
                std::size_t at = static_cast<std::size_t>(pos - chunk->base);
                std::size_t take = std::min(n, chunk->bytes.size() - at);
                req->bufs.push_back(uv_buf_init(chunk->bytes.data() + at, static_cast<unsigned>(take)));
                pos += take;
                n -= take;
            }
        }
        req->size = req->bytes.size() + static_cast<std::size_t>(end - c.offset);
        c.offset = end;
        write_stream(c, req, now);
    }

    // It stopped reading: disconnect it alone (it can reconnect and get the stream again). What it
    // missed is counted, printed and announced to the other clients.
    void drop_slow_client(client& c) {
        std::uint64_t missed = events_encoded - c.events_acked;
        std::size_t behind = c.own ? unwritten(c) + c.own_pending.size() : static_cast<std::size_t>(stream_end() - c.acked);
        ++dropped_clients;
        undelivered_events += missed;
        std::fprintf(stderr,
                     "coroscope: inspector client %u stopped reading (%zu bytes queued); disconnected, %llu events "
                     "undelivered\n",
                     c.id, behind, static_cast<unsigned long long>(missed));
        // A program that records while it serves says so in its trace too (a mark from the loop,
        // task 0): whoever reads the recording learns that a live view of this run is incomplete.
        if (sched.tracing()) {
            std::uint32_t text = sched.intern("coroscope: inspector client " + std::to_string(c.id) +
                                              " stopped reading and was disconnected; " + std::to_string(missed) +
                                              " events undelivered");
            sched.emit_now(event_kind::mark, 0, 0, text);
        }
        close_client(c);
        for (auto& other : clients)
            if (other.get() != &c && other->ready && !other->closing)
                send_json(*other, wire::frame_type::notice,
                          {{"disconnected", c.id},
                           {"why", "stopped reading: more than " + std::to_string(client_queue_limit) + " bytes queued"},
                           {"undelivered_events", missed},
                           {"dropped_clients", dropped_clients}});
    }

    static void on_written(uv_write_t* req, int status) {
        auto* w = static_cast<write_request*>(req->data);
        client* c = w->owner;
        c->queued -= w->size;
        if (w->stream_write) {
            --c->stream_writes;
            if (status == 0) c->owner->stream_write_done(*c, *w);
        }
        const bool stream_write = w->stream_write;
        delete w;
        if (c->closing) return;
        if (status < 0) c->owner->close_client(*c);
        else if (stream_write) c->owner->send_stream(*c, false); // what accumulated meanwhile
    }

    // Sends every client the stream bytes it has not had yet (`now`: even to one still writing),
    // then forgets what all have.
    void pump(bool now = false) {
        news = false;
        last_pump_ms = uv_now(loop);
        if (uv_is_active(reinterpret_cast<uv_handle_t*>(&flush_timer))) uv_timer_stop(&flush_timer);
        pumped_to = stream_end();
        for (std::size_t i = 0; i < clients.size(); ++i) send_stream(*clients[i], now);
        if (keeping_all && stream_end() - stream_begin() > keep_history_bytes) keeping_all = false;
        if (!keeping_all) {
            // Chunks every client has had written out (and that no write points into) go.
            std::uint64_t keep_from = stream_end();
            for (auto& c : clients)
                if (c->ready && !c->closing && !c->own) keep_from = std::min(keep_from, c->acked);
            while (chunks.size() > 1 && chunks[1].base <= keep_from) chunks.pop_front();
        }
    }

    // After a tick's poll: pump now if enough bytes or time have gone by, else later (the timer).
    void pump_soon() {
        if (stream_end() - pumped_to >= pump_batch_bytes || uv_now(loop) - last_pump_ms >= pump_interval_ms) {
            pump();
            return;
        }
        if (!uv_is_active(reinterpret_cast<uv_handle_t*>(&flush_timer)))
            uv_timer_start(&flush_timer, &impl::on_flush_timer, pump_interval_ms, 0);
    }

    static void on_flush_timer(uv_timer_t* timer) {
        auto* self = static_cast<impl*>(timer->data);
        if (self->news) self->pump();
    }

    void start_timers() {
        for (uv_timer_t* t : {&flush_timer, &quiet_timer}) {
            uv_timer_init(loop, t);
            t->data = this;
            uv_unref(reinterpret_cast<uv_handle_t*>(t)); // never keeps the program alive
            ++open_handles;
        }
    }

    void notify_all(const json& body) {
        for (auto& c : clients)
            if (c->ready && !c->closing) send_json(*c, wire::frame_type::notice, body);
    }

    void answer_waiting(const json& body) {
        for (auto& w : waiting_for_pause) {
            for (auto& c : clients) {
                if (c->id == w.client && c->ready && !c->closing) reply(*c, w.id, body);
            }
        }
        waiting_for_pause.clear();
    }

    // --- closing -------------------------------------------------------------------------------

    static void on_client_handle_closed(uv_handle_t* handle) {
        auto* c = static_cast<client*>(handle->data);
        impl* self = c->owner;
        if (handle->type == UV_TIMER) delete reinterpret_cast<uv_timer_t*>(handle);
        else if (handle->type == UV_NAMED_PIPE) delete reinterpret_cast<uv_pipe_t*>(handle);
        else delete reinterpret_cast<uv_tcp_t*>(handle);
        --self->open_handles;
        if (--c->open_handles == 0)
            std::erase_if(self->clients, [&](const std::unique_ptr<client>& p) { return p.get() == c; });
    }

    void close_client(client& c) {
        if (c.closing) return;
        c.closing = true;
        if (c.own) --own_streams;
        c.parked.reset(); // libuv never had it
        if (controller == c.id) controller = 0; // control is free again
        std::erase_if(waiting_for_pause, [&](const pending_reply& w) { return w.client == c.id; });
        if (c.handshake_timer) uv_close(reinterpret_cast<uv_handle_t*>(c.handshake_timer), &impl::on_client_handle_closed);
        uv_close(reinterpret_cast<uv_handle_t*>(c.stream), &impl::on_client_handle_closed);
    }

    // Lets queued bytes (an error message) reach the client, then closes.
    void close_client_after_flush(client& c) {
        if (c.closing) return;
        uv_read_stop(c.stream);
        auto* req = new uv_shutdown_t;
        req->data = &c;
        if (uv_shutdown(req, c.stream, [](uv_shutdown_t* r, int) {
                auto* cl = static_cast<client*>(r->data);
                delete r;
                cl->owner->close_client(*cl);
            }) != 0) {
            delete req;
            close_client(c);
        }
    }

    void close_all() {
        for (auto& c : clients) close_client(*c);
        for (uv_timer_t* t : {&flush_timer, &quiet_timer})
            if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(t)))
                uv_close(reinterpret_cast<uv_handle_t*>(t), [](uv_handle_t* h) { --static_cast<impl*>(h->data)->open_handles; });
        if (listener && !uv_is_closing(reinterpret_cast<uv_handle_t*>(listener))) {
            uv_close(reinterpret_cast<uv_handle_t*>(listener), &impl::on_listener_closed);
            if (!unix_path.empty()) ::unlink(unix_path.c_str());
        }
        // Close callbacks run on the next loop iterations; the agent owns nothing else that runs.
        for (int i = 0; i < 100 && open_handles > 0; ++i) uv_run(loop, UV_RUN_NOWAIT);
    }
};

agent::agent(scheduler& sched, agent_options options) : m_impl(std::make_unique<impl>(sched, std::move(options))) {
    // A client that disconnects while we write must not kill the program.
    struct sigaction current {};
    if (::sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) ::signal(SIGPIPE, SIG_IGN);
    m_impl->open_handles = 0;
    m_impl->listen();
    if (m_impl->listener) m_impl->open_handles += 1;
    m_impl->start_timers();
}

agent::~agent() { m_impl->close_all(); }

const std::string& agent::error() const { return m_impl->error; }
std::string agent::bound_address() const { return m_impl->bound; }

void agent::finish(int exit_code, unsigned linger_ms) {
    impl& s = *m_impl;
    if (s.finished) return;
    s.finished = true;
    s.pump(true);
    s.answer_waiting({{"ok", true}, {"exited", exit_code}});
    s.notify_all({{"exited", exit_code}});
    // Give connected clients a moment to receive the end of the stream.
    std::uint64_t deadline = uv_hrtime() + std::uint64_t{linger_ms} * 1'000'000;
    auto pending = [&] {
        for (auto& c : s.clients)
            if (!c->closing && c->queued > 0) return true;
        return false;
    };
    while (pending() && uv_hrtime() < deadline) {
        for (auto& c : s.clients) if (!c->closing) uv_ref(reinterpret_cast<uv_handle_t*>(c->stream));
        uv_run(s.loop, UV_RUN_NOWAIT);
        if (pending()) ::usleep(1000);
    }
    s.close_all();
}

void agent::on_header(const traces::header& h) {
    m_impl->header = h;
    std::string bytes = m_impl->encoder.encode_header(h);
    m_impl->room_for(bytes.size()) += bytes;
}

void agent::on_string(std::uint32_t id, std::string_view text) {
    impl& s = *m_impl;
    if (id >= s.strings.size()) s.strings.resize(id + 1);
    s.strings[id] = text;
    s.encoder.encode_string(id, text, s.room_for(text.size() + max_event_bytes));
    if (s.own_streams > 0)
        for (auto& c : s.clients)
            if (c->own && !c->closing) c->own->encode_string(id, text, c->own_pending);
}

void agent::on_event(const traces::event& e) {
    impl& s = *m_impl;
    s.encoder.encode_event(e, s.room_for(max_event_bytes));
    ++s.events_encoded;
    if (s.own_streams > 0) // (a loop over the clients per event costs while any is connected)
        for (auto& c : s.clients)
            if (c->own && !c->closing) c->own->encode_event(e, c->own_pending);
    if (e.kind != event_kind::tick_begin && e.kind != event_kind::poll_begin && e.kind != event_kind::poll_end)
        s.news = true;
    if (e.kind == event_kind::task_resume) s.resume_ts = e.ts_ns;
    if (s.breakpoints.empty()) return;
    if (s.linting) s.lints.apply(e, s.resume_ts);
    if (s.hit != 0) return;
    const bool step_end = e.kind == event_kind::task_suspend || e.kind == event_kind::task_exit;
    for (const breakpoint& bp : s.breakpoints) {
        bool match = false;
        const char* lint = nullptr;
        switch (bp.kind) {
        case breakpoint_kind::spawn: match = e.kind == event_kind::task_spawn; break;
        case breakpoint_kind::ready: match = e.kind == event_kind::io_ready && (bp.resource == 0 || bp.resource == e.a); break;
        case breakpoint_kind::exception: match = e.kind == event_kind::frame_exit && e.code != 0; break;
        case breakpoint_kind::long_step: match = step_end && e.ts_ns - s.resume_ts >= bp.ns; break;
        case breakpoint_kind::lint:
            // The lints the scheduler can see as they happen (stuck is checked in break_stuck),
            // by the rules of inspector/src/lints.cpp.
            if (step_end && e.ts_ns - s.resume_ts >= bp.ns && !s.lints.spawned_process) lint = "long-step";
            else if (s.lints.never_yielded_ns > 0) lint = "never-yielding";
            else if (s.lints.starved_ticks > 0 || s.lints.starved_ns > bp.starvation_ns) {
                lint = "starvation";
                s.lints.at(e.task).starvation_reported = true; // once per task, as the lint reports it
            }
            else if (e.kind == event_kind::unobserved_failure) lint = "swallowed-exception";
            match = lint != nullptr;
            break;
        case breakpoint_kind::resume: break; // checked before the step, in break_before
        }
        if (match) {
            s.hit = bp.id;
            s.hit_task = e.task;
            s.hit_lint = lint;
            break;
        }
    }
}

bool agent::break_before(std::uint32_t task) {
    for (const breakpoint& bp : m_impl->breakpoints) {
        if (bp.kind == breakpoint_kind::resume && bp.task == task) {
            m_impl->last_hit = bp.id;
            m_impl->last_hit_task = task;
            m_impl->last_hit_lint = nullptr;
            return true;
        }
    }
    return false;
}

bool agent::break_stuck() {
    impl& s = *m_impl;
    if (s.stuck_reported_at == s.sched.steps()) return false; // stopped here once; now let it end
    for (const breakpoint& bp : s.breakpoints) {
        if (bp.kind != breakpoint_kind::lint) continue;
        s.stuck_reported_at = s.sched.steps();
        s.last_hit = bp.id;
        s.last_hit_task = 0;
        s.last_hit_lint = "stuck";
        s.last_hit_detail = s.sched.describe_waiting();
        return true;
    }
    return false;
}

void agent::after_step() {
    impl& s = *m_impl;
    if (s.hit != 0) {
        s.last_hit = std::exchange(s.hit, 0);
        s.last_hit_task = s.hit_task;
        s.last_hit_lint = s.hit_lint;
        s.last_hit_detail.clear();
        s.sched.pause(scheduler::pause_reason::breakpoint);
    }
    // The rest goes out after the tick's poll, or when the loop pauses (pause_changed pumps).
    if (s.stream_end() - s.pumped_to >= pump_batch_bytes) s.pump();
}

void agent::after_poll() {
    impl& s = *m_impl;
    if (s.hit != 0) after_step();
    if (s.news) s.pump_soon();
}

void agent::pause_changed(bool paused, scheduler::pause_reason why) {
    impl& s = *m_impl;
    s.paused = paused;
    s.update_refs();
    s.pump(true);
    if (!paused) return;
    static const char* names[] = {"pause", "step", "tick", "breakpoint"};
    json notice = s.position();
    notice["why"] = names[static_cast<int>(why)];
    if (why == scheduler::pause_reason::breakpoint) {
        notice["breakpoint"] = s.last_hit;
        if (s.last_hit_task != 0) notice["task"] = s.last_hit_task;
        if (s.last_hit_lint) notice["lint"] = s.last_hit_lint;
        if (!s.last_hit_detail.empty()) notice["waiting"] = s.last_hit_detail;
    }
    s.notify_all(notice);
    json answer = s.position();
    answer["ok"] = true;
    answer["why"] = notice["why"];
    s.answer_waiting(answer);
}

} // namespace coroscope
