#pragma once
// An event_sink that keeps everything in a trace (tests, the GUI's recorder, converters).
#include <coroscope/traces/sink.hpp>
#include <coroscope/traces/trace.hpp>

namespace coroscope::traces {

class collector final : public event_sink {
public:
    void on_header(const header& h) override { m_trace.header = h; }
    void on_string(std::uint32_t id, std::string_view text) override { m_trace.define_string(id, text); }
    void on_event(const event& e) override { m_trace.events.push_back(e); }
    void on_events(const event* events, std::size_t count) override {
        m_trace.events.insert(m_trace.events.end(), events, events + count);
    }
    // Room for this many events up front (load_bytes: from the input's size).
    void reserve_events(std::size_t count) { m_trace.events.reserve(count); }

    const traces::trace& trace() const { return m_trace; }
    traces::trace take() { return std::move(m_trace); }

private:
    traces::trace m_trace;
};

} // namespace coroscope::traces
