// TCP on the scheduler: echo, typed errors (reset, EOF, broken pipe, refused, address in use),
// cancellation at every blocking operation, and the io events in the trace. All on 127.0.0.1.
#include "support.hpp"

#include <coroscope/introspect.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using coroscope::task;
using coroscope::tcp_listener;
using coroscope::tcp_stream;
using coroscope::traces::event_kind;
using coroscope::traces::exit_status;
using coroscope::traces::io_direction;
using coroscope::traces::resource_kind;
using test_support::live_counter;
using test_support::run_recorded;

namespace {

const char* const localhost = "127.0.0.1";

// Echoes everything it reads until end of file, then closes.
task<void> echo_one(tcp_listener& listener, std::uint32_t& stream_id) {
    live_counter alive;
    tcp_stream s = co_await listener.accept();
    stream_id = s.id();
    char buffer[256];
    for (;;) {
        std::size_t n = co_await s.read_some(buffer);
        if (n == 0) break;
        co_await s.write(std::string_view(buffer, n));
    }
    co_await s.close();
}

struct echo_ids {
    std::uint32_t listener = 0, server = 0, client = 0;
    std::uint32_t server_task = 0;
    int port = 0;
};

task<void> echo_round_trip(std::string& got, echo_ids& ids) {
    live_counter alive;
    tcp_listener listener(localhost, 0);
    ids.listener = listener.id();
    ids.port = listener.port();
    auto server = coroscope::spawn(echo_one(listener, ids.server), "server");
    ids.server_task = server.id();
    co_await coroscope::yield(); // the server waits in accept before we connect
    tcp_stream client = co_await coroscope::tcp_connect(localhost, listener.port());
    ids.client = client.id();
    co_await client.write("hello, ");
    co_await client.write("echo");
    char buffer[11];
    co_await client.read_exact(buffer);
    got.assign(buffer, sizeof buffer);
    co_await client.shutdown();
    char rest[4];
    CHECK(co_await client.read_some(rest) == 0); // the server closed after our end of file
    co_await server;
}

exit_status exit_of(const coroscope::traces::trace& t, std::uint32_t task) {
    for (const auto& e : t.events)
        if (e.kind == event_kind::task_exit && e.task == task) return static_cast<exit_status>(e.code);
    FAIL("task " << task << " never exited");
    return exit_status::ok;
}

} // namespace

TEST_CASE("echo round trip on loopback") {
    std::string got;
    echo_ids ids;
    auto result = run_recorded([&] { return echo_round_trip(got, ids); });
    CHECK(got == "hello, echo");
    CHECK(live_counter::live == 0);
    CHECK(result.loop_close == 0);
    CHECK_FALSE(result.stuck);
}

TEST_CASE("io events name the resources: open, wait, ready, close") {
    std::string got;
    echo_ids ids;
    auto result = run_recorded([&] { return echo_round_trip(got, ids); });
    REQUIRE(got == "hello, echo");
    const auto& t = result.trace;
    REQUIRE(ids.listener != 0);
    REQUIRE(ids.server != 0);
    REQUIRE(ids.client != 0);

    auto opened = [&](std::uint32_t id) -> std::string {
        for (const auto& e : t.events)
            if (e.kind == event_kind::resource_open && e.a == id) {
                CHECK(e.code == static_cast<std::uint8_t>(resource_kind::tcp));
                return std::string(t.text(static_cast<std::uint32_t>(e.b)));
            }
        return "(never opened)";
    };
    auto closed = [&](std::uint32_t id) {
        for (const auto& e : t.events)
            if (e.kind == event_kind::resource_close && e.a == id) return true;
        return false;
    };
    auto has = [&](event_kind kind, std::uint32_t id, io_direction direction, std::uint32_t task = 0) {
        for (const auto& e : t.events)
            if (e.kind == kind && e.a == id && e.code == static_cast<std::uint8_t>(direction) && (task == 0 || e.task == task))
                return true;
        return false;
    };
    std::string port = std::to_string(ids.port);
    CHECK(opened(ids.listener) == "tcp listen 127.0.0.1:" + port);
    CHECK_THAT(opened(ids.server), Catch::StartsWith("tcp 127.0.0.1:" + port + " -> 127.0.0.1:"));
    CHECK(opened(ids.client) == "tcp -> 127.0.0.1:" + port);
    CHECK(closed(ids.listener));
    CHECK(closed(ids.server));
    CHECK(closed(ids.client));

    // The server waited in accept on the listener and was woken by it; then it read from its stream.
    CHECK(has(event_kind::io_wait, ids.listener, io_direction::accept, ids.server_task));
    CHECK(has(event_kind::io_ready, ids.listener, io_direction::accept, ids.server_task));
    CHECK(has(event_kind::io_wait, ids.server, io_direction::read, ids.server_task));
    CHECK(has(event_kind::io_wait, ids.client, io_direction::connect));
    CHECK(has(event_kind::io_ready, ids.client, io_direction::connect));
    CHECK(has(event_kind::io_ready, ids.client, io_direction::read));
    // Every io_ready on the server's stream for reading carries the bytes read (or EOF as a status).
    std::uint64_t bytes = 0;
    for (const auto& e : t.events)
        if (e.kind == event_kind::io_ready && e.a == ids.server && e.code == static_cast<std::uint8_t>(io_direction::read) &&
            static_cast<std::int64_t>(e.b) > 0)
            bytes += e.b;
    CHECK(bytes == 11);
    // A task waiting on IO is suspended with reason io and the resource as its target.
    bool suspended_on_listener = false;
    for (const auto& e : t.events)
        suspended_on_listener |= e.kind == event_kind::task_suspend && e.task == ids.server_task &&
                                 e.code == static_cast<std::uint8_t>(coroscope::traces::wait_reason::io) &&
                                 e.a == ids.listener;
    CHECK(suspended_on_listener);
    // io_ready happens in the loop's poll: its poll_end counts the callback.
    bool counted = false;
    for (const auto& e : t.events)
        counted |= e.kind == event_kind::poll_end && e.a > 0;
    CHECK(counted);
    CHECK(result.loop_close == 0);
}

namespace {

task<void> reset_peer(tcp_listener& listener) {
    tcp_stream s = co_await listener.accept();
    co_await s.close_reset();
}

task<void> peer_reset(std::string& error) {
    tcp_listener listener(localhost, 0);
    auto server = coroscope::spawn(reset_peer(listener), "resetter");
    tcp_stream client = co_await coroscope::tcp_connect(localhost, listener.port());
    char buffer[16];
    try {
        co_await client.read_some(buffer);
        error = "no error";
    } catch (const coroscope::connection_reset& e) {
        error = e.what();
        CHECK(e.code() == UV_ECONNRESET);
        CHECK(e.operation() == "read from");
    }
    co_await server;
}

} // namespace

TEST_CASE("peer reset: a read throws connection_reset") {
    std::string error;
    auto result = run_recorded([&] { return peer_reset(error); });
    CHECK_THAT(error, Catch::StartsWith("read from tcp -> 127.0.0.1:") && Catch::Contains("ECONNRESET"));
    CHECK(result.loop_close == 0);
}

namespace {

task<void> send_and_close(tcp_listener& listener, std::string bytes) {
    tcp_stream s = co_await listener.accept();
    co_await s.write(bytes);
    co_await s.close();
}

task<void> eof_mid_read(std::string& error, std::size_t& after) {
    tcp_listener listener(localhost, 0);
    auto server = coroscope::spawn(send_and_close(listener, "abc"), "short writer");
    tcp_stream client = co_await coroscope::tcp_connect(localhost, listener.port());
    char buffer[10];
    try {
        co_await client.read_exact(buffer, 10);
    } catch (const coroscope::end_of_file& e) {
        error = e.what();
        CHECK(e.code() == UV_EOF);
    }
    after = co_await client.read_some(buffer); // end of file stays end of file
    co_await server;
}

} // namespace

TEST_CASE("EOF mid-read: read_exact throws end_of_file") {
    std::string error;
    std::size_t after = 99;
    auto result = run_recorded([&] { return eof_mid_read(error, after); });
    CHECK_THAT(error, Catch::Contains("3 of 10 bytes") && Catch::Contains("end of file"));
    CHECK(after == 0);
    CHECK(result.loop_close == 0);
}

namespace {

task<void> close_at_once(tcp_listener& listener) {
    tcp_stream s = co_await listener.accept();
    co_await s.close();
}

task<void> write_to_closed_peer(std::string& kind, int& writes) {
    tcp_listener listener(localhost, 0);
    auto server = coroscope::spawn(close_at_once(listener), "closer");
    tcp_stream client = co_await coroscope::tcp_connect(localhost, listener.port());
    char buffer[4];
    CHECK(co_await client.read_some(buffer) == 0); // the peer has closed
    std::string chunk(1024, 'x');
    try {
        for (writes = 0; writes < 1000; ++writes) {
            co_await client.write(chunk);
            co_await coroscope::sleep_for(1ms); // let the peer's RST arrive
        }
        kind = "no error";
    } catch (const coroscope::broken_pipe& e) {
        kind = "broken_pipe";
        CHECK(e.operation() == "write to");
    } catch (const coroscope::connection_reset&) {
        kind = "connection_reset";
    }
    co_await server;
}

} // namespace

TEST_CASE("write to a half-closed peer throws broken_pipe or connection_reset") {
    std::string kind;
    int writes = 0;
    auto result = run_recorded([&] { return write_to_closed_peer(kind, writes); });
    CHECK((kind == "broken_pipe" || kind == "connection_reset"));
    CHECK(writes >= 1); // the first write is accepted by the kernel; the RST comes back after it
    CHECK(result.loop_close == 0);
}

namespace {

task<void> refused_connect(std::string& error, std::uint32_t& socket_id) {
    int port = 0;
    {
        tcp_listener probe(localhost, 0);
        port = probe.port();
    } // closed: nobody listens on `port` now
    try {
        tcp_stream s = co_await coroscope::tcp_connect(localhost, port);
        error = "connected";
    } catch (const coroscope::connection_refused& e) {
        error = e.what();
        CHECK(e.peer() == "127.0.0.1:" + std::to_string(port));
    }
    socket_id = 2; // the probe listener is object 1, the connecting socket object 2
}

} // namespace

TEST_CASE("refused connect throws connection_refused and closes its socket") {
    std::string error;
    std::uint32_t socket_id = 0;
    auto result = run_recorded([&] { return refused_connect(error, socket_id); });
    CHECK_THAT(error, Catch::StartsWith("connect to 127.0.0.1:") && Catch::Contains("ECONNREFUSED"));
    bool opened = false, closed = false;
    for (const auto& e : result.trace.events) {
        opened |= e.kind == event_kind::resource_open && e.a == socket_id;
        closed |= e.kind == event_kind::resource_close && e.a == socket_id;
    }
    CHECK(opened);
    CHECK(closed);
    CHECK(result.loop_close == 0);
}

namespace {

task<void> listen_twice(std::string& error, int& code) {
    tcp_listener first(localhost, 0);
    try {
        tcp_listener second(localhost, first.port());
        error = "listened twice";
    } catch (const coroscope::address_in_use& e) {
        error = e.what();
        code = e.code();
    }
    // The first listener still works.
    auto server = coroscope::spawn(close_at_once(first), "closer");
    tcp_stream client = co_await coroscope::tcp_connect(localhost, first.port());
    co_await server;
}

} // namespace

TEST_CASE("address in use: listening twice on a port throws address_in_use") {
    std::string error;
    int code = 0;
    auto result = run_recorded([&] { return listen_twice(error, code); });
    CHECK_THAT(error, Catch::StartsWith("listen on 127.0.0.1:") && Catch::Contains("EADDRINUSE"));
    CHECK(code == UV_EADDRINUSE);
    CHECK(result.loop_close == 0);
}

namespace {

task<void> read_forever(tcp_stream& s, bool& cleaned_up) {
    live_counter alive;
    char buffer[16];
    try {
        co_await s.read_some(buffer);
    } catch (const coroscope::cancelled&) {
        cleaned_up = true;
        throw;
    }
}

task<tcp_stream> accept_one(tcp_listener& listener) {
    live_counter alive;
    co_return co_await listener.accept();
}

task<void> cancel_during_read(std::string& later, bool& cleaned_up, std::uint32_t& reader_id) {
    live_counter alive;
    tcp_listener listener(localhost, 0);
    auto acceptor = coroscope::spawn(accept_one(listener), "acceptor");
    tcp_stream client = co_await coroscope::tcp_connect(localhost, listener.port());
    tcp_stream server = co_await acceptor;
    auto reader = coroscope::spawn(read_forever(server, cleaned_up), "reader");
    reader_id = reader.id();
    co_await coroscope::sleep_for(2ms);
    reader.cancel();
    CHECK_THROWS_AS(co_await reader, coroscope::cancelled);
    // The stream is still usable: nothing was lost, a new read gets what comes next.
    co_await client.write("after");
    char buffer[5];
    co_await server.read_exact(buffer);
    later.assign(buffer, 5);
}

} // namespace

TEST_CASE("cancellation during read unwinds the reader and leaves the stream usable") {
    std::string later;
    bool cleaned_up = false;
    std::uint32_t reader_id = 0;
    auto result = run_recorded([&] { return cancel_during_read(later, cleaned_up, reader_id); });
    CHECK(cleaned_up);
    CHECK(later == "after");
    CHECK(exit_of(result.trace, reader_id) == exit_status::cancelled);
    CHECK(live_counter::live == 0);
    CHECK(result.loop_close == 0);
}

namespace {

task<void> cancel_during_accept(bool& second_accepted) {
    live_counter alive;
    tcp_listener listener(localhost, 0);
    auto first = coroscope::spawn(accept_one(listener), "acceptor");
    co_await coroscope::sleep_for(1ms);
    first.cancel();
    CHECK_THROWS_AS(co_await first, coroscope::cancelled);
    auto second = coroscope::spawn(accept_one(listener), "acceptor 2");
    tcp_stream client = co_await coroscope::tcp_connect(localhost, listener.port());
    tcp_stream server = co_await second;
    second_accepted = server.is_open();
}

// Two acceptors wait; the first may be woken for the connection and cancelled before it takes it:
// then the connection goes to the second one.
task<void> cancel_woken_acceptor(int& accepted) {
    live_counter alive;
    tcp_listener listener(localhost, 0);
    auto first = coroscope::spawn(accept_one(listener), "first");
    auto second = coroscope::spawn(accept_one(listener), "second");
    co_await coroscope::yield(); // both wait in accept now
    tcp_stream client = co_await coroscope::tcp_connect(localhost, listener.port());
    first.cancel();
    try {
        tcp_stream s = co_await first;
        ++accepted;
        second.cancel();
    } catch (const coroscope::cancelled&) {
    }
    try {
        tcp_stream s = co_await second;
        ++accepted;
    } catch (const coroscope::cancelled&) {
    }
}

} // namespace

TEST_CASE("cancellation during accept, a cancelled acceptor's connection goes to the next") {
    bool second_accepted = false;
    auto result = run_recorded([&] { return cancel_during_accept(second_accepted); });
    CHECK(second_accepted);
    CHECK(result.loop_close == 0);

    int accepted = 0;
    auto again = run_recorded([&] { return cancel_woken_acceptor(accepted); });
    CHECK(accepted == 1);
    CHECK_FALSE(again.stuck);
    CHECK(live_counter::live == 0);
    CHECK(again.loop_close == 0);
}

namespace {

task<void> connect_only(int port) {
    live_counter alive;
    tcp_stream s = co_await coroscope::tcp_connect(localhost, port);
    co_await coroscope::sleep_for(10s);
}

task<void> cancel_during_connect(std::uint32_t& connector_id) {
    tcp_listener listener(localhost, 0);
    auto connector = coroscope::spawn(connect_only(listener.port()), "connector");
    connector_id = connector.id();
    co_await coroscope::yield(); // the connector has started connecting
    connector.cancel();
    CHECK_THROWS_AS(co_await connector, coroscope::cancelled);
}

} // namespace

TEST_CASE("cancellation during connect closes the half-made socket") {
    std::uint32_t connector_id = 0;
    auto start = std::chrono::steady_clock::now();
    auto result = run_recorded([&] { return cancel_during_connect(connector_id); });
    CHECK(std::chrono::steady_clock::now() - start < 5s);
    CHECK(exit_of(result.trace, connector_id) == exit_status::cancelled);
    std::size_t opens = 0, closes = 0;
    for (const auto& e : result.trace.events) {
        opens += e.kind == event_kind::resource_open;
        closes += e.kind == event_kind::resource_close;
    }
    CHECK(opens == 2); // listener and socket
    CHECK(closes == 2);
    CHECK(live_counter::live == 0);
    CHECK(result.loop_close == 0);
}

namespace {

task<void> write_all(tcp_stream& s, const std::string& bytes) { co_await s.write(bytes); }

task<std::string> read_to_end(tcp_stream& s) {
    std::string all;
    std::vector<char> buffer(1 << 16);
    for (;;) {
        std::size_t n = co_await s.read_some(buffer);
        if (n == 0) break;
        all.append(buffer.data(), n);
    }
    co_return all;
}

task<void> cancel_during_write(std::size_t size, std::size_t& received, std::string& tail, bool& blocked) {
    live_counter alive;
    tcp_listener listener(localhost, 0);
    auto acceptor = coroscope::spawn(accept_one(listener), "acceptor");
    tcp_stream client = co_await coroscope::tcp_connect(localhost, listener.port());
    tcp_stream server = co_await acceptor;
    auto big = std::make_unique<std::string>(size, 'b');
    auto writer = coroscope::spawn(write_all(client, *big), "writer");
    co_await coroscope::sleep_for(2ms); // nobody reads: the writer is blocked
    blocked = !writer.done();
    writer.cancel();
    try {
        co_await writer;
    } catch (const coroscope::cancelled&) {
    }
    big.reset(); // the writer's buffer is gone; the stream writes from its own copy
    auto drain = coroscope::spawn(read_to_end(server), "drain");
    co_await client.write("tail"); // queued behind the cancelled write's bytes
    co_await client.shutdown();
    std::string all = co_await drain;
    received = all.size();
    tail = all.substr(all.size() - 4);
    CHECK(all.find_first_not_of('b') == size);
}

} // namespace

TEST_CASE("cancellation during write: the bytes still go out, in order, and the stream stays usable") {
    const std::size_t size = 32u << 20;
    std::size_t received = 0;
    std::string tail;
    bool blocked = false;
    auto result = run_recorded([&] { return cancel_during_write(size, received, tail, blocked); });
    CHECK(blocked);
    CHECK(received == size + 4);
    CHECK(tail == "tail");
    CHECK(live_counter::live == 0);
    CHECK(result.loop_close == 0);
}

namespace {

task<void> read_expecting_close(tcp_stream& s, int& code) {
    char buffer[8];
    try {
        co_await s.read_some(buffer);
    } catch (const coroscope::io_error& e) {
        code = e.code();
    }
}

task<void> close_under_reader(int& code) {
    tcp_listener listener(localhost, 0);
    auto acceptor = coroscope::spawn(accept_one(listener), "acceptor");
    tcp_stream client = co_await coroscope::tcp_connect(localhost, listener.port());
    tcp_stream server = co_await acceptor;
    auto reader = coroscope::spawn(read_expecting_close(server, code), "reader");
    co_await coroscope::sleep_for(1ms);
    co_await server.close();
    co_await reader;
    CHECK_FALSE(server.is_open());
    char buffer[4];
    CHECK_THROWS_AS(co_await server.read_some(buffer), coroscope::io_error);
}

} // namespace

TEST_CASE("closing a stream wakes its blocked reader with ECANCELED") {
    int code = 0;
    auto result = run_recorded([&] { return close_under_reader(code); });
    CHECK(code == UV_ECANCELED);
    CHECK(result.loop_close == 0);
}

namespace {

task<void> read_with_timeout(std::string& outcome, std::string& later) {
    live_counter alive;
    tcp_listener listener(localhost, 0);
    auto acceptor = coroscope::spawn(accept_one(listener), "acceptor");
    tcp_stream client = co_await coroscope::tcp_connect(localhost, listener.port());
    tcp_stream server = co_await acceptor;
    char buffer[8];
    try {
        co_await coroscope::with_timeout(2ms, server.read_some(buffer));
        outcome = "read something";
    } catch (const coroscope::timeout_error&) {
        outcome = "timed out";
    }
    co_await client.write("late");
    std::size_t n = co_await coroscope::with_timeout(5s, server.read_some(buffer));
    later.assign(buffer, n);
}

} // namespace

TEST_CASE("with_timeout on a read: timeout_error, and the stream stays usable") {
    std::string outcome, later;
    auto result = run_recorded([&] { return read_with_timeout(outcome, later); });
    CHECK(outcome == "timed out");
    CHECK(later == "late");
    CHECK(live_counter::live == 0);
    CHECK(result.loop_close == 0);
}

// --- reading stays on between reads: what arrives while nobody reads is kept ---------------------

namespace {

// A connected pair on loopback: the accepted side is `server`.
struct tcp_pair {
    tcp_listener listener{localhost, 0};
    tcp_stream client, server;
};

task<void> connect_pair(tcp_pair& pair) {
    auto acceptor = coroscope::spawn(accept_one(pair.listener), "acceptor");
    pair.client = co_await coroscope::tcp_connect(localhost, pair.listener.port());
    pair.server = co_await acceptor;
}

std::uint64_t count_io(const coroscope::traces::trace& t, event_kind kind, std::uint32_t resource, std::uint32_t task) {
    std::uint64_t n = 0;
    for (const auto& e : t.events)
        n += e.kind == kind && e.a == resource && e.task == task && e.code == static_cast<std::uint8_t>(io_direction::read);
    return n;
}

task<void> data_before_read(std::string& first, std::string& second, std::uint32_t& server_id) {
    live_counter alive;
    tcp_pair pair;
    co_await connect_pair(pair);
    server_id = pair.server.id();
    char buffer[32];
    co_await pair.client.write("one");
    first.assign(buffer, co_await pair.server.read_some(buffer)); // waits: reading starts here
    co_await pair.client.write("two");
    co_await coroscope::sleep_for(20ms); // "two" arrives while nobody reads
    second.assign(buffer, co_await pair.server.read_some(buffer));
}

} // namespace

TEST_CASE("data arriving before read_some is kept and read without waiting") {
    std::string first, second;
    std::uint32_t server_id = 0;
    auto result = run_recorded([&] { return data_before_read(first, second, server_id); });
    CHECK(first == "one");
    CHECK(second == "two");
    const auto& t = result.trace;
    std::uint32_t main_task = 0;
    for (const auto& e : t.events)
        if (e.kind == event_kind::io_wait && e.a == server_id) main_task = e.task;
    REQUIRE(main_task != 0);
    // Only the first read waited (io_wait, then io_ready for the waiting task)...
    CHECK(count_io(t, event_kind::io_wait, server_id, main_task) == 1);
    CHECK(count_io(t, event_kind::io_ready, server_id, main_task) == 1);
    // ...the second one's bytes arrived with nobody waiting (io_ready of task 0, 3 bytes).
    std::uint64_t kept = 0;
    for (const auto& e : t.events)
        if (e.kind == event_kind::io_ready && e.a == server_id && e.task == 0) kept += e.b;
    CHECK(kept == 3);
    CHECK(live_counter::live == 0);
    CHECK(result.loop_close == 0);
}

namespace {

task<void> eof_after_kept(std::string& got, std::size_t& again) {
    live_counter alive;
    tcp_pair pair;
    co_await connect_pair(pair);
    char buffer[4];
    co_await pair.client.write("x");
    got.assign(buffer, co_await pair.server.read_some(buffer)); // reading is on from here
    co_await pair.client.write("abcdefgh");
    co_await pair.client.close(); // end of file follows the bytes
    co_await coroscope::sleep_for(20ms);
    for (std::size_t n; (n = co_await pair.server.read_some(buffer)) != 0;) got.append(buffer, n);
    again = co_await pair.server.read_some(buffer); // after the end of file
}

} // namespace

TEST_CASE("EOF after buffered data: the kept bytes come first, then end of file, and it stays") {
    std::string got;
    std::size_t again = 99;
    auto result = run_recorded([&] { return eof_after_kept(got, again); });
    CHECK(got == "xabcdefgh"); // the loop ended on a 0: end of file came after every kept byte
    CHECK(again == 0);
    CHECK(live_counter::live == 0);
    CHECK(result.loop_close == 0);
}

namespace {

char pattern_byte(std::size_t i) { return static_cast<char>('a' + (i * 7 + i / 251) % 26); }

task<void> backpressure(bool& same, std::uint32_t& server_id) {
    live_counter alive;
    tcp_pair pair;
    co_await connect_pair(pair);
    server_id = pair.server.id();
    char first[1];
    co_await pair.client.write("!");
    co_await pair.server.read_some(first); // reading is on from here
    std::string big(16 * coroscope::stream::read_buffer_limit, '\0');
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = pattern_byte(i);
    auto writer = coroscope::spawn(write_all(pair.client, big), "writer");
    co_await coroscope::sleep_for(50ms); // far more arrives than the limit while nobody reads
    std::string got;
    std::vector<char> buffer(8192);
    while (got.size() < big.size()) {
        std::size_t n = co_await pair.server.read_some(buffer);
        REQUIRE(n > 0);
        got.append(buffer.data(), n);
    }
    co_await writer;
    same = got == big;
}

} // namespace

TEST_CASE("backpressure limit: reading stops once the kept bytes reach the limit, and resumes when drained") {
    bool same = false;
    std::uint32_t server_id = 0;
    auto result = run_recorded([&] { return backpressure(same, server_id); });
    CHECK(same); // every byte, in order, after reading stopped and restarted
    // While the reader slept, the bytes kept (io_ready of task 0 on the server's stream, up to the
    // reader's wake-up from its sleep) came to exactly the limit: then reading stopped.
    const auto& t = result.trace;
    std::uint64_t kept = 0;
    std::uint32_t main_task = 0;
    for (const auto& e : t.events)
        if (e.kind == event_kind::io_wait && e.a == server_id) main_task = e.task;
    REQUIRE(main_task != 0);
    for (const auto& e : t.events) {
        if (e.kind == event_kind::timer_fire && e.task == main_task) break;
        if (e.kind == event_kind::io_ready && e.a == server_id && e.task == 0 &&
            e.code == static_cast<std::uint8_t>(io_direction::read))
            kept += e.b;
    }
    CHECK(kept == coroscope::stream::read_buffer_limit);
    CHECK(live_counter::live == 0);
    CHECK(result.loop_close == 0);
}

namespace {

task<void> read_into(tcp_stream& s, std::string& got) {
    char buffer[16];
    got.assign(buffer, co_await s.read_some(buffer));
}

task<void> cancel_woken_reader(std::string& read_by_cancelled, std::string& next, bool& was_woken) {
    live_counter alive;
    tcp_pair pair;
    co_await connect_pair(pair);
    auto reader = coroscope::spawn(read_into(pair.server, read_by_cancelled), "reader");
    co_await coroscope::yield(); // the reader waits now
    co_await pair.client.write("kept");
    // Turn the loop until the bytes have woken the reader (ready, not yet run), then cancel it.
    auto state_of_reader = [&] {
        for (const auto& v : coroscope::introspect(*coroscope::scheduler::current()).tasks)
            if (v.id == reader.id()) return std::string(v.state);
        return std::string("gone");
    };
    for (int i = 0; i < 10000 && state_of_reader() != "ready"; ++i) co_await coroscope::yield();
    was_woken = state_of_reader() == "ready";
    reader.cancel();
    CHECK_THROWS_AS(co_await reader, coroscope::cancelled);
    char buffer[16];
    next.assign(buffer, co_await pair.server.read_some(buffer));
}

} // namespace

TEST_CASE("cancel while reading: a reader woken with bytes and cancelled before it ran gives them back") {
    std::string read_by_cancelled, next;
    bool was_woken = false;
    auto result = run_recorded([&] { return cancel_woken_reader(read_by_cancelled, next, was_woken); });
    CHECK(was_woken);
    CHECK(read_by_cancelled.empty());
    CHECK(next == "kept");
    CHECK(live_counter::live == 0);
    CHECK(result.loop_close == 0);
}

namespace {

// As above, but this task starts its own read before the cancelled reader has run: the read waits
// (nothing is kept yet), and the cancelled reader's give-back wakes it with the bytes.
task<void> read_while_cancelled_gives_back(std::string& next, bool& was_woken) {
    live_counter alive;
    tcp_pair pair;
    co_await connect_pair(pair);
    std::string read_by_cancelled;
    auto reader = coroscope::spawn(read_into(pair.server, read_by_cancelled), "reader");
    co_await coroscope::yield();
    co_await pair.client.write("handed");
    auto state_of_reader = [&] {
        for (const auto& v : coroscope::introspect(*coroscope::scheduler::current()).tasks)
            if (v.id == reader.id()) return std::string(v.state);
        return std::string("gone");
    };
    for (int i = 0; i < 10000 && state_of_reader() != "ready"; ++i) co_await coroscope::yield();
    was_woken = state_of_reader() == "ready";
    reader.cancel();
    char buffer[16];
    next.assign(buffer, co_await pair.server.read_some(buffer)); // waits until the reader gives back
    CHECK_THROWS_AS(co_await reader, coroscope::cancelled);
    CHECK(read_by_cancelled.empty());
}

} // namespace

TEST_CASE("cancel while reading: bytes given back go to a reader already waiting") {
    std::string next;
    bool was_woken = false;
    auto result = run_recorded([&] { return read_while_cancelled_gives_back(next, was_woken); });
    CHECK(was_woken);
    CHECK(next == "handed");
    CHECK(live_counter::live == 0);
    CHECK(result.loop_close == 0);
}
