// coroscope-trace: the headless CLI for trace files and live programs.
#include "commands.hpp"

#include <coroscope/inspector/live_client.hpp>
#include <coroscope/inspector/model.hpp>
#include <coroscope/inspector/report.hpp>
#include <coroscope/traces/reader.hpp>
#include <coroscope/traces/writer.hpp>

#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <optional>
#include <vector>
#include <unistd.h>

namespace {

using namespace coroscope;

// Loads a trace; prints problems on stderr. Returns false when nothing usable was read.
bool load(const std::string& path, traces::loaded_trace& out) {
    out = traces::load_file(path);
    std::string problems = traces::describe_problems(path, out.report);
    if (!problems.empty()) std::cerr << "coroscope-trace: " << problems << "\n";
    return !out.report.fatal;
}

volatile std::sig_atomic_t g_interrupted = 0;

std::string seconds_text(double s) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%g s", s);
    return buffer;
}

std::chrono::milliseconds to_ms(double seconds) {
    return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
}

// `attach ADDR -o FILE`: records a live program until it exits. Watching never takes control
// (unless --continue asks to resume a paused program).
int attach(const std::string& address, const std::string& out_path, const std::string& token, bool resume,
           double timeout_s) {
    std::string error;
    if (!inspector::parse_live_address(address, error)) {
        std::cerr << "coroscope-trace: " << error << "\n";
        return 1;
    }
    inspector::live_client::options opts;
    opts.token = token;
    opts.handshake_timeout = to_ms(timeout_s);
    inspector::live_client client(address, opts);
    if (!client.wait_connected(opts.handshake_timeout + std::chrono::seconds(1))) {
        std::string why = client.failure();
        if (why.empty()) why = "no welcome within " + seconds_text(timeout_s);
        std::cerr << "coroscope-trace: " << address << ": " << why << "\n";
        return 1;
    }
    traces::file_writer writer(out_path, traces::encoding_for_path(out_path));
    if (!writer.ok()) {
        std::cerr << "coroscope-trace: " << writer.error() << "\n";
        return 1;
    }
    if (resume) {
        auto reply = client.command_and_wait({{"cmd", "continue"}}, to_ms(timeout_s));
        if (!reply.value("ok", false)) {
            std::cerr << "coroscope-trace: " << address << ": continue: " << reply.value("error", std::string("?"))
                      << "\n";
            return 1;
        }
    }
    std::signal(SIGINT, [](int) { g_interrupted = 1; });
    std::signal(SIGTERM, [](int) { g_interrupted = 1; });
    const bool tty = ::isatty(2);
    auto progress = [&](bool final) {
        if (!tty && !final) return;
        std::cerr << (tty ? "\r" : "") << "coroscope-trace: " << address << ": " << client.events_received()
                  << " events, " << client.bytes_received() << " bytes" << (final ? "\n" : "") << std::flush;
    };
    auto last = std::chrono::steady_clock::now();
    for (;;) {
        bool done = client.wait_finished(std::chrono::milliseconds(200));
        client.drain(writer);
        if (done || g_interrupted) break;
        if (std::chrono::steady_clock::now() - last >= std::chrono::milliseconds(250)) {
            progress(false);
            last = std::chrono::steady_clock::now();
        }
    }
    client.drain(writer);
    writer.flush();
    progress(true);
    if (!writer.error().empty()) {
        std::cerr << "coroscope-trace: " << writer.error() << "\n";
        return 1;
    }
    std::string problems = traces::describe_problems(address, client.stream_report());
    if (!problems.empty()) std::cerr << "coroscope-trace: " << problems << "\n";
    if (g_interrupted) {
        std::cerr << "coroscope-trace: " << address << ": interrupted; the stream so far is in " << out_path << "\n";
        return 130;
    }
    if (client.current_state() == inspector::live_client::state::failed) {
        std::cerr << "coroscope-trace: " << address << ": " << client.failure() << "\n";
        return 1;
    }
    auto code = client.exit_code();
    if (!code) {
        std::string why = client.failure();
        std::cerr << "coroscope-trace: " << address << ": the connection ended before the program exited"
                  << (why.empty() ? "" : " (" + why + ")") << "; the stream so far is in " << out_path << "\n";
        return 1;
    }
    if (*code != 0) {
        std::cerr << "coroscope-trace: " << address << ": the program exited with code " << *code << "; trace in "
                  << out_path << "\n";
        return 1;
    }
    return 0;
}

// `control ADDR VERB [N]`: one command, its reply, then disconnect (the program stays as asked).
int control(const std::string& address, const std::string& verb, std::optional<std::uint64_t> count,
            const std::string& token, double timeout_s) {
    std::string error;
    if (!inspector::parse_live_address(address, error)) {
        std::cerr << "coroscope-trace: " << error << "\n";
        return 1;
    }
    inspector::live_client::options opts;
    opts.token = token;
    opts.handshake_timeout = to_ms(timeout_s);
    opts.collect_events = false;
    inspector::live_client client(address, opts);
    if (!client.wait_connected(opts.handshake_timeout + std::chrono::seconds(1))) {
        std::string why = client.failure();
        if (why.empty()) why = "no welcome within " + seconds_text(timeout_s);
        std::cerr << "coroscope-trace: " << address << ": " << why << "\n";
        return 1;
    }
    nlohmann::json command = {{"cmd", verb}};
    if (count) command["count"] = *count;
    auto reply = client.command_and_wait(command, to_ms(timeout_s));
    if (!reply.value("ok", false)) {
        if (auto code = client.exit_code(); code && !reply.contains("id")) {
            std::cout << "exited with code " << *code << "\n";
            return 0;
        }
        std::string why = reply.contains("error") && reply["error"].is_string() ? reply["error"].get<std::string>()
                                                                                : reply.dump();
        std::cerr << "coroscope-trace: " << address << ": " << verb << ": " << why << "\n";
        return 1;
    }
    if (reply.value("paused", false)) {
        std::cout << "paused at step " << reply.value("step", std::uint64_t{0}) << ", tick "
                  << reply.value("tick", std::uint64_t{0}) << "\n";
    } else if (reply.contains("paused")) {
        std::cout << "running\n";
    } else {
        std::cout << reply.dump() << "\n";
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"coroscope-trace: inspect Coroscope trace files without a window"};
    app.require_subcommand(1);

    std::string info_path;
    auto* info = app.add_subcommand("info", "header, counts by event kind, tasks, steps, duration");
    info->add_option("trace", info_path, "trace file")->required();

    std::string dump_path;
    std::uint64_t dump_step = 0;
    bool dump_as_json = false;
    auto* dump = app.add_subcommand("dump", "every task's state, wait reason and nested stack at a step");
    dump->add_option("trace", dump_path, "trace file")->required();
    dump->add_option("--at", dump_step, "the step (the state just before it runs); past the end = end of trace")
        ->required();
    dump->add_flag("--json", dump_as_json, "print JSON instead of text");

    std::string attach_address, attach_out, attach_token;
    bool attach_continue = false;
    double attach_timeout = 5;
    auto* attach_cmd = app.add_subcommand("attach", "record a live program (COROSCOPE_LISTEN=ADDR) until it exits");
    attach_cmd->add_option("address", attach_address, "127.0.0.1:PORT, localhost:PORT, [::1]:PORT or unix:PATH")
        ->required();
    attach_cmd->add_option("-o,--output", attach_out, "trace file to write (.jsonl = JSON Lines, else binary)")
        ->required();
    attach_cmd->add_option("--token", attach_token, "the program's COROSCOPE_TOKEN");
    attach_cmd->add_flag("--continue", attach_continue, "resume the program if it is paused (takes control)");
    attach_cmd->add_option("--timeout", attach_timeout, "seconds to wait for the connection and handshake");

    std::string control_address, control_verb, control_token;
    std::optional<std::uint64_t> control_count;
    double control_timeout = 10;
    auto* control_cmd =
        app.add_subcommand("control", "send one command to a live program and print the state it leaves it in");
    control_cmd->add_option("address", control_address, "127.0.0.1:PORT, localhost:PORT, [::1]:PORT or unix:PATH")
        ->required();
    control_cmd->add_option("command", control_verb, "pause, resume, continue, step, tick or status")->required();
    control_cmd->add_option("count", control_count, "for step and tick: how many (default 1)")
        ->check(CLI::PositiveNumber);
    control_cmd->add_option("--token", control_token, "the program's COROSCOPE_TOKEN");
    control_cmd->add_option("--timeout", control_timeout, "seconds to wait for the connection and for the reply");

    // Subcommands in their own files (tools/cmd_<name>.cpp, declared in commands.hpp).
    std::vector<cli::command> commands{cli::add_validate(app), cli::add_convert(app), cli::add_record(app),
                                       cli::add_export(app), cli::add_lint(app), cli::add_stats(app)};

    CLI11_PARSE(app, argc, argv);

    for (auto& c : commands)
        if (*c.app) return c.run();
    if (*attach_cmd) return attach(attach_address, attach_out, attach_token, attach_continue, attach_timeout);
    if (*control_cmd) return control(control_address, control_verb, control_count, control_token, control_timeout);

    traces::loaded_trace loaded;
    if (*info) {
        if (!load(info_path, loaded)) return 1;
        inspector::model m(loaded.trace);
        std::cout << inspector::info_text(m, loaded.report);
        return 0;
    }
    if (*dump) {
        if (!load(dump_path, loaded)) return 1;
        inspector::model m(loaded.trace);
        if (dump_step > m.step_count()) {
            std::cerr << "coroscope-trace: " << dump_path << ": --at " << dump_step << " is past the last step ("
                      << m.step_count() << "); showing the end of the trace\n";
        }
        m.seek(dump_step);
        if (dump_as_json) std::cout << inspector::dump_json(m).dump(2) << "\n";
        else std::cout << inspector::dump_text(m);
        return 0;
    }
    return 0;
}
