#include "binary_decoder.hpp"
#include "block_columns.hpp"
#include "model_block.hpp"
#include "dictionary.hpp"

#include <coroscope/traces/binary.hpp>
#include <coroscope/traces/header.hpp>

#include <limits>
#include <type_traits>

namespace coroscope::traces::binary {

namespace {

enum class res { ok, more, bad };

// Reads from a byte range; never reads past end.
struct cursor {
    const unsigned char* p;
    const unsigned char* end;

    std::size_t left() const { return static_cast<std::size_t>(end - p); }

    res varint(std::uint64_t& out) {
        std::uint64_t value = 0;
        for (int i = 0; i < 10; ++i) {
            if (p == end) return res::more;
            unsigned byte = *p++;
            if (i == 9 && byte > 1) return res::bad; // more than 64 bits
            value |= std::uint64_t{byte & 0x7fu} << (7 * i);
            if ((byte & 0x80u) == 0) {
                out = value;
                return res::ok;
            }
        }
        return res::bad;
    }
};

cursor make_cursor(std::string_view bytes) {
    auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    return {p, p + bytes.size()};
}

std::string kind_label(std::uint64_t kind) {
    if (kind < static_cast<std::uint64_t>(event_kind_count)) return std::string(to_string(static_cast<event_kind>(kind)));
    return "kind " + std::to_string(kind);
}

// Decodes the fields selected by mask into e (which holds the delta state on entry). On a damaged
// field the rest is still walked, so that the record's end is known; problem names the first one.
res decode_fields(cursor& c, std::uint32_t mask, event& e, std::string& problem) {
    auto fail = [&](std::string what) {
        if (problem.empty()) problem = std::move(what);
    };
    auto field = [&](std::uint32_t bit, const char* name, std::uint64_t& v) -> res {
        if ((mask & bit) == 0) return res::ok;
        res r = c.varint(v);
        if (r == res::bad) fail(std::string("field '") + name + "' is a varint longer than 64 bits");
        return r;
    };
    auto fits = [&](std::uint64_t v, std::uint64_t max, const char* name) {
        if (v > max) fail(std::string("field '") + name + "' value " + std::to_string(v) + " is out of range");
    };
    std::uint64_t v = 0;
    res r;
    if ((r = field(f_ts, "ts", v)) != res::ok) return r;
    if (mask & f_ts) e.ts_ns += unzigzag64(v);
    if ((r = field(f_task, "task", v)) != res::ok) return r;
    if (mask & f_task) {
        fits(v, std::numeric_limits<std::uint32_t>::max(), "task");
        e.task = static_cast<std::uint32_t>(v);
    }
    if ((r = field(f_a, "a", v)) != res::ok) return r;
    if (mask & f_a) {
        fits(v, std::numeric_limits<std::uint32_t>::max(), "a");
        e.a = static_cast<std::uint32_t>(v);
    }
    if ((r = field(f_code, "code", v)) != res::ok) return r;
    if (mask & f_code) {
        fits(v, std::numeric_limits<std::uint8_t>::max(), "code");
        e.code = static_cast<std::uint8_t>(v);
    }
    if ((r = field(f_b, "b", v)) != res::ok) return r;
    if (mask & f_b) e.b = v;
    if ((r = field(f_step, "step", v)) != res::ok) return r;
    if (mask & f_step) e.step += unzigzag64(v);
    if ((r = field(f_tick, "tick", v)) != res::ok) return r;
    if (mask & f_tick) {
        fits(v, std::numeric_limits<std::uint32_t>::max(), "tick");
        e.tick += unzigzag32(static_cast<std::uint32_t>(v));
    }
    if (mask & f_extra) {
        std::uint64_t n = 0;
        if ((r = c.varint(n)) != res::ok) {
            if (r == res::bad) fail("field 'extra' length is a varint longer than 64 bits");
            return r;
        }
        if (n > max_record_bytes) {
            fail("field 'extra' length " + std::to_string(n) + " exceeds 16 MiB");
            return res::bad;
        }
        if (c.left() < n) return res::more;
        cursor extra{c.p, c.p + n};
        c.p += n;
        if (n > 0) {
            if (extra.varint(v) != res::ok) fail("field 'reserved' is damaged");
            else {
                fits(v, std::numeric_limits<std::uint16_t>::max(), "reserved");
                e.reserved = static_cast<std::uint16_t>(v);
            }
        }
        // Bytes after 'reserved' belong to newer minor versions: ignored.
    }
    return problem.empty() ? res::ok : res::bad;
}

// The longest event record the fast path takes: a 2-byte lead and 7 fields of at most 10 bytes.
constexpr std::size_t fast_margin = 2 + 7 * 10;

// A varint read without bounds checks: the caller guarantees 10 readable bytes. False when it is
// longer than 64 bits.
inline bool fast_varint(const unsigned char*& p, std::uint64_t& out) {
    std::uint64_t byte = *p++;
    if (byte < 0x80) {
        out = byte;
        return true;
    }
    std::uint64_t value = byte & 0x7f;
    for (unsigned shift = 7; shift < 63; shift += 7) {
        byte = *p++;
        value |= (byte & 0x7f) << shift;
        if (byte < 0x80) {
            out = value;
            return true;
        }
    }
    byte = *p++;
    if (byte > 1) return false;
    out = value | (byte << 63);
    return true;
}

// One plain event record of a known kind, with every field in range, into e (which holds the
// delta state). False for anything else; then p and e are left for the checked path to redo.
inline bool fast_event(const unsigned char*& p, event& e) {
    std::uint64_t lead = 0, v = 0;
    if (!fast_varint(p, lead)) return false;
    const std::uint64_t kind = lead & ((1u << kind_bits) - 1), mask = lead >> kind_bits;
    if (kind >= static_cast<std::uint64_t>(event_kind_count) || mask > (field_mask_all & ~f_extra)) return false;
    event n = e;
    n.kind = static_cast<event_kind>(kind);
    n.code = 0;
    n.reserved = 0;
    n.a = 0;
    n.b = 0;
    constexpr std::uint64_t u32 = std::numeric_limits<std::uint32_t>::max();
    if (mask & f_ts) {
        if (!fast_varint(p, v)) return false;
        n.ts_ns += unzigzag64(v);
    }
    if (mask & f_task) {
        if (!fast_varint(p, v) || v > u32) return false;
        n.task = static_cast<std::uint32_t>(v);
    }
    if (mask & f_a) {
        if (!fast_varint(p, v) || v > u32) return false;
        n.a = static_cast<std::uint32_t>(v);
    }
    if (mask & f_code) {
        if (!fast_varint(p, v) || v > 0xff) return false;
        n.code = static_cast<std::uint8_t>(v);
    }
    if (mask & f_b) {
        if (!fast_varint(p, v)) return false;
        n.b = v;
    }
    if (mask & f_step) {
        if (!fast_varint(p, v)) return false;
        n.step += unzigzag64(v);
    }
    if (mask & f_tick) {
        if (!fast_varint(p, v) || v > u32) return false;
        n.tick += unzigzag32(static_cast<std::uint32_t>(v));
    }
    e = n;
    return true;
}

} // namespace

std::size_t stream_decoder::decode_events_fast(std::string_view bytes, std::size_t pos, read_report& report,
                                               event_sink& sink) {
    if (bytes.size() - pos <= fast_margin) return pos;
    const auto* base = reinterpret_cast<const unsigned char*>(bytes.data());
    const auto* p = base + pos;
    const auto* limit = base + bytes.size() - fast_margin;
    std::size_t n = 0;
    while (p < limit) {
        const auto* start = p;
        if (!fast_event(p, m_prev)) {
            p = start;
            break;
        }
        m_batch[n++] = m_prev;
        if (n == batch_size) {
            report.records += n;
            sink.on_events(m_batch, n);
            n = 0;
        }
    }
    if (n > 0) {
        report.records += n;
        sink.on_events(m_batch, n);
    }
    return static_cast<std::size_t>(p - base);
}

std::size_t stream_decoder::decode(std::string_view bytes, std::uint64_t offset, bool at_end, read_report& report,
                                   event_sink& sink) {
    std::size_t pos = 0;
    auto note = [&](std::uint64_t at, const std::string& what) {
        if (report.error.empty()) report.error = "byte " + std::to_string(at) + ": " + what;
    };
    while (pos < bytes.size() && !report.fatal) {
        if (m_header_done) {
            pos = decode_events_fast(bytes, pos, report, sink);
            if (pos == bytes.size()) break;
        }
        std::size_t used = 0;
        std::string problem;
        auto rest = bytes.substr(pos);
        result r = m_header_done ? decode_record(rest, offset + pos, false, used, report, sink, problem)
                                 : decode_header(rest, offset + pos, used, report, sink);
        if (r == result::more) {
            if (at_end) {
                report.truncated = true;
                report.truncated_at = offset + pos;
                pos = bytes.size();
            }
            break;
        }
        if (r == result::bad) {
            ++report.bad_records;
            note(offset + pos, problem);
        }
        pos += used;
    }
    return pos;
}

stream_decoder::result stream_decoder::decode_header(std::string_view bytes, std::uint64_t offset, std::size_t& used,
                                                     read_report& report, event_sink& sink) {
    auto fatal = [&](std::uint64_t at, const std::string& what) {
        report.fatal = true;
        if (report.error.empty()) report.error = "byte " + std::to_string(at) + ": " + what;
        return result::ok;
    };
    constexpr std::size_t fixed = magic.size() + 4;
    if (bytes.size() < fixed) return result::more;
    if (bytes.substr(0, magic.size()) != magic) return fatal(offset, "not a coroscope trace (bad magic)");
    auto u16 = [&](std::size_t at) {
        return static_cast<std::uint16_t>(static_cast<unsigned char>(bytes[at]) |
                                          (static_cast<unsigned char>(bytes[at + 1]) << 8));
    };
    header h;
    h.major = u16(magic.size());
    h.minor = u16(magic.size() + 2);
    if (h.major > format_major) {
        return fatal(offset + magic.size(),
                     "trace format " + std::to_string(h.major) + "." + std::to_string(h.minor) +
                         " is newer than this reader's " + std::to_string(format_major) + "." +
                         std::to_string(format_minor));
    }
    cursor c = make_cursor(bytes);
    const auto* start = c.p;
    c.p += fixed;
    std::uint64_t length = 0;
    res r = c.varint(length);
    if (r == res::more) return result::more;
    if (r == res::bad || length > max_record_bytes)
        return fatal(offset + fixed, "header field 'length' is damaged");
    if (c.left() < length) return result::more;
    used = static_cast<std::size_t>(c.p - start) + static_cast<std::size_t>(length);

    // The body: fields in order; a newer minor may append more, which are ignored.
    cursor body{c.p, c.p + length};
    std::string problem;
    auto text = [&](const char* name, std::string& out) {
        std::uint64_t n = 0;
        if (!problem.empty()) return;
        if (body.varint(n) != res::ok || n > body.left()) {
            problem = std::string("header field '") + name + "' is damaged";
            return;
        }
        out.assign(reinterpret_cast<const char*>(body.p), n);
        body.p += n;
    };
    auto number = [&](const char* name, auto& out) {
        std::uint64_t v = 0;
        if (!problem.empty()) return;
        if (body.varint(v) != res::ok || v > std::numeric_limits<std::remove_reference_t<decltype(out)>>::max()) {
            problem = std::string("header field '") + name + "' is damaged";
            return;
        }
        out = static_cast<std::remove_reference_t<decltype(out)>>(v);
    };
    text("producer", h.producer);
    number("pid", h.pid);
    number("start_unix_ns", h.start_unix_ns);
    text("clock", h.clock_unit);
    number("features", h.features);
    if (!problem.empty() && report.error.empty()) report.error = "byte " + std::to_string(offset + fixed) + ": " + problem;
    m_header_done = true;
    report.header_ok = true;
    sink.on_header(h);
    return result::ok;
}

stream_decoder::result stream_decoder::decode_record(std::string_view bytes, std::uint64_t offset, bool in_block,
                                                     std::size_t& used, read_report& report, event_sink& sink,
                                                     std::string& problem) {
    cursor c = make_cursor(bytes);
    const auto* start = c.p;
    auto done = [&](result r) {
        used = static_cast<std::size_t>(c.p - start);
        return r;
    };
    std::uint64_t lead = 0;
    res r = c.varint(lead);
    if (r == res::more) return result::more;
    if (r == res::bad) {
        problem = "record lead is a varint longer than 64 bits";
        return done(result::bad);
    }
    const std::uint64_t kind_field = lead & ((1u << kind_bits) - 1);
    const std::uint64_t rest = lead >> kind_bits;

    // An event record: fields follow the lead, no length.
    auto finish_event = [&](std::uint64_t kind, std::uint32_t mask, cursor& fields, std::string& why) -> result {
        event e = m_prev;
        e.kind = static_cast<event_kind>(kind & 0xff);
        e.code = 0;
        e.reserved = 0;
        e.a = 0;
        e.b = 0;
        res fr = decode_fields(fields, mask, e, why);
        if (fr == res::more) return result::more;
        if (fr == res::bad) {
            why = kind_label(kind) + " record: " + why;
            return result::bad;
        }
        m_prev = e;
        if (kind < static_cast<std::uint64_t>(event_kind_count)) {
            ++report.records;
            sink.on_event(e);
        } else {
            ++report.unknown_records; // a newer minor version's kind: its deltas still count
        }
        return result::ok;
    };

    if (kind_field != framed_kind) {
        if (rest > field_mask_all) {
            problem = kind_label(kind_field) + " record: field 'mask' has undefined bits";
            return done(result::bad);
        }
        result er = finish_event(kind_field, static_cast<std::uint32_t>(rest), c, problem);
        if (er == result::more) return result::more;
        return done(er);
    }

    // A framed record: varint length, payload.
    std::uint64_t length = 0;
    r = c.varint(length);
    if (r == res::more) return result::more;
    if (r == res::bad || length > max_record_bytes) {
        problem = r == res::bad ? "record field 'length' is a varint longer than 64 bits"
                                : "record field 'length' " + std::to_string(length) + " exceeds 16 MiB";
        return done(result::bad); // the length cannot be trusted: resume after it
    }
    if (c.left() < length) return result::more;
    cursor payload{c.p, c.p + length};
    c.p += length;

    if (rest == record_string) {
        std::uint64_t id = 0, prefix = 0, base = 0;
        auto damaged = [&](const std::string& what) {
            problem = "string record: " + what;
            return done(result::bad);
        };
        if (payload.varint(id) != res::ok || id > std::numeric_limits<std::uint32_t>::max())
            return damaged("field 'id' is damaged");
        if (!plausible_string_id(id, in_block ? offset * block_id_scale : offset))
            return damaged("field 'id' " + std::to_string(id) + " is implausibly large (ids are dense)");
        if (payload.varint(prefix) != res::ok || prefix > max_string_prefix)
            return damaged("field 'prefix' is damaged");
        std::string text;
        if (prefix > 0) {
            if (payload.varint(base) != res::ok || base > std::numeric_limits<std::uint32_t>::max())
                return damaged("field 'base' is damaged");
            auto it = m_strings.find(static_cast<std::uint32_t>(base));
            if (it == m_strings.end() || it->second.size() < prefix)
                return damaged("field 'base' names string " + std::to_string(base) + " which has no such prefix");
            text.assign(it->second, 0, prefix);
        }
        text.append(reinterpret_cast<const char*>(payload.p), payload.left());
        return done(define_string(static_cast<std::uint32_t>(id), std::move(text), report, sink));
    }
    if (rest == record_string_pieces) {
        auto damaged = [&](const std::string& what) {
            problem = "string pieces record: " + what;
            return done(result::bad);
        };
        if (m_last_string_id == std::numeric_limits<std::uint32_t>::max()) return damaged("no next string id");
        const std::uint64_t id = std::uint64_t{m_last_string_id} + 1;
        if (!plausible_string_id(id, in_block ? offset * block_id_scale : offset))
            return damaged("string id " + std::to_string(id) + " is implausibly large (ids are dense)");
        std::string text;
        std::size_t copied = 0;
        while (payload.left() > 0) {
            std::uint64_t h = 0, distance = 0;
            if (payload.varint(h) != res::ok) return damaged("field 'piece' is damaged");
            if ((h & 1) == 0) {
                if ((h >> 1) > payload.left())
                    return damaged("a literal of " + std::to_string(h >> 1) + " bytes runs past the record");
                text.append(reinterpret_cast<const char*>(payload.p), static_cast<std::size_t>(h >> 1));
                payload.p += h >> 1;
                continue;
            }
            if ((h >> 1) > string_copy_max - string_copy_min) return damaged("field 'copy length' is out of range");
            const std::size_t length = static_cast<std::size_t>(h >> 1) + string_copy_min;
            if (payload.varint(distance) != res::ok) return damaged("field 'distance' is damaged");
            const std::size_t reach = m_history.size() + text.size();
            if (distance == 0 || distance > string_window || distance > reach)
                return damaged("field 'distance' " + std::to_string(distance) + " is not in the string history (" +
                               std::to_string(std::min(reach, string_window)) + " bytes)");
            copied += length;
            if (copied > string_copy_budget) return damaged("copies add up to more than 64 KiB");
            // One byte at a time from history + text: a copy may overlap the bytes it produces.
            std::size_t from = reach - static_cast<std::size_t>(distance);
            for (std::size_t k = 0; k < length; ++k, ++from)
                text.push_back(from < m_history.size() ? m_history[from] : text[from - m_history.size()]);
        }
        return done(define_string(static_cast<std::uint32_t>(id), std::move(text), report, sink));
    }
    if (rest == record_wide_event) {
        std::uint64_t kind = 0, mask = 0;
        if (payload.varint(kind) != res::ok) {
            problem = "wide event record: field 'kind' is damaged";
            return done(result::bad);
        }
        if (payload.varint(mask) != res::ok || mask > field_mask_all) {
            problem = kind_label(kind) + " record: field 'mask' is damaged";
            return done(result::bad);
        }
        result er = finish_event(kind, static_cast<std::uint32_t>(mask), payload, problem);
        if (er == result::more) { // the fields run past the payload's length
            problem = kind_label(kind) + " record: fields run past the record's length";
            er = result::bad;
        }
        return done(er);
    }
    if (rest == record_zstd_block) {
        if (in_block) {
            problem = "zstd block record inside a zstd block";
            return done(result::bad);
        }
        return done(decode_block({reinterpret_cast<const char*>(payload.p), payload.left()}, offset, report, sink,
                                 problem));
    }
    ++report.unknown_records; // a record type of a newer minor version: skipped by its length
    return done(result::ok);
}

stream_decoder::result stream_decoder::define_string(std::uint32_t id, std::string text, read_report& report,
                                                     event_sink& sink) {
    m_last_string_id = id;
    if (m_history.size() + text.size() > 2 * string_window) {
        // Copies reach back at most string_window bytes: keep that much.
        std::size_t keep = std::min(m_history.size(), string_window);
        m_history.erase(0, m_history.size() - keep);
    }
    m_history += text;
    auto& slot = m_strings[id];
    slot = std::move(text);
    ++report.records;
    sink.on_string(id, slot);
    return result::ok;
}

stream_decoder::result stream_decoder::decode_block(std::string_view payload, std::uint64_t offset,
                                                    read_report& report, event_sink& sink, std::string& problem) {
    cursor c = make_cursor(payload);
    std::uint64_t layout = 0, length = 0;
    if (c.varint(layout) != res::ok) {
        problem = "zstd block record: field 'layout' is damaged";
        return result::bad;
    }
    std::string_view dictionary;
    if (layout == block_layout_dictionary || layout == block_layout_columns || layout == block_layout_model) {
        std::uint64_t id = 0;
        if (c.varint(id) != res::ok) {
            problem = "zstd block record: field 'dictionary' is damaged";
            return result::bad;
        }
        dictionary = builtin_dictionary(id);
        if (dictionary.empty()) {
            ++report.unknown_records; // a dictionary of a newer minor version: skipped by its length
            return result::ok;
        }
    } else if (layout != block_layout_records) {
        ++report.unknown_records; // a layout of a newer minor version: skipped by its length
        return result::ok;
    }
    if (c.varint(length) != res::ok || length > max_block_bytes) {
        problem = "zstd block record: field 'length' is damaged or exceeds 1 MiB";
        return result::bad;
    }
    std::string_view content;
    if (layout == block_layout_model) {
        // Decoded straight into rows (at most `length` bytes, whatever the coded bytes claim).
        std::string damaged = model_decode({reinterpret_cast<const char*>(c.p), c.left()}, length, dictionary, m_rows);
        if (!damaged.empty()) {
            problem = "zstd block record (modelled): " + damaged;
            return result::bad;
        }
        return decode_rows(m_rows, offset, report, sink);
    }
    if (!m_blocks) m_blocks = std::make_unique<block_decompressor>();
    std::string why = m_blocks->inflate({reinterpret_cast<const char*>(c.p), c.left()}, length, dictionary, content);
    if (!why.empty()) {
        problem = "zstd block record: " + why;
        return result::bad;
    }
    if (layout == block_layout_columns) {
        // Back to rows first; a content byte named below is then a byte of the rows.
        std::string damaged = columns_to_rows(content, m_rows);
        if (!damaged.empty()) {
            problem = "zstd block record (columns): " + damaged;
            return result::bad;
        }
        content = m_rows;
    }
    return decode_rows(content, offset, report, sink);
}

stream_decoder::result stream_decoder::decode_rows(std::string_view content, std::uint64_t offset, read_report& report,
                                                   event_sink& sink) {
    // The content is records as they would stand in the file; a record cut by the block's end is
    // damage (the writer closes blocks between records), and decoding stops there.
    std::size_t pos = 0;
    while (pos < content.size()) {
        pos = decode_events_fast(content, pos, report, sink);
        if (pos == content.size()) break;
        std::size_t used = 0;
        std::string inner;
        result r = decode_record(content.substr(pos), offset, true, used, report, sink, inner);
        if (r == result::more) {
            inner = "the block's content ends inside a record";
            used = content.size() - pos;
            r = result::bad;
        }
        if (r == result::bad) {
            ++report.bad_records;
            if (report.error.empty())
                report.error = "byte " + std::to_string(offset) + ": zstd block, content byte " + std::to_string(pos) +
                               ": " + inner;
        }
        pos += used;
    }
    return result::ok;
}

} // namespace coroscope::traces::binary
