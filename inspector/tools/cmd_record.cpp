// coroscope-trace record [-o FILE] [--zstd] -- PROGRAM ARGS...: runs PROGRAM with COROSCOPE_TRACE=FILE
// (default: PROGRAM's base name + ".trace"; --zstd adds COROSCOPE_TRACE_ZSTD=1: zstd blocks), shows the trace growing while it runs (the file is
// decoded as it grows: events so far, bytes), then a summary: events, bytes, drops (the sum of the
// `dropped` events' counts). The exit code is the program's (128 + N when killed by signal N).
#include "commands.hpp"

#include <coroscope/traces/reader.hpp>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace coroscope::cli {
namespace {

struct record_options {
    std::string output;
    std::vector<std::string> command;
    bool progress = false;
    bool zstd = false;
};

// Counts what the growing file holds so far.
class counting_sink final : public traces::event_sink {
public:
    void on_header(const traces::header&) override {}
    void on_string(std::uint32_t, std::string_view) override {}
    void on_event(const traces::event& e) override {
        ++events;
        if (e.kind == traces::event_kind::dropped) drops += e.b;
    }
    std::uint64_t events = 0;
    std::uint64_t drops = 0;
};

// Follows a file another process writes: reads whatever was appended since the last call.
class file_follower {
public:
    explicit file_follower(std::string path) : m_path(std::move(path)) {}
    ~file_follower() {
        if (m_fd >= 0) ::close(m_fd);
    }
    // Feeds new bytes to the decoder; returns how many bytes were read in all.
    std::uint64_t poll(traces::decoder& d) {
        if (m_fd < 0) m_fd = ::open(m_path.c_str(), O_RDONLY | O_CLOEXEC);
        if (m_fd < 0) return m_bytes;
        char buffer[64 * 1024];
        for (;;) {
            ssize_t n = ::read(m_fd, buffer, sizeof buffer);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            d.feed({buffer, static_cast<std::size_t>(n)});
            m_bytes += static_cast<std::uint64_t>(n);
        }
        return m_bytes;
    }
    bool opened() const { return m_fd >= 0; }

private:
    std::string m_path;
    int m_fd = -1;
    std::uint64_t m_bytes = 0;
};

// Starts the program; returns its pid, or -1 with `error` set (exec failures are reported back
// through a close-on-exec pipe, so "no such program" is an error here, not an exit code 127).
pid_t start(const std::vector<std::string>& command, const std::string& trace_path, bool zstd, std::string& error) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        error = std::string("pipe: ") + std::strerror(errno);
        return -1;
    }
    std::vector<char*> argv;
    for (const auto& a : command) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    pid_t pid = ::fork();
    if (pid < 0) {
        error = std::string("fork: ") + std::strerror(errno);
        ::close(fds[0]);
        ::close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        ::close(fds[0]);
        std::signal(SIGINT, SIG_DFL);
        std::signal(SIGQUIT, SIG_DFL);
        ::setenv("COROSCOPE_TRACE", trace_path.c_str(), 1);
        if (zstd) ::setenv("COROSCOPE_TRACE_ZSTD", "1", 1);
        else ::unsetenv("COROSCOPE_TRACE_ZSTD"); // the file is what this command was asked for
        ::execvp(argv[0], argv.data());
        int err = errno;
        [[maybe_unused]] auto ignored = ::write(fds[1], &err, sizeof err);
        ::_exit(127);
    }
    ::close(fds[1]);
    int err = 0;
    ssize_t n;
    do n = ::read(fds[0], &err, sizeof err);
    while (n < 0 && errno == EINTR);
    ::close(fds[0]);
    if (n == sizeof err) {
        ::waitpid(pid, nullptr, 0);
        error = command[0] + ": cannot run: " + std::strerror(err);
        return -1;
    }
    return pid;
}

int run_record(record_options o) {
    if (o.command.empty()) {
        std::cerr << "coroscope-trace: record: no program given (record [-o FILE] -- PROGRAM ARGS...)\n";
        return 2;
    }
    if (o.output.empty()) o.output = std::filesystem::path(o.command[0]).filename().string() + ".trace";
    if (o.zstd && traces::encoding_for_path(o.output) != traces::encoding::binary) {
        std::cerr << "coroscope-trace: " << o.output << ": --zstd needs the binary encoding (not a .jsonl/.json name)\n";
        return 2;
    }
    // A stale file would be read as the start of this run.
    if (std::remove(o.output.c_str()) != 0 && errno != ENOENT) {
        std::cerr << "coroscope-trace: " << o.output << ": cannot replace: " << std::strerror(errno) << "\n";
        return 1;
    }

    // Like system(): the terminal's ^C goes to the program; the recorder stays to sum up.
    auto old_int = std::signal(SIGINT, SIG_IGN);
    auto old_quit = std::signal(SIGQUIT, SIG_IGN);
    std::string error;
    pid_t pid = start(o.command, o.output, o.zstd, error);
    if (pid < 0) {
        std::signal(SIGINT, old_int);
        std::signal(SIGQUIT, old_quit);
        std::cerr << "coroscope-trace: " << error << "\n";
        return 127;
    }

    counting_sink counts;
    traces::decoder decoder(counts);
    file_follower follower(o.output);
    const bool tty = ::isatty(2);
    const bool show = tty || o.progress;
    auto progress = [&](std::uint64_t bytes) {
        std::cerr << (tty ? "\r" : "") << "coroscope-trace: recording " << o.output << ": " << counts.events
                  << " events, " << bytes << " bytes, " << counts.drops << " dropped" << (tty ? "" : "\n")
                  << std::flush;
    };

    int status = 0;
    auto last_shown = std::chrono::steady_clock::now();
    const auto interval = std::chrono::milliseconds(tty ? 250 : 1000);
    for (;;) {
        pid_t done = ::waitpid(pid, &status, WNOHANG);
        if (done == pid) break;
        if (done < 0 && errno != EINTR) {
            std::cerr << "coroscope-trace: waitpid: " << std::strerror(errno) << "\n";
            return 1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        if (show && std::chrono::steady_clock::now() - last_shown >= interval) {
            progress(follower.poll(decoder));
            last_shown = std::chrono::steady_clock::now();
        }
    }
    std::signal(SIGINT, old_int);
    std::signal(SIGQUIT, old_quit);
    std::uint64_t bytes = follower.poll(decoder);
    decoder.finish();
    if (show && tty) std::cerr << "\r\033[K";

    int code = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;
    if (!follower.opened()) {
        std::cerr << "coroscope-trace: " << o.output << ": " << o.command[0]
                  << " wrote no trace (it ended before its scheduler ran, or is not built on Coroscope); exit code " << code << "\n";
        return code;
    }
    std::cerr << "coroscope-trace: recorded " << o.output << ": " << counts.events << " events, " << bytes
              << " bytes, " << counts.drops << " dropped; " << o.command[0];
    if (WIFSIGNALED(status)) std::cerr << " killed by signal " << WTERMSIG(status) << "\n";
    else std::cerr << " exited with code " << code << "\n";
    std::string problems = traces::describe_problems(o.output, decoder.report());
    if (!problems.empty()) std::cerr << "coroscope-trace: " << problems << "\n";
    return code;
}

} // namespace

command add_record(CLI::App& app) {
    auto o = std::make_shared<record_options>();
    auto* sub = app.add_subcommand("record", "run a program with COROSCOPE_TRACE set; exit code = the program's");
    sub->add_option("-o,--output", o->output,
                    "trace file to write (.jsonl = JSON Lines; default: PROGRAM's base name + .trace)");
    sub->add_flag("--progress", o->progress, "print progress lines even when stderr is not a terminal");
    sub->add_flag("--zstd", o->zstd,
                  "write the records in zstd blocks (COROSCOPE_TRACE_ZSTD=1; format 1.2+, ~2x smaller; a crash "
                  "loses the unfinished block)");
    // After "--" everything is the program's, options included.
    sub->add_option("command", o->command, "-- PROGRAM ARGS...: the program to run and its arguments")->required();
    sub->footer("Example: coroscope-trace record -o nested.trace --zstd -- build/bin/sample-nested --seed 2");
    return {sub, [o] { return run_record(*o); }};
}

} // namespace coroscope::cli
