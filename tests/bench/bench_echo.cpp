// bench-echo: requests per second of an echo server on 127.0.0.1, three servers under the same load:
//   libuv       a plain libuv C-style echo server (uv_read_start, uv_try_write, uv_write for the rest)
//   coroscope   the scheduler: one task per connection, read_some + write (as samples/echo.cpp), tracing off
//   coroscope+trace  the same with COROSCOPE_TRACE=/dev/null (the binary file_writer; every event encoded)
// Each server runs in a forked child process (one core each on a 2-core machine); the parent is the
// load generator, a plain libuv client with 16 connections each doing ping-pong with 64-byte
// messages, 60k requests per run (or 10 s, whichever comes first). Runs are interleaved.
// Targets: coroscope >= 0.9x libuv; tracing on >= 0.98x tracing off.
// Also reported: the server process's CPU time (user + system) per request, from wait4(). On a
// machine shared with other work, requests/s swing with whatever else runs; CPU per request is
// what the server itself spends and varies much less.
#include "bench_common.hpp"

#include <coroscope/coroscope.hpp>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

namespace {

constexpr int connections = 16;
constexpr std::uint64_t requests_per_run = 60'000;
constexpr double time_limit_s = 10;
constexpr std::size_t message_size = 64;
constexpr int runs = 5;

void write_port(int fd, int port) {
    if (::write(fd, &port, sizeof port) != sizeof port) std::_Exit(3);
    ::close(fd);
}

// --- plain libuv server --------------------------------------------------------------------------

struct uv_server {
    uv_tcp_t listener;
    int closed = 0;
};

struct uv_session {
    uv_tcp_t tcp;
    uv_server* server;
    char buffer[65536];
};

struct uv_pending_write {
    uv_write_t req;
    char data[1];
};

void uv_session_closed(uv_handle_t* handle) {
    auto* s = static_cast<uv_session*>(handle->data);
    if (++s->server->closed == connections) uv_close(reinterpret_cast<uv_handle_t*>(&s->server->listener), nullptr);
    delete s;
}

void uv_session_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
    auto* s = static_cast<uv_session*>(stream->data);
    if (nread < 0) {
        uv_close(reinterpret_cast<uv_handle_t*>(&s->tcp), uv_session_closed);
        return;
    }
    if (nread == 0) return;
    uv_buf_t out = uv_buf_init(buf->base, static_cast<unsigned>(nread));
    int written = uv_try_write(stream, &out, 1);
    if (written < 0) written = 0;
    if (written == nread) return;
    // The kernel did not take everything: copy the rest into a request.
    std::size_t rest = static_cast<std::size_t>(nread - written);
    auto* w = static_cast<uv_pending_write*>(std::malloc(sizeof(uv_pending_write) + rest));
    std::memcpy(w->data, buf->base + written, rest);
    uv_buf_t b = uv_buf_init(w->data, static_cast<unsigned>(rest));
    uv_write(&w->req, stream, &b, 1, [](uv_write_t* req, int) { std::free(req); });
}

int run_uv_server(int port_fd) {
    uv_loop_t loop;
    uv_loop_init(&loop);
    uv_server server;
    uv_tcp_init(&loop, &server.listener);
    server.listener.data = &server;
    sockaddr_in addr{};
    uv_ip4_addr("127.0.0.1", 0, &addr);
    if (uv_tcp_bind(&server.listener, reinterpret_cast<const sockaddr*>(&addr), 0) != 0) return 1;
    int rc = uv_listen(reinterpret_cast<uv_stream_t*>(&server.listener), 128, [](uv_stream_t* l, int status) {
        if (status < 0) return;
        auto* s = new uv_session;
        s->server = static_cast<uv_server*>(l->data);
        uv_tcp_init(l->loop, &s->tcp);
        s->tcp.data = s;
        if (uv_accept(l, reinterpret_cast<uv_stream_t*>(&s->tcp)) != 0) std::_Exit(4);
        uv_read_start(
            reinterpret_cast<uv_stream_t*>(&s->tcp),
            [](uv_handle_t* h, std::size_t, uv_buf_t* buf) {
                auto* session = static_cast<uv_session*>(h->data);
                *buf = uv_buf_init(session->buffer, sizeof session->buffer);
            },
            uv_session_read);
    });
    if (rc != 0) return 1;
    sockaddr_storage bound{};
    int len = sizeof bound;
    uv_tcp_getsockname(&server.listener, reinterpret_cast<sockaddr*>(&bound), &len);
    write_port(port_fd, ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port));
    uv_run(&loop, UV_RUN_DEFAULT);
    return uv_loop_close(&loop) == 0 ? 0 : 1;
}

// --- coroscope server ----------------------------------------------------------------------------

coroscope::task<void> coroscope_session(coroscope::tcp_stream connection) {
    char buffer[65536];
    try {
        for (;;) {
            std::size_t n = co_await connection.read_some(buffer);
            if (n == 0) break;
            co_await connection.write(std::string_view(buffer, n));
        }
    } catch (const coroscope::io_error&) {
        // a reset from the load generator ends the session like EOF
    }
    co_await connection.close();
}

coroscope::task<void> coroscope_server(int port_fd) {
    coroscope::tcp_listener listener("127.0.0.1", 0);
    write_port(port_fd, listener.port());
    std::vector<coroscope::join_handle<void>> sessions;
    for (int i = 0; i < connections; ++i)
        sessions.push_back(coroscope::spawn(coroscope_session(co_await listener.accept()), "session " + std::to_string(i)));
    for (auto& s : sessions) co_await s;
}

// --- the load generator (plain libuv) ------------------------------------------------------------

struct load_state {
    std::uint64_t issued = 0;
    std::uint64_t completed = 0;
    int connected = 0;
    bench::clock_type::time_point start, end, deadline;
    bool failed = false;
};

struct client_conn {
    uv_tcp_t tcp;
    uv_connect_t connect;
    uv_write_t write;
    load_state* state;
    std::size_t got = 0;
    char buffer[4096];
};

const char message[message_size] = "coroscope echo benchmark message, 64 bytes long.............\n";

void client_send(client_conn* c) {
    ++c->state->issued;
    uv_buf_t b = uv_buf_init(const_cast<char*>(message), message_size);
    if (uv_write(&c->write, reinterpret_cast<uv_stream_t*>(&c->tcp), &b, 1, nullptr) != 0) c->state->failed = true;
}

bool client_may_send(load_state& s) {
    return s.issued < requests_per_run && bench::clock_type::now() < s.deadline;
}

void client_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t*) {
    auto* c = static_cast<client_conn*>(stream->data);
    load_state& s = *c->state;
    if (nread < 0) {
        s.failed = true;
        uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp), nullptr);
        return;
    }
    c->got += static_cast<std::size_t>(nread);
    if (c->got < message_size) return;
    c->got -= message_size; // one request per connection in flight: this completes it
    if (++s.completed == requests_per_run) s.end = bench::clock_type::now();
    if (client_may_send(s)) {
        client_send(c);
    } else {
        if (s.end == bench::clock_type::time_point{}) s.end = bench::clock_type::now();
        uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp), nullptr);
    }
}

// Returns requests per second, or a negative value on failure; `completed` counts the round trips.
double run_load(int port, std::uint64_t& completed) {
    uv_loop_t loop;
    uv_loop_init(&loop);
    load_state state;
    std::vector<client_conn> conns(connections);
    sockaddr_in addr{};
    uv_ip4_addr("127.0.0.1", port, &addr);
    for (auto& c : conns) {
        c.state = &state;
        uv_tcp_init(&loop, &c.tcp);
        uv_tcp_nodelay(&c.tcp, 1);
        c.tcp.data = &c;
        c.connect.data = &c;
        uv_tcp_connect(&c.connect, &c.tcp, reinterpret_cast<const sockaddr*>(&addr), [](uv_connect_t* req, int status) {
            auto* c = static_cast<client_conn*>(req->data);
            load_state& s = *c->state;
            if (status != 0) {
                s.failed = true;
                uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp), nullptr);
                return;
            }
            uv_read_start(
                reinterpret_cast<uv_stream_t*>(&c->tcp),
                [](uv_handle_t* h, std::size_t, uv_buf_t* buf) {
                    auto* conn = static_cast<client_conn*>(h->data);
                    *buf = uv_buf_init(conn->buffer, sizeof conn->buffer);
                },
                client_read);
            if (++s.connected == connections) { // every connection up: the clock starts, all send
                s.start = bench::clock_type::now();
                s.deadline = s.start + std::chrono::duration_cast<bench::clock_type::duration>(
                                           std::chrono::duration<double>(time_limit_s));
                for (auto& other : *static_cast<std::vector<client_conn>*>(c->tcp.loop->data)) client_send(&other);
            }
        });
    }
    loop.data = &conns;
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    if (state.failed || state.completed == 0) return -1;
    completed = state.completed;
    return static_cast<double>(state.completed) / std::chrono::duration<double>(state.end - state.start).count();
}

enum class server_kind { libuv, coroscope_off, coroscope_on };

struct measurement {
    double rate = -1;              // requests per second
    double server_cpu_us = -1;     // the server's CPU time per request, microseconds
};

measurement measure(server_kind kind) {
    int fds[2];
    if (::pipe(fds) != 0) return {};
    std::fflush(stdout);
    pid_t child = ::fork();
    if (child == 0) {
        ::close(fds[0]);
        int rc = 0;
        if (kind == server_kind::libuv) {
            rc = run_uv_server(fds[1]);
        } else {
            if (kind == server_kind::coroscope_on) ::setenv("COROSCOPE_TRACE", "/dev/null", 1);
            else ::unsetenv("COROSCOPE_TRACE");
            rc = coroscope::run(coroscope_server(fds[1]), "echo server");
        }
        std::_Exit(rc);
    }
    ::close(fds[1]);
    int port = 0;
    double rate = -1;
    std::uint64_t completed = 0;
    if (::read(fds[0], &port, sizeof port) == sizeof port) rate = run_load(port, completed);
    ::close(fds[0]);
    int status = 0;
    rusage usage{};
    ::wait4(child, &status, 0, &usage);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::fprintf(stderr, "bench-echo: server exited with status %d\n", status);
        return {};
    }
    if (rate < 0 || completed == 0) return {};
    double cpu_s = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                   static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6;
    return {rate, cpu_s * 1e6 / static_cast<double>(completed)};
}

} // namespace

int main() {
    ::unsetenv("COROSCOPE_TRACE");
    ::unsetenv("COROSCOPE_LISTEN");
    std::printf("bench-echo: %d connections x 64-byte ping-pong, %llu requests per run, median of %d interleaved "
                "runs after 1 warmup\n",
                connections, static_cast<unsigned long long>(requests_per_run), runs);
    std::vector<std::vector<double>> rates(3), cpu(3);
    const server_kind kinds[3] = {server_kind::libuv, server_kind::coroscope_off, server_kind::coroscope_on};
    for (int r = -1; r < runs; ++r) {
        for (int k = 0; k < 3; ++k) {
            measurement m = measure(kinds[k]);
            double rate = m.rate;
            if (rate < 0) {
                std::fprintf(stderr, "bench-echo: a run failed\n");
                return 1;
            }
            if (r >= 0) {
                rates[k].push_back(rate);
                cpu[k].push_back(m.server_cpu_us);
            }
        }
    }
    double uv = bench::median(rates[0]) / 1e3, off = bench::median(rates[1]) / 1e3, on = bench::median(rates[2]) / 1e3;
    using bench::fmt;
    bench::print_table("Echo server on 127.0.0.1 (thousand requests/s; higher is better)",
                       {
                           {"plain libuv server", uv, "k req/s", "", "", bench::verdict::none},
                           {"coroscope server, tracing off", off, "k req/s", fmt("%.2fx libuv", off / uv),
                            ">= 0.9x libuv", bench::check(off >= 0.9 * uv)},
                           {"coroscope server, tracing on (/dev/null)", on, "k req/s", fmt("%.3fx off", on / off),
                            ">= 0.98x off", bench::check(on >= 0.98 * off)},
                       });
    double cpu_uv = bench::median(cpu[0]), cpu_off = bench::median(cpu[1]), cpu_on = bench::median(cpu[2]);
    bench::print_table("Echo server CPU time per request (user + system, microseconds; lower is better)",
                       {
                           {"plain libuv server", cpu_uv, "us/request", "", "(info)", bench::verdict::none},
                           {"coroscope server, tracing off", cpu_off, "us/request",
                            fmt("%.2fx libuv req/CPU-s", cpu_uv / cpu_off), "(info)", bench::verdict::none},
                           {"coroscope server, tracing on (/dev/null)", cpu_on, "us/request",
                            fmt("%.3fx off req/CPU-s", cpu_off / cpu_on), "(info)", bench::verdict::none},
                       });
    return 0;
}
