#pragma once
// Compact binary encoding (the default). The byte layout is specified in traces/README.md; in short:
//   header  = "CSTRACE\0", u16 major (LE), u16 minor (LE), varint body length, body
//   record  = varint lead, then either an event (lead = kind | field mask << 5, fields follow,
//             values delta-coded against the previous event) or, when kind bits = 31, a framed
//             record (lead = 31 | type << 5, varint payload length, payload; type 0 = string).
//   string  = (1.3) a framed record of type 3 defining the next string id as literal runs and copies
//             from the string history (every string defined before it, concatenated).
//   block   = (1.2, optional) a framed record of type 2 whose payload is a zstd frame of ordinary
//             records; header feature bit feature_zstd_blocks says the file holds them.
// The encoder is stateful (deltas, string history): use one encoder per output stream, in order.
#include <coroscope/traces/event.hpp>
#include <coroscope/traces/header.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace coroscope::traces::binary {

inline constexpr std::string_view magic{"CSTRACE\0", 8};
inline constexpr std::size_t max_record_bytes = std::size_t{16} << 20; // longer lengths mean damage
inline constexpr std::size_t max_string_prefix = 255; // longest prefix a plain string record may borrow

// Lead value layout.
inline constexpr std::uint32_t kind_bits = 5;
inline constexpr std::uint32_t framed_kind = 31; // kind bits of a length-prefixed record
inline constexpr std::uint64_t record_string = 0;    // framed record type: string definition
inline constexpr std::uint64_t record_wide_event = 1; // framed record type: event whose kind is >= 31
inline constexpr std::uint64_t record_zstd_block = 2; // framed record type (1.2): zstd-compressed records
inline constexpr std::uint64_t record_string_pieces = 3; // framed record type (1.3): the next string, as pieces

// String pieces (format 1.3, record_string_pieces). The record defines string id = the previous
// string record's id + 1 (0 before the first) and its payload is a sequence of pieces, each a
// varint h: h even = a literal of h/2 bytes that follow; h odd = a copy of h/2 + string_copy_min
// bytes (h/2 at most 255), then varint distance d (1..string_window): the copy starts d bytes back
// from the end of the string history (the texts of every string record before this one, in stream
// order, followed by the bytes of this string decoded so far) and is made one byte at a time, so it
// may overlap what it produces. Bytes copied into one string add up to at most string_copy_budget.
inline constexpr std::uint16_t string_pieces_minor = 3; // the first minor with record_string_pieces
inline constexpr std::size_t string_copy_min = 4;
inline constexpr std::size_t string_copy_max = string_copy_min + 255;
inline constexpr std::size_t string_window = std::size_t{64} << 10;
inline constexpr std::size_t string_copy_budget = std::size_t{64} << 10;

// zstd blocks (format 1.2). Payload: varint layout, varint content length, one zstd frame that
// inflates to exactly that many bytes. Layout 0: the content is ordinary string and event records,
// decoded as if they stood in the file at this point (delta and string state run through blocks).
inline constexpr std::uint32_t feature_zstd_blocks = 1u << 0; // header feature: the writer compressed records into blocks
inline constexpr std::uint64_t block_layout_records = 0;
// Layout 1 (format 1.4): varint dictionary id, then as layout 0; the frame was compressed with that
// built-in dictionary (raw content, traces/src/dictionary.cpp) before the block's first byte. A
// reader without that dictionary skips the block and counts it as an unknown record.
inline constexpr std::uint64_t block_layout_dictionary = 1;
// Layout 2 (format 1.4): as layout 1, but the frame inflates to the records column by column: varint
// L, then L bytes of *lead stream* (every record in order, event records without their value fields
// 0..6), then one column per (field bit 0..6, event kind 0..30) in that order (field 0's columns for
// kinds 0..30, then field 1's...), each holding that field's varints for the events of that kind in
// order. traces/src/block_columns.cpp puts them back in rows.
inline constexpr std::uint64_t block_layout_columns = 2;
inline constexpr std::uint16_t dictionary_minor = 4; // the first minor with block_layout_dictionary
// Layout 3 (format 1.5): varint dictionary id, varint content length, then the block's rows coded by
// Coroscope's own range coder and context models (traces/README.md "Modelled blocks",
// traces/src/model_block.cpp), the string model primed with that built-in dictionary. Writers use it
// for a small block when it is smaller than layout 2 (short traces: ~30% fewer bytes).
inline constexpr std::uint64_t block_layout_model = 3;
inline constexpr std::uint16_t model_minor = 5; // the first minor with block_layout_model
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
// Longest plain event record: a 2-byte lead, 7 fields of at most 10 bytes, the extra's length and a
// 3-byte reserved varint.
inline constexpr std::size_t max_event_record_bytes = 2 + 7 * 10 + 1 + 3;

class encoder {
public:
    // Encodes the file header and resets the delta and string state. A binary stream of this
    // writer holds 1.3 string records: a header claiming an older 1.x minor is written as 1.3.
    std::string encode_header(const header& h);
    // The next id (previous + 1) becomes a pieces record; any other id a plain string record.
    void encode_string(std::uint32_t id, std::string_view text, std::string& out);
    void encode_event(const event& e, std::string& out);
    // The same bytes as encode_event for each of events[0..count), appended once per 256 events
    // (through a scratch buffer) instead of once per event.
    void encode_events(const event* events, std::size_t count, std::string& out);
    void reset();
    // Off: string pieces records hold one literal (for zstd blocks, which find repeats themselves).
    void use_copies(bool on) { m_copies = on; }

private:
    // Writes the record of e (kind < framed_kind) at p, which has max_event_record_bytes of room,
    // updates the delta state and returns the end.
    char* write_event(const event& e, char* p);
    void remember(std::string_view text); // appends text to the history (dropping what is out of reach)
    void index_upto(std::uint64_t position); // links every history position before it into m_head/m_chain

    event m_prev{}; // ts_ns, step, tick and task of the previous event (all 0 at the start)
    std::uint32_t m_last_id = 0; // id of the previous string record
    bool m_copies = true;
    std::unique_ptr<char[]> m_scratch; // encode_events' records before they are appended (allocated at first use)
    // The string history (its last bytes: at most 2 string_windows), m_history[0] being absolute
    // position m_history_base; m_head[hash of 4 bytes] and m_chain[position] link earlier positions
    // with the same hash (absolute position + 1; 0 = none).
    std::string m_history;
    std::uint64_t m_history_base = 0;
    std::uint64_t m_indexed = 0; // absolute positions below this are linked
    std::vector<std::uint64_t> m_head;
    std::vector<std::uint64_t> m_chain;
};

// Low-level helpers shared by the encoder and decoder (exposed for tests and tools).
void put_varint(std::string& out, std::uint64_t value);
inline std::uint64_t zigzag64(std::uint64_t diff) { return (diff << 1) ^ (0 - (diff >> 63)); }
inline std::uint64_t unzigzag64(std::uint64_t z) { return (z >> 1) ^ (0 - (z & 1)); }
inline std::uint32_t zigzag32(std::uint32_t diff) { return (diff << 1) ^ (0u - (diff >> 31)); }
inline std::uint32_t unzigzag32(std::uint32_t z) { return (z >> 1) ^ (0u - (z & 1u)); }

} // namespace coroscope::traces::binary
