// The live client against a fake program (a scripted server on a Unix socket, plain POSIX calls on
// its own thread): handshake, refusals, the event stream in odd chunks, commands and replies.
#include "support.hpp"

#include <coroscope/inspector/live_client.hpp>
#include <coroscope/inspector/model.hpp>
#include <coroscope/traces/collector.hpp>
#include <coroscope/traces/wire.hpp>
#include <coroscope/traces/writer.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <thread>

using namespace coroscope;
using namespace std::chrono_literals;
using inspector::live_client;
using nlohmann::json;
namespace wire = traces::wire;

namespace {

// One connection's worth of a fake program. Every read has a timeout so that a broken client
// cannot hang the test.
struct fake_connection {
    int fd = -1;
    wire::frame_reader reader;

    bool read_frame(wire::frame_reader::frame& out, std::chrono::milliseconds timeout = 3000ms) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            if (reader.next(out)) return true;
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) return false;
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
            char buffer[4096];
            ssize_t n = ::read(fd, buffer, sizeof buffer);
            if (n <= 0) return false;
            reader.feed(std::string_view(buffer, static_cast<std::size_t>(n)));
        }
    }
    void write_bytes(std::string_view bytes) {
        while (!bytes.empty()) {
            ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
            if (n <= 0) return;
            bytes.remove_prefix(static_cast<std::size_t>(n));
        }
    }
    void send(wire::frame_type type, std::string_view payload) {
        std::string frame;
        wire::append_frame(frame, type, payload);
        write_bytes(frame);
    }
    void send_json(wire::frame_type type, const json& j) { send(type, std::string_view(j.dump())); }
    // Waits until the client closes its end (or the timeout passes).
    void wait_closed(std::chrono::milliseconds timeout = 3000ms) {
        wire::frame_reader::frame f;
        while (read_frame(f, timeout)) {
        }
    }
};

json welcome_message() {
    return {{"version", "1.0"}, {"program", "fake"}, {"pid", 42}, {"paused", true}, {"step", 0}, {"tick", 0}};
}

// Listens on a fresh Unix socket; runs `script` on the first connection, on its own thread.
class fake_program {
public:
    explicit fake_program(std::function<void(fake_connection&)> script) : m_script(std::move(script)) {
        m_path = test_support::temp_path("live-" + std::to_string(counter++) + ".sock");
        ::unlink(m_path.c_str());
        m_listen = ::socket(AF_UNIX, SOCK_STREAM, 0);
        REQUIRE(m_listen >= 0);
        sockaddr_un sa{};
        sa.sun_family = AF_UNIX;
        std::strncpy(sa.sun_path, m_path.c_str(), sizeof sa.sun_path - 1);
        REQUIRE(::bind(m_listen, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
        REQUIRE(::listen(m_listen, 4) == 0);
        m_thread = std::thread([this] {
            pollfd p{m_listen, POLLIN, 0};
            if (::poll(&p, 1, 5000) <= 0) return;
            fake_connection c;
            c.fd = ::accept(m_listen, nullptr, nullptr);
            if (c.fd < 0) return;
            m_script(c);
            ::close(c.fd);
            m_done = true;
        });
    }
    ~fake_program() {
        m_thread.join();
        ::close(m_listen);
        ::unlink(m_path.c_str());
    }
    std::string address() const { return "unix:" + m_path; }
    bool done() const { return m_done; }

private:
    static inline int counter = 0;
    std::string m_path;
    int m_listen = -1;
    std::function<void(fake_connection&)> m_script;
    std::thread m_thread;
    std::atomic<bool> m_done{false};
};

// Reads the hello; true when it is well formed. Stores it in `hello`.
bool expect_hello(fake_connection& c, json& hello) {
    wire::frame_reader::frame f;
    if (!c.read_frame(f) || f.type != wire::frame_type::hello) return false;
    hello = json::parse(f.payload, nullptr, false);
    return hello.is_object();
}

// A made-up trace big enough to need many event frames.
traces::trace sample_trace() {
    traces::trace t;
    t.header.producer = "fake";
    t.header.pid = 42;
    t.header.start_unix_ns = 1'700'000'000'000'000'000ull;
    t.define_string(1, "main");
    t.define_string(2, "coroscope::task<void> sample::worker(int)");
    t.define_string(3, "samples/fake.cpp:12");
    traces::event e;
    e.kind = traces::event_kind::trace_start;
    e.a = 42;
    t.events.push_back(e);
    std::uint64_t ts = 0;
    for (std::uint32_t i = 0; i < 3000; ++i) {
        traces::event r;
        ts += 100 + i % 7;
        r.ts_ns = ts;
        r.step = i;
        r.tick = i / 3;
        r.task = 1 + i % 4;
        r.kind = static_cast<traces::event_kind>(3 + i % 6);
        r.code = static_cast<std::uint8_t>(i % 3);
        r.a = i % 5 == 0 ? 2 : i % 11;
        r.b = i % 9 == 0 ? 3 : i * 1000;
        t.events.push_back(r);
        if (i == 1500) t.define_string(4, "late string " + std::to_string(i)); // defined mid-stream
    }
    // Use string 4 after its definition.
    traces::event m;
    m.kind = traces::event_kind::mark;
    m.task = 1;
    m.a = 4;
    t.events.push_back(m);
    return t;
}

void require_same_trace(const traces::trace& got, const traces::trace& want) {
    CHECK(got.header == want.header);
    REQUIRE(got.events.size() == want.events.size());
    CHECK(got.events == want.events);
    CHECK(got.strings == want.strings);
}

// Polls drain() until the client finishes, like the GUI's frame loop would.
void drain_until_finished(live_client& client, traces::event_sink& sink) {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!client.wait_finished(5ms)) {
        client.drain(sink);
        REQUIRE(std::chrono::steady_clock::now() < deadline);
    }
    client.drain(sink);
}

} // namespace

TEST_CASE("live client: addresses") {
    std::string error;
    auto a = inspector::parse_live_address("127.0.0.1:4000", error);
    REQUIRE(a);
    CHECK(!a->unix_socket);
    CHECK(a->host == "127.0.0.1");
    CHECK(a->port == 4000);
    auto b = inspector::parse_live_address("[::1]:65535", error);
    REQUIRE(b);
    CHECK(b->host == "::1");
    CHECK(b->port == 65535);
    auto c = inspector::parse_live_address("localhost:1", error);
    REQUIRE(c);
    CHECK(c->host == "localhost");
    auto d = inspector::parse_live_address("unix:/tmp/x.sock", error);
    REQUIRE(d);
    CHECK(d->unix_socket);
    CHECK(d->path == "/tmp/x.sock");
    for (const char* bad : {"", "nohost", ":80", "host:", "host:0", "host:65536", "host:80x", "::1:80", "[::1]80",
                            "unix:"}) {
        INFO(bad);
        error.clear();
        CHECK(!inspector::parse_live_address(bad, error));
        CHECK_THAT(error, Catch::StartsWith("bad address '" + std::string(bad) + "'"));
    }
    live_client client("nonsense");
    CHECK(client.current_state() == live_client::state::failed);
    CHECK_THAT(client.failure(), Catch::Contains("bad address 'nonsense'"));
}

TEST_CASE("live client: nobody listening fails with the reason") {
    std::string path = test_support::temp_path("nobody.sock");
    ::unlink(path.c_str());
    live_client client("unix:" + path);
    CHECK(!client.wait_connected(3s));
    CHECK(client.current_state() == live_client::state::failed);
    CHECK(client.failure() == "no such file or directory");

    // A TCP port nobody listens on: bind one, learn its number, close it.
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
    socklen_t len = sizeof sa;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
    int port = ntohs(sa.sin_port);
    ::close(fd);
    for (std::string host : {"127.0.0.1", "localhost"}) {
        live_client tcp(host + ":" + std::to_string(port));
        CHECK(!tcp.wait_connected(3s));
        CHECK(tcp.failure() == "connection refused");
        auto reply = tcp.command_and_wait({{"cmd", "status"}}, 1s);
        CHECK(reply["ok"] == false);
        CHECK(reply["error"] == "connection refused");
    }
}

TEST_CASE("live client: handshake, then the stream in odd-sized chunks decodes to the same trace") {
    traces::trace want = sample_trace();
    std::string bytes = traces::encode(want);
    REQUIRE(bytes.size() > 3 * 4096);
    json hello;
    fake_program program([&](fake_connection& c) {
        if (!expect_hello(c, hello)) return;
        c.send_json(wire::frame_type::welcome, welcome_message());
        // Chunks of 1, 2, 3, 5, 8, ... bytes, restarting past 4000: splits every record type somewhere.
        std::size_t at = 0, a = 1, b = 2;
        while (at < bytes.size()) {
            std::size_t n = std::min(a, bytes.size() - at);
            c.send(wire::frame_type::events, std::string_view(bytes).substr(at, n));
            at += n;
            std::size_t next = a + b;
            a = b;
            b = next > 4000 ? 1 : next;
        }
        c.send_json(wire::frame_type::notice, json{{"exited", 0}});
    });
    live_client::options opts;
    opts.token = "s3cret";
    live_client client(program.address(), opts);
    REQUIRE(client.wait_connected(5s));
    CHECK(client.welcome()["program"] == "fake");
    traces::collector got;
    drain_until_finished(client, got);
    CHECK(hello == json{{"magic", "coroscope-live"}, {"version", "1.0"}, {"token", "s3cret"}});
    CHECK(client.current_state() == live_client::state::closed);
    CHECK(client.exit_code() == 0);
    CHECK(client.failure().empty());
    CHECK(client.events_received() == want.events.size());
    CHECK(client.bytes_received() > bytes.size());
    auto report = client.stream_report();
    CHECK(report.error.empty());
    CHECK(!report.truncated);
    require_same_trace(got.trace(), want);
    auto messages = client.poll_messages();
    REQUIRE(messages.size() == 1);
    CHECK(!messages[0].is_reply);
    CHECK(messages[0].body == json{{"exited", 0}});

    // drain() feeds the inspector's model like a file does.
    inspector::model from_file(want);
    CHECK(from_file.step_count() > 0);
}

TEST_CASE("live client: the model folds a drained stream like the file") {
    traces::trace want = sample_trace();
    std::string bytes = traces::encode(want);
    fake_program program([&](fake_connection& c) {
        json hello;
        if (!expect_hello(c, hello)) return;
        c.send_json(wire::frame_type::welcome, welcome_message());
        for (std::size_t at = 0; at < bytes.size(); at += 777)
            c.send(wire::frame_type::events, std::string_view(bytes).substr(at, 777));
        c.send_json(wire::frame_type::notice, json{{"exited", 3}});
    });
    live_client client(program.address());
    inspector::model live;
    drain_until_finished(client, live);
    inspector::model file(want);
    CHECK(live.trace().events == file.trace().events);
    CHECK(live.step_count() == file.step_count());
    CHECK(client.exit_code() == 3);
}

TEST_CASE("live client: a refused handshake surfaces as failed with the program's reason") {
    fake_program program([&](fake_connection& c) {
        json hello;
        if (!expect_hello(c, hello)) return;
        c.send_json(wire::frame_type::error, json{{"error", "live protocol " + hello.value("version", std::string()) + " is not this program's 1.0"}});
    });
    live_client::options opts;
    opts.version = "2.0";
    live_client client(program.address(), opts);
    CHECK(!client.wait_connected(5s));
    CHECK(client.current_state() == live_client::state::failed);
    CHECK(client.failure() == "handshake: live protocol 2.0 is not this program's 1.0");
}

TEST_CASE("live client: a welcome of another major version, silence and oversized frames fail cleanly") {
    SECTION("welcome 2.0") {
        fake_program program([&](fake_connection& c) {
            json hello;
            if (!expect_hello(c, hello)) return;
            json w = welcome_message();
            w["version"] = "2.0";
            c.send_json(wire::frame_type::welcome, w);
            c.wait_closed();
        });
        live_client client(program.address());
        CHECK(!client.wait_connected(5s));
        CHECK(client.failure() == "handshake: the program speaks live protocol 2.0, this inspector 1.0");
    }
    SECTION("no welcome") {
        fake_program program([&](fake_connection& c) {
            json hello;
            expect_hello(c, hello);
            c.wait_closed();
        });
        live_client::options opts;
        opts.handshake_timeout = 300ms;
        live_client client(program.address(), opts);
        CHECK(!client.wait_connected(5s));
        CHECK(client.failure() == "handshake: no welcome within 300 ms");
    }
    SECTION("closed before the welcome") {
        fake_program program([&](fake_connection& c) {
            json hello;
            expect_hello(c, hello);
        });
        live_client client(program.address());
        CHECK(!client.wait_connected(5s));
        CHECK(client.failure() == "handshake: the connection closed before the welcome");
    }
    SECTION("oversized frame after the welcome") {
        fake_program program([&](fake_connection& c) {
            json hello;
            if (!expect_hello(c, hello)) return;
            c.send_json(wire::frame_type::welcome, welcome_message());
            c.send(wire::frame_type::events, std::string(wire::max_frame_payload + 1, 'x'));
            c.wait_closed();
        });
        live_client client(program.address());
        REQUIRE(client.wait_finished(5s));
        CHECK(client.current_state() == live_client::state::closed);
        CHECK_THAT(client.failure(), Catch::StartsWith("protocol: frame of 65537 bytes is over the 65536-byte limit"));
        CHECK(!client.exit_code());
    }
    SECTION("the program goes away without an exit notice") {
        fake_program program([&](fake_connection& c) {
            json hello;
            if (!expect_hello(c, hello)) return;
            c.send_json(wire::frame_type::welcome, welcome_message());
            c.send(wire::frame_type::events, std::string_view(traces::encode(sample_trace())).substr(0, 1000));
        });
        live_client client(program.address());
        traces::collector got;
        drain_until_finished(client, got);
        CHECK(client.current_state() == live_client::state::closed);
        CHECK(client.failure() == "the program closed the connection");
        CHECK(client.stream_report().truncated);
        CHECK(!got.trace().events.empty());
    }
}

TEST_CASE("live client: commands get their replies by id, notices queue in order") {
    fake_program program([&](fake_connection& c) {
        json hello;
        if (!expect_hello(c, hello)) return;
        c.send_json(wire::frame_type::welcome, welcome_message());
        wire::frame_reader::frame f;
        std::uint64_t step = 0;
        while (c.read_frame(f)) {
            if (f.type != wire::frame_type::command) continue;
            json cmd = json::parse(f.payload);
            std::string verb = cmd.value("cmd", "");
            if (verb == "step") {
                step += cmd.value("count", 1);
                c.send_json(wire::frame_type::notice, json{{"paused", true}, {"step", step}, {"tick", 1}, {"why", "step"}});
                c.send_json(wire::frame_type::reply, json{{"id", cmd["id"]}, {"ok", true}, {"paused", true}, {"step", step}, {"tick", 1}});
            } else if (verb == "status") {
                c.send_json(wire::frame_type::reply, json{{"id", cmd["id"]}, {"ok", true}, {"paused", true}, {"step", step}, {"tick", 1}});
            } else if (verb == "silent") {
                // never answered
            } else if (verb == "quit") {
                c.send_json(wire::frame_type::notice, json{{"exited", 0}});
                return;
            } else {
                c.send_json(wire::frame_type::reply, json{{"id", cmd["id"]}, {"ok", false}, {"error", "unknown command '" + verb + "'"}});
            }
        }
    });
    live_client client(program.address());
    // Sent before the welcome: queued, written once connected.
    auto early = client.send_command({{"cmd", "status"}});
    REQUIRE(client.wait_connected(5s));
    auto status = client.wait_reply(early, 5s);
    CHECK(status["ok"] == true);
    CHECK(status["id"] == early);

    auto reply = client.command_and_wait({{"cmd", "step"}, {"count", 3}}, 5s);
    CHECK(reply["ok"] == true);
    CHECK(reply["step"] == 3);
    auto messages = client.poll_messages();
    REQUIRE(messages.size() == 1); // the notice; the reply was taken by command_and_wait
    CHECK(messages[0].body["why"] == "step");

    auto bad = client.command_and_wait({{"cmd", "fly"}}, 5s);
    CHECK(bad["ok"] == false);
    CHECK(bad["error"] == "unknown command 'fly'");

    auto timeout = client.command_and_wait({{"cmd", "silent"}}, 200ms);
    CHECK(timeout == json{{"ok", false}, {"error", "timeout: no reply within 200 ms"}});

    // Several threads may send at once; each gets its own reply.
    std::vector<std::thread> threads;
    std::atomic<int> ok{0};
    for (int i = 0; i < 4; ++i)
        threads.emplace_back([&] {
            for (int k = 0; k < 10; ++k)
                if (client.command_and_wait({{"cmd", "step"}}, 5s)["ok"] == true) ++ok;
        });
    for (auto& t : threads) t.join();
    CHECK(ok == 40);
    CHECK(client.command_and_wait({{"cmd", "status"}}, 5s)["step"] == 43);

    auto gone = client.send_command({{"cmd", "quit"}});
    auto after = client.wait_reply(gone, 5s);
    CHECK(after == json{{"ok", false}, {"error", "the program exited (code 0) before replying"}});
    CHECK(client.current_state() == live_client::state::closed);
}

TEST_CASE("live client: destroying it while connecting or connected is prompt and clean") {
    for (int i = 0; i < 20; ++i) {
        fake_program program([&](fake_connection& c) {
            json hello;
            if (i % 2 && expect_hello(c, hello)) c.send_json(wire::frame_type::welcome, welcome_message());
            c.wait_closed();
        });
        auto start = std::chrono::steady_clock::now();
        {
            live_client client(program.address());
            if (i % 4 == 1) CHECK(client.wait_connected(5s));
        }
        CHECK(std::chrono::steady_clock::now() - start < 2s);
    }
}

TEST_CASE("live client: writing to a program that went away does not kill the inspector (SIGPIPE)") {
    std::atomic<bool> finished{false};
    fake_program program([&](fake_connection& c) {
        json hello;
        if (!expect_hello(c, hello)) return;
        // Stop reading but keep the write side open: the client sees no EOF, its next write gets
        // EPIPE (and, unless blocked, SIGPIPE). Shut before the welcome: once welcomed, the client
        // may write its command before this thread runs again, and that write would succeed.
        ::shutdown(c.fd, SHUT_RD);
        c.send_json(wire::frame_type::welcome, welcome_message());
        for (int i = 0; i < 500 && !finished; ++i) std::this_thread::sleep_for(10ms);
    });
    live_client client(program.address());
    REQUIRE(client.wait_connected(5s));
    client.send_command({{"cmd", "status"}});
    CHECK(client.wait_finished(5s));
    finished = true;
    CHECK(client.current_state() == live_client::state::closed);
    CHECK(client.failure() == "write failed: broken pipe");
}

TEST_CASE("live client: drain with a byte budget decodes the stream a slice at a time to the same trace") {
    traces::trace want = sample_trace();
    std::string bytes = traces::encode(want);
    REQUIRE(bytes.size() > 300);
    fake_program program([&](fake_connection& c) {
        json hello;
        if (!expect_hello(c, hello)) return;
        c.send_json(wire::frame_type::welcome, welcome_message());
        for (std::size_t at = 0; at < bytes.size(); at += 777)
            c.send(wire::frame_type::events, std::string_view(bytes).substr(at, 777));
        c.send_json(wire::frame_type::notice, json{{"exited", 0}});
    });
    live_client client(program.address());
    REQUIRE(client.wait_finished(10s)); // everything is buffered: only the budget splits it now
    inspector::model live;
    // 37 bytes per call: records cut anywhere, blocks taken in pieces; each call stays within it.
    std::size_t calls = 0;
    std::uint64_t delivered = 0;
    while (delivered < want.events.size()) {
        const std::uint64_t before = live.trace().events.size();
        delivered += client.drain(live, 37);
        REQUIRE(live.trace().events.size() - before <= 37); // no event is smaller than a byte
        REQUIRE(++calls <= bytes.size() / 37 + 2);
    }
    CHECK(calls > bytes.size() / 37 / 2);
    CHECK(client.drain(live, 37) == 0); // nothing left
    CHECK(client.drain(live) == 0);
    CHECK(client.stream_report().error.empty());
    CHECK_FALSE(client.stream_report().truncated);
    inspector::model file(want);
    CHECK(live.trace().events == file.trace().events);
    CHECK(live.step_count() == file.step_count());
}
