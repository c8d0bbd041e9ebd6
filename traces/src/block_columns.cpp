#include "block_columns.hpp"
#include "varint.hpp"

#include <coroscope/traces/binary.hpp>

#include <algorithm>
#include <array>
#include <cstdint>

namespace coroscope::traces::binary {

namespace {

constexpr std::size_t value_fields = 7; // mask bits 0..6 carry one varint each; bit 7 (extra) stays in the lead stream
constexpr std::size_t plain_kinds = framed_kind; // event kinds 0..30 have a plain record
constexpr std::size_t columns = value_fields * plain_kinds;

// Column of field `bit` of events of `kind`: all of field 0's columns by kind, then field 1's...
constexpr std::size_t column_of(std::size_t bit, std::size_t kind) { return bit * plain_kinds + kind; }

std::string at(std::size_t pos, const char* what) { return "content byte " + std::to_string(pos) + ": " + what; }

} // namespace

void rows_to_columns(std::string_view rows, std::string& out) {
    std::string leads;
    std::array<std::string, columns> column;
    std::size_t pos = 0;
    while (pos < rows.size()) {
        const std::size_t start = pos;
        std::uint64_t lead = 0, length = 0;
        read_varint(rows, pos, lead); // the writer's own records: well formed
        if ((lead & framed_kind) == framed_kind) {
            read_varint(rows, pos, length);
            pos += static_cast<std::size_t>(length);
            leads.append(rows.substr(start, pos - start));
            continue;
        }
        leads.append(rows.substr(start, pos - start));
        const std::uint64_t kind = lead & framed_kind, mask = lead >> kind_bits;
        for (std::size_t bit = 0; bit < value_fields; ++bit) {
            if (!(mask >> bit & 1)) continue;
            const std::size_t from = pos;
            std::uint64_t value = 0;
            read_varint(rows, pos, value);
            column[column_of(bit, kind)].append(rows.substr(from, pos - from));
        }
        if (mask & f_extra) {
            const std::size_t from = pos;
            read_varint(rows, pos, length);
            pos += static_cast<std::size_t>(length);
            leads.append(rows.substr(from, pos - from));
        }
    }
    put_varint(out, leads.size());
    out += leads;
    for (const std::string& c : column) out += c;
}

std::string columns_to_rows(std::string_view content, std::string& out) {
    out.clear();
    std::size_t pos = 0;
    std::uint64_t lead_bytes = 0;
    if (!read_varint(content, pos, lead_bytes) || lead_bytes > content.size() - pos)
        return at(0, "field 'lead stream length' is damaged or runs past the content");
    const std::string_view leads = content.substr(pos, static_cast<std::size_t>(lead_bytes));
    const std::size_t leads_at = pos;

    // Pass 1: how many values each column holds (from the leads' masks).
    std::array<std::size_t, columns> count{};
    for (std::size_t p = 0; p < leads.size();) {
        const std::size_t start = p;
        std::uint64_t lead = 0, length = 0;
        if (!read_varint(leads, p, lead)) return at(leads_at + start, "a lead is damaged or cut");
        const bool framed = (lead & framed_kind) == framed_kind;
        if (!framed && (lead >> kind_bits) > field_mask_all)
            return at(leads_at + start, "an event record's mask has undefined bits");
        const std::uint64_t mask = framed ? 0 : lead >> kind_bits;
        for (std::size_t bit = 0; bit < value_fields; ++bit)
            if (mask >> bit & 1) ++count[column_of(bit, lead & framed_kind)];
        if (framed || (mask & f_extra)) {
            if (!read_varint(leads, p, length) || length > leads.size() - p)
                return at(leads_at + start, "a record's length is damaged or runs past the lead stream");
            p += static_cast<std::size_t>(length);
        }
    }
    // Where each column starts: its values are varints, counted above.
    std::array<std::size_t, columns> cursor{};
    std::size_t p = leads_at + leads.size();
    for (std::size_t c = 0; c < columns; ++c) {
        cursor[c] = p;
        for (std::size_t i = 0; i < count[c]; ++i) {
            std::uint64_t value = 0;
            if (!read_varint(content, p, value))
                return at(p, ("field column " + std::to_string(c / plain_kinds) + " of kind " +
                              std::to_string(c % plain_kinds) + " is cut or damaged")
                                 .c_str());
        }
    }
    if (p != content.size()) return at(p, "bytes follow the last field column");

    // Pass 2: the records again, each event's fields taken from its columns in order. The rows are
    // exactly the lead stream and the columns' bytes: written through a pointer into a buffer of
    // that size (no append per field; this is the load path of every 1.4 block).
    out.resize(content.size() - leads_at);
    char* w = out.data();
    const char* const base = content.data();
    auto copy_varint = [&w](const char* from) {
        while (static_cast<unsigned char>(*from) & 0x80) *w++ = *from++; // well formed: checked above
        *w++ = *from++;
        return from;
    };
    for (std::size_t q = 0; q < leads.size();) {
        const char* lead_at = leads.data() + q;
        std::uint64_t lead = 0, length = 0;
        read_varint(leads, q, lead); // checked in pass 1
        const bool framed = (lead & framed_kind) == framed_kind;
        if (framed) read_varint(leads, q, length);
        w = std::copy(lead_at, leads.data() + q, w);
        if (framed) {
            w = std::copy(leads.data() + q, leads.data() + q + length, w);
            q += static_cast<std::size_t>(length);
            continue;
        }
        const std::uint64_t mask = lead >> kind_bits;
        const std::size_t kind = static_cast<std::size_t>(lead & framed_kind);
        for (std::uint64_t m = mask & ((1u << value_fields) - 1); m != 0; m &= m - 1) {
            std::size_t& from = cursor[column_of(static_cast<std::size_t>(__builtin_ctzll(m)), kind)];
            from = static_cast<std::size_t>(copy_varint(base + from) - base);
        }
        if (mask & f_extra) {
            const std::size_t from = q;
            read_varint(leads, q, length);
            q += static_cast<std::size_t>(length);
            w = std::copy(leads.data() + from, leads.data() + q, w);
        }
    }
    if (w != out.data() + out.size()) return at(leads_at, "the columns do not add up to the records"); // cannot happen
    return {};
}

} // namespace coroscope::traces::binary
