// Child processes: stdin -> stdout round trip through /bin/cat, exit codes and signals, cancelling a
// wait, spawn failures, killing on destruction, and the process's io events.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <string>

using namespace std::chrono_literals;
using coroscope::pipe_stream;
using coroscope::process;
using coroscope::task;
using coroscope::traces::event_kind;
using coroscope::traces::io_direction;
using coroscope::traces::resource_kind;
using test_support::live_counter;
using test_support::run_recorded;

namespace {

task<std::string> read_all(pipe_stream& from) {
    live_counter alive;
    std::string all;
    char buffer[4096];
    for (;;) {
        std::size_t n = co_await from.read_some(buffer);
        if (n == 0) break;
        all.append(buffer, n);
    }
    co_return all;
}

struct echo_ids {
    std::uint32_t process = 0, in = 0, out = 0, main_task = 1;
    int pid = 0;
};

task<void> cat_round_trip(std::string& echoed, int& code, echo_ids& ids) {
    live_counter alive;
    process child = process::spawn("/bin/cat");
    ids.process = child.id();
    ids.in = child.stdin_pipe().id();
    ids.out = child.stdout_pipe().id();
    ids.pid = child.pid();
    auto reader = coroscope::spawn(read_all(child.stdout_pipe()), "reader");
    for (int i = 0; i < 3; ++i) co_await child.stdin_pipe().write("line " + std::to_string(i) + "\n");
    co_await child.stdin_pipe().close(); // end of file for cat
    echoed = co_await reader;
    code = co_await child.wait();
}

} // namespace

TEST_CASE("subprocess echo: stdin -> /bin/cat -> stdout, exit code awaited") {
    std::string echoed;
    int code = -1;
    echo_ids ids;
    auto result = run_recorded([&] { return cat_round_trip(echoed, code, ids); });
    CHECK(echoed == "line 0\nline 1\nline 2\n");
    CHECK(code == 0);
    CHECK(live_counter::live == 0);
    CHECK(result.loop_close == 0);
    CHECK_FALSE(result.stuck);

    // The trace: the process and its two pipes opened with labels, waited on, and closed.
    const auto& t = result.trace;
    auto label_of = [&](std::uint32_t id, resource_kind kind) -> std::string {
        for (const auto& e : t.events)
            if (e.kind == event_kind::resource_open && e.a == id && e.code == static_cast<std::uint8_t>(kind))
                return std::string(t.text(static_cast<std::uint32_t>(e.b)));
        return "(never opened)";
    };
    std::string pid = std::to_string(ids.pid);
    CHECK(label_of(ids.process, resource_kind::process) == "process /bin/cat (pid " + pid + ")");
    CHECK(label_of(ids.in, resource_kind::pipe) == "pipe stdin of /bin/cat (pid " + pid + ")");
    CHECK(label_of(ids.out, resource_kind::pipe) == "pipe stdout of /bin/cat (pid " + pid + ")");
    bool waited_exit = false, exit_ready = false, read_ready = false;
    std::size_t closes = 0;
    for (const auto& e : t.events) {
        if (e.kind == event_kind::io_wait && e.a == ids.process)
            waited_exit |= e.code == static_cast<std::uint8_t>(io_direction::exit) && e.task == ids.main_task;
        if (e.kind == event_kind::io_ready && e.a == ids.process)
            exit_ready |= e.code == static_cast<std::uint8_t>(io_direction::exit) && e.b == 0 &&
                          (e.task == ids.main_task || (!waited_exit && e.task == 0));
        if (e.kind == event_kind::io_ready && e.a == ids.out)
            read_ready |= e.code == static_cast<std::uint8_t>(io_direction::read);
        if (e.kind == event_kind::resource_close)
            closes += e.a == ids.process || e.a == ids.in || e.a == ids.out;
    }
    CHECK(exit_ready);
    CHECK(read_ready);
    CHECK(closes == 3);
    // waited_exit is true unless cat had already exited when main called wait() (then no wait).
    if (!waited_exit) WARN("cat exited before wait(): no io_wait recorded");
}

namespace {

coroscope::process_options no_pipes() {
    coroscope::process_options options;
    options.pipe_stdin = false;
    options.pipe_stdout = false;
    return options;
}

task<void> exit_codes(int& three, int& killed, int& signal) {
    process shell = process::spawn("/bin/sh", {"-c", "exit 3"}, no_pipes());
    three = co_await shell.wait();
    process sleeper = process::spawn("sleep", {"10"});
    sleeper.kill(SIGTERM);
    killed = co_await sleeper.wait();
    signal = sleeper.term_signal();
}

} // namespace

TEST_CASE("exit codes and signals") {
    int three = 0, killed = 0, signal = 0;
    auto result = run_recorded([&] { return exit_codes(three, killed, signal); });
    CHECK(three == 3);
    CHECK(killed == 128 + SIGTERM);
    CHECK(signal == SIGTERM);
    CHECK(result.loop_close == 0);
}

namespace {

task<int> wait_for(process& child, bool& cleaned_up) {
    live_counter alive;
    try {
        co_return co_await child.wait();
    } catch (const coroscope::cancelled&) {
        cleaned_up = true;
        throw;
    }
}

task<void> cancel_during_wait(bool& cleaned_up, int& code) {
    live_counter alive;
    process sleeper = process::spawn("sleep", {"10"}, no_pipes());
    auto waiter = coroscope::spawn(wait_for(sleeper, cleaned_up), "waiter");
    co_await coroscope::sleep_for(2ms);
    waiter.cancel();
    CHECK_THROWS_AS(co_await waiter, coroscope::cancelled);
    sleeper.kill(SIGKILL);
    code = co_await sleeper.wait(); // waiting again works
}

} // namespace

TEST_CASE("cancellation during process wait") {
    bool cleaned_up = false;
    int code = 0;
    auto start = std::chrono::steady_clock::now();
    auto result = run_recorded([&] { return cancel_during_wait(cleaned_up, code); });
    CHECK(std::chrono::steady_clock::now() - start < 5s);
    CHECK(cleaned_up);
    CHECK(code == 128 + SIGKILL);
    CHECK(live_counter::live == 0);
    CHECK(result.loop_close == 0);
}

namespace {

task<void> spawn_missing(std::string& error, int& code) {
    try {
        process p = process::spawn("/nonexistent/coroscope-no-such-program");
    } catch (const coroscope::io_error& e) {
        error = e.what();
        code = e.code();
    }
    co_return;
}

task<void> drop_running(int& pid) {
    process sleeper = process::spawn("sleep", {"10"});
    pid = sleeper.pid();
    co_await coroscope::yield();
} // the process is destroyed while running: killed and reaped

} // namespace

TEST_CASE("spawning a missing program throws io_error ENOENT") {
    std::string error;
    int code = 0;
    auto result = run_recorded([&] { return spawn_missing(error, code); });
    CHECK(code == UV_ENOENT);
    CHECK_THAT(error, Catch::StartsWith("spawn /nonexistent/coroscope-no-such-program") && Catch::Contains("ENOENT"));
    CHECK(result.loop_close == 0);
}

TEST_CASE("destroying a running process kills and reaps it") {
    int pid = 0;
    auto start = std::chrono::steady_clock::now();
    auto result = run_recorded([&] { return drop_running(pid); });
    CHECK(std::chrono::steady_clock::now() - start < 5s);
    REQUIRE(pid > 0);
    CHECK(::kill(pid, 0) == -1); // gone, not even a zombie
    CHECK(result.loop_close == 0);
}
