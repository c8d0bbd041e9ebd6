#pragma once
// The live agent: serves inspectors on the program's own libuv loop (protocol: traces/README.md,
// "Live link"). It streams every event (batched: every 64 KiB or millisecond, at pauses, at the end),
// applies control commands to the scheduler (pause, resume, step, tick, breakpoints, including
// "lint": long step, never-yielding, starvation, swallowed exception, stuck) and never makes the
// program wait for a slow client: one that falls 8 MiB behind, or whose socket takes nothing while
// the program produces 2 MiB, is disconnected alone, and what it missed is counted (and marked in
// the program's own trace when it records).
#include <coroscope/scheduler.hpp>
#include <coroscope/traces/sink.hpp>

#include <memory>
#include <string>

namespace coroscope {

struct agent_options {
    std::string address;     // "127.0.0.1:PORT", "localhost:PORT", "[::1]:PORT" or "unix:PATH"
    std::string token;       // required from clients when not empty
    bool allow_remote = false; // permit a non-loopback TCP address (a token is then required)
};

class agent final : public traces::event_sink, public scheduler::debugger {
public:
    // Starts listening; error() is non-empty (one line naming the address) when that failed.
    agent(scheduler& sched, agent_options options);
    ~agent() override; // closes every handle it opened
    agent(const agent&) = delete;
    agent& operator=(const agent&) = delete;

    const std::string& error() const;
    // The address actually bound (the real port when PORT was 0).
    std::string bound_address() const;

    // run() ended: tells clients the exit code and gives them up to `linger_ms` to receive
    // everything, then closes all connections.
    void finish(int exit_code, unsigned linger_ms = 2000);

    // event_sink
    void on_header(const traces::header& h) override;
    void on_string(std::uint32_t id, std::string_view text) override;
    void on_event(const traces::event& e) override;
    // scheduler::debugger
    bool break_before(std::uint32_t task) override;
    void after_step() override;
    void after_poll() override;
    void pause_changed(bool paused, scheduler::pause_reason why) override;
    bool break_stuck() override; // stops there when a lint breakpoint is set (once per stuck point)

    struct impl;

private:
    std::unique_ptr<impl> m_impl;
};

} // namespace coroscope
