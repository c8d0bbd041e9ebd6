#pragma once
// The binary encoding of one output stream, with or without zstd blocks (internal to traces/:
// file_writer and encode() share it). Records are appended to the caller's string.
#include <coroscope/traces/binary.hpp>

#include "zstd_block.hpp"

#include <memory>
#include <string>
#include <string_view>

namespace coroscope::traces::binary {

class stream_writer {
public:
    explicit stream_writer(bool zstd);

    // The header; with zstd, feature_zstd_blocks is set in what is written, else cleared.
    void header(const traces::header& h, std::string& out);
    void string(std::uint32_t id, std::string_view text, std::string& out);
    void event(const traces::event& e, std::string& out) {
        if (!m_blocks) return m_encoder.encode_event(e, out);
        std::size_t before = m_block.size();
        m_encoder.encode_event(e, m_block);
        after_record(before, out);
    }
    // The same as event() for each, in chunks of events_chunk (one resize per chunk).
    void events(const traces::event* events, std::size_t count, std::string& out);
    // With zstd: appends the records buffered so far as one block. Else nothing to do.
    void close_block(std::string& out);
    // Bytes of records waiting in the current block.
    std::size_t buffered() const { return m_block.size(); }

private:
    void after_record(std::size_t before, std::string& out);

    encoder m_encoder;
    std::unique_ptr<block_compressor> m_blocks; // null without zstd
    std::string m_block;                        // records of the block being filled
};

} // namespace coroscope::traces::binary
