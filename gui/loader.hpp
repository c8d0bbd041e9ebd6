#pragma once
// Opening a trace without freezing the window: a trace_loader reads the file on its own thread,
// folding it chunk by chunk into a fresh inspector::model, and publishes how far it got. The
// frame loop polls it and, once done, takes the model over (what was open stays until then, and
// stays for good when the new file cannot be read). No ImGui here.
#include <coroscope/inspector/model.hpp>
#include <coroscope/traces/reader.hpp>

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>

namespace coroscope::gui {

class trace_loader {
public:
    // Starts reading `path` at once.
    explicit trace_loader(std::string path);
    // Stops the thread at the next chunk and waits for it.
    ~trace_loader();
    trace_loader(const trace_loader&) = delete;
    trace_loader& operator=(const trace_loader&) = delete;

    const std::string& path() const { return m_path; }
    std::uint64_t bytes_read() const { return m_read.load(std::memory_order_relaxed); }
    std::uint64_t bytes_total() const { return m_total.load(std::memory_order_relaxed); }
    std::uint64_t events_read() const { return m_events.load(std::memory_order_relaxed); }
    // 0..1 by bytes (0 while the size is unknown).
    float fraction() const;
    // The thread finished (read everything, failed, or was cancelled); take() may be called.
    bool done() const { return m_done.load(std::memory_order_acquire); }

    struct result {
        inspector::model model;     // everything decoded (the cursor at the end)
        traces::read_report report; // report.error / fatal say why when the file could not be read
    };
    // Once, after done(): the model and the report. Later calls return nothing.
    std::optional<result> take();

private:
    void run();

    std::string m_path;
    std::atomic<std::uint64_t> m_read{0}, m_total{0}, m_events{0};
    std::atomic<bool> m_cancel{false}, m_done{false};
    std::optional<result> m_result; // written by the thread before m_done, read by take() after
    std::thread m_thread;           // last: starts after the members above exist
};

} // namespace coroscope::gui
