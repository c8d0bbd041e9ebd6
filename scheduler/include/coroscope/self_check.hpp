#pragma once
// COROSCOPE_SELF_CHECK=FILE: the scheduler writes its own view (introspect.hpp) before every step
// and once after the last, as JSON Lines, so a test can compare the inspector's model with it at
// every step. A debugger that forwards every call to the next debugger (the live agent), if any.
#include <coroscope/scheduler.hpp>

#include <cstdio>
#include <string>

namespace coroscope {

class self_check final : public scheduler::debugger {
public:
    // Opens `path` for writing; error() says why when it cannot.
    self_check(const scheduler& s, const std::string& path, scheduler::debugger* next);
    ~self_check() override;
    self_check(const self_check&) = delete;
    self_check& operator=(const self_check&) = delete;
    const std::string& error() const { return m_error; }

    // Writes the view after run() returned (the state at the end of the trace).
    void finish();

    bool break_before(std::uint32_t task) override;
    void after_step() override;
    void after_poll() override;
    void pause_changed(bool paused, scheduler::pause_reason why) override;
    bool break_stuck() override;

private:
    void write();

    const scheduler& m_scheduler;
    scheduler::debugger* m_next;
    std::FILE* m_file = nullptr;
    std::string m_error;
};

} // namespace coroscope
