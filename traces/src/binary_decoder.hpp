#pragma once
// Incremental decoder of the binary encoding (internal; the public entry point is traces::decoder).
#include <coroscope/traces/event.hpp>
#include <coroscope/traces/reader.hpp>
#include <coroscope/traces/sink.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace coroscope::traces::binary {

// String ids are dense (1, 2, 3, ...), and sinks keep strings in a vector indexed by id. So that a
// damaged id cannot make a sink allocate gigabytes, an id larger than both 65536 and the byte
// offset of its record (a denser trace cannot exist) is treated as damage, in either encoding.
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
    result decode_record(std::string_view bytes, std::uint64_t offset, std::size_t& used, read_report& report,
                         event_sink& sink, std::string& problem);

    bool m_header_done = false;
    event m_prev{}; // delta state: ts_ns, step, tick, task of the previous event record
    std::unordered_map<std::uint32_t, std::string> m_strings; // current text of each string id (prefix bases)
};

} // namespace coroscope::traces::binary
