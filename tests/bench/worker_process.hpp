#pragma once
// A benchmark variant that runs in another program — one built with different options, such as the
// scheduler without instrumentation — driven over pipes, so it is measured interleaved with the
// in-process variants, warm, under the same conditions. Protocol: the parent writes "run\n"; the
// worker runs one measurement and answers with one line, the seconds it took.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>

#include <sys/wait.h>
#include <unistd.h>

namespace bench {

class worker_process {
public:
    // Starts `path --worker`.
    explicit worker_process(const std::string& path) {
        int to_child[2], from_child[2];
        if (::pipe(to_child) != 0 || ::pipe(from_child) != 0) {
            m_error = std::string("pipe: ") + std::strerror(errno);
            return;
        }
        std::fflush(stdout);
        m_pid = ::fork();
        if (m_pid == 0) {
            ::dup2(to_child[0], 0);
            ::dup2(from_child[1], 1);
            ::close(to_child[0]);
            ::close(to_child[1]);
            ::close(from_child[0]);
            ::close(from_child[1]);
            ::execl(path.c_str(), path.c_str(), "--worker", static_cast<char*>(nullptr));
            std::fprintf(stderr, "bench: cannot run worker %s: %s\n", path.c_str(), std::strerror(errno));
            std::_Exit(127);
        }
        ::close(to_child[0]);
        ::close(from_child[1]);
        if (m_pid < 0) {
            m_error = std::string("fork: ") + std::strerror(errno);
            ::close(to_child[1]);
            ::close(from_child[0]);
            return;
        }
        m_to = ::fdopen(to_child[1], "w");
        m_from = ::fdopen(from_child[0], "r");
    }
    worker_process(const worker_process&) = delete;
    worker_process& operator=(const worker_process&) = delete;
    ~worker_process() {
        if (m_to) std::fclose(m_to); // EOF: the worker exits
        if (m_from) std::fclose(m_from);
        if (m_pid > 0) ::waitpid(m_pid, nullptr, 0);
    }

    bool ok() const { return m_to && m_from; }
    const std::string& error() const { return m_error; }

    // One measurement in the worker: its seconds, or a negative value if the worker failed.
    double run() {
        if (!ok()) return -1;
        if (std::fputs("run\n", m_to) < 0 || std::fflush(m_to) != 0) return -1;
        char line[64];
        if (!std::fgets(line, sizeof line, m_from)) return -1;
        char* end = nullptr;
        double seconds = std::strtod(line, &end);
        return end == line ? -1 : seconds;
    }

private:
    pid_t m_pid = -1;
    std::FILE* m_to = nullptr;
    std::FILE* m_from = nullptr;
    std::string m_error;
};

// The worker's side: answers every "run" line on stdin with the seconds measure() returns, until
// stdin ends. Returns the process exit code.
inline int serve_worker(const std::function<double()>& measure) {
    char line[64];
    while (std::fgets(line, sizeof line, stdin)) {
        if (std::strcmp(line, "run\n") != 0) {
            std::fprintf(stderr, "bench worker: unknown request '%s'\n", line);
            return 2;
        }
        std::printf("%.9f\n", measure());
        std::fflush(stdout);
    }
    return 0;
}

} // namespace bench
