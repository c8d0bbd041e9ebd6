#include <coroscope/traces/binary.hpp>

#include <algorithm>
#include <limits>

namespace coroscope::traces::binary {

namespace {

std::size_t varint_size(std::uint64_t value) {
    std::size_t n = 1;
    while (value >= 0x80) {
        value >>= 7;
        ++n;
    }
    return n;
}

void put_u16(std::string& out, std::uint16_t value) {
    out.push_back(static_cast<char>(value & 0xff));
    out.push_back(static_cast<char>(value >> 8));
}

void put_bytes(std::string& out, std::string_view bytes) {
    put_varint(out, bytes.size());
    out.append(bytes);
}

constexpr unsigned hash_bits = 13;

// A hash of the 4 bytes at p, for finding earlier occurrences.
std::uint32_t hash4(const char* p) {
    std::uint32_t v = static_cast<unsigned char>(p[0]) | static_cast<unsigned char>(p[1]) << 8 |
                      static_cast<unsigned char>(p[2]) << 16 | static_cast<std::uint32_t>(static_cast<unsigned char>(p[3])) << 24;
    return (v * 2654435761u) >> (32 - hash_bits);
}

} // namespace

namespace {

constexpr std::size_t max_varint_bytes = 10;

// Writes the varint of `value` at p (room for max_varint_bytes) and returns the end: the hot path
// writes into a local buffer and appends once, instead of one push_back (a capacity check and a
// length update) per byte.
inline char* write_varint(char* p, std::uint64_t value) {
    while (value >= 0x80) {
        *p++ = static_cast<char>((value & 0x7f) | 0x80);
        value >>= 7;
    }
    *p++ = static_cast<char>(value);
    return p;
}

} // namespace

void put_varint(std::string& out, std::uint64_t value) {
    char bytes[max_varint_bytes];
    out.append(bytes, static_cast<std::size_t>(write_varint(bytes, value) - bytes));
}

void encoder::reset() {
    m_prev = event{};
    m_last_id = 0;
    m_history.clear();
    m_history_base = 0;
    m_indexed = 0;
    m_head.clear();
    m_chain.clear();
}

void encoder::remember(std::string_view text) {
    if (m_history.size() + text.size() > 2 * string_window) {
        // Only the last string_window bytes can be copied from: drop the rest, keep the links.
        std::size_t keep = std::min(m_history.size(), string_window);
        std::size_t drop = m_history.size() - keep;
        m_history.erase(0, drop);
        m_chain.erase(m_chain.begin(), m_chain.begin() + static_cast<std::ptrdiff_t>(drop));
        m_history_base += drop;
        m_indexed = std::max(m_indexed, m_history_base);
    }
    m_history.append(text);
    m_chain.resize(m_history.size(), 0);
}

void encoder::index_upto(std::uint64_t position) {
    const std::uint64_t end = m_history_base + m_history.size();
    if (end < 4) return;
    position = std::min(position, end - 3); // a position needs 4 bytes after it
    if (m_head.empty()) m_head.assign(std::size_t{1} << hash_bits, 0);
    for (; m_indexed < position; ++m_indexed) {
        std::size_t at = static_cast<std::size_t>(m_indexed - m_history_base);
        std::uint32_t h = hash4(m_history.data() + at);
        m_chain[at] = m_head[h];
        m_head[h] = m_indexed + 1;
    }
}

std::string encoder::encode_header(const header& h) {
    reset();
    std::string body;
    put_bytes(body, h.producer);
    put_varint(body, h.pid);
    put_varint(body, h.start_unix_ns);
    put_bytes(body, h.clock_unit);
    put_varint(body, h.features);

    std::string out(magic);
    put_u16(out, h.major);
    // The records below may be 1.3 string records: never claim an older minor of this major.
    put_u16(out, h.major == format_major && h.minor < string_pieces_minor ? string_pieces_minor : h.minor);
    put_varint(out, body.size());
    out += body;
    return out;
}

void encoder::encode_string(std::uint32_t id, std::string_view text, std::string& out) {
    std::string payload;
    const bool pieces = m_last_id != std::numeric_limits<std::uint32_t>::max() && id == m_last_id + 1;
    if (!pieces) {
        // Not the next id (a redefinition, ids out of order): a plain string record, whole text.
        put_varint(payload, id);
        put_varint(payload, 0); // no prefix
        payload.append(text);
        remember(text);
    } else {
        const std::uint64_t start = m_history_base + m_history.size();
        remember(text);
        index_upto(start);
        const std::size_t n = text.size();
        std::size_t i = 0, literal_from = 0, copied = 0;
        auto flush_literal = [&] {
            if (i == literal_from) return;
            put_varint(payload, (i - literal_from) << 1);
            payload.append(text.substr(literal_from, i - literal_from));
        };
        while (i < n) {
            const std::uint64_t here = start + i;
            std::size_t best = 0;
            std::uint64_t best_distance = 0;
            const std::size_t longest = std::min({n - i, string_copy_max, string_copy_budget - copied});
            if (m_copies && longest >= string_copy_min) {
                const char* cur = m_history.data() + (here - m_history_base);
                // Walk earlier positions with the same hash, nearest first (bounded: a writer's cost).
                std::uint64_t link = m_head.empty() ? 0 : m_head[hash4(cur)];
                for (int tries = 0; link != 0 && tries < 32; ++tries) {
                    const std::uint64_t from = link - 1;
                    if (from < m_history_base || here - from > string_window) break;
                    const char* src = m_history.data() + (from - m_history_base);
                    std::size_t len = 0;
                    while (len < longest && src[len] == cur[len]) ++len; // may overlap cur: as decoded
                    if (len > best) {
                        best = len;
                        best_distance = here - from;
                        if (len == longest) break;
                    }
                    link = m_chain[static_cast<std::size_t>(from - m_history_base)];
                }
            }
            // A copy is taken only when it, and the header of the literal run after it, cost no
            // more than the bytes it replaces: so a string never takes more than its text plus one
            // literal header.
            if (best >= string_copy_min) {
                const std::size_t cost = varint_size(((best - string_copy_min) << 1) | 1) + varint_size(best_distance) +
                                         varint_size((n - i - best) << 1);
                if (cost <= best) {
                    flush_literal();
                    put_varint(payload, ((best - string_copy_min) << 1) | 1);
                    put_varint(payload, best_distance);
                    copied += best;
                    i += best;
                    literal_from = i;
                    index_upto(start + i);
                    continue;
                }
            }
            ++i;
            index_upto(start + i);
        }
        flush_literal();
    }
    m_last_id = id;
    put_varint(out, framed_kind | ((pieces ? record_string_pieces : record_string) << kind_bits));
    put_varint(out, payload.size());
    out += payload;
}

// Which fields a record of `e` carries after `prev` (the f_* bits): the deltas that changed and the
// values that are not zero. One rule for the common records and the framed wide ones.
static std::uint32_t field_mask(const event& e, const event& prev) {
    std::uint32_t mask = 0;
    if (e.ts_ns != prev.ts_ns) mask |= f_ts;
    if (e.task != prev.task) mask |= f_task;
    if (e.a != 0) mask |= f_a;
    if (e.code != 0) mask |= f_code;
    if (e.b != 0) mask |= f_b;
    if (e.step != prev.step) mask |= f_step;
    if (e.tick != prev.tick) mask |= f_tick;
    if (e.reserved != 0) [[unlikely]] mask |= f_extra;
    return mask;
}

char* encoder::write_event(const event& e, char* p) {
    const std::uint32_t mask = field_mask(e, m_prev);
    p = write_varint(p, static_cast<std::uint64_t>(e.kind) | (std::uint64_t{mask} << kind_bits));
    if (mask & f_ts) p = write_varint(p, zigzag64(e.ts_ns - m_prev.ts_ns));
    if (mask & f_task) p = write_varint(p, e.task);
    if (mask & f_a) p = write_varint(p, e.a);
    if (mask & f_code) p = write_varint(p, e.code);
    if (mask & f_b) p = write_varint(p, e.b);
    if (mask & f_step) p = write_varint(p, zigzag64(e.step - m_prev.step));
    if (mask & f_tick) p = write_varint(p, zigzag32(e.tick - m_prev.tick));
    if (mask & f_extra) [[unlikely]] {
        char* length = p++; // a varint of reserved (16 bits) is at most 3 bytes: its length fits one byte
        p = write_varint(p, e.reserved);
        *length = static_cast<char>(p - length - 1);
    }
    // Only these four are deltas; the rest of m_prev is never read.
    m_prev.ts_ns = e.ts_ns;
    m_prev.task = e.task;
    m_prev.step = e.step;
    m_prev.tick = e.tick;
    return p;
}

void encoder::encode_events(const event* events, std::size_t count, std::string& out) {
    // Records are written into a scratch buffer with room for a whole chunk and appended once per
    // chunk: no per-event append, and no zero-filled room in out (a resize to the worst case writes
    // 82 bytes per event that ~5 then replace).
    constexpr std::size_t chunk = 256;
    if (!m_scratch) m_scratch = std::make_unique<char[]>(chunk * max_event_record_bytes);
    char* const begin = m_scratch.get();
    while (count > 0) {
        const std::size_t n = std::min(count, chunk);
        char* p = begin;
        for (std::size_t i = 0; i < n; ++i) {
            const event& e = events[i];
            if (static_cast<std::uint64_t>(e.kind) < framed_kind) [[likely]] {
                p = write_event(e, p);
                continue;
            }
            out.append(begin, static_cast<std::size_t>(p - begin)); // a wide event: a framed record, in order
            p = begin;
            encode_event(e, out);
        }
        out.append(begin, static_cast<std::size_t>(p - begin));
        events += n;
        count -= n;
    }
}

void encoder::encode_event(const event& e, std::string& out) {
    const auto kind = static_cast<std::uint64_t>(e.kind);
    if (kind < framed_kind) [[likely]] {
        // The common record: encoded into a local buffer, then appended at once.
        char bytes[max_event_record_bytes];
        out.append(bytes, static_cast<std::size_t>(write_event(e, bytes) - bytes));
        return;
    }
    const std::uint32_t mask = field_mask(e, m_prev);
    std::string wide; // a kind that does not fit the lead goes in a framed record
    put_varint(wide, kind);
    put_varint(wide, mask);
    if (mask & f_ts) put_varint(wide, zigzag64(e.ts_ns - m_prev.ts_ns));
    if (mask & f_task) put_varint(wide, e.task);
    if (mask & f_a) put_varint(wide, e.a);
    if (mask & f_code) put_varint(wide, e.code);
    if (mask & f_b) put_varint(wide, e.b);
    if (mask & f_step) put_varint(wide, zigzag64(e.step - m_prev.step));
    if (mask & f_tick) put_varint(wide, zigzag32(e.tick - m_prev.tick));
    if (mask & f_extra) {
        std::string extra;
        put_varint(extra, e.reserved);
        put_bytes(wide, extra);
    }
    put_varint(out, framed_kind | (record_wide_event << kind_bits));
    put_bytes(out, wide);
    m_prev = e;
}

} // namespace coroscope::traces::binary
