#include <coroscope/inspector/event_store.hpp>

#include <coroscope/traces/binary.hpp>

#include <algorithm>
#include <cstring>

namespace coroscope::inspector {

namespace {

using traces::binary::unzigzag32;
using traces::binary::unzigzag64;
using traces::binary::zigzag32;
using traces::binary::zigzag64;

// One event = kind byte, field mask byte, then the fields whose bit is set, each a varint, in bit
// order. Deltas are against the previous event of the same block (a block starts from all zeros).
// Kind 255 escapes: the real kind byte and the 16-bit reserved field follow the mask.
enum : std::uint8_t {
    m_ts = 1u << 0,    // zigzag: ts_ns - previous ts_ns
    m_step = 1u << 1,  // zigzag: step - previous step
    m_tick = 1u << 2,  // zigzag (32-bit): tick - previous tick
    m_task = 1u << 3,  // task (absent = previous task)
    m_a = 1u << 4,     // a (absent = 0)
    m_code = 1u << 5,  // code byte (absent = 0)
    m_b = 1u << 6,     // b (absent = 0)
    m_b_rel = 1u << 7, // with m_b: b is zigzag(b - ts_ns) (deadlines and due times are near ts)
};
constexpr std::uint8_t escape_kind = 255;

inline std::uint8_t* put(std::uint8_t* p, std::uint64_t v) {
    while (v >= 0x80) {
        *p++ = static_cast<std::uint8_t>(v | 0x80);
        v >>= 7;
    }
    *p++ = static_cast<std::uint8_t>(v);
    return p;
}

inline std::uint64_t get(const std::uint8_t*& p) {
    std::uint64_t v = 0;
    for (unsigned shift = 0;; shift += 7) {
        std::uint8_t byte = *p++;
        v |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
        if (!(byte & 0x80)) return v;
    }
}

} // namespace

// A copy is re-encoded event by event: the arena's blocks are the copy's own, and the block index
// points into them.
event_store::event_store(const event_store& other) {
    for (std::size_t i = 0; i < other.size(); ++i) push_back(other[i]);
}

event_store& event_store::operator=(const event_store& other) {
    if (this != &other) *this = event_store(other);
    return *this;
}

void event_store::push_back(const traces::event& e) {
    static_assert(block_events * max_event_bytes <= byte_arena::max_reserve);
    if (m_size % block_events == 0) {
        // A new block: room for it whole, and its deltas start from zero.
        m_block_start.push_back(m_bytes.reserve(block_events * max_event_bytes));
        m_prev = traces::event{};
    }
    std::uint8_t* start = m_bytes.cursor();
    std::uint8_t* p = start;
    bool escape = e.kind == static_cast<traces::event_kind>(escape_kind) || e.reserved != 0;
    *p++ = escape ? escape_kind : static_cast<std::uint8_t>(e.kind);
    std::uint8_t* mask = p++;
    *mask = 0;
    if (escape) {
        *p++ = static_cast<std::uint8_t>(e.kind);
        *p++ = static_cast<std::uint8_t>(e.reserved & 0xff);
        *p++ = static_cast<std::uint8_t>(e.reserved >> 8);
    }
    if (e.ts_ns != m_prev.ts_ns) {
        *mask |= m_ts;
        p = put(p, zigzag64(e.ts_ns - m_prev.ts_ns));
    }
    if (e.step != m_prev.step) {
        *mask |= m_step;
        p = put(p, zigzag64(e.step - m_prev.step));
    }
    if (e.tick != m_prev.tick) {
        *mask |= m_tick;
        p = put(p, zigzag32(e.tick - m_prev.tick));
    }
    if (e.task != m_prev.task) {
        *mask |= m_task;
        p = put(p, e.task);
    }
    if (e.a != 0) {
        *mask |= m_a;
        p = put(p, e.a);
    }
    if (e.code != 0) {
        *mask |= m_code;
        *p++ = e.code;
    }
    if (e.b != 0) {
        *mask |= m_b;
        std::uint64_t rel = zigzag64(e.b - e.ts_ns);
        if (rel < e.b) {
            *mask |= m_b_rel;
            p = put(p, rel);
        } else {
            p = put(p, e.b);
        }
    }
    m_bytes.commit(static_cast<std::size_t>(p - start));
    m_prev = e;
    ++m_size; // a cached partial block is re-decoded when asked for an event past its count
}

void event_store::decode_block(std::size_t block) const {
    const std::uint8_t* p = m_block_start[block];
    std::size_t count = std::min(block_events, m_size - block * block_events);
    traces::event prev{};
    for (std::size_t i = 0; i < count; ++i) {
        traces::event e;
        std::uint8_t kind = *p++;
        std::uint8_t mask = *p++;
        e.kind = static_cast<traces::event_kind>(kind);
        if (kind == escape_kind) {
            e.kind = static_cast<traces::event_kind>(*p++);
            e.reserved = static_cast<std::uint16_t>(p[0] | (p[1] << 8));
            p += 2;
        }
        e.ts_ns = mask & m_ts ? prev.ts_ns + unzigzag64(get(p)) : prev.ts_ns;
        e.step = mask & m_step ? prev.step + unzigzag64(get(p)) : prev.step;
        e.tick = mask & m_tick ? prev.tick + unzigzag32(static_cast<std::uint32_t>(get(p))) : prev.tick;
        e.task = mask & m_task ? static_cast<std::uint32_t>(get(p)) : prev.task;
        e.a = mask & m_a ? static_cast<std::uint32_t>(get(p)) : 0;
        e.code = mask & m_code ? *p++ : 0;
        if (mask & m_b) {
            std::uint64_t v = get(p);
            e.b = mask & m_b_rel ? e.ts_ns + unzigzag64(v) : v;
        }
        m_cache[i] = e;
        prev = e;
    }
    m_cached_block = block;
    m_cached_count = count;
}

traces::event event_store::operator[](std::size_t i) const {
    std::size_t block = i / block_events;
    if (block != m_cached_block || i % block_events >= m_cached_count) decode_block(block);
    return m_cache[i % block_events];
}

std::size_t event_store::bytes_held() const {
    return m_bytes.bytes_held() + m_block_start.bytes_held() + sizeof(*this);
}

event_store::iterator::iterator(const event_store* store, std::size_t index) : m_store(store), m_index(index) { load(); }

void event_store::iterator::load() {
    if (m_store && m_index < m_store->size()) m_event = (*m_store)[m_index];
}

event_store::iterator& event_store::iterator::operator++() {
    ++m_index;
    load();
    return *this;
}

bool operator==(const event_store& a, const event_store& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (!(a[i] == b[i])) return false;
    return true;
}

bool operator==(const event_store& a, const std::vector<traces::event>& b) {
    if (a.size() != b.size()) return false;
    std::size_t i = 0;
    for (const traces::event& e : a)
        if (!(e == b[i++])) return false;
    return true;
}

traces::trace stored_trace::to_trace() const {
    traces::trace t;
    t.header = header;
    t.strings = strings;
    t.events.reserve(events.size());
    for (const traces::event& e : events) t.events.push_back(e);
    return t;
}

} // namespace coroscope::inspector
