#pragma once
// Where events go: a file writer, a live connection, a test vector or the inspector's model.
#include <coroscope/traces/event.hpp>
#include <coroscope/traces/header.hpp>

#include <cstddef>
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
    // Consecutive events in order (the binary decoder delivers runs of events this way); the same as
    // on_event for each. Override it when a batch can be taken faster (e.g. one vector insert).
    virtual void on_events(const event* events, std::size_t count) {
        for (std::size_t i = 0; i < count; ++i) on_event(events[i]);
    }
};

} // namespace coroscope::traces
