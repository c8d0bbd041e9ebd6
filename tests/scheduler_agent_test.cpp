// The live agent's breakpoints, determinism and slow clients. Real samples run as child processes
// (live_support.hpp); what no sample does (getting stuck, a timer-free program stepped against
// itself, a client that never reads) runs in-process: the scheduler and agent on this thread, the
// client on its own thread, every wait bounded so a broken agent fails instead of hanging.
#include "live_support.hpp"

#include <coroscope/agent.hpp>
#include <coroscope/inspector/lints.hpp>
#include <coroscope/inspector/model.hpp>
#include <coroscope/traces/reader.hpp>
#include <coroscope/traces/tee.hpp>
#include <coroscope/traces/wire.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <atomic>
#include <map>
#include <tuple>

using namespace coroscope;
using namespace std::chrono_literals;
using namespace live_support;
using inspector::live_client;
using nlohmann::json;
using traces::event_kind;
namespace wire = traces::wire;

namespace {

// Task id -> name, from the task_spawn events of a stream.
std::map<std::uint32_t, std::string> task_names(const traces::trace& t) {
    std::map<std::uint32_t, std::string> names;
    for (const auto& e : t.events)
        if (e.kind == event_kind::task_spawn) names[e.task] = std::string(t.text(e.b));
    return names;
}

// Waits for the next notice that the program paused or exited (replies are kept aside).
std::optional<json> next_stop(live_client& client, std::chrono::milliseconds timeout = 10s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        for (auto& m : client.poll_messages())
            if (!m.is_reply && (m.body.contains("exited") || m.body.value("paused", false))) return m.body;
        if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
        client.wait_activity(20ms);
    }
}

// The (step, tick, task) of every task_resume: what the scheduler chose to run, and when.
using step_key = std::tuple<std::uint64_t, std::uint32_t, std::uint32_t>;
std::vector<step_key> step_sequence(const traces::trace& t) {
    std::vector<step_key> out;
    for (const auto& e : t.events)
        if (e.kind == event_kind::task_resume) out.emplace_back(e.step, e.tick, e.task);
    return out;
}

// An in-process program: loop, scheduler, agent on a fresh Unix socket and a collector of what
// the scheduler emitted. The loop must close with no handle left once everything is destroyed.
struct in_process {
    uv_loop_t loop{};
    std::string socket = test_support::temp_path("inproc-" + std::to_string(unique++) + ".sock");
    traces::collector recorded;
    traces::tee sinks;
    std::unique_ptr<scheduler> sched;
    std::unique_ptr<agent> live;
    // A deadline on the loop: resumes a paused program whose client never came, so a broken test
    // ends instead of waiting forever.
    uv_timer_t watchdog{};
    bool watchdog_fired = false;

    in_process(bool paused, std::optional<std::uint64_t> seed = std::nullopt) {
        uv_loop_init(&loop);
        std::remove(socket.c_str());
        sched = std::make_unique<scheduler>(&loop);
        live = std::make_unique<agent>(*sched, agent_options{"unix:" + socket, "", false});
        REQUIRE(live->error().empty());
        sinks.add(recorded);
        sinks.add(*live);
        sched->attach_debugger(live.get());
        sched->record_to(sinks, traces::header{});
        if (seed) sched->use_random_policy(*seed);
        if (paused) sched->pause();
        uv_timer_init(&loop, &watchdog);
        watchdog.data = this;
        uv_timer_start(&watchdog, [](uv_timer_t* t) {
            auto* self = static_cast<in_process*>(t->data);
            self->watchdog_fired = true;
            self->sched->resume();
        }, 180'000, 0);
        uv_unref(reinterpret_cast<uv_handle_t*>(&watchdog));
    }
    // run() ended: stop recording, tell clients, close everything. Returns uv_loop_close().
    int finish(int exit_code) {
        sched->end_recording();
        live->finish(exit_code);
        live.reset();
        uv_close(reinterpret_cast<uv_handle_t*>(&watchdog), nullptr);
        sched.reset();
        uv_run(&loop, UV_RUN_NOWAIT);
        return uv_loop_close(&loop);
    }
    std::string address() const { return "unix:" + socket; }
};

// Waits until the program's socket exists (the agent binds in its constructor, so at once).
bool connected(live_client& client) { return client.wait_connected(10s); }

// A client on a raw socket that reads only when told to (live_client reads all the time): it says
// hello (and "continue"), then decodes the frames it reads into `events` and keeps the notices.
struct raw_client {
    int fd = -1;
    wire::frame_reader frames;
    traces::collector events;
    traces::decoder decoder{events};
    std::vector<json> notices;
    bool closed = false;        // the program closed the connection
    std::size_t bytes_read = 0; // all of them, frame headers included

    raw_client() = default;
    raw_client(const raw_client&) = delete;
    raw_client& operator=(const raw_client&) = delete;
    ~raw_client() {
        if (fd >= 0) ::close(fd);
    }

    bool connect(const std::string& path, bool send_continue) {
        fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un sa{};
        sa.sun_family = AF_UNIX;
        std::strncpy(sa.sun_path, path.c_str(), sizeof sa.sun_path - 1);
        if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) return false;
        std::string bytes;
        wire::append_frame(bytes, wire::frame_type::hello,
                           json{{"magic", wire::hello_magic}, {"version", "1.0"}, {"token", ""}}.dump());
        if (send_continue) wire::append_frame(bytes, wire::frame_type::command, json{{"cmd", "continue"}, {"id", 1}}.dump());
        return ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
    }

    // Reads at most `max` bytes, waiting up to `timeout` for some. False once the connection is
    // closed (or the wait timed out).
    bool read_some(std::size_t max, std::chrono::milliseconds timeout) {
        pollfd pfd{fd, POLLIN, 0};
        if (::poll(&pfd, 1, static_cast<int>(timeout.count())) <= 0) return false;
        std::string buffer(max, '\0');
        ssize_t n = ::read(fd, buffer.data(), buffer.size());
        if (n <= 0) {
            closed = true;
            return false;
        }
        bytes_read += static_cast<std::size_t>(n);
        frames.feed(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
        wire::frame_reader::frame f;
        while (frames.next(f)) {
            if (f.type == wire::frame_type::events) decoder.feed(f.payload);
            else if (f.type == wire::frame_type::notice) notices.push_back(json::parse(f.payload));
        }
        return true;
    }

    bool told(const char* key) const {
        return std::any_of(notices.begin(), notices.end(), [&](const json& n) { return n.contains(key); });
    }
};

// A timer-free program with real concurrency: a producer, two stages and a consumer over bounded
// channels (back-pressure), and three workers taking turns on a mutex with yields in between.
// Nothing depends on the clock, so the same seed must give the same steps however slowly it runs.
task<void> stage(channel<int>& in, channel<int>& out) {
    while (auto v = co_await in.recv()) co_await out.send(*v * 3 + 1);
    out.close();
}

task<void> produce(channel<int>& out, int items) {
    for (int i = 0; i < items; ++i) {
        co_await out.send(i);
        if (i % 3 == 0) co_await yield();
    }
    out.close();
}

task<void> consume(channel<int>& in, long& sum) {
    while (auto v = co_await in.recv()) sum += *v;
}

task<void> worker(mutex& m, int& shared, int rounds) {
    for (int i = 0; i < rounds; ++i) {
        auto guard = co_await m.lock();
        ++shared;
        co_await yield();
    }
}

task<void> concurrent_program(long& sum, int& shared) {
    channel<int> a(2), b(2), c(2);
    mutex m;
    auto p = spawn(produce(a, 40), "producer");
    auto s1 = spawn(stage(a, b), "stage 1");
    auto s2 = spawn(stage(b, c), "stage 2");
    auto k = spawn(consume(c, sum), "consumer");
    auto w1 = spawn(worker(m, shared, 8), "worker 1");
    auto w2 = spawn(worker(m, shared, 8), "worker 2");
    auto w3 = spawn(worker(m, shared, 8), "worker 3");
    co_await p;
    co_await s1;
    co_await s2;
    co_await k;
    co_await w1;
    co_await w2;
    co_await w3;
}

// Runs concurrent_program freely (no agent) and returns what it recorded.
traces::trace run_freely(std::optional<std::uint64_t> seed) {
    uv_loop_t loop;
    uv_loop_init(&loop);
    traces::collector sink;
    long sum = 0;
    int shared = 0;
    {
        scheduler sched(&loop);
        sched.record_to(sink, traces::header{});
        if (seed) sched.use_random_policy(*seed);
        auto h = sched.spawn(concurrent_program(sum, shared), "main");
        sched.run();
        REQUIRE(!sched.stuck());
        REQUIRE(h.done());
        sched.end_recording();
    }
    CHECK(uv_loop_close(&loop) == 0);
    CHECK(shared == 24);
    return sink.take();
}

} // namespace

TEST_CASE("agent: a lint breakpoint set before step 0 stops sample-bugs after each step where the lints find a live lint, in step order") {
    live_program program("sample-bugs");
    live_client client(program.address);
    REQUIRE(client.wait_connected(5s));
    auto set = client.command_and_wait({{"cmd", "break"}, {"breakpoint", {{"kind", "lint"}}}}, 5s);
    INFO(set.dump());
    REQUIRE(set["ok"] == true);
    const std::uint32_t id = set["breakpoint"];

    traces::collector got;
    std::vector<json> lint_stops;
    std::optional<int> exited;
    for (int round = 0; round < 500 && !exited; ++round) { // a loaded machine makes more long steps
        REQUIRE(client.command_and_wait({{"cmd", "continue"}}, 5s)["ok"] == true);
        auto stop = next_stop(client);
        REQUIRE(stop);
        INFO(stop->dump());
        if (stop->contains("exited")) {
            exited = (*stop)["exited"].get<int>();
            break;
        }
        REQUIRE((*stop)["why"] == "breakpoint");
        REQUIRE((*stop)["breakpoint"] == id);
        REQUIRE(stop->contains("lint"));
        const std::uint64_t paused_step = (*stop)["step"];
        const std::uint32_t task = (*stop)["task"];
        // Everything up to the pause has arrived, and nothing ran after the step that showed it.
        REQUIRE(drain_until(client, got, [&](const traces::trace& t) {
            return count_kind(t.events, event_kind::control) > static_cast<std::size_t>(round) * 2;
        }));
        drain_settled(client, got);
        const auto& ev = got.trace().events;
        CHECK(count_kind(ev, event_kind::task_resume) == paused_step);
        const traces::event* last_resume = nullptr;
        const traces::event* last_end = nullptr;
        const traces::event* unobserved = nullptr;
        for (const auto& e : ev) {
            if (e.kind == event_kind::task_resume) last_resume = &e;
            if (e.kind == event_kind::task_suspend || e.kind == event_kind::task_exit) last_end = &e;
            if (e.kind == event_kind::unobserved_failure) unobserved = &e;
        }
        REQUIRE(last_resume);
        REQUIRE(last_end);
        CHECK(last_resume->step == paused_step - 1);
        CHECK(last_resume->task == task);
        if ((*stop)["lint"] == "long-step" || (*stop)["lint"] == "never-yielding") {
            // The step that just ended ran at least the lint's default 10 ms (never-yielding: 1 ms).
            CHECK(last_end->task == task);
            CHECK(last_end->ts_ns - last_resume->ts_ns >= ((*stop)["lint"] == "long-step" ? 10'000'000u : 1'000'000u));
            if ((*stop)["lint"] == "never-yielding") CHECK(last_end->kind == event_kind::task_exit);
        } else if ((*stop)["lint"] == "starvation") {
            CHECK(last_resume->task == task); // the starved task's step, once it finally ran
        } else {
            CHECK((*stop)["lint"] == "swallowed-exception");
            REQUIRE(unobserved);
            CHECK(unobserved->task == task);
            CHECK(unobserved->step == paused_step - 1);
        }
        lint_stops.push_back(*stop);
    }
    REQUIRE(exited);
    CHECK(*exited == 0);
    INFO(program.process->output());
    CHECK(program.process->exit_code() == 0);
    client.drain(got);
    auto names = task_names(got.trace());
    bool blocker_long = false, forgotten_swallowed = false;
    for (const auto& s : lint_stops) {
        const std::string& name = names[s["task"].get<std::uint32_t>()];
        if (s["lint"] == "long-step" && name == "blocker") blocker_long = true;
        if (s["lint"] == "swallowed-exception" && name == "forgotten") forgotten_swallowed = true;
    }
    CHECK(blocker_long);
    CHECK(forgotten_swallowed);

    // The stops are exactly the steps where `coroscope-trace lint` finds one of the lints the agent
    // sees live (set before step 0, nothing is missed), each once, in step order: the blocker's
    // long step stops before the forgotten task's failure when it ran first.
    inspector::model m(got.trace());
    std::map<std::uint64_t, std::vector<std::string>> expected; // stop step -> the lints found in the step before
    for (const auto& f : inspector::run_lints(m)) {
        using inspector::lint_kind;
        if (f.kind == lint_kind::long_step || f.kind == lint_kind::never_yielding || f.kind == lint_kind::starvation ||
            f.kind == lint_kind::swallowed_exception)
            expected[f.step + 1].push_back(std::string(inspector::to_string(f.kind)));
    }
    std::vector<std::uint64_t> stop_steps, expected_steps;
    for (const auto& s : lint_stops) stop_steps.push_back(s["step"].get<std::uint64_t>());
    for (const auto& [step, kinds] : expected) expected_steps.push_back(step);
    CHECK(stop_steps == expected_steps);
    for (const auto& s : lint_stops) {
        INFO(s.dump());
        auto it = expected.find(s["step"].get<std::uint64_t>());
        REQUIRE(it != expected.end());
        CHECK(std::find(it->second.begin(), it->second.end(), s["lint"].get<std::string>()) != it->second.end());
    }
    bool never_yielding = false, starvation = false;
    for (const auto& s : lint_stops) {
        never_yielding = never_yielding || s["lint"] == "never-yielding";
        starvation = starvation || s["lint"] == "starvation";
    }
    CHECK(never_yielding); // 'hog'
    CHECK(starvation);     // 'ticker'
}

TEST_CASE("agent: each other breakpoint kind stops sample-nested where its event happened") {
    struct kind_case {
        json spec;
        event_kind kind; // the event that must be the cause of the stop
    };
    // resume: task 1 (main) is resumed first; its step must not have begun.
    for (const auto& [spec, kind] : {kind_case{{{"kind", "spawn"}}, event_kind::task_spawn},
                                     kind_case{{{"kind", "exception"}}, event_kind::frame_exit},
                                     kind_case{{{"kind", "long_step"}, {"ms", 0}}, event_kind::task_suspend},
                                     kind_case{{{"kind", "resume"}, {"task", 3}}, event_kind::task_resume}}) {
        INFO(spec.dump());
        live_program program("sample-nested");
        live_client client(program.address);
        bool connected_in_time = client.wait_connected(10s);
        INFO(client.failure() << program.process->output());
        REQUIRE(connected_in_time);
        REQUIRE(client.command_and_wait({{"cmd", "break"}, {"breakpoint", spec}}, 5s)["ok"] == true);
        REQUIRE(client.command_and_wait({{"cmd", "continue"}}, 5s)["ok"] == true);
        auto stop = next_stop(client);
        REQUIRE(stop);
        INFO(stop->dump());
        REQUIRE((*stop)["why"] == "breakpoint");
        const std::uint64_t paused_step = (*stop)["step"];
        traces::collector got;
        REQUIRE(drain_until(client, got, [&](const traces::trace& t) {
            return count_kind(t.events, event_kind::control) >= 2; // the resume and the breakpoint
        }));
        drain_settled(client, got);
        const auto& ev = got.trace().events;
        CHECK(count_kind(ev, event_kind::task_resume) == paused_step);
        if (kind == event_kind::task_resume) {
            // Stopped before task 3's first step: it is the task named and it has not run yet.
            CHECK((*stop)["task"] == 3);
            for (const auto& e : ev) CHECK(!(e.kind == event_kind::task_resume && e.task == 3));
        } else {
            // The last step run produced the event that matched, and it was the first such event
            // after the breakpoint was set (the stream before "continue" has main's own spawn).
            auto resumed = std::find_if(ev.begin(), ev.end(), [](const auto& e) { return e.kind == event_kind::control; });
            REQUIRE(resumed != ev.end());
            std::size_t first = ev.size();
            for (auto i = static_cast<std::size_t>(resumed - ev.begin()); i < ev.size() && first == ev.size(); ++i) {
                bool match = ev[i].kind == kind;
                if (kind == event_kind::frame_exit) match = match && ev[i].code != 0;
                if (match) first = i;
            }
            REQUIRE(first < ev.size());
            CHECK(ev[first].step == paused_step - 1);
            CHECK(ev[first].task == (*stop)["task"].get<std::uint32_t>());
        }
        REQUIRE(client.command_and_wait({{"cmd", "clear"}}, 5s)["ok"] == true);
        REQUIRE(client.command_and_wait({{"cmd", "continue"}}, 5s)["ok"] == true);
        REQUIRE(client.wait_finished(10s));
        CHECK(client.exit_code() == 0);
        INFO(program.process->output());
        CHECK(program.process->exit_code() == 0);
    }
}

TEST_CASE("agent: a lint breakpoint stops a stuck program before run() gives up, then lets it end") {
    in_process p(/*paused=*/true);
    event never_set;
    auto body = [](event& e) -> task<void> {
        auto waiter = spawn([](event& ev) -> task<void> { co_await ev.wait(); }(e), "waiter");
        co_await waiter;
    };
    auto h = p.sched->spawn(body(never_set), "main");

    std::atomic<bool> client_ok{false};
    json stop_notice, status_at_stop;
    std::optional<json> end_notice;
    std::thread client_thread([&] {
        live_client client(p.address());
        if (!connected(client)) return;
        if (client.command_and_wait({{"cmd", "break"}, {"breakpoint", {{"kind", "lint"}}}}, 5s)["ok"] != true) return;
        client.command_and_wait({{"cmd", "continue"}}, 5s);
        auto stop = next_stop(client);
        if (!stop) return;
        stop_notice = *stop;
        status_at_stop = client.command_and_wait({{"cmd", "status"}}, 5s);
        client.command_and_wait({{"cmd", "continue"}}, 5s);
        end_notice = next_stop(client);
        client_ok = true;
    });
    p.sched->run();
    const bool stuck = p.sched->stuck();
    const std::size_t live = p.sched->live_tasks();
    const bool main_done = h.done();
    int close_rc = p.finish(2);
    client_thread.join();
    CHECK(!p.watchdog_fired);
    REQUIRE(client_ok);
    INFO(stop_notice.dump());
    CHECK(stop_notice["why"] == "breakpoint");
    CHECK(stop_notice["lint"] == "stuck");
    CHECK_THAT(stop_notice.value("waiting", ""), Catch::Contains("'waiter'") && Catch::Contains("waits: event"));
    CHECK(status_at_stop["paused"] == true);
    // Continuing lets it end as it would have: stuck, both tasks still waiting.
    REQUIRE(end_notice);
    CHECK((*end_notice)["exited"] == 2);
    CHECK(stuck);
    CHECK(live == 2);
    CHECK(!main_done);
    // The pause is in the recording, after the last step.
    const auto& ev = p.recorded.trace().events;
    auto control = std::find_if(ev.begin(), ev.end(), [](const auto& e) {
        return e.kind == event_kind::control && e.code == static_cast<std::uint8_t>(traces::control_kind::breakpoint);
    });
    REQUIRE(control != ev.end());
    CHECK(std::none_of(control, ev.end(), [](const auto& e) { return e.kind == event_kind::task_resume; }));
    CHECK(close_rc == 0);
}

TEST_CASE("agent: a program stepped one step at a time runs the same steps as it runs freely") {
    for (std::uint64_t seed : {7u, 12345u}) {
        INFO("seed " << seed);
        traces::trace free_run = run_freely(seed);
        auto expected = step_sequence(free_run);
        REQUIRE(expected.size() > 100);
        // Real concurrency: some ticks begin with several tasks ready, so the seed has choices.
        CHECK(std::any_of(free_run.events.begin(), free_run.events.end(),
                          [](const auto& e) { return e.kind == event_kind::tick_begin && e.a >= 3; }));
        // ... and it uses them: FIFO runs another sequence.
        const bool fifo_differs = step_sequence(run_freely(std::nullopt)) != expected;
        CHECK(fifo_differs);

        in_process p(/*paused=*/true, seed);
        long sum = 0;
        int shared = 0;
        auto h = p.sched->spawn(concurrent_program(sum, shared), "main");
        std::atomic<bool> client_ok{false};
        std::uint64_t steps_commanded = 0;
        traces::collector streamed;
        std::thread client_thread([&] {
            live_client client(p.address());
            if (!connected(client)) return;
            for (;;) {
                auto reply = client.command_and_wait({{"cmd", "step"}}, 5s);
                if (reply.contains("exited")) break;
                if (reply["ok"] != true || reply["paused"] != true) return;
                ++steps_commanded;
                if (reply["step"] != steps_commanded) return;
            }
            client.wait_finished(10s);
            client.drain(streamed);
            client_ok = true;
        });
        p.sched->run();
        CHECK(!p.sched->stuck());
        CHECK(h.done());
        CHECK(p.finish(0) == 0);
        client_thread.join();
        CHECK(!p.watchdog_fired);
        REQUIRE(client_ok);
        CHECK(shared == 24);
        // One step per command (the last command ran the final step and got the exit).
        CHECK(steps_commanded + 1 == expected.size());
        const bool recorded_same = step_sequence(p.recorded.trace()) == expected; // (hundreds: not printed)
        const bool streamed_same = step_sequence(streamed.trace()) == expected;
        CHECK(recorded_same);
        CHECK(streamed_same);
    }
}

TEST_CASE("agent: a client that never reads is disconnected alone, the program ends and others get everything") {
    in_process p(/*paused=*/true);
    // Enough events to overflow the client's 8 MiB queue and the socket's own buffer.
    constexpr int tasks = 4, rounds = 250'000;
    auto spinner = [](int n) -> task<void> {
        for (int i = 0; i < n; ++i) co_await yield();
    };
    auto body = [&](int count) -> task<void> {
        std::vector<join_handle<void>> hs;
        for (int i = 0; i < count; ++i) hs.push_back(spawn(spinner(rounds), "spinner"));
        for (auto& h : hs) co_await h;
    };
    auto h = p.sched->spawn(body(tasks), "main");

    std::atomic<bool> client_ok{false};
    std::vector<json> notices;
    traces::collector streamed;
    std::optional<int> exit_code;
    raw_client silent;
    std::thread clients([&] {
        // The silent one: hello, then never reads until the end.
        if (!silent.connect(p.socket, /*send_continue=*/false)) return;
        // A reader that drives the program in chunks of steps and catches up while it is paused, so
        // however loaded the machine, it never falls 8 MiB behind (a slow reader would be dropped too).
        {
            live_client client(p.address());
            if (!connected(client)) return;
            std::size_t scanned = 0;
            std::uint64_t resumes = 0;
            for (int chunk = 0; chunk < 1000; ++chunk) {
                auto reply = client.command_and_wait({{"cmd", "step"}, {"count", 50'000}}, 30s);
                if (reply.contains("exited")) break;
                if (reply["ok"] != true) return;
                const std::uint64_t step = reply["step"];
                // Counted incrementally: the stream holds millions of events by the end.
                if (!drain_until(client, streamed, [&](const traces::trace& t) {
                        for (; scanned < t.events.size(); ++scanned) resumes += t.events[scanned].kind == event_kind::task_resume;
                        return resumes >= step;
                    }, 60s))
                    return;
            }
            if (!client.wait_finished(30s)) return;
            client.drain(streamed);
            for (auto& m : client.poll_messages())
                if (!m.is_reply) notices.push_back(m.body);
            exit_code = client.exit_code();
        }
        // Now read what the silent one was sent: it ends (closed by the program) well short of all.
        while (silent.read_some(65536, 5000ms)) {}
        client_ok = true;
    });
    p.sched->run();
    CHECK(!p.sched->stuck());
    CHECK(h.done());
    int close_rc = p.finish(0);
    clients.join();
    CHECK(!p.watchdog_fired);
    REQUIRE(client_ok);
    // The reader got the whole run and the exit.
    CHECK(exit_code == 0);
    const bool same_events = streamed.trace().events == p.recorded.trace().events; // (millions: not printed)
    if (!same_events) {
        const auto& a = streamed.trace().events;
        const auto& b = p.recorded.trace().events;
        std::size_t i = 0;
        while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
        auto describe = [](const std::vector<traces::event>& v, std::size_t at) {
            return at < v.size() ? std::string(traces::to_string(v[at].kind)) + " step " + std::to_string(v[at].step) +
                                       " task " + std::to_string(v[at].task)
                                 : std::string("(end)");
        };
        INFO("first difference at event " << i << ": streamed " << describe(a, i) << ", recorded " << describe(b, i));
        CHECK(same_events);
    }
    CHECK(streamed.trace().events.size() == p.recorded.trace().events.size());
    CHECK(same_events);
    CHECK(count_kind(p.recorded.trace().events, event_kind::task_resume) >= std::size_t{tasks} * rounds);
    // It was told the silent client was dropped, and how many events that one missed.
    auto dropped = std::find_if(notices.begin(), notices.end(), [](const json& n) { return n.contains("disconnected"); });
    REQUIRE(dropped != notices.end());
    INFO(dropped->dump());
    CHECK((*dropped)["dropped_clients"] == 1);
    const std::uint64_t missed = (*dropped)["undelivered_events"];
    CHECK(missed > 0);
    // The recording says so too: a mark from the loop (task 0) naming the client and what it missed.
    const std::string said = "coroscope: inspector client " + std::to_string((*dropped)["disconnected"].get<std::uint32_t>()) +
                             " stopped reading and was disconnected; " + std::to_string(missed) + " events undelivered";
    std::size_t marks = 0;
    for (const auto& e : p.recorded.trace().events)
        if (e.kind == event_kind::mark && e.task == 0 && p.recorded.trace().text(e.a) == said) ++marks;
    CHECK(marks == 1);
    CHECK(missed < p.recorded.trace().events.size());
    // The silent client's connection was closed by the program, long before the stream's end, and
    // what it was sent is the run's beginning.
    CHECK(silent.closed);
    CHECK(silent.bytes_read < std::size_t{16} << 20);
    const auto& got = silent.events.trace().events;
    const auto& all = p.recorded.trace().events;
    CHECK(got.size() < all.size());
    const bool prefix = got.size() <= all.size() && std::equal(got.begin(), got.end(), all.begin());
    CHECK(prefix);
    CHECK(close_rc == 0);
}

TEST_CASE("agent: a client that reads slowly while the program runs is not disconnected and gets every event") {
    in_process p(/*paused=*/true);
    // Bursts of steps between 1 ms sleeps: a few MiB in all, more than the socket holds and less
    // than the 8 MiB a client may fall behind, at a pace at which the stall rule (2 MiB produced
    // while the socket takes nothing) needs the reader to stop for far longer than its naps.
    constexpr int tasks = 8, bursts = 150, steps_per_burst = 200;
    auto worker = [](int rounds) -> task<void> {
        for (int r = 0; r < rounds; ++r) {
            for (int i = 0; i < steps_per_burst; ++i) co_await yield();
            co_await sleep_for(1ms);
        }
    };
    auto body = [&]() -> task<void> {
        std::vector<join_handle<void>> hs;
        for (int i = 0; i < tasks; ++i) hs.push_back(spawn(worker(bursts), "worker"));
        for (auto& h : hs) co_await h;
    };
    auto h = p.sched->spawn(body(), "main");

    std::atomic<bool> program_ended{false};
    raw_client reader;
    std::size_t naps = 0;
    bool reader_ok = false;
    std::thread client([&] {
        if (!reader.connect(p.socket, /*send_continue=*/true)) return;
        // Slow while the program runs: 4 KiB, then a 2 ms nap (~2 MB/s, a fraction of the pace the
        // program produces at); then everything, as a client catching up does.
        while (!program_ended) {
            reader.read_some(4096, 100ms);
            std::this_thread::sleep_for(2ms);
            ++naps;
        }
        while (reader.read_some(1 << 20, 5000ms)) {}
        reader_ok = true;
    });
    p.sched->run();
    program_ended = true;
    CHECK(!p.sched->stuck());
    CHECK(h.done());
    int close_rc = p.finish(0);
    client.join();
    CHECK(!p.watchdog_fired);
    REQUIRE(reader_ok);
    INFO("naps while the program ran: " << naps);
    CHECK(naps > 10); // it did read slowly for a while
    // Not disconnected: told the exit, nothing dropped, and every event the program emitted.
    CHECK(reader.closed);
    CHECK(reader.told("exited"));
    CHECK(!reader.told("disconnected"));
    reader.decoder.finish();
    CHECK(reader.decoder.report().error.empty());
    CHECK(count_kind(p.recorded.trace().events, event_kind::dropped) == 0);
    CHECK(count_kind(p.recorded.trace().events, event_kind::mark) == 0);
    CHECK(reader.events.trace().events.size() == p.recorded.trace().events.size());
    const bool same_events = reader.events.trace().events == p.recorded.trace().events; // (~100 K: not printed)
    CHECK(same_events);
    CHECK(count_kind(p.recorded.trace().events, event_kind::task_resume) >= std::size_t{tasks} * bursts * steps_per_burst);
    CHECK(close_rc == 0);
}

TEST_CASE("agent: what a full socket did not take reaches the client while the program waits") {
    in_process p(/*paused=*/true);
    // A burst that produces more than the socket holds (and less than the 2 MiB of the stall rule)
    // while the client reads nothing, then a long wait in which nothing is produced: the rest of
    // the burst must reach the client during the wait, not only when the program runs again.
    constexpr int tasks = 4, rounds = 20'000;
    auto spinner = [](int n) -> task<void> {
        for (int i = 0; i < n; ++i) co_await yield();
    };
    auto body = [&]() -> task<void> {
        std::vector<join_handle<void>> hs;
        for (int i = 0; i < tasks; ++i) hs.push_back(spawn(spinner(rounds), "spinner"));
        for (auto& h : hs) co_await h;
        auto nap = []() -> task<void> { co_await sleep_for(3s); };
        auto quiet = spawn(nap(), "quiet");
        co_await quiet;
    };
    auto h = p.sched->spawn(body(), "main");

    std::atomic<bool> program_ended{false};
    raw_client reader;
    bool seen_quiet = false, ended_before = true;
    std::thread client([&] {
        if (!reader.connect(p.socket, /*send_continue=*/true)) return;
        std::this_thread::sleep_for(300ms); // the burst fills the socket meanwhile
        auto quiet_spawned = [&] {
            const traces::trace& t = reader.events.trace();
            return std::any_of(t.events.begin(), t.events.end(), [&](const traces::event& e) {
                return e.kind == event_kind::task_spawn && t.text(e.b) == "quiet";
            });
        };
        while (!seen_quiet && reader.read_some(1 << 20, 5000ms)) seen_quiet = quiet_spawned();
        ended_before = program_ended;
        while (reader.read_some(1 << 20, 5000ms)) {}
    });
    p.sched->run();
    program_ended = true;
    CHECK(h.done());
    int close_rc = p.finish(0);
    client.join();
    CHECK(!p.watchdog_fired);
    // The burst's end arrived while the program still waited.
    CHECK(seen_quiet);
    CHECK(!ended_before);
    CHECK(reader.told("exited"));
    CHECK(!reader.told("disconnected"));
    CHECK(reader.events.trace().events.size() == p.recorded.trace().events.size());
    CHECK(close_rc == 0);
}
