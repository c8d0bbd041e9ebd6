#pragma once
// Helpers shared by the tests: a loop that must close cleanly, recorded runs, live-object counters.
#include <coroscope/coroscope.hpp>
#include <coroscope/traces/collector.hpp>

#include <uv.h>

#include <cstdio>
#include <filesystem>
#include <functional>
#include <sys/wait.h>
#include <unistd.h>
#include <string>

namespace test_support {

// Counts live instances; put one in a coroutine frame to prove the frame is freed.
struct live_counter {
    static inline int live = 0;
    live_counter() { ++live; }
    live_counter(const live_counter&) { ++live; }
    ~live_counter() { --live; }
};

// Runs `main` as task "main" on a fresh loop + scheduler, optionally recording into `events`.
// Returns uv_loop_close()'s result after the scheduler is gone (0 = no handle leaked).
struct run_result {
    int loop_close = -1;
    bool stuck = false;
    std::size_t live_tasks_after_run = 0;
    coroscope::traces::trace trace;
};

inline run_result run_recorded(std::function<coroscope::task<void>()> make_main) {
    run_result result;
    uv_loop_t loop;
    uv_loop_init(&loop);
    {
        coroscope::traces::collector sink;
        coroscope::scheduler sched(&loop);
        sched.record_to(sink, coroscope::traces::header{});
        auto handle = sched.spawn(make_main(), "main");
        sched.run();
        result.stuck = sched.stuck();
        result.live_tasks_after_run = sched.live_tasks();
        sched.end_recording();
        result.trace = sink.take();
        if (handle.done()) handle.get(); // rethrows a failure of main into the test
    }
    result.loop_close = uv_loop_close(&loop);
    return result;
}

// How many times a task suspended with `reason` on `target` (a mutex, semaphore, event or channel
// id) in a recorded trace; `task` 0 counts every task.
inline int count_waits(const coroscope::traces::trace& t, coroscope::traces::wait_reason reason, std::uint32_t target,
                       std::uint32_t task = 0) {
    int n = 0;
    for (const auto& e : t.events)
        n += e.kind == coroscope::traces::event_kind::task_suspend && e.code == static_cast<std::uint8_t>(reason) &&
             e.a == target && (task == 0 || e.task == task);
    return n;
}

// Runs a shell command line; returns its exit status (-1 if it did not exit normally) and what it
// printed on stdout.
struct program_result {
    int status = -1;
    std::string out;
};
inline program_result run_command(const std::string& command_line) {
    program_result result;
    FILE* pipe = ::popen(command_line.c_str(), "r");
    if (!pipe) return result;
    char buffer[4096];
    std::size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) result.out.append(buffer, n);
    int status = ::pclose(pipe);
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

// A path for a temporary file named after the test, removed by the caller when done.
inline std::string temp_path(const std::string& name) {
    return (std::filesystem::temp_directory_path() / ("coroscope-test-" + std::to_string(::getpid()) + "-" + name))
        .string();
}

} // namespace test_support
