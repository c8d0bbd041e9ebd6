#include <coroscope/traces/binary.hpp>

#include <algorithm>

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

std::size_t common_prefix(std::string_view x, std::string_view y) {
    auto limit = std::min({x.size(), y.size(), max_string_prefix});
    std::size_t n = 0;
    while (n < limit && x[n] == y[n]) ++n;
    return n;
}

} // namespace

void put_varint(std::string& out, std::uint64_t value) {
    while (value >= 0x80) {
        out.push_back(static_cast<char>((value & 0x7f) | 0x80));
        value >>= 7;
    }
    out.push_back(static_cast<char>(value));
}

void encoder::reset() {
    m_prev = event{};
    m_by_text.clear();
    m_by_id.clear();
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
    put_u16(out, h.minor);
    put_varint(out, body.size());
    out += body;
    return out;
}

void encoder::encode_string(std::uint32_t id, std::string_view text, std::string& out) {
    // Borrow the longest prefix of an earlier string: in a sorted set the best match is a neighbour.
    std::uint32_t base = 0;
    std::size_t prefix = 0;
    auto consider = [&](auto it) {
        std::size_t n = common_prefix(it->first, text);
        if (n > prefix) {
            prefix = n;
            base = it->second;
        }
    };
    auto next = m_by_text.lower_bound(text);
    if (next != m_by_text.end()) consider(next);
    if (next != m_by_text.begin()) consider(std::prev(next));
    if (prefix <= varint_size(base)) prefix = 0; // not worth a base reference

    std::string payload;
    put_varint(payload, id);
    put_varint(payload, prefix);
    if (prefix > 0) put_varint(payload, base);
    payload.append(text.substr(prefix));

    put_varint(out, framed_kind | (record_string << kind_bits));
    put_varint(out, payload.size());
    out += payload;

    // The decoder resolves a base by its current text: forget id's old text, remember the new one.
    if (auto old = m_by_id.find(id); old != m_by_id.end()) {
        m_by_text.erase(old->second);
        m_by_id.erase(old);
    }
    auto [it, inserted] = m_by_text.try_emplace(std::string(text), id);
    if (inserted) m_by_id.emplace(id, it);
}

void encoder::encode_event(const event& e, std::string& out) {
    std::uint32_t mask = 0;
    if (e.ts_ns != m_prev.ts_ns) mask |= f_ts;
    if (e.task != m_prev.task) mask |= f_task;
    if (e.a != 0) mask |= f_a;
    if (e.code != 0) mask |= f_code;
    if (e.b != 0) mask |= f_b;
    if (e.step != m_prev.step) mask |= f_step;
    if (e.tick != m_prev.tick) mask |= f_tick;
    if (e.reserved != 0) mask |= f_extra;

    const auto kind = static_cast<std::uint64_t>(e.kind);
    std::string wide; // a kind that does not fit the lead goes in a framed record
    std::string& fields = kind < framed_kind ? out : wide;
    if (kind < framed_kind) {
        put_varint(out, kind | (std::uint64_t{mask} << kind_bits));
    } else {
        put_varint(wide, kind);
        put_varint(wide, mask);
    }
    if (mask & f_ts) put_varint(fields, zigzag64(e.ts_ns - m_prev.ts_ns));
    if (mask & f_task) put_varint(fields, e.task);
    if (mask & f_a) put_varint(fields, e.a);
    if (mask & f_code) put_varint(fields, e.code);
    if (mask & f_b) put_varint(fields, e.b);
    if (mask & f_step) put_varint(fields, zigzag64(e.step - m_prev.step));
    if (mask & f_tick) put_varint(fields, zigzag32(e.tick - m_prev.tick));
    if (mask & f_extra) {
        std::string extra;
        put_varint(extra, e.reserved);
        put_bytes(fields, extra);
    }
    if (kind >= framed_kind) {
        put_varint(out, framed_kind | (record_wide_event << kind_bits));
        put_bytes(out, wide);
    }
    m_prev = e;
}

} // namespace coroscope::traces::binary
