#include "recorder.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace coroscope::gui {

std::string executable_dir() {
    std::error_code ec;
    std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) return "";
    return exe.parent_path().string();
}

std::string make_temp_trace_path(const std::string& stem) {
    const char* dir = std::getenv("TMPDIR");
    std::string pattern = std::string(dir && *dir ? dir : "/tmp") + "/coroscope-" + stem + "-XXXXXX.jsonl";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    int fd = mkstemps(buf.data(), 6);
    if (fd < 0) return "";
    close(fd);
    return std::string(buf.data());
}

record_result record_program(const std::string& program, const std::string& trace_path) {
    record_result result;
    // The child's environment: ours without any Coroscope settings, plus the trace file.
    std::vector<std::string> env;
    for (char** e = environ; e && *e; ++e) {
        std::string_view kv(*e);
        if (kv.starts_with("COROSCOPE_TRACE=") || kv.starts_with("COROSCOPE_LISTEN=") || kv.starts_with("COROSCOPE_PAUSED="))
            continue;
        env.emplace_back(kv);
    }
    env.push_back("COROSCOPE_TRACE=" + trace_path);
    std::vector<char*> envp;
    for (std::string& kv : env) envp.push_back(kv.data());
    envp.push_back(nullptr);
    std::string arg0 = program;
    char* argv[] = {arg0.data(), nullptr};

    pid_t pid = 0;
    int rc = posix_spawn(&pid, program.c_str(), nullptr, nullptr, argv, envp.data());
    if (rc != 0) {
        result.error = "cannot run " + program + ": " + std::strerror(rc);
        return result;
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            result.error = "waiting for " + program + ": " + std::strerror(errno);
            return result;
        }
    }
    if (WIFEXITED(status)) {
        result.exit_code = WEXITSTATUS(status);
        result.ok = result.exit_code == 0;
        if (!result.ok) result.error = program + " exited with status " + std::to_string(result.exit_code);
    } else if (WIFSIGNALED(status)) {
        result.error = program + " was killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
                       strsignal(WTERMSIG(status)) + ")";
    }
    return result;
}

} // namespace coroscope::gui
