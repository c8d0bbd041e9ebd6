#include "jsonl_fields.hpp"

#include <array>

namespace coroscope::traces::jsonl {

namespace {
// Indexed by event_kind; keep in step with the comments in event.hpp.
const std::array<kind_fields, event_kind_count> table{{
    /* trace_start   */ {false, "", code_kind::none, "pid", "", false},
    /* trace_end     */ {false, "", code_kind::none, "live_tasks", "", false},
    /* task_spawn    */ {true, "", code_kind::none, "parent", "name", false},
    /* task_ready    */ {true, "cause", code_kind::wait_reason, "waker", "", false},
    /* task_resume   */ {true, "", code_kind::none, "", "", false},
    /* task_suspend  */ {true, "reason", code_kind::wait_reason, "target", "deadline", false},
    /* task_exit     */ {true, "status", code_kind::exit_status, "error", "", false},
    /* frame_enter   */ {true, "", code_kind::none, "function", "location", false},
    /* frame_exit    */ {true, "threw", code_kind::number, "error", "", false},
    /* resource_open */ {false, "resource_kind", code_kind::resource_kind, "resource", "label", false},
    /* resource_close*/ {false, "", code_kind::none, "resource", "", false},
    /* io_wait       */ {true, "direction", code_kind::io_direction, "resource", "", false},
    /* io_ready      */ {false, "direction", code_kind::io_direction, "resource", "result", true},
    /* timer_arm     */ {true, "", code_kind::none, "timer", "due", false},
    /* timer_fire    */ {true, "", code_kind::none, "timer", "", false},
    /* tick_begin    */ {false, "", code_kind::none, "ready", "", false},
    /* poll_begin    */ {false, "", code_kind::none, "timeout_ms", "", false},
    /* poll_end      */ {false, "", code_kind::none, "callbacks", "", false},
    /* mark          */ {false, "", code_kind::none, "text", "", false},
    /* dropped       */ {false, "", code_kind::none, "", "count", false},
    /* control       */ {false, "command", code_kind::control_kind, "", "", false},
    /* unobserved_failure */ {true, "", code_kind::none, "error", "", false},
    /* acquire       */ {true, "lock", code_kind::wait_reason, "object", "", false},
    /* release       */ {true, "lock", code_kind::wait_reason, "object", "count", false},
}};

template <typename Enum>
std::string_view enum_name(std::uint8_t value, int count) {
    if (value >= count) return {};
    return to_string(static_cast<Enum>(value));
}

template <typename Enum>
std::optional<std::uint8_t> enum_parse(std::string_view name, int count) {
    for (int i = 0; i < count; ++i)
        if (to_string(static_cast<Enum>(i)) == name) return static_cast<std::uint8_t>(i);
    return std::nullopt;
}
} // namespace

const kind_fields& fields_of(event_kind kind) {
    static const kind_fields none{};
    auto index = static_cast<std::size_t>(kind);
    return index < table.size() ? table[index] : none;
}

std::string_view code_name(code_kind type, std::uint8_t value) {
    switch (type) {
    case code_kind::wait_reason: return enum_name<wait_reason>(value, wait_reason_count);
    case code_kind::exit_status: return enum_name<exit_status>(value, 3);
    case code_kind::resource_kind: return enum_name<resource_kind>(value, 5);
    case code_kind::io_direction: return enum_name<io_direction>(value, 5);
    case code_kind::control_kind: return enum_name<control_kind>(value, 5);
    case code_kind::none:
    case code_kind::number: return {};
    }
    return {};
}

std::optional<std::uint8_t> parse_code(code_kind type, std::string_view name) {
    switch (type) {
    case code_kind::wait_reason: return enum_parse<wait_reason>(name, wait_reason_count);
    case code_kind::exit_status: return enum_parse<exit_status>(name, 3);
    case code_kind::resource_kind: return enum_parse<resource_kind>(name, 5);
    case code_kind::io_direction: return enum_parse<io_direction>(name, 5);
    case code_kind::control_kind: return enum_parse<control_kind>(name, 5);
    case code_kind::none:
    case code_kind::number: return std::nullopt;
    }
    return std::nullopt;
}

} // namespace coroscope::traces::jsonl
