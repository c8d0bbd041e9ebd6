#include <coroscope/self_check.hpp>

#include <coroscope/introspect.hpp>

#include <cerrno>
#include <cstring>

namespace coroscope {

self_check::self_check(const scheduler& s, const std::string& path, scheduler::debugger* next)
    : m_scheduler(s), m_next(next), m_file(std::fopen(path.c_str(), "w")) {
    if (!m_file) m_error = "cannot write '" + path + "': " + std::strerror(errno);
}

self_check::~self_check() {
    if (m_file) std::fclose(m_file);
}

void self_check::write() {
    if (!m_file) return;
    std::string line = to_json_line(introspect(m_scheduler));
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), m_file);
}

void self_check::finish() {
    write();
    if (m_file) std::fflush(m_file);
}

// Before a step runs is exactly "the state at step N" (the task is still in the run queue), the
// point the inspector's cursor stands at; a paused step is asked again, and written again, alike.
bool self_check::break_before(std::uint32_t task) {
    write();
    return m_next && m_next->break_before(task);
}

void self_check::after_step() {
    if (m_next) m_next->after_step();
}

void self_check::after_poll() {
    if (m_next) m_next->after_poll();
}

void self_check::pause_changed(bool paused, scheduler::pause_reason why) {
    if (m_next) m_next->pause_changed(paused, why);
}

bool self_check::break_stuck() { return m_next && m_next->break_stuck(); }

} // namespace coroscope
