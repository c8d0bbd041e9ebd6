#include <coroscope/traces/event.hpp>

#include <array>

namespace coroscope::traces {

namespace {
constexpr std::array<std::string_view, event_kind_count> kind_names{
    "trace_start", "trace_end",   "task_spawn",    "task_ready",     "task_resume", "task_suspend",
    "task_exit",   "frame_enter", "frame_exit",    "resource_open",  "resource_close",
    "io_wait",     "io_ready",    "timer_arm",     "timer_fire",     "tick_begin",  "poll_begin",
    "poll_end",    "mark",        "dropped",       "control",     "unobserved_failure", "acquire",
    "release",
};
constexpr std::array<std::string_view, wait_reason_count> reason_names{
    "none", "sleep", "io", "join", "channel", "event", "yield", "mutex", "semaphore", "spawn", "cancel",
};
template <std::size_t N>
std::string_view name_at(const std::array<std::string_view, N>& names, std::size_t index) {
    return index < N ? names[index] : std::string_view{"unknown"};
}
} // namespace

std::string_view to_string(event_kind kind) { return name_at(kind_names, static_cast<std::size_t>(kind)); }
std::string_view to_string(wait_reason reason) { return name_at(reason_names, static_cast<std::size_t>(reason)); }
std::string_view to_string(exit_status status) {
    constexpr std::array<std::string_view, 3> names{"ok", "failed", "cancelled"};
    return name_at(names, static_cast<std::size_t>(status));
}
std::string_view to_string(resource_kind kind) {
    constexpr std::array<std::string_view, 5> names{"timer", "tcp", "pipe", "signal", "process"};
    return name_at(names, static_cast<std::size_t>(kind));
}
std::string_view to_string(io_direction direction) {
    constexpr std::array<std::string_view, 5> names{"read", "write", "connect", "accept", "exit"};
    return name_at(names, static_cast<std::size_t>(direction));
}
std::string_view to_string(control_kind kind) {
    constexpr std::array<std::string_view, 5> names{"pause", "resume", "step", "tick", "breakpoint"};
    return name_at(names, static_cast<std::size_t>(kind));
}

bool parse_event_kind(std::string_view name, event_kind& out) {
    for (std::size_t i = 0; i < kind_names.size(); ++i) {
        if (kind_names[i] == name) {
            out = static_cast<event_kind>(i);
            return true;
        }
    }
    return false;
}

} // namespace coroscope::traces
