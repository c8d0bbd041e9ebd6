#pragma once
// process: a child process started with uv_spawn, its stdin/stdout(/stderr) as pipe_streams.
//   auto child = process::spawn("/bin/cat");      starts now (inside a running task); throws io_error
//                                                 (e.g. ENOENT) on failure
//   co_await child.stdin_pipe().write("hi\n");    the pipes have the stream API (stream.hpp)
//   int code = co_await child.wait();             exit code, or 128 + signal when killed by one
//                                                 (reason io, direction exit, target child.id())
// Close stdin_pipe() (or shutdown() it) to give the child end of file. Destroying a process that has
// not exited kills it (SIGKILL) and reaps it. A cancelled wait() just stops waiting.
#include <coroscope/pipe.hpp>

#include <csignal>
#include <string>
#include <vector>

namespace coroscope {

namespace detail {
struct process_io;
}

struct process_options {
    std::vector<std::string> env; // "NAME=value" entries; empty: the child inherits this environment
    std::string cwd;              // empty: this process's working directory
    bool pipe_stdin = true;       // false: the child's stdin is /dev/null
    bool pipe_stdout = true;      // false: the child writes to this process's stdout
    bool pipe_stderr = false;     // false: the child writes to this process's stderr
};

// co_await child.wait() -> int.
class exit_awaiter {
public:
    explicit exit_awaiter(detail::io_ref process) noexcept : m_process(std::move(process)) {}
    exit_awaiter(exit_awaiter&& other) noexcept : m_process(std::move(other.m_process)) {}
    exit_awaiter(const exit_awaiter&) = delete;
    exit_awaiter& operator=(const exit_awaiter&) = delete;
    ~exit_awaiter() { detach(); }
    bool await_ready() const noexcept;
    void await_suspend(std::coroutine_handle<> waiting);
    int await_resume();

private:
    friend struct detail::process_io;
    static void unwait(detail::task_record& task, void* self);
    void detach() noexcept;
    detail::io_ref m_process;
    detail::task_record* m_task = nullptr;
};

class process {
public:
    // Runs `file` (looked up in PATH when it has no slash) with argv = {file, args...}.
    static process spawn(std::string file, std::vector<std::string> args = {}, process_options options = {});

    process() = default;
    process(process&&) noexcept = default;
    process& operator=(process&& other) noexcept; // finishes the process held before (see ~process)
    ~process();

    int pid() const noexcept;
    std::uint32_t id() const noexcept; // the resource id in traces
    std::string label() const;         // "process /bin/cat (pid 1234)"
    pipe_stream& stdin_pipe() noexcept { return m_stdin; }   // not open unless options.pipe_stdin
    pipe_stream& stdout_pipe() noexcept { return m_stdout; } // not open unless options.pipe_stdout
    pipe_stream& stderr_pipe() noexcept { return m_stderr; } // not open unless options.pipe_stderr

    exit_awaiter wait() { return exit_awaiter(m_state); }
    bool exited() const noexcept;
    int term_signal() const noexcept; // the signal that ended it (0 = it exited by itself)
    void kill(int signum = SIGTERM);  // throws io_error when the signal cannot be sent

private:
    void finish() noexcept;
    detail::io_ref m_state;
    pipe_stream m_stdin;
    pipe_stream m_stdout;
    pipe_stream m_stderr;
};

} // namespace coroscope
