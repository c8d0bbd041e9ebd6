#include <coroscope/inspector/history.hpp>
#include "varint.hpp"

#include <coroscope/traces/binary.hpp>

#include <algorithm>
#include <cstring>

namespace coroscope::inspector {

using traces::event_kind;
using traces::binary::unzigzag64;
using traces::binary::zigzag64;

namespace {
std::uint64_t get(const std::uint8_t* data, std::size_t& offset) { return detail::get_varint(data, offset); }
// State and reason share a byte when the reason fits in 6 bits; else the byte says "escape" and
// the reason's byte follows.
constexpr std::uint8_t reason_escape = 63;
} // namespace

void interval_list::push(byte_arena& arena, std::uint64_t ts, std::uint64_t step, task_state s,
                         traces::wait_reason r) {
    if (m_count > 0 && m_end_ts != state_interval::open_end) {
        // Something happened to a task after its exit (a damaged stream): the span from its exit
        // to now is kept as a done interval, so the list stays exact.
        std::uint64_t end = m_end_ts;
        m_end_ts = state_interval::open_end;
        push(arena, end, m_last_step, task_state::done, traces::wait_reason::none);
    }
    const bool group_start = m_count % group == 0;
    // The first interval of a group is absolute: groups decode on their own.
    const std::uint64_t base_ts = group_start ? 0 : m_last_ts, base_step = group_start ? 0 : m_last_step;
    // Encoded into a local buffer and copied once (two varints of at most 10 bytes, two bytes).
    std::uint8_t buf[22];
    std::uint8_t* p = detail::put_varint(buf, zigzag64(ts - base_ts));
    p = detail::put_varint(p, zigzag64(step - base_step));
    auto reason = static_cast<std::uint8_t>(r);
    if (reason < reason_escape) {
        *p++ = static_cast<std::uint8_t>(static_cast<std::uint8_t>(s) | reason << 2);
    } else {
        *p++ = static_cast<std::uint8_t>(static_cast<std::uint8_t>(s) | reason_escape << 2);
        *p++ = reason;
    }
    const auto n = static_cast<std::uint32_t>(p - buf);
    if (m_segments.empty() || m_segments.back().capacity - m_segments.back().used < n) [[unlikely]] {
        // A new segment, twice the last one (an interval never spans two).
        const std::uint32_t capacity =
            m_segments.empty() ? first_segment_bytes : std::min(2 * m_segments.back().capacity, max_segment_bytes);
        m_segments.push_back({arena.allocate(capacity), 0, capacity});
        m_segment_bytes += capacity;
    }
    segment& seg = m_segments.back();
    if (group_start) m_group.push_back(std::uint64_t{m_segments.size() - 1} << 32 | seg.used);
    std::memcpy(seg.data + seg.used, buf, n);
    seg.used += n;
    ++m_count;
    m_last_ts = ts;
    m_last_step = step;
    m_last_state = s;
    m_last_reason = r;
}

interval_list::decoded interval_list::decode_from(std::uint64_t& at, const decoded& prev) const {
    std::size_t index = static_cast<std::size_t>(at >> 32);
    std::size_t offset = static_cast<std::size_t>(at & 0xffffffffu);
    if (offset == m_segments[index].used) { // the interval after the last of a segment begins the next
        ++index;
        offset = 0;
    }
    decoded d;
    const std::uint8_t* data = m_segments[index].data;
    d.ts = prev.ts + unzigzag64(get(data, offset));
    d.step = prev.step + unzigzag64(get(data, offset));
    std::uint8_t packed = data[offset++];
    d.state = static_cast<task_state>(packed & 3);
    std::uint8_t reason = packed >> 2;
    d.reason = static_cast<traces::wait_reason>(reason == reason_escape ? data[offset++] : reason);
    at = std::uint64_t{index} << 32 | offset;
    return d;
}

state_interval interval_list::read(std::size_t i, read_cursor& c) const {
    if (c.index != i) {
        if (c.index != static_cast<std::size_t>(-1) && c.index + 1 == i) {
            c.cur = decode_from(c.offset, i % group == 0 ? decoded{} : c.cur);
        } else {
            std::size_t g = i / group;
            c.offset = m_group[g];
            c.cur = decode_from(c.offset, decoded{});
            for (std::size_t k = g * group + 1; k <= i; ++k) c.cur = decode_from(c.offset, c.cur);
        }
        c.index = i;
    }
    state_interval out;
    out.begin_ts = c.cur.ts;
    out.begin_step = c.cur.step;
    out.state = c.cur.state;
    out.reason = c.cur.reason;
    if (i + 1 < m_count) {
        std::uint64_t peek = c.offset;
        out.end_ts = decode_from(peek, (i + 1) % group == 0 ? decoded{} : c.cur).ts;
    } else {
        out.end_ts = m_end_ts;
    }
    return out;
}


task_history& history::ensure_slow(std::uint32_t id, std::uint64_t ts) {
    if (id > m_tasks.size()) {
        std::size_t old = m_tasks.size();
        m_tasks.resize(id);
        for (std::size_t i = old; i < id; ++i) m_tasks[i].id = static_cast<std::uint32_t>(i + 1);
    }
    task_history& t = m_tasks[id - 1];
    if (!t.known) {
        // A task first seen without its spawn (the trace began mid-run) appears from here on.
        t.known = true;
        t.spawn_ts = ts;
    }
    return t;
}

void history::enter_state(task_history& t, std::uint64_t ts, std::uint64_t step, task_state s,
                          traces::wait_reason r) {
    interval_list& iv = t.intervals;
    if (iv.open()) {
        if (iv.last_state() == s && iv.last_reason() == r) return; // no change
        if (s == task_state::done) {
            iv.close(ts);
            return; // a done task has no interval after its end
        }
    } else if (s == task_state::done) {
        return;
    }
    iv.push(m_interval_bytes, ts, step, s, r);
}

void history::apply(const traces::event& e, std::uint64_t index) {
    if (!m_any) {
        m_any = true;
        m_first_ts = e.ts_ns;
    }
    m_last_ts = std::max(m_last_ts, e.ts_ns);
    switch (e.kind) {
    case event_kind::trace_end: m_ended = true; return;
    case event_kind::tick_begin:
        while (m_tick_first_step.size() <= e.tick) m_tick_first_step.push_back(m_step_begin.size());
        return;
    default: break;
    }
    if (e.task == 0) return;
    task_history& t = ensure(e.task, e.ts_ns);
    switch (e.kind) {
    case event_kind::task_spawn:
        t.parent = e.a;
        t.name = static_cast<std::uint32_t>(e.b);
        t.spawn_ts = e.ts_ns;
        if (e.a != 0) ensure(e.a, e.ts_ns).children.push_back(e.task);
        enter_state(t, e.ts_ns, e.step, task_state::ready, traces::wait_reason::none);
        break;
    case event_kind::task_ready:
        enter_state(t, e.ts_ns, e.step, task_state::ready, traces::wait_reason::none);
        break;
    case event_kind::task_resume:
        // Steps are numbered densely; a stream that begins mid-run starts numbering where it joined.
        m_step_begin.push_back(index);
        m_step_task.push_back(e.task);
        m_step_ts.push_back(e.ts_ns);
        ++t.steps;
        enter_state(t, e.ts_ns, e.step, task_state::running, traces::wait_reason::none);
        break;
    case event_kind::task_suspend:
        enter_state(t, e.ts_ns, e.step, task_state::waiting, static_cast<traces::wait_reason>(e.code));
        break;
    case event_kind::task_exit:
        enter_state(t, e.ts_ns, e.step, task_state::done, traces::wait_reason::none);
        t.ended = true;
        t.end_ts = e.ts_ns;
        t.status = static_cast<traces::exit_status>(e.code);
        break;
    default: break;
    }
}

std::uint64_t history::step_at_time(std::uint64_t ts) const {
    auto it = std::upper_bound(m_step_ts.begin(), m_step_ts.end(), ts);
    if (it == m_step_ts.begin()) return 0;
    return static_cast<std::uint64_t>(it - m_step_ts.begin()) - 1;
}

} // namespace coroscope::inspector

namespace coroscope::inspector {

std::size_t history::bytes_held() const {
    std::size_t n = m_tasks.capacity() * sizeof(task_history) + m_step_begin.bytes_held() + m_step_task.bytes_held() +
                    m_step_ts.bytes_held() + m_tick_first_step.bytes_held();
    // The arena holds every task's segments (and its unused room); each list adds its indexes.
    n += m_interval_bytes.bytes_held();
    for (const task_history& t : m_tasks)
        n += t.intervals.bytes_held() - t.intervals.segment_bytes() + t.children.capacity() * sizeof(std::uint32_t);
    return n;
}

} // namespace coroscope::inspector
