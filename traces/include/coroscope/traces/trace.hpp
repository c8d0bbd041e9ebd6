#pragma once
// A whole trace in memory: the header, the interned strings and the events in order.
#include <coroscope/traces/event.hpp>
#include <coroscope/traces/header.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace coroscope::traces {

struct trace {
    traces::header header;
    std::vector<std::string> strings{std::string{}}; // index = string id; id 0 is always ""
    std::vector<event> events;

    // The text of a string id; "" for id 0 and for ids never defined.
    std::string_view text(std::uint64_t id) const {
        return id < strings.size() ? std::string_view{strings[id]} : std::string_view{};
    }
    // Defines string id (ids normally arrive in order; gaps are filled with "").
    void define_string(std::uint32_t id, std::string_view value) {
        if (id >= strings.size()) strings.resize(id + 1);
        strings[id] = value;
    }
};

} // namespace coroscope::traces
