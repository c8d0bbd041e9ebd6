#pragma once
// An event_sink that forwards everything to several sinks (record to a file and serve live).
#include <coroscope/traces/sink.hpp>

#include <vector>

namespace coroscope::traces {

class tee final : public event_sink {
public:
    void add(event_sink& sink) { m_sinks.push_back(&sink); }
    bool empty() const { return m_sinks.empty(); }
    void on_header(const header& h) override {
        for (auto* s : m_sinks) s->on_header(h);
    }
    void on_string(std::uint32_t id, std::string_view text) override {
        for (auto* s : m_sinks) s->on_string(id, text);
    }
    void on_event(const event& e) override {
        for (auto* s : m_sinks) s->on_event(e);
    }
    void on_events(const event* events, std::size_t count) override {
        for (auto* s : m_sinks) s->on_events(events, count);
    }

private:
    std::vector<event_sink*> m_sinks;
};

} // namespace coroscope::traces
