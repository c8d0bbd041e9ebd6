// The live link end to end: real samples started with COROSCOPE_LISTEN=unix:... COROSCOPE_PAUSED=1
// as child processes, driven by inspector::live_client and by `coroscope-trace attach|control`.
// Every wait has a timeout and every child is killed and reaped at the end, so a broken agent
// fails these tests instead of hanging them.
#include "live_support.hpp"

#include <coroscope/inspector/live_client.hpp>
#include <coroscope/inspector/model.hpp>
#include <coroscope/traces/collector.hpp>
#include <coroscope/traces/reader.hpp>
#include <coroscope/traces/wire.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <chrono>
#include <cstring>
#include <vector>

using namespace coroscope;
using namespace std::chrono_literals;
using inspector::live_client;
using nlohmann::json;
namespace wire = traces::wire;
using namespace live_support;

namespace {

// A raw connection for misbehaving on purpose.
struct raw_connection {
    int fd = -1;
    wire::frame_reader reader;
    explicit raw_connection(const std::string& path) {
        fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un sa{};
        sa.sun_family = AF_UNIX;
        std::strncpy(sa.sun_path, path.c_str(), sizeof sa.sun_path - 1);
        if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
            ::close(fd);
            fd = -1;
        }
    }
    ~raw_connection() {
        if (fd >= 0) ::close(fd);
    }
    void write_bytes(std::string_view bytes) {
        while (!bytes.empty()) {
            ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
            if (n <= 0) return;
            bytes.remove_prefix(static_cast<std::size_t>(n));
        }
    }
    // Reads frames until the program closes the connection; false if it stays open past the timeout.
    bool read_until_closed(std::vector<wire::frame_reader::frame>& frames, std::chrono::milliseconds timeout = 5s) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            wire::frame_reader::frame f;
            while (reader.next(f)) frames.push_back(f);
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) return false;
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
            char buffer[4096];
            ssize_t n = ::read(fd, buffer, sizeof buffer);
            if (n <= 0) return true;
            reader.feed(std::string_view(buffer, static_cast<std::size_t>(n)));
        }
    }
};

std::string error_of(const std::vector<wire::frame_reader::frame>& frames) {
    for (const auto& f : frames)
        if (f.type == wire::frame_type::error) return json::parse(f.payload, nullptr, false).value("error", f.payload);
    return "";
}

} // namespace

TEST_CASE("live: a paused sample steps exactly one task step at a time") {
    live_program program("sample-nested");
    live_client client(program.address);
    REQUIRE(client.wait_connected(5s));
    auto welcome = client.welcome();
    CHECK(welcome["paused"] == true);
    CHECK(welcome["step"] == 0);
    CHECK(welcome["program"] == "sample-nested");

    traces::collector got;
    drain_settled(client, got);
    CHECK(count_kind(got.trace().events, traces::event_kind::task_resume) == 0);
    CHECK(got.trace().header.producer == "sample-nested");

    for (std::uint64_t step = 1; step <= 5; ++step) {
        std::size_t before = got.trace().events.size();
        auto reply = client.command_and_wait({{"cmd", "step"}}, 5s);
        INFO(reply.dump());
        REQUIRE(reply["ok"] == true);
        CHECK(reply["paused"] == true);
        CHECK(reply["step"] == step);
        REQUIRE(drain_until(client, got, [&](const traces::trace& t) {
            return count_kind(t.events, traces::event_kind::task_suspend, before) +
                       count_kind(t.events, traces::event_kind::task_exit, before) >=
                   1;
        }));
        drain_settled(client, got);
        const auto& events = got.trace().events;
        CHECK(count_kind(events, traces::event_kind::task_resume, before) == 1);
        CHECK(count_kind(events, traces::event_kind::task_suspend, before) +
                  count_kind(events, traces::event_kind::task_exit, before) ==
              1);
    }
    // The notice for each pause came too.
    std::size_t step_notices = 0;
    for (const auto& m : client.poll_messages())
        if (!m.is_reply && m.body.value("why", "") == "step") ++step_notices;
    CHECK(step_notices == 5);

    auto reply = client.command_and_wait({{"cmd", "continue"}}, 5s);
    CHECK(reply["ok"] == true);
    CHECK(reply["paused"] == false);
    REQUIRE(client.wait_finished(10s));
    CHECK(client.current_state() == live_client::state::closed);
    CHECK(client.exit_code() == 0);
    INFO(program.process->output());
    CHECK(program.process->exit_code() == 0);
    client.drain(got);
    CHECK(!got.trace().events.empty());
    CHECK(got.trace().events.back().kind == traces::event_kind::trace_end);
}

TEST_CASE("live: tick pauses on a tick boundary") {
    live_program program("sample-nested");
    live_client client(program.address);
    REQUIRE(client.wait_connected(5s));
    traces::collector got;
    auto last_resume = [&]() -> const traces::event* {
        const auto& ev = got.trace().events;
        for (auto it = ev.rbegin(); it != ev.rend(); ++it)
            if (it->kind == traces::event_kind::task_resume) return &*it;
        return nullptr;
    };
    // step (possibly mid-tick), tick (to the boundary), then one step must begin a newer tick.
    for (int round = 0; round < 6; ++round) {
        auto s = client.command_and_wait({{"cmd", "step"}}, 5s);
        REQUIRE(s["ok"] == true);
        auto t = client.command_and_wait({{"cmd", "tick"}}, 5s);
        INFO(t.dump());
        REQUIRE(t["ok"] == true);
        CHECK(t["paused"] == true);
        std::uint64_t paused_step = t["step"];
        REQUIRE(drain_until(client, got, [&](const traces::trace& tr) {
            std::size_t resumes = count_kind(tr.events, traces::event_kind::task_resume);
            return resumes == paused_step;
        }));
        drain_settled(client, got);
        const traces::event* before = last_resume();
        REQUIRE(before);
        std::uint32_t tick_before = before->tick;
        auto n = client.command_and_wait({{"cmd", "step"}}, 5s);
        REQUIRE(n["ok"] == true);
        REQUIRE(drain_until(client, got, [&](const traces::trace& tr) {
            return count_kind(tr.events, traces::event_kind::task_resume) == paused_step + 1;
        }));
        const traces::event* after = last_resume();
        INFO("round " << round << ": step " << paused_step << " tick " << tick_before << " -> " << after->tick);
        CHECK(after->tick > tick_before);
        // The tick_begin of that tick precedes the step: the pause was between passes.
        CHECK(t["tick"] == after->tick);
    }
    CHECK(client.command_and_wait({{"cmd", "continue"}}, 5s)["ok"] == true);
    INFO(program.process->output());
    CHECK(program.process->exit_code() == 0);
}

TEST_CASE("live: attach -o records the whole run, the same as COROSCOPE_TRACE") {
    std::string recorded = test_support::temp_path("live-recorded.trace");
    std::string attached = test_support::temp_path("live-attached.trace");
    std::string recorded2 = test_support::temp_path("live-recorded2.trace");
    std::string attached_jsonl = test_support::temp_path("live-attached.jsonl");
    {
        // The same run, recorded to a file by the program and streamed to `attach`.
        live_program program("sample-nested", {"COROSCOPE_TRACE=" + recorded});
        std::vector<std::string> argv{bin + "/coroscope-trace", "attach", program.address, "-o", attached};
        child attach(argv, {}, test_support::temp_path("attach.out"));
        // attach opens its output once connected; then resume the program from another client.
        REQUIRE(wait_for_path(attached, &attach));
        auto resumed = run_cli({"control", program.address, "resume"});
        CHECK(resumed.status == 0);
        CHECK(trim(resumed.out) == "running");
        auto code = attach.exit_code(15s);
        INFO(attach.output());
        CHECK(code == 0);
        INFO(program.process->output());
        CHECK(program.process->exit_code() == 0);
        CHECK_THAT(attach.output(), Catch::Contains(program.address + ": ") && Catch::Contains(" events, "));
    }
    {
        // JSON Lines, with attach resuming the program itself.
        live_program program("sample-nested", {"COROSCOPE_TRACE=" + recorded2});
        auto r = run_cli({"attach", program.address, "-o", attached_jsonl, "--continue"});
        INFO(r.out);
        CHECK(r.status == 0);
        INFO(program.process->output());
        CHECK(program.process->exit_code() == 0);
    }
    // Each stream equals the program's own recording of the same run: header, strings, every event.
    for (auto [live_path, file_path] : {std::pair{attached, recorded}, std::pair{attached_jsonl, recorded2}}) {
        INFO(live_path << " vs " << file_path);
        auto live = traces::load_file(live_path);
        auto file = traces::load_file(file_path);
        CHECK(live.report.error.empty());
        CHECK(!live.report.truncated);
        CHECK(live.report.encoding == traces::encoding_for_path(live_path));
        REQUIRE(!live.trace.events.empty());
        CHECK(live.trace.header == file.trace.header);
        CHECK(live.trace.strings == file.trace.strings);
        CHECK(live.trace.events.size() == file.trace.events.size());
        CHECK(live.trace.events == file.trace.events);
        inspector::model from_live(live.trace), from_file(file.trace);
        CHECK(from_live.step_count() == from_file.step_count());
        CHECK(from_live.step_count() >= 35);
        CHECK(from_live.history().ended());
    }
    for (const auto& f : {recorded, attached, recorded2, attached_jsonl}) std::remove(f.c_str());
}

TEST_CASE("live: coroscope-trace control drives a paused program, which stays as asked") {
    live_program program("sample-nested");
    auto status = run_cli({"control", program.address, "status"});
    CHECK(status.status == 0);
    CHECK(trim(status.out) == "paused at step 0, tick 0");
    auto step = run_cli({"control", program.address, "step"});
    CHECK(step.status == 0);
    CHECK_THAT(step.out, Catch::StartsWith("paused at step 1, tick "));
    auto step3 = run_cli({"control", program.address, "step", "3"});
    CHECK(step3.status == 0);
    CHECK_THAT(step3.out, Catch::StartsWith("paused at step 4, tick "));
    auto again = run_cli({"control", program.address, "status"});
    CHECK(trim(again.out) == trim(step3.out));
    auto tick = run_cli({"control", program.address, "tick"});
    CHECK(tick.status == 0);
    CHECK_THAT(tick.out, Catch::StartsWith("paused at step "));
    auto bad = run_cli({"control", program.address, "fly"});
    CHECK(bad.status != 0);
    CHECK_THAT(bad.out, Catch::StartsWith("coroscope-trace: " + program.address + ": fly: "));
    CHECK(std::count(bad.out.begin(), bad.out.end(), '\n') == 1);
    auto pause = run_cli({"control", program.address, "pause"});
    CHECK(pause.status == 0);
    CHECK_THAT(pause.out, Catch::StartsWith("paused at step "));
    auto resume = run_cli({"control", program.address, "resume"});
    CHECK(resume.status == 0);
    CHECK(trim(resume.out) == "running");
    INFO(program.process->output());
    CHECK(program.process->exit_code() == 0);
    auto refused = run_cli({"control", program.address, "status"});
    CHECK(refused.status != 0);
    CHECK(std::count(refused.out.begin(), refused.out.end(), '\n') == 1);
    CHECK_THAT(refused.out, Catch::StartsWith("coroscope-trace: " + program.address + ": "));
}

TEST_CASE("live: coroscope-trace control sets a lint breakpoint and continue stops at it") {
    live_program program("sample-bugs");
    // 45 ms: sample-bugs' blocking step is ~50 ms; a loaded machine stretches other steps too,
    // but rarely that far.
    auto set = run_cli({"control", program.address, "break", "lint:45"});
    CHECK(set.status == 0);
    CHECK(trim(set.out) == "breakpoint 1: lint:45");
    auto bad = run_cli({"control", program.address, "break", "lint:soon"});
    CHECK(bad.status != 0);
    CHECK(std::count(bad.out.begin(), bad.out.end(), '\n') == 1);
    CHECK_THAT(bad.out, Catch::StartsWith("coroscope-trace: " + program.address + ": break: unknown breakpoint 'lint:soon'"));
    // sample-bugs has a ~50 ms step and a detached task that fails: continue stops at each lint,
    // naming it, until the program exits.
    std::vector<std::string> stops;
    for (int i = 0; i < 100; ++i) {
        auto r = run_cli({"control", program.address, "continue"});
        INFO(r.out);
        REQUIRE(r.status == 0);
        stops.push_back(trim(r.out));
        if (r.out.rfind("exited", 0) == 0) break;
    }
    REQUIRE(!stops.empty());
    CHECK(stops.back() == "exited with code 0");
    bool long_step = false, swallowed = false;
    for (const auto& s : stops) {
        if (s == stops.back()) continue;
        CHECK_THAT(s, Catch::StartsWith("paused at step ") && Catch::Contains(": breakpoint 1 (lint "));
        long_step = long_step || s.find("(lint long-step, task ") != std::string::npos;
        swallowed = swallowed || s.find("(lint swallowed-exception, task ") != std::string::npos;
    }
    CHECK(long_step);
    CHECK(swallowed);
    INFO(program.process->output());
    CHECK(program.process->exit_code() == 0);
}

TEST_CASE("live: refusals and bad input get the documented answers, the program still completes") {
    live_program program("sample-nested", {"COROSCOPE_TOKEN=s3cret"});

    // Wrong token.
    {
        live_client::options opts;
        opts.token = "wrong";
        live_client client(program.address, opts);
        CHECK(!client.wait_connected(5s));
        CHECK(client.current_state() == live_client::state::failed);
        CHECK_THAT(client.failure(), Catch::StartsWith("handshake: ") && Catch::Contains("token"));
        CHECK_THAT(client.failure(), !Catch::Contains("handshake: handshake"));
        auto r = run_cli({"control", program.address, "status", "--token", "wrong"});
        CHECK(r.status != 0);
        CHECK_THAT(r.out, Catch::StartsWith("coroscope-trace: " + program.address + ": handshake: "));
    }
    // Wrong version: the error names both.
    {
        live_client::options opts;
        opts.token = "s3cret";
        opts.version = "2.0";
        live_client client(program.address, opts);
        CHECK(!client.wait_connected(5s));
        CHECK_THAT(client.failure(), Catch::StartsWith("handshake: ") && Catch::Contains("2.0") && Catch::Contains("1.0"));
    }
    // Wrong magic: an error naming it, then the connection closes.
    {
        raw_connection raw(program.socket);
        REQUIRE(raw.fd >= 0);
        std::string frame;
        wire::append_frame(frame, wire::frame_type::hello,
                           json{{"magic", "not-coroscope"}, {"version", "1.0"}, {"token", "s3cret"}}.dump());
        raw.write_bytes(frame);
        std::vector<wire::frame_reader::frame> frames;
        CHECK(raw.read_until_closed(frames));
        CHECK_THAT(error_of(frames), Catch::Contains("magic"));
    }
    // Garbage bytes: closed (a length over the limit), never a welcome.
    {
        raw_connection raw(program.socket);
        REQUIRE(raw.fd >= 0);
        raw.write_bytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        std::vector<wire::frame_reader::frame> frames;
        CHECK(raw.read_until_closed(frames));
        for (const auto& f : frames) CHECK(f.type != wire::frame_type::welcome);
    }
    // An oversized frame: closed.
    {
        raw_connection raw(program.socket);
        REQUIRE(raw.fd >= 0);
        std::string head = {'\x01', '\x00', '\x01', '\x00', '\x01'}; // 65537 bytes, hello
        raw.write_bytes(head);
        raw.write_bytes(std::string(1000, 'x'));
        std::vector<wire::frame_reader::frame> frames;
        CHECK(raw.read_until_closed(frames));
        for (const auto& f : frames) CHECK(f.type != wire::frame_type::welcome);
    }
    // Silence: closed within the 2-second handshake window.
    {
        raw_connection raw(program.socket);
        REQUIRE(raw.fd >= 0);
        std::vector<wire::frame_reader::frame> frames;
        auto start = std::chrono::steady_clock::now();
        CHECK(raw.read_until_closed(frames, 5s));
        CHECK(std::chrono::steady_clock::now() - start < 4s);
    }

    // A good client: unknown and malformed commands are answered and change nothing.
    live_client::options opts;
    opts.token = "s3cret";
    live_client client(program.address, opts);
    REQUIRE(client.wait_connected(5s));
    auto unknown = client.command_and_wait({{"cmd", "fly"}}, 5s);
    CHECK(unknown["ok"] == false);
    CHECK(unknown["error"].is_string());
    auto malformed = client.command_and_wait({{"cmd", 5}}, 5s);
    CHECK(malformed["ok"] == false);
    auto bad_count = client.command_and_wait({{"cmd", "step"}, {"count", "many"}}, 5s);
    CHECK(bad_count["ok"] == false);
    auto status = client.command_and_wait({{"cmd", "status"}}, 5s);
    CHECK(status == json{{"id", status["id"]}, {"ok", true}, {"paused", true}, {"step", 0}, {"tick", 0}});

    // Control is held by the first client to command; a second gets "busy", but may ask status.
    CHECK(client.command_and_wait({{"cmd", "step"}}, 5s)["ok"] == true);
    {
        live_client other(program.address, opts);
        REQUIRE(other.wait_connected(5s));
        auto busy = other.command_and_wait({{"cmd", "pause"}}, 5s);
        CHECK(busy["ok"] == false);
        CHECK_THAT(busy.value("error", ""), Catch::StartsWith("busy: client "));
        CHECK(other.command_and_wait({{"cmd", "status"}}, 5s)["step"] == 1);
        auto cli_busy = run_cli({"control", program.address, "resume", "--token", "s3cret"});
        CHECK(cli_busy.status != 0);
        CHECK_THAT(cli_busy.out, Catch::Contains(": resume: busy: client "));
    }

    CHECK(client.command_and_wait({{"cmd", "continue"}}, 5s)["ok"] == true);
    REQUIRE(client.wait_finished(10s));
    CHECK(client.exit_code() == 0);
    INFO(program.process->output());
    CHECK(program.process->exit_code() == 0);
}

TEST_CASE("live: a client that disconnects leaves the program running, which completes") {
    live_program program("sample-nested");
    {
        live_client client(program.address);
        REQUIRE(client.wait_connected(5s));
        CHECK(client.command_and_wait({{"cmd", "continue"}}, 5s)["ok"] == true);
    }
    INFO(program.process->output());
    CHECK(program.process->exit_code() == 0);
}
