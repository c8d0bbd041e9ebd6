// coroscope-trace attach ADDR -o FILE [--token T] [--continue] [--timeout S]: records a live program
// until it exits. Watching never takes control (unless --continue asks to resume a paused program).
#include "commands.hpp"
#include "live_command.hpp"

#include <coroscope/traces/reader.hpp>
#include <coroscope/traces/writer.hpp>

#include <csignal>
#include <iostream>
#include <memory>
#include <string>
#include <unistd.h>

namespace coroscope::cli {

namespace {

volatile std::sig_atomic_t g_interrupted = 0;

int attach(const std::string& address, const std::string& out_path, const std::string& token, bool resume,
           double timeout_s) {
    inspector::live_client::options opts;
    opts.token = token;
    auto client = connect_live(address, opts, timeout_s);
    if (!client) return 1;
    traces::file_writer writer(out_path, traces::encoding_for_path(out_path));
    if (!writer.ok()) {
        std::cerr << "coroscope-trace: " << writer.error() << "\n";
        return 1;
    }
    if (resume) {
        auto reply = client->command_and_wait({{"cmd", "continue"}}, to_ms(timeout_s));
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
        std::cerr << (tty ? "\r" : "") << "coroscope-trace: " << address << ": " << client->events_received()
                  << " events, " << client->bytes_received() << " bytes" << (final ? "\n" : "") << std::flush;
    };
    // Other clients dropped for not reading: said once each, since the recording itself is whole.
    auto report_notices = [&] {
        for (auto& m : client->poll_messages()) {
            if (m.is_reply || !m.body.contains("disconnected")) continue;
            std::cerr << (tty ? "\n" : "") << "coroscope-trace: " << address << ": the program dropped client "
                      << m.body["disconnected"].dump() << " (" << m.body.value("why", std::string("?")) << "), "
                      << m.body.value("undelivered_events", std::uint64_t{0}) << " events undelivered to it\n";
        }
    };
    auto last = std::chrono::steady_clock::now();
    for (;;) {
        bool done = client->wait_finished(std::chrono::milliseconds(200));
        client->drain(writer);
        report_notices();
        if (done || g_interrupted) break;
        if (std::chrono::steady_clock::now() - last >= std::chrono::milliseconds(250)) {
            progress(false);
            last = std::chrono::steady_clock::now();
        }
    }
    client->drain(writer);
    writer.flush();
    progress(true);
    if (!writer.error().empty()) {
        std::cerr << "coroscope-trace: " << writer.error() << "\n";
        return 1;
    }
    std::string problems = traces::describe_problems(address, client->stream_report());
    if (!problems.empty()) std::cerr << "coroscope-trace: " << problems << "\n";
    if (g_interrupted) {
        std::cerr << "coroscope-trace: " << address << ": interrupted; the stream so far is in " << out_path << "\n";
        return 130;
    }
    if (client->current_state() == inspector::live_client::state::failed) {
        std::cerr << "coroscope-trace: " << address << ": " << client->failure() << "\n";
        return 1;
    }
    auto code = client->exit_code();
    if (!code) {
        std::string why = client->failure();
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

} // namespace

command add_attach(CLI::App& app) {
    struct options {
        std::string address, out, token;
        bool resume = false;
        double timeout = 5;
    };
    auto o = std::make_shared<options>();
    auto* sub = app.add_subcommand("attach", "record a live program (COROSCOPE_LISTEN=ADDR) until it exits");
    sub->add_option("address", o->address, "127.0.0.1:PORT, localhost:PORT, [::1]:PORT or unix:PATH")->required();
    sub->add_option("-o,--output", o->out, "trace file to write (.jsonl = JSON Lines, else binary)")->required();
    sub->add_option("--token", o->token, "the program's COROSCOPE_TOKEN");
    sub->add_flag("--continue", o->resume, "resume the program if it is paused (takes control)");
    sub->add_option("--timeout", o->timeout, "seconds to wait for the connection and handshake");
    return {sub, [o] { return attach(o->address, o->out, o->token, o->resume, o->timeout); }};
}

} // namespace coroscope::cli
