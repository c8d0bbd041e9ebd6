// bench-live: what serving a live inspector costs, and how fast the live link carries events.
//
//   never-reading client   the same workload (T tasks yielding Y times each, every tick T steps)
//                          with the agent listening and no client, then with one client that did
//                          the handshake, said "continue" and never reads: the agent must drop it
//                          alone and the program must not wait. Both variants run back to back in
//                          paired rounds (alternating which goes first); the verdict is the median
//                          round's ratio of the program thread's CPU time, with its quartiles.
//                          Target: <= 1.05x no client.
//   streaming              the same workload streamed over a Unix socket to an inspector
//                          (inspector::live_client on its own thread, drained into an
//                          inspector::model), timed from "continue" to the last event folded into
//                          the model, with zero drops (no `dropped` event, no disconnection, every
//                          event arrived). Target: >= 10 M events/s. Also (info) the CPU time
//                          per event of each side: the program thread, the thread draining into
//                          the model (decode + fold), the rest (the client's reading thread), and
//                          one more run whose client drains only after the program ended.
//
// Both run in this process: the program on the main thread, clients on their own threads.
#include "bench_common.hpp"

#include <coroscope/agent.hpp>
#include <coroscope/coroscope.hpp>
#include <coroscope/inspector/live_client.hpp>
#include <coroscope/inspector/model.hpp>
#include <coroscope/traces/binary.hpp>
#include <coroscope/traces/collector.hpp>
#include <coroscope/traces/reader.hpp>
#include <coroscope/traces/tee.hpp>
#include <coroscope/traces/wire.hpp>

#include <nlohmann/json.hpp>

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <optional>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace {

using namespace coroscope;
using namespace std::chrono_literals;
using nlohmann::json;

constexpr int tasks = 64;
constexpr int yields = 15'000; // per task: ~1M steps, ~3M events per run
constexpr int runs = 3;
// The never-reading comparison is a ratio of two ~0.15 s runs on a shared machine: paired rounds, so
// that each ratio compares runs made under the same load, and many of them.
constexpr int silent_rounds = 21;

double thread_cpu() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

// Minor page faults taken by the calling thread so far: what growing the model on fresh memory costs.
long thread_faults() {
    rusage u{};
    getrusage(RUSAGE_THREAD, &u);
    return u.ru_minflt;
}

double process_cpu() {
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

// Forwards to the agent and notes when the first step began and when the trace ended, so the
// time measured is the program's run from its first step, whatever came before (handshakes).
struct timing_sink final : traces::event_sink {
    traces::event_sink* next = nullptr;
    std::uint64_t first_resume_ns = 0, end_ns = 0, events = 0, dropped = 0;
    double first_resume_cpu = 0, end_cpu = 0; // the program thread's CPU seconds at those points
    long first_resume_faults = 0, end_faults = 0; // the program thread's minor page faults at those points
    double first_resume_process_cpu = 0;       // the whole process's CPU seconds at the first step
    void on_header(const traces::header& h) override { next->on_header(h); }
    void on_string(std::uint32_t id, std::string_view text) override { next->on_string(id, text); }
    void on_event(const traces::event& e) override {
        ++events;
        if (e.kind == traces::event_kind::task_resume && first_resume_ns == 0) [[unlikely]] {
            first_resume_ns = uv_hrtime();
            first_resume_cpu = thread_cpu();
            first_resume_process_cpu = process_cpu();
            first_resume_faults = thread_faults();
        }
        if (e.kind == traces::event_kind::trace_end) [[unlikely]] {
            end_ns = uv_hrtime();
            end_cpu = thread_cpu();
            end_faults = thread_faults();
        }
        if (e.kind == traces::event_kind::dropped) [[unlikely]]
            dropped += e.b;
        next->on_event(e);
    }
};

task<void> spinner(int n) {
    for (int i = 0; i < n; ++i) co_await yield();
}

task<void> workload() {
    std::vector<join_handle<void>> hs;
    for (int i = 0; i < tasks; ++i) hs.push_back(spawn(spinner(yields), "spinner"));
    for (auto& h : hs) co_await h;
}

std::string socket_path() {
    static int n = 0;
    return "/tmp/coroscope-bench-live-" + std::to_string(::getpid()) + "-" + std::to_string(n++) + ".sock";
}

std::atomic<bool> g_program_ended{false}; // set once run() returned

struct program_run {
    double seconds = 0; // first step to trace end
    double cpu_seconds = 0; // the same span in the program thread's CPU time (what the agent costs it)
    long faults = 0;        // the same span: the program thread's minor page faults
    std::uint64_t events = 0, dropped = 0;
    std::uint64_t received = 0; // by the client (streaming)
    std::uint64_t client_done_ns = 0; // when the client folded the last event (streaming)
    double stream_seconds = 0;  // first step to the client's last event folded
    // Streaming, CPU seconds of each side over the run: the program thread (first step to trace
    // end), the thread that drains into the model (decode + fold), and the rest of the process
    // from the first step to the last event folded (the client's reading thread, mostly).
    double client_done_process_cpu = 0, drain_cpu = 0, other_cpu = 0;
    long drain_faults = 0; // minor page faults of the thread that drains into the model
    bool client_ok = true;
    std::string client_note;
};

// Runs the workload with the agent on a fresh socket. `client(address)` runs on its own thread,
// started once the agent listens; when `paused`, the program waits for a client to continue.
template <typename Client>
program_run run_program(bool paused, Client&& client) {
    program_run out;
    uv_loop_t loop;
    uv_loop_init(&loop);
    std::string path = socket_path();
    {
        scheduler sched(&loop);
        agent live(sched, agent_options{"unix:" + path, "", false});
        if (!live.error().empty()) {
            std::fprintf(stderr, "bench-live: %s\n", live.error().c_str());
            std::exit(1);
        }
        timing_sink timing;
        timing.next = &live;
        sched.attach_debugger(&live);
        sched.record_to(timing, traces::header{});
        if (paused) sched.pause();
        auto h = sched.spawn(workload(), "main");
        g_program_ended = false;
        std::thread t([&] { client("unix:" + path, out); });
        sched.run();
        g_program_ended = true;
        g_program_ended.notify_all();
        sched.end_recording();
        live.finish(0);
        t.join();
        if (sched.stuck() || !h.done()) {
            std::fprintf(stderr, "bench-live: the workload did not complete\n");
            std::exit(1);
        }
        out.seconds = static_cast<double>(timing.end_ns - timing.first_resume_ns) / 1e9;
        out.cpu_seconds = timing.end_cpu - timing.first_resume_cpu;
        out.faults = timing.end_faults - timing.first_resume_faults;
        out.events = timing.events;
        out.dropped = timing.dropped;
        if (out.client_done_ns > 0) {
            out.stream_seconds = static_cast<double>(out.client_done_ns - timing.first_resume_ns) / 1e9;
            out.other_cpu = out.client_done_process_cpu - timing.first_resume_process_cpu - out.cpu_seconds - out.drain_cpu;
        }
    }
    if (uv_loop_close(&loop) != 0) {
        std::fprintf(stderr, "bench-live: libuv handles left open\n");
        std::exit(1);
    }
    return out;
}

// Connects, says hello and "continue", and never reads; closes when the program has ended.
void never_reading(const std::string& address, program_run& out) {
    std::string path = address.substr(5);
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::strncpy(sa.sun_path, path.c_str(), sizeof sa.sun_path - 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
        std::fprintf(stderr, "bench-live: cannot connect to %s\n", path.c_str());
        std::exit(1);
    }
    std::string bytes;
    namespace wire = traces::wire;
    wire::append_frame(bytes, wire::frame_type::hello,
                       json{{"magic", wire::hello_magic}, {"version", "1.0"}, {"token", ""}}.dump());
    wire::append_frame(bytes, wire::frame_type::command, json{{"cmd", "continue"}, {"id", 1}}.dump());
    if (::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(bytes.size())) std::exit(1);
    // Never read; hold the connection until the program has ended.
    // (Blocked, not polling: a thread waking every millisecond would slow the program by itself.)
    g_program_ended.wait(false);
    ::close(fd);
    (void)out;
}

// Says "continue" on a normal client so the paused program starts; then leaves.
void continue_only(const std::string& address, program_run& out) {
    inspector::live_client::options opts;
    opts.collect_events = false;
    inspector::live_client client(address, opts);
    if (!client.wait_connected(10s) || client.command_and_wait({{"cmd", "continue"}}, 10s)["ok"] != true) {
        out.client_ok = false;
        out.client_note = "could not continue the program";
    }
}

// Connects and lets the held program run; a failure is noted in `out` (false: nothing to measure).
bool connect_and_continue(inspector::live_client& client, program_run& out) {
    if (client.wait_connected(10s) && client.command_and_wait({{"cmd", "continue"}}, 10s)["ok"] == true) return true;
    out.client_ok = false;
    out.client_note = "could not connect";
    return false;
}

// Streams everything into an inspector model and checks nothing was lost.
void streaming(const std::string& address, program_run& out) {
    inspector::live_client client(address);
    inspector::model model;
    if (!connect_and_continue(client, out)) return;
    const double cpu_at_start = thread_cpu();
    const long faults_at_start = thread_faults();
    while (!client.wait_finished(1ms)) out.received += client.drain(model);
    out.received += client.drain(model);
    out.client_done_ns = uv_hrtime();
    out.drain_cpu = thread_cpu() - cpu_at_start;
    out.drain_faults = thread_faults() - faults_at_start;
    out.client_done_process_cpu = process_cpu();
    for (auto& m : client.poll_messages())
        if (!m.is_reply && m.body.contains("disconnected")) out.client_note = "a client was disconnected";
    if (!client.exit_code())
        out.client_note = "disconnected before the end (" + client.failure() + "): it fell behind and was dropped (8 MiB behind, or 2 MiB produced while it read nothing)";
}

// Receives everything while the program runs but drains only once it has ended: the drain's
// decode + fold then runs alone (no program or reading thread beside it), on the same bytes.
void drain_after_end(const std::string& address, program_run& out) {
    inspector::live_client client(address);
    inspector::model model;
    if (!connect_and_continue(client, out)) return;
    client.wait_finished(60s);
    const double cpu_at_start = thread_cpu();
    const long faults_at_start = thread_faults();
    out.received = client.drain(model);
    out.drain_cpu = thread_cpu() - cpu_at_start;
    out.drain_faults = thread_faults() - faults_at_start;
    if (!client.exit_code()) out.client_note = "disconnected before the end (" + client.failure() + ")";
}

// The same workload recorded to memory (no agent): the events, and the stream's bytes as the agent
// would send them. The client's share of the live link, measured without a socket or a program.
struct recorded {
    traces::trace events;
    std::string bytes;
};

// `as_streamed`: with an agent attached as the scheduler's debugger (no client), as in the
// streaming runs: the scheduler then hands events over after every step, and the stream holds
// what the live link carries.
recorded record_workload(bool as_streamed) {
    struct encode_sink final : traces::event_sink {
        traces::binary::encoder enc;
        std::string out;
        void on_header(const traces::header& h) override { out += enc.encode_header(h); }
        void on_string(std::uint32_t id, std::string_view text) override { enc.encode_string(id, text, out); }
        void on_event(const traces::event& e) override { enc.encode_event(e, out); }
    };
    traces::collector events;
    encode_sink bytes;
    traces::tee both;
    both.add(events);
    both.add(bytes);
    uv_loop_t loop;
    uv_loop_init(&loop);
    {
        scheduler sched(&loop);
        std::optional<agent> live;
        if (as_streamed) {
            live.emplace(sched, agent_options{"unix:" + socket_path(), "", false});
            sched.attach_debugger(&*live);
        }
        sched.record_to(both, traces::header{});
        auto h = sched.spawn(workload(), "main");
        sched.run();
        sched.end_recording();
        if (live) live->finish(0);
    }
    if (uv_loop_close(&loop) != 0) {
        std::fprintf(stderr, "bench-live: libuv handles left open\n");
        std::exit(1);
    }
    return {events.take(), std::move(bytes.out)};
}

// Thread CPU seconds to fold the recorded events into a fresh model (event by event, as a file
// load does) and to decode the stream's bytes into one (what the live client does, minus the socket).
struct fold_times {
    double fold = 0, decode_fold = 0;
};

fold_times time_fold(const recorded& r) {
    fold_times t;
    std::vector<double> fold_s, decode_s;
    for (int run = 0; run <= runs; ++run) {
        double f = bench::cpu_seconds([&] {
            inspector::model m;
            m.on_header(r.events.header);
            for (std::size_t id = 1; id < r.events.strings.size(); ++id)
                m.on_string(static_cast<std::uint32_t>(id), r.events.strings[id]);
            m.on_events(r.events.events.data(), r.events.events.size());
        });
        double d = bench::cpu_seconds([&] {
            inspector::model m;
            traces::decoder dec(m);
            dec.feed(r.bytes);
            dec.finish();
        });
        if (run == 0) continue;
        fold_s.push_back(f);
        decode_s.push_back(d);
    }
    t.fold = bench::median(fold_s);
    t.decode_fold = bench::median(decode_s);
    return t;
}

} // namespace

int main() {
    std::printf("bench-live: %d tasks x %d yields per run, median of %d interleaved runs (never-reading: %d paired "
                "rounds) after 1 warmup\n",
                tasks, yields, runs, silent_rounds);

    // --- never-reading client ---------------------------------------------------------------------
    // BENCH_LIVE_ONLY=silent|streaming|fold runs one part (for profiling it); silent-none and
    // silent-client run only one variant of the never-reading part. BENCH_LIVE_ONCE=1: one run of
    // each part, no warmup (for valgrind --tool=callgrind).
    const char* only_env = std::getenv("BENCH_LIVE_ONLY");
    const std::string only = only_env ? only_env : "";
    const bool once = std::getenv("BENCH_LIVE_ONCE") != nullptr;
    program_run last_none, last_silent;
    std::vector<double> none_s, silent_s, none_cpu, silent_cpu, cpu_ratios, none_faults, silent_faults;
    for (int r = once ? 1 : 0; r <= (once ? 1 : silent_rounds) && (only.empty() || only.rfind("silent", 0) == 0); ++r) {
        // "no client" also starts paused and is continued by a client that leaves at once, so both
        // variants time the same thing: the run from its first step. Paired: each round runs both,
        // in alternating order, so neither always runs first (or after the other).
        auto none = [&] { if (only != "silent-client") last_none = run_program(true, continue_only); };
        auto silent = [&] { if (only != "silent-none") last_silent = run_program(true, never_reading); };
        if (r % 2 == 0) {
            none();
            silent();
        } else {
            silent();
            none();
        }
        if (!last_none.client_ok) {
            std::fprintf(stderr, "bench-live: %s\n", last_none.client_note.c_str());
            return 1;
        }
        if (r == 0) continue; // warmup
        none_s.push_back(last_none.seconds);
        silent_s.push_back(last_silent.seconds);
        none_cpu.push_back(last_none.cpu_seconds);
        silent_cpu.push_back(last_silent.cpu_seconds);
        if (last_none.cpu_seconds > 0) cpu_ratios.push_back(last_silent.cpu_seconds / last_none.cpu_seconds);
        none_faults.push_back(static_cast<double>(last_none.faults));
        silent_faults.push_back(static_cast<double>(last_silent.faults));
    }
    auto median_or_0 = [](const std::vector<double>& v) { return v.empty() ? 0.0 : bench::median(v); };
    const double none = median_or_0(none_s), silent = median_or_0(silent_s);
    const double none_c = median_or_0(none_cpu), silent_c = median_or_0(silent_cpu);
    const bench::spread paired = bench::quartiles(cpu_ratios);

    // --- streaming --------------------------------------------------------------------------------
    std::vector<double> stream_s, produce_s, program_ns, drain_ns, other_ns, drain_faults;
    program_run last_stream;
    bool zero_drops = true;
    for (int r = once ? 1 : 0; r <= (once ? 1 : runs) && (only.empty() || only == "streaming"); ++r) {
        last_stream = run_program(true, streaming);
        if (!last_stream.client_ok) {
            std::fprintf(stderr, "bench-live: streaming: %s\n", last_stream.client_note.c_str());
            return 1;
        }
        const bool complete = last_stream.received == last_stream.events && last_stream.dropped == 0 &&
                              last_stream.client_note.empty();
        if (!complete)
            std::printf("streaming run %d: %llu of %llu events received; %s\n", r,
                        static_cast<unsigned long long>(last_stream.received),
                        static_cast<unsigned long long>(last_stream.events), last_stream.client_note.c_str());
        zero_drops = zero_drops && complete;
        if (r == 0) continue;
        // Events the model actually got, over the time from the first step to the last one folded.
        stream_s.push_back(last_stream.stream_seconds / static_cast<double>(last_stream.received));
        produce_s.push_back(last_stream.seconds);
        const double n = static_cast<double>(last_stream.events);
        program_ns.push_back(last_stream.cpu_seconds / n * 1e9);
        drain_ns.push_back(last_stream.drain_cpu / n * 1e9);
        other_ns.push_back(last_stream.other_cpu / n * 1e9);
        drain_faults.push_back(static_cast<double>(last_stream.drain_faults) / n);
    }
    // One more run whose client drains only after the end: the drain thread's cost without the
    // program and the reading thread competing for the two cores (and their caches).
    double drain_alone_ns = 0, drain_alone_faults = 0;
    if (only.empty() || only == "streaming" || only == "drain-after") {
        program_run r = run_program(true, drain_after_end);
        if (r.client_ok && r.client_note.empty() && r.received == r.events) {
            drain_alone_ns = r.drain_cpu / static_cast<double>(r.events) * 1e9;
            drain_alone_faults = static_cast<double>(r.drain_faults) / static_cast<double>(r.events);
        } else {
            std::printf("drain-after-end run: %llu of %llu events received; %s\n",
                        static_cast<unsigned long long>(r.received), static_cast<unsigned long long>(r.events),
                        r.client_note.c_str());
        }
    }
    double stream_rate = stream_s.empty() ? 0 : 1.0 / bench::median(stream_s) / 1e6;
    double produce_rate = produce_s.empty() ? 0 : static_cast<double>(last_stream.events) / bench::median(produce_s) / 1e6;
    double none_rate = none > 0 ? static_cast<double>(last_none.events) / none / 1e6 : 0;

    // --- the client's fold alone, from memory ------------------------------------------------------
    const bool fold_part = only.empty() || only == "fold";
    recorded rec = fold_part ? record_workload(false) : recorded{};
    fold_times folds = fold_part ? time_fold(rec) : fold_times{};
    double n_rec = static_cast<double>(rec.events.events.size());
    recorded rec_live = fold_part ? record_workload(true) : recorded{};
    fold_times folds_live = fold_part ? time_fold(rec_live) : fold_times{};
    double n_live = static_cast<double>(rec_live.events.events.size());

    using bench::fmt;
    bench::print_table("Live agent: a client that never reads (same workload, same run; program thread CPU time and wall)",
                       {
                           {"agent listening, no client (CPU)", none_c * 1e3, "ms", "", "", bench::verdict::none},
                           {"agent, one never-reading client (CPU)", silent_c * 1e3, "ms",
                            fmt("%.3fx no client", silent_c / none_c), "(info: ratio of medians)", bench::verdict::none},
                           {"  the same, median of paired rounds (CPU)", paired.median, "x no client",
                            fmt("%.3fx (quartiles ", paired.median) + fmt("%.3f", paired.q1) + fmt("-%.3f)", paired.q3),
                            "<= 1.05x no client",
                            bench::check(!cpu_ratios.empty() && paired.median <= 1.05)},
                           {"agent listening, no client (wall)", none * 1e3, "ms", "", "", bench::verdict::none},
                           {"agent, one never-reading client (wall)", silent * 1e3, "ms", fmt("%.3fx no client", silent / none),
                            "(info: load-dependent)", bench::verdict::none},
                           // Fresh memory for the stream's chunks costs a fault per 4 KiB page; how many
                           // depends on what the allocator reuses, not on the client.
                           {"program thread's page faults, no client", median_or_0(none_faults), "per run", "", "(info)",
                            bench::verdict::none},
                           {"program thread's page faults, never-reading", median_or_0(silent_faults), "per run", "",
                            "(info)", bench::verdict::none},
                       });
    bench::print_table("Live link: events streamed over a Unix socket into an inspector model",
                       {
                           {"agent, no client (events emitted)", none_rate, "M events/s", "", "", bench::verdict::none},
                           {"agent, streaming client (events emitted)", produce_rate, "M events/s",
                            fmt("%.2fx no client", produce_rate / none_rate), "(info)", bench::verdict::none},
                           {"streamed to live_client -> model", stream_rate, "M events/s",
                            fmt("%.2fx no client", stream_rate / none_rate), ">= 10 M events/s, 0 drops",
                            bench::check(stream_rate >= 10 && zero_drops)},
                       });
    if (fold_part)
        bench::print_table("The client's share alone: the same events from memory into a model (thread CPU time, no socket)",
                           {
                               {"fold into the model (on_events)", n_rec / folds.fold / 1e6, "M events/s",
                                fmt("%.1f ns/event", folds.fold / n_rec * 1e9), "(info)", bench::verdict::none},
                               {"decode the stream's bytes + fold", n_rec / folds.decode_fold / 1e6, "M events/s",
                                fmt("%.1f ns/event", folds.decode_fold / n_rec * 1e9), "(info)", bench::verdict::none},
                               {"fold, recorded with the agent attached", n_live / folds_live.fold / 1e6, "M events/s",
                                fmt("%.1f ns/event", folds_live.fold / n_live * 1e9), "(info)", bench::verdict::none},
                               {"decode + fold, recorded with the agent attached", n_live / folds_live.decode_fold / 1e6,
                                "M events/s", fmt("%.1f ns/event", folds_live.decode_fold / n_live * 1e9), "(info)",
                                bench::verdict::none},
                           });
    if (!program_ns.empty() || drain_alone_ns > 0) {
        // What each side costs per event in CPU time, whatever the load: the rate each could reach
        // alone on a free core, and the rate both sides could reach on this machine's two cores.
        auto med = [](const std::vector<double>& v) { return v.empty() ? 0.0 : bench::median(v); };
        const double prog = med(program_ns), drain = med(drain_ns), other = med(other_ns);
        const double total = prog + drain + other;
        bench::print_table("Live link: CPU time per event of each side while streaming (thread CPU time, medians)",
                           {
                               {"program thread (steps, encoding, sending)", prog, "ns/event",
                                fmt("%.1f M events/s alone", 1e3 / prog), "(info)", bench::verdict::none},
                               {"client: drain thread (decode + fold)", drain, "ns/event",
                                fmt("%.1f M events/s alone", 1e3 / drain), "(info)", bench::verdict::none},
                               {"client: reading thread (and the rest)", other, "ns/event",
                                fmt("%.1f M events/s alone", 1e3 / other), "(info)", bench::verdict::none},
                               {"client: the same drain, after the program ended", drain_alone_ns, "ns/event",
                                fmt("%.1f M events/s alone", 1e3 / drain_alone_ns), "(info)", bench::verdict::none},
                               {"all three, on 2 free cores", total, "ns/event",
                                fmt("%.1f M events/s at most", 2e3 / total), "(info)", bench::verdict::none},
                               // Growing the model on fresh memory: each minor fault maps (and zeroes) a page.
                               {"client: drain thread's page faults while streaming", med(drain_faults) * 1e3,
                                "per 1000 events", "", "(info)", bench::verdict::none},
                               {"client: page faults of the drain after the end", drain_alone_faults * 1e3,
                                "per 1000 events", "", "(info)", bench::verdict::none},
                           });
    }
    std::printf("(%llu events per run; streaming: %llu received, %llu dropped, %s)\n",
                static_cast<unsigned long long>(last_stream.events),
                static_cast<unsigned long long>(last_stream.received),
                static_cast<unsigned long long>(last_stream.dropped),
                zero_drops ? "every run complete" : "a run lost events or a client");
    return 0;
}
