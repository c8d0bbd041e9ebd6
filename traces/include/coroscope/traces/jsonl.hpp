#pragma once
// JSON Lines encoding: one JSON object per line. Line 1 is the header, then string definitions
// ({"string":ID,"text":...}) and events ({"kind":NAME,"ts":...,named fields}). Human-readable twin
// of the binary encoding; both carry exactly the same information.
#include <coroscope/traces/event.hpp>
#include <coroscope/traces/header.hpp>

#include <string>
#include <string_view>

namespace coroscope::traces::jsonl {

// Each returns one line including its trailing '\n'.
std::string encode_header(const header& h);
std::string encode_string(std::uint32_t id, std::string_view text);
std::string encode_event(const event& e);

} // namespace coroscope::traces::jsonl
