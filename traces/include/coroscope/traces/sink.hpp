#pragma once
// Where events go: a file writer, a live connection, a test vector or the inspector's model.
#include <coroscope/traces/event.hpp>
#include <coroscope/traces/header.hpp>

#include <cstdint>
#include <string_view>

namespace coroscope::traces {

class event_sink {
public:
    virtual ~event_sink() = default;
    // Called once, before anything else.
    virtual void on_header(const header& h) = 0;
    // A string id is defined before the first event that refers to it.
    virtual void on_string(std::uint32_t id, std::string_view text) = 0;
    virtual void on_event(const event& e) = 0;
};

} // namespace coroscope::traces
