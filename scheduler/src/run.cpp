#include <coroscope/run.hpp>
#include <coroscope/agent.hpp>
#include <coroscope/scheduler.hpp>
#include <coroscope/self_check.hpp>
#include <coroscope/traces/tee.hpp>
#include <coroscope/traces/writer.hpp>

#include <cctype>
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

// "1", "true", "yes" (any case) turn a flag variable on.
bool env_flag(const char* name) {
    const char* value = std::getenv(name);
    if (!value) return false;
    std::string v = value;
    for (char& ch : v) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return v == "1" || v == "true" || v == "yes";
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
    if constexpr (!detail::instrumented) {
        // Nothing can be recorded or served: say so rather than run as if observed.
        if (const char* path = std::getenv("COROSCOPE_TRACE"); path && *path)
            std::fprintf(stderr, "coroscope: COROSCOPE_TRACE=%s ignored: built with COROSCOPE_INSTRUMENTATION=OFF\n", path);
        if (const char* address = std::getenv("COROSCOPE_LISTEN"); address && *address) {
            std::fprintf(stderr, "coroscope: COROSCOPE_LISTEN=%s cannot be served: built with COROSCOPE_INSTRUMENTATION=OFF\n",
                         address);
            return 2;
        }
    }
    uv_loop_t loop;
    if (int rc = uv_loop_init(&loop); rc != 0) {
        std::fprintf(stderr, "coroscope: cannot create the event loop: %s\n", uv_strerror(rc));
        return 1;
    }
    int exit_code = 0;
    int return_code_before_run = 0;
    {
        std::unique_ptr<traces::file_writer> recorder;
        traces::tee sinks;
        scheduler sched(&loop);
        if (const char* path = std::getenv("COROSCOPE_TRACE"); detail::instrumented && path && *path) {
            // COROSCOPE_TRACE_ZSTD=1: zstd blocks (binary only), compressed when the scheduler drains
            // its events between steps, like the plain writer's writes.
            recorder = std::make_unique<traces::file_writer>(
                path, traces::encoding_for_path(path),
                env_flag("COROSCOPE_TRACE_ZSTD") ? traces::compression::zstd : traces::compression::none);
            if (!recorder->ok()) {
                std::fprintf(stderr, "coroscope: COROSCOPE_TRACE: %s\n", recorder->error().c_str());
                recorder.reset();
            } else {
                sinks.add(*recorder);
            }
        }
        std::unique_ptr<agent> live;
        if (const char* address = std::getenv("COROSCOPE_LISTEN"); detail::instrumented && address && *address) {
            agent_options options;
            options.address = address;
            if (const char* token = std::getenv("COROSCOPE_TOKEN")) options.token = token;
            options.allow_remote = env_flag("COROSCOPE_ALLOW_REMOTE");
            live = std::make_unique<agent>(sched, options);
            if (!live->error().empty()) {
                // Debugging was asked for and cannot be served: say why and do not run unobserved.
                std::fprintf(stderr, "coroscope: %s\n", live->error().c_str());
                return_code_before_run = 2;
            } else {
                sinks.add(*live);
                sched.attach_debugger(live.get());
                std::fprintf(stderr, "coroscope: serving the inspector on %s\n", live->bound_address().c_str());
            }
        }
        // COROSCOPE_SELF_CHECK=FILE: the scheduler's own view before every step (self_check.hpp).
        std::unique_ptr<self_check> check;
        if (const char* path = std::getenv("COROSCOPE_SELF_CHECK"); path && *path && return_code_before_run == 0) {
            check = std::make_unique<self_check>(sched, path, live.get());
            if (!check->error().empty()) {
                std::fprintf(stderr, "coroscope: COROSCOPE_SELF_CHECK: %s\n", check->error().c_str());
                return_code_before_run = 2;
            } else {
                sched.attach_debugger(check.get());
            }
        }
        if (return_code_before_run == 0) {
            if (!sinks.empty()) sched.record_to(sinks, make_header());
            if (policy.random) sched.use_random_policy(policy.seed);
            if (live && env_flag("COROSCOPE_PAUSED")) sched.pause();
            auto handle = sched.spawn(std::move(main_task), std::move(name));
            sched.run();
            if (check) check->finish();
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
            if (live) live->finish(exit_code);
            if (recorder) {
                recorder->flush();
                if (!recorder->error().empty())
                    std::fprintf(stderr, "coroscope: COROSCOPE_TRACE: %s\n", recorder->error().c_str());
            }
        } else {
            exit_code = return_code_before_run;
        }
        live.reset(); // closes its handles before the scheduler closes its own
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
