#include <coroscope/traces/wire.hpp>

namespace coroscope::traces::wire {

void append_frame(std::string& out, frame_type type, std::string_view payload) {
    auto length = static_cast<std::uint32_t>(payload.size());
    char head[frame_header_bytes] = {static_cast<char>(length & 0xff), static_cast<char>((length >> 8) & 0xff),
                                     static_cast<char>((length >> 16) & 0xff), static_cast<char>(length >> 24),
                                     static_cast<char>(type)};
    out.append(head, sizeof head);
    out.append(payload);
}

bool frame_reader::next(frame& out) {
    if (!m_error.empty()) return false;
    std::size_t available = m_buffer.size() - m_consumed;
    if (available < frame_header_bytes) return false;
    const auto* p = reinterpret_cast<const unsigned char*>(m_buffer.data() + m_consumed);
    std::uint32_t length = p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
    if (length > max_frame_payload) {
        m_error = "frame of " + std::to_string(length) + " bytes is over the " + std::to_string(max_frame_payload) +
                  "-byte limit";
        return false;
    }
    if (available < frame_header_bytes + length) return false;
    out.type = static_cast<frame_type>(p[4]);
    out.payload.assign(m_buffer.data() + m_consumed + frame_header_bytes, length);
    m_consumed += frame_header_bytes + length;
    if (m_consumed > 1 << 16 && m_consumed * 2 > m_buffer.size()) {
        m_buffer.erase(0, m_consumed);
        m_consumed = 0;
    }
    return true;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
    // Length is not secret; contents are compared without an early exit.
    unsigned char diff = a.size() == b.size() ? 0 : 1;
    std::size_t n = a.size() < b.size() ? a.size() : b.size();
    for (std::size_t i = 0; i < n; ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

} // namespace coroscope::traces::wire
