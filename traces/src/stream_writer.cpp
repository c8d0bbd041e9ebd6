#include "stream_writer.hpp"
#include "dictionary.hpp"

#include <algorithm>

namespace coroscope::traces::binary {

stream_writer::stream_writer(bool zstd) {
    if (zstd) m_blocks = std::make_unique<block_compressor>();
    m_encoder.use_copies(!zstd);
}

void stream_writer::header(const traces::header& h, std::string& out) {
    m_block.clear();
    traces::header written = h;
    if (m_blocks) written.features |= feature_zstd_blocks;
    else written.features &= ~feature_zstd_blocks;
    // Its blocks may be modelled (layout 3, 1.5): never claim an older minor of this major.
    if (m_blocks && written.major == format_major) written.minor = std::max(written.minor, model_minor);
    out += m_encoder.encode_header(written);
}

void stream_writer::string(std::uint32_t id, std::string_view text, std::string& out) {
    if (!m_blocks) return m_encoder.encode_string(id, text, out);
    std::size_t before = m_block.size();
    m_encoder.encode_string(id, text, m_block);
    after_record(before, out);
}

void stream_writer::events(const traces::event* events, std::size_t count, std::string& out) {
    // Chunks keep the room reserved per resize small, and a block's content far below
    // max_block_bytes (a chunk of events adds at most 1024 * max_event_record_bytes = 84 KiB past
    // block_target_bytes), whatever the batch's size.
    constexpr std::size_t events_chunk = 1024;
    while (count > 0) {
        const std::size_t n = std::min(count, events_chunk);
        if (!m_blocks) {
            m_encoder.encode_events(events, n, out);
        } else {
            m_encoder.encode_events(events, n, m_block);
            if (m_block.size() >= block_target_bytes) close_block(out);
        }
        events += n;
        count -= n;
    }
}

void stream_writer::after_record(std::size_t before, std::string& out) {
    if (m_block.size() > max_block_bytes) {
        // One record too big for any block (a string of more than ~1 MiB): it goes uncompressed
        // between two blocks, which keeps the order (and so the deltas) intact.
        std::string record = m_block.substr(before);
        m_block.resize(before);
        close_block(out);
        out += record;
        return;
    }
    if (m_block.size() >= block_target_bytes) close_block(out);
}

void stream_writer::close_block(std::string& out) {
    if (!m_blocks || m_block.empty()) return;
    m_blocks->append_block(m_block, out, dictionary_current, true);
    m_block.clear();
}

} // namespace coroscope::traces::binary
