#pragma once
// Helpers for tests that drive live programs: a child process that is always reaped, a sample
// started paused on a fresh Unix socket, coroscope-trace runs, and draining a live_client with
// timeouts, so a broken agent fails a test instead of hanging it.
#include "support.hpp"

#include <coroscope/inspector/live_client.hpp>
#include <coroscope/traces/collector.hpp>

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace live_support {

using namespace coroscope;
using namespace std::chrono_literals;
using inspector::live_client;

inline const std::string bin = COROSCOPE_BIN_DIR;

// A child process; killed and reaped by the destructor if the test did not reap it.
class child {
public:
    child(const std::vector<std::string>& argv, const std::vector<std::string>& env_add, const std::string& output)
        : m_output(output) {
        std::vector<std::string> env;
        for (char** e = environ; *e; ++e)
            if (std::strncmp(*e, "COROSCOPE_", 10) != 0) env.emplace_back(*e);
        env.insert(env.end(), env_add.begin(), env_add.end());
        std::vector<char*> argv_c, env_c;
        for (const auto& a : argv) argv_c.push_back(const_cast<char*>(a.c_str()));
        argv_c.push_back(nullptr);
        for (const auto& e : env) env_c.push_back(const_cast<char*>(e.c_str()));
        env_c.push_back(nullptr);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 1, m_output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        posix_spawn_file_actions_adddup2(&actions, 1, 2);
        int rc = posix_spawn(&m_pid, argv_c[0], &actions, nullptr, argv_c.data(), env_c.data());
        posix_spawn_file_actions_destroy(&actions);
        if (rc != 0) m_pid = -1;
    }
    ~child() {
        if (m_pid > 0 && !m_reaped) {
            ::kill(m_pid, SIGKILL);
            int status;
            ::waitpid(m_pid, &status, 0);
        }
        std::remove(m_output.c_str());
    }
    child(const child&) = delete;
    child& operator=(const child&) = delete;

    bool started() const { return m_pid > 0; }
    // The exit code once the child exits; -1 if a signal ended it; nullopt on timeout.
    std::optional<int> wait(std::chrono::milliseconds timeout = 10s) {
        if (m_reaped) return m_code;
        auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            int status = 0;
            pid_t r = ::waitpid(m_pid, &status, WNOHANG);
            if (r == m_pid) {
                m_reaped = true;
                m_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
                return m_code;
            }
            if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
            std::this_thread::sleep_for(5ms);
        }
    }
    // The exit code for checks: -1 = killed by a signal, -2 = still running after the timeout.
    int exit_code(std::chrono::milliseconds timeout = 10s) { return wait(timeout).value_or(-2); }
    // What it printed (stdout and stderr).
    std::string output() const {
        std::ifstream in(m_output);
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    }

private:
    pid_t m_pid = -1;
    bool m_reaped = false;
    int m_code = -1;
    std::string m_output;
};

// Waits for a file to appear; gives up early if `owner` exits first.
inline bool wait_for_path(const std::string& path, child* owner = nullptr, std::chrono::milliseconds timeout = 5s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!std::filesystem::exists(path)) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        if (owner && owner->wait(0ms)) return false;
        std::this_thread::sleep_for(5ms);
    }
    return true;
}

inline int unique = 0;

// A sample started paused, serving on a fresh Unix socket.
struct live_program {
    std::string socket;
    std::string address;
    std::unique_ptr<child> process;

    explicit live_program(const std::string& sample, std::vector<std::string> env = {}) {
        socket = test_support::temp_path("agent-" + std::to_string(unique++) + ".sock");
        std::remove(socket.c_str());
        address = "unix:" + socket;
        env.push_back("COROSCOPE_LISTEN=" + address);
        env.push_back("COROSCOPE_PAUSED=1");
        process = std::make_unique<child>(std::vector<std::string>{bin + "/" + sample}, env,
                                          test_support::temp_path("agent-" + std::to_string(unique++) + ".out"));
        REQUIRE(process->started());
        bool listening = wait_for_path(socket, process.get());
        INFO(sample << " did not create " << socket << "; it printed: " << process->output());
        REQUIRE(listening);
    }
    ~live_program() {
        process.reset();
        std::remove(socket.c_str());
    }
};

// Runs coroscope-trace with arguments; returns exit code (nullopt on timeout) and output.
struct cli_result {
    std::optional<int> status;
    std::string out;
};
inline cli_result run_cli(const std::vector<std::string>& args, std::chrono::milliseconds timeout = 15s) {
    std::vector<std::string> argv{bin + "/coroscope-trace"};
    argv.insert(argv.end(), args.begin(), args.end());
    child c(argv, {}, test_support::temp_path("cli-" + std::to_string(unique++) + ".out"));
    cli_result r;
    r.status = c.wait(timeout);
    r.out = c.output();
    return r;
}

inline std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    return s;
}

inline std::size_t count_kind(const std::vector<traces::event>& events, traces::event_kind kind, std::size_t from = 0) {
    std::size_t n = 0;
    for (std::size_t i = from; i < events.size(); ++i) n += events[i].kind == kind;
    return n;
}

// Drains until `pred` holds for what has arrived (or the timeout passes).
template <typename Pred>
inline bool drain_until(live_client& client, traces::collector& sink, Pred pred, std::chrono::milliseconds timeout = 5s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        client.drain(sink);
        if (pred(sink.trace())) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        client.wait_activity(20ms);
    }
}

// Drains for `quiet` after the last event (the stream settles while the program is paused).
inline void drain_settled(live_client& client, traces::collector& sink, std::chrono::milliseconds quiet = 150ms) {
    auto last_count = sink.trace().events.size();
    auto last_change = std::chrono::steady_clock::now();
    auto deadline = last_change + 5s;
    while (std::chrono::steady_clock::now() - last_change < quiet && std::chrono::steady_clock::now() < deadline) {
        client.wait_activity(20ms);
        client.drain(sink);
        if (sink.trace().events.size() != last_count) {
            last_count = sink.trace().events.size();
            last_change = std::chrono::steady_clock::now();
        }
    }
}

} // namespace live_support
