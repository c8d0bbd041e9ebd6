#pragma once
// Incremental decoder of the binary encoding (internal; the public entry point is traces::decoder).
#include <coroscope/traces/event.hpp>
#include <coroscope/traces/reader.hpp>
#include <coroscope/traces/sink.hpp>

#include "zstd_block.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

namespace coroscope::traces::binary {

// String ids are dense (1, 2, 3, ...), and sinks keep strings in a vector indexed by id. So that a
// damaged id cannot make a sink allocate gigabytes, an id larger than both 65536 and the byte
// offset of its record (a denser trace cannot exist) is treated as damage, in either encoding.
// Inside a zstd block the offset counts block_id_scale times (compressed records are denser).
inline constexpr std::uint64_t block_id_scale = 16;
inline bool plausible_string_id(std::uint64_t id, std::uint64_t record_offset) {
    return id <= std::max<std::uint64_t>(std::uint64_t{1} << 16, record_offset);
}

class stream_decoder {
public:
    // Decodes every complete item at the start of bytes (file offset `offset`); returns how many
    // bytes it consumed. The rest is an incomplete item: feed it again with more bytes appended.
    // at_end: no more bytes will come, so an incomplete item is reported as truncation.
    std::size_t decode(std::string_view bytes, std::uint64_t offset, bool at_end, read_report& report,
                       event_sink& sink);

private:
    enum class result { ok, more, bad };
    result decode_header(std::string_view bytes, std::uint64_t offset, std::size_t& used, read_report& report,
                         event_sink& sink);
    // offset: the record's file offset (inside a block: the block's); in_block: the record is inside
    // a block's content, where blocks cannot nest.
    result decode_record(std::string_view bytes, std::uint64_t offset, bool in_block, std::size_t& used,
                         read_report& report, event_sink& sink, std::string& problem);
    result decode_block(std::string_view payload, std::uint64_t offset, read_report& report, event_sink& sink,
                        std::string& problem);
    // Decodes a block's content, records as they would stand in the file (layout 0, or another
    // layout put back in rows).
    result decode_rows(std::string_view content, std::uint64_t offset, read_report& report, event_sink& sink);
    // Records string id's text (plain and pieces records alike) and hands it to the sink.
    result define_string(std::uint32_t id, std::string text, read_report& report, event_sink& sink);
    // The fast path: decodes consecutive plain event records of known kinds from bytes[pos..] while
    // at least fast_margin bytes are left (so no varint read needs a bounds check); stops before
    // anything else (strings, framed or damaged records), which the checked path then decodes.
    // Returns the new position. Events go to the sink in batches.
    std::size_t decode_events_fast(std::string_view bytes, std::size_t pos, read_report& report, event_sink& sink);

    static constexpr std::size_t batch_size = 256;
    event m_batch[batch_size];

    bool m_header_done = false;
    std::unique_ptr<block_decompressor> m_blocks; // created at the first block
    std::string m_rows; // a columns or modelled block's records put back in rows (at most max_block_bytes)
    event m_prev{}; // delta state: ts_ns, step, tick, task of the previous event record
    std::unordered_map<std::uint32_t, std::string> m_strings; // current text of each string id (prefix bases)
    std::uint32_t m_last_string_id = 0; // id of the previous string record (pieces define the next)
    std::string m_history; // the string history's last bytes (at least string_window, at most 2x)
};

} // namespace coroscope::traces::binary
