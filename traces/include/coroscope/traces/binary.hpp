#pragma once
// Compact binary encoding (the default). The byte layout is specified in traces/README.md; in short:
//   header  = "CSTRACE\0", u16 major (LE), u16 minor (LE), varint body length, body
//   record  = varint lead, then either an event (lead = kind | field mask << 5, fields follow,
//             values delta-coded against the previous event) or, when kind bits = 31, a framed
//             record (lead = 31 | type << 5, varint payload length, payload; type 0 = string).
//   block   = (1.2, optional) a framed record of type 2 whose payload is a zstd frame of ordinary
//             records; header feature bit feature_zstd_blocks says the file holds them.
// The encoder is stateful (deltas, string prefixes): use one encoder per output stream, in order.
#include <coroscope/traces/event.hpp>
#include <coroscope/traces/header.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>

namespace coroscope::traces::binary {

inline constexpr std::string_view magic{"CSTRACE\0", 8};
inline constexpr std::size_t max_record_bytes = std::size_t{16} << 20; // longer lengths mean damage
inline constexpr std::size_t max_string_prefix = 255; // longest prefix a string may borrow

// Lead value layout.
inline constexpr std::uint32_t kind_bits = 5;
inline constexpr std::uint32_t framed_kind = 31; // kind bits of a length-prefixed record
inline constexpr std::uint64_t record_string = 0;    // framed record type: string definition
inline constexpr std::uint64_t record_wide_event = 1; // framed record type: event whose kind is >= 31
inline constexpr std::uint64_t record_zstd_block = 2; // framed record type (1.2): zstd-compressed records

// zstd blocks (format 1.2). Payload: varint layout, varint content length, one zstd frame that
// inflates to exactly that many bytes. Layout 0: the content is ordinary string and event records,
// decoded as if they stood in the file at this point (delta and string state run through blocks).
inline constexpr std::uint32_t feature_zstd_blocks = 1u << 0; // header feature: the writer compressed records into blocks
inline constexpr std::uint64_t block_layout_records = 0;
inline constexpr std::size_t max_block_bytes = std::size_t{1} << 20; // largest content of one block
inline constexpr std::size_t block_target_bytes = std::size_t{256} << 10; // writers close a block at this content size
// zstd levels: a small block (a short trace, a flush) at 19, where it costs milliseconds and the
// ratio matters most; a full block at 6, because level 19 compresses at only ~1-3 MB/s.
inline constexpr int zstd_level_small = 19;
inline constexpr int zstd_level_full = 6;
inline constexpr std::size_t zstd_small_block = std::size_t{64} << 10; // content up to this is "small"

// Field mask bits of an event record, in the order the fields follow the lead.
enum field_bit : std::uint32_t {
    f_ts = 1u << 0,       // zigzag varint: ts_ns - previous ts_ns (mod 2^64)
    f_task = 1u << 1,     // varint: task (absent = previous event's task)
    f_a = 1u << 2,        // varint: a (absent = 0)
    f_code = 1u << 3,     // varint: code (absent = 0)
    f_b = 1u << 4,        // varint: b (absent = 0)
    f_step = 1u << 5,     // zigzag varint: step - previous step (mod 2^64)
    f_tick = 1u << 6,     // zigzag varint (32-bit): tick - previous tick (mod 2^32)
    f_extra = 1u << 7,    // varint length N, then N bytes: varint reserved, then (newer minors) more
};
inline constexpr std::uint32_t field_mask_all = 0xff;

class encoder {
public:
    encoder() = default;
    encoder(const encoder&) = delete; // m_by_id holds iterators into m_by_text
    encoder& operator=(const encoder&) = delete;
    encoder(encoder&&) = default;
    encoder& operator=(encoder&&) = default;

    // Encodes the file header and resets the delta and string state.
    std::string encode_header(const header& h);
    void encode_string(std::uint32_t id, std::string_view text, std::string& out);
    void encode_event(const event& e, std::string& out);
    void reset();

private:
    event m_prev{}; // ts_ns, step, tick and task of the previous event (all 0 at the start)
    std::map<std::string, std::uint32_t, std::less<>> m_by_text; // text -> an id whose current text it is
    std::unordered_map<std::uint32_t, std::map<std::string, std::uint32_t, std::less<>>::iterator> m_by_id;
};

// Low-level helpers shared by the encoder and decoder (exposed for tests and tools).
void put_varint(std::string& out, std::uint64_t value);
inline std::uint64_t zigzag64(std::uint64_t diff) { return (diff << 1) ^ (0 - (diff >> 63)); }
inline std::uint64_t unzigzag64(std::uint64_t z) { return (z >> 1) ^ (0 - (z & 1)); }
inline std::uint32_t zigzag32(std::uint32_t diff) { return (diff << 1) ^ (0u - (diff >> 31)); }
inline std::uint32_t unzigzag32(std::uint32_t z) { return (z >> 1) ^ (0u - (z & 1u)); }

} // namespace coroscope::traces::binary
