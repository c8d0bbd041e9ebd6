// Pipes: open_pipe() round trip, broken pipe, cancelling a read, and the pipe's events.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

using namespace std::chrono_literals;
using coroscope::pipe_stream;
using coroscope::task;
using coroscope::traces::event_kind;
using coroscope::traces::exit_status;
using coroscope::traces::io_direction;
using coroscope::traces::resource_kind;
using test_support::live_counter;
using test_support::run_recorded;

namespace {

task<void> produce(pipe_stream writer, int lines) {
    live_counter alive;
    for (int i = 0; i < lines; ++i) {
        co_await writer.write("message " + std::to_string(i) + "\n");
        co_await coroscope::yield();
    }
} // the writer end closes here: end of file for the reader

task<void> pipe_round_trip(std::string& got, std::uint32_t& reader_id) {
    live_counter alive;
    auto [reader, writer] = coroscope::open_pipe();
    reader_id = reader.id();
    auto producer = coroscope::spawn(produce(std::move(writer), 3), "producer");
    char buffer[64];
    for (;;) {
        std::size_t n = co_await reader.read_some(buffer);
        if (n == 0) break;
        got.append(buffer, n);
    }
    co_await producer;
}

} // namespace

TEST_CASE("pipe round trip: what the writer end writes comes out of the reader end, then EOF") {
    std::string got;
    std::uint32_t reader_id = 0;
    auto result = run_recorded([&] { return pipe_round_trip(got, reader_id); });
    CHECK(got == "message 0\nmessage 1\nmessage 2\n");
    bool opened = false, waited = false, eof = false;
    for (const auto& e : result.trace.events) {
        opened |= e.kind == event_kind::resource_open && e.a == reader_id && e.code == static_cast<std::uint8_t>(resource_kind::pipe);
        waited |= e.kind == event_kind::io_wait && e.a == reader_id && e.code == static_cast<std::uint8_t>(io_direction::read);
        eof |= e.kind == event_kind::io_ready && e.a == reader_id && static_cast<std::int64_t>(e.b) == UV_EOF;
    }
    CHECK(opened);
    CHECK(waited);
    CHECK(eof);
    CHECK(live_counter::live == 0);
    CHECK(result.loop_close == 0);
}

namespace {

task<void> write_after_reader_closed(std::string& kind) {
    auto pipe = coroscope::open_pipe();
    co_await pipe.reader.close();
    try {
        co_await pipe.writer.write("nobody reads this");
        kind = "no error";
    } catch (const coroscope::broken_pipe& e) {
        kind = "broken_pipe";
        CHECK(e.code() == UV_EPIPE);
    }
}

} // namespace

TEST_CASE("writing to a pipe whose reader is gone throws broken_pipe (and SIGPIPE is ignored)") {
    std::string kind;
    auto result = run_recorded([&] { return write_after_reader_closed(kind); });
    CHECK(kind == "broken_pipe");
    CHECK(result.loop_close == 0);
}

namespace {

task<void> read_one(pipe_stream& reader) {
    live_counter alive;
    char buffer[8];
    co_await reader.read_some(buffer);
}

task<void> cancel_pipe_read(std::string& later, std::uint32_t& victim) {
    auto pipe = coroscope::open_pipe();
    auto blocked = coroscope::spawn(read_one(pipe.reader), "blocked reader");
    victim = blocked.id();
    co_await coroscope::sleep_for(1ms);
    blocked.cancel();
    CHECK_THROWS_AS(co_await blocked, coroscope::cancelled);
    co_await pipe.writer.write("still works");
    char buffer[11];
    co_await pipe.reader.read_exact(buffer);
    later.assign(buffer, sizeof buffer);
}

} // namespace

TEST_CASE("cancellation during a pipe read leaves the pipe usable") {
    std::string later;
    std::uint32_t victim = 0;
    auto result = run_recorded([&] { return cancel_pipe_read(later, victim); });
    CHECK(later == "still works");
    bool cancelled = false;
    for (const auto& e : result.trace.events)
        cancelled |= e.kind == event_kind::task_exit && e.task == victim && e.code == static_cast<std::uint8_t>(exit_status::cancelled);
    CHECK(cancelled);
    CHECK(live_counter::live == 0);
    CHECK(result.loop_close == 0);
}

namespace {

task<void> stubborn_reader(pipe_stream& reader, int& throws) {
    char buffer[8];
    for (int i = 0; i < 3; ++i) {
        try {
            co_await reader.read_some(buffer);
        } catch (const coroscope::cancelled&) {
            ++throws; // caught: the next read must throw again at once, not wait for data
        }
    }
}

task<void> cancel_is_sticky(int& throws) {
    auto pipe = coroscope::open_pipe();
    auto reader = coroscope::spawn(stubborn_reader(pipe.reader, throws), "stubborn");
    co_await coroscope::sleep_for(1ms);
    reader.cancel();
    co_await reader; // ends normally: it caught every cancellation
}

} // namespace

TEST_CASE("after cancellation every later IO await throws at once") {
    int throws = 0;
    auto result = run_recorded([&] { return cancel_is_sticky(throws); });
    CHECK(throws == 3);
    CHECK_FALSE(result.stuck);
    CHECK(result.loop_close == 0);
}

namespace {

// The writer end writes and closes while the reader sleeps: after its first read, the reader end
// keeps reading, so the bytes and then the end of file wait in the stream for the next reads.
task<void> pipe_kept_then_eof(std::string& got, std::size_t& again, std::uint32_t& reader_id) {
    live_counter alive;
    auto [reader, writer] = coroscope::open_pipe();
    reader_id = reader.id();
    char buffer[3];
    co_await writer.write("<");
    got.assign(buffer, co_await reader.read_some(buffer)); // reading is on from here
    co_await writer.write("kept bytes");
    co_await writer.close();
    co_await coroscope::sleep_for(20ms);
    for (std::size_t n; (n = co_await reader.read_some(buffer)) != 0;) got.append(buffer, n);
    again = co_await reader.read_some(buffer);
}

} // namespace

TEST_CASE("data arriving before read_some on a pipe is kept, then EOF after buffered data") {
    std::string got;
    std::size_t again = 99;
    std::uint32_t reader_id = 0;
    auto result = run_recorded([&] { return pipe_kept_then_eof(got, again, reader_id); });
    CHECK(got == "<kept bytes");
    CHECK(again == 0);
    // One wait (the first read); the bytes and the end of file arrived with nobody waiting (task 0).
    int waits = 0;
    bool kept_eof = false;
    for (const auto& e : result.trace.events) {
        waits += e.kind == event_kind::io_wait && e.a == reader_id;
        kept_eof |= e.kind == event_kind::io_ready && e.a == reader_id && e.task == 0 && static_cast<std::int64_t>(e.b) == UV_EOF;
    }
    CHECK(waits == 1);
    CHECK(kept_eof);
    CHECK(live_counter::live == 0);
    CHECK(result.loop_close == 0);
}
