#include <coroscope/run.hpp>
#include <coroscope/scheduler.hpp>
#include <coroscope/traces/writer.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <string_view>
#include <unistd.h>

namespace coroscope {

namespace {

traces::header make_header() {
    traces::header h;
    h.producer = program_invocation_short_name;
    h.pid = static_cast<std::uint32_t>(::getpid());
    h.start_unix_ns = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count());
    return h;
}

struct policy_choice {
    bool ok = true;
    bool random = false;
    std::uint64_t seed = 0;
};

// COROSCOPE_SCHEDULE: unset or "fifo", or "random:SEED".
policy_choice read_policy() {
    policy_choice choice;
    const char* policy = std::getenv("COROSCOPE_SCHEDULE");
    if (!policy || !*policy || std::string_view(policy) == "fifo") return choice;
    std::string_view value = policy;
    if (value.rfind("random:", 0) == 0 && value.size() > 7) {
        char* end = nullptr;
        choice.seed = std::strtoull(policy + 7, &end, 10);
        if (*end == '\0') {
            choice.random = true;
            return choice;
        }
    }
    std::fprintf(stderr, "coroscope: COROSCOPE_SCHEDULE='%s' is not 'fifo' or 'random:SEED' (SEED a number)\n", policy);
    choice.ok = false;
    return choice;
}

template <typename T>
int run_main(task<T> main_task, std::string name) {
    policy_choice policy = read_policy();
    if (!policy.ok) return 2;
    uv_loop_t loop;
    if (int rc = uv_loop_init(&loop); rc != 0) {
        std::fprintf(stderr, "coroscope: cannot create the event loop: %s\n", uv_strerror(rc));
        return 1;
    }
    int exit_code = 0;
    {
        std::unique_ptr<traces::file_writer> recorder;
        scheduler sched(&loop);
        if (const char* path = std::getenv("COROSCOPE_TRACE"); path && *path) {
            recorder = std::make_unique<traces::file_writer>(path, traces::encoding_for_path(path));
            if (!recorder->ok()) {
                std::fprintf(stderr, "coroscope: COROSCOPE_TRACE: %s\n", recorder->error().c_str());
                recorder.reset();
            } else {
                sched.record_to(*recorder, make_header());
            }
        }
        if (policy.random) sched.use_random_policy(policy.seed);
        auto handle = sched.spawn(std::move(main_task), std::move(name));
        sched.run();
        if (sched.stuck()) {
            std::fprintf(stderr, "coroscope: stuck: %zu task(s) wait on something that can never happen:\n%s",
                         sched.live_tasks(), sched.describe_waiting().c_str());
            exit_code = 2;
        } else {
            try {
                if constexpr (std::is_void_v<T>) handle.get();
                else exit_code = handle.get();
            } catch (const std::exception& e) {
                std::fprintf(stderr, "coroscope: the main task failed: %s\n", e.what());
                exit_code = 1;
            } catch (...) {
                std::fprintf(stderr, "coroscope: the main task failed with a non-standard exception\n");
                exit_code = 1;
            }
        }
        sched.end_recording();
        if (recorder) {
            recorder->flush();
            if (!recorder->error().empty())
                std::fprintf(stderr, "coroscope: COROSCOPE_TRACE: %s\n", recorder->error().c_str());
        }
    }
    if (int rc = uv_loop_close(&loop); rc != 0) {
        std::fprintf(stderr, "coroscope: libuv handles left open at exit: %s\n", uv_strerror(rc));
        if (exit_code == 0) exit_code = 1;
    }
    return exit_code;
}

} // namespace

int run(task<void> main_task, std::string name) { return run_main(std::move(main_task), std::move(name)); }
int run(task<int> main_task, std::string name) { return run_main(std::move(main_task), std::move(name)); }

} // namespace coroscope
