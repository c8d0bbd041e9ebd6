#pragma once
// Per-kind names of the generic fields (code, a, b) in the JSON Lines encoding.
#include <coroscope/traces/event.hpp>

#include <optional>
#include <string_view>

namespace coroscope::traces::jsonl {

enum class code_kind { none, wait_reason, exit_status, resource_kind, io_direction, control_kind, number };

struct kind_fields {
    bool uses_task = false;
    std::string_view code;  // JSON name of event::code ("" = unused)
    code_kind code_type = code_kind::none;
    std::string_view a;     // JSON name of event::a
    std::string_view b;     // JSON name of event::b
    bool b_signed = false;  // b holds a signed value
};

const kind_fields& fields_of(event_kind kind);
// Name of a code value for its type; "" when the value has no name (written as a number).
std::string_view code_name(code_kind type, std::uint8_t value);
std::optional<std::uint8_t> parse_code(code_kind type, std::string_view name);

} // namespace coroscope::traces::jsonl
