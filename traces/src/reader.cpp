#include <coroscope/traces/reader.hpp>
#include <coroscope/traces/collector.hpp>
#include <coroscope/traces/binary.hpp>
#include "binary_decoder.hpp"
#include "jsonl_fields.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <limits>

namespace coroscope::traces {

using nlohmann::json;

namespace {

// Reads an unsigned integer field; missing means 0. Returns false (and names the field) when wrong.
template <typename T>
bool read_uint(const json& j, const char* name, T& out, std::string& problem) {
    auto it = j.find(name);
    if (it == j.end()) {
        out = 0;
        return true;
    }
    if (it->is_number_unsigned() && it->get<std::uint64_t>() <= std::numeric_limits<T>::max()) {
        out = static_cast<T>(it->get<std::uint64_t>());
        return true;
    }
    problem = std::string("field '") + name + "' is not an unsigned integer in range";
    return false;
}

bool parse_version(const std::string& text, std::uint16_t& major, std::uint16_t& minor) {
    auto dot = text.find('.');
    if (dot == std::string::npos) return false;
    auto r1 = std::from_chars(text.data(), text.data() + dot, major);
    auto r2 = std::from_chars(text.data() + dot + 1, text.data() + text.size(), minor);
    return r1.ec == std::errc{} && r2.ec == std::errc{} && r1.ptr == text.data() + dot &&
           r2.ptr == text.data() + text.size();
}

} // namespace

decoder::decoder(event_sink& sink) : m_sink(sink) {}
decoder::~decoder() = default;

void decoder::note_error(std::string message) {
    if (m_report.error.empty()) m_report.error = std::move(message);
}

void decoder::feed(std::string_view bytes) {
    if (m_report.fatal) return;
    if (m_buffer.empty() && !m_detected) detect(bytes, false);
    if (m_report.fatal) return;
    if (m_binary && m_buffer.empty()) {
        // Nothing is pending: decode straight from the caller's bytes and keep only the incomplete rest.
        std::size_t used = m_binary->decode(bytes, m_buffer_offset, false, m_report, m_sink);
        m_buffer.assign(bytes.substr(used));
        m_buffer_offset += used;
        return;
    }
    m_buffer.append(bytes);
    process_buffer(false);
}

void decoder::detect(std::string_view bytes, bool at_end) {
    if (bytes.empty()) return;
    if (bytes[0] == '{') {
        m_detected = true;
        m_report.encoding = encoding::jsonl;
        return;
    }
    m_report.encoding = encoding::binary;
    std::size_t n = std::min(bytes.size(), binary::magic.size());
    if (bytes.substr(0, n) != binary::magic.substr(0, n)) {
        m_report.fatal = true;
        note_error("byte 0: not a coroscope trace (neither a JSON Lines header nor the binary magic)");
        return;
    }
    if (n < binary::magic.size()) {
        if (at_end) {
            m_report.truncated = true;
            m_report.truncated_at = 0;
        }
        return;
    }
    m_detected = true;
    m_binary = std::make_unique<binary::stream_decoder>();
}

void decoder::finish() {
    if (m_report.fatal) return;
    process_buffer(true);
    if (!m_report.header_ok && !m_report.fatal) {
        m_report.fatal = true;
        note_error("byte 0: no trace header (empty or not a coroscope trace)");
    }
}

void decoder::process_buffer(bool at_end) {
    if (!m_detected) {
        detect(m_buffer, at_end);
        if (!m_detected) return;
    }
    if (m_binary) {
        std::size_t used = m_binary->decode(m_buffer, m_buffer_offset, at_end, m_report, m_sink);
        m_buffer.erase(0, used);
        m_buffer_offset += used;
        return;
    }
    std::size_t start = 0;
    while (!m_report.fatal) {
        auto newline = m_buffer.find('\n', m_scan);
        if (newline == std::string::npos) break;
        std::string_view line(m_buffer.data() + start, newline - start);
        handle_line(line, m_buffer_offset + start);
        start = newline + 1;
        m_scan = start;
    }
    if (at_end && !m_report.fatal && start < m_buffer.size()) {
        // The last line has no newline: complete if it parses, else the file was cut inside it.
        std::string_view rest(m_buffer.data() + start, m_buffer.size() - start);
        json probe = json::parse(rest, nullptr, false);
        if (!probe.is_discarded()) {
            handle_line(rest, m_buffer_offset + start);
        } else {
            m_report.truncated = true;
            m_report.truncated_at = m_buffer_offset + start;
        }
        start = m_buffer.size();
    }
    m_buffer.erase(0, start);
    m_buffer_offset += start;
    m_scan = m_buffer.size(); // the rest holds no newline: resume the search after it
}

bool decoder::handle_line(std::string_view line, std::uint64_t offset) {
    if (line.empty() || line == "\r") return true;
    json j = json::parse(line, nullptr, false);
    auto at = [&](const std::string& what) { return "byte " + std::to_string(offset) + ": " + what; };
    if (j.is_discarded() || !j.is_object()) {
        if (!m_report.header_ok) {
            m_report.fatal = true;
            note_error(at("not a coroscope trace (the first line is not a JSON object)"));
            return false;
        }
        ++m_report.bad_records;
        note_error(at("damaged record (not a JSON object)"));
        return false;
    }
    if (!m_report.header_ok) {
        header h;
        auto magic = j.find("coroscope");
        if (magic == j.end() || !magic->is_string() || *magic != "trace") {
            m_report.fatal = true;
            note_error(at("not a coroscope trace (field 'coroscope' is not \"trace\")"));
            return false;
        }
        auto version = j.find("version");
        if (version == j.end() || !version->is_string() ||
            !parse_version(version->get<std::string>(), h.major, h.minor)) {
            m_report.fatal = true;
            note_error(at("header field 'version' is missing or not \"MAJOR.MINOR\""));
            return false;
        }
        if (h.major > format_major) {
            m_report.fatal = true;
            note_error(at("trace format " + std::to_string(h.major) + "." + std::to_string(h.minor) +
                          " is newer than this reader's " + std::to_string(format_major) + "." +
                          std::to_string(format_minor)));
            return false;
        }
        std::string problem;
        if (auto p = j.find("producer"); p != j.end() && p->is_string()) h.producer = p->get<std::string>();
        if (auto c = j.find("clock"); c != j.end() && c->is_string()) h.clock_unit = c->get<std::string>();
        if (!read_uint(j, "pid", h.pid, problem) || !read_uint(j, "start_unix_ns", h.start_unix_ns, problem) ||
            !read_uint(j, "features", h.features, problem)) {
            note_error(at("header " + problem));
        }
        m_report.header_ok = true;
        m_sink.on_header(h);
        return true;
    }
    if (auto s = j.find("string"); s != j.end()) {
        auto text = j.find("text");
        if (!s->is_number_unsigned() || s->get<std::uint64_t>() > std::numeric_limits<std::uint32_t>::max() ||
            text == j.end() || !text->is_string()) {
            ++m_report.bad_records;
            note_error(at("damaged string record (field 'string' or 'text')"));
            return false;
        }
        if (!binary::plausible_string_id(s->get<std::uint64_t>(), offset)) {
            ++m_report.bad_records;
            note_error(at("damaged string record (field 'string' " + s->dump() + " is implausibly large; ids are dense)"));
            return false;
        }
        ++m_report.records;
        m_sink.on_string(s->get<std::uint32_t>(), text->get<std::string>());
        return true;
    }
    auto kind_field = j.find("kind");
    if (kind_field == j.end() || !kind_field->is_string()) {
        ++m_report.bad_records;
        note_error(at("damaged record (field 'kind' is missing)"));
        return false;
    }
    event e;
    if (!parse_event_kind(kind_field->get<std::string>(), e.kind)) {
        ++m_report.unknown_records; // a newer minor version's record: skipped by design
        return true;
    }
    const auto& f = jsonl::fields_of(e.kind);
    std::string problem;
    bool ok = read_uint(j, "ts", e.ts_ns, problem) && read_uint(j, "step", e.step, problem) &&
              read_uint(j, "tick", e.tick, problem) && read_uint(j, "task", e.task, problem) &&
              read_uint(j, "reserved", e.reserved, problem);
    const char* code_field = f.code.empty() ? "code" : f.code.data();
    if (ok) {
        auto c = j.find(code_field);
        if (c != j.end() && c->is_string()) {
            auto v = jsonl::parse_code(f.code_type, c->get<std::string>());
            if (!v) {
                ok = false;
                problem = "field '" + std::string(code_field) + "' has unknown value " + c->dump();
            } else {
                e.code = *v;
            }
        } else {
            ok = read_uint(j, code_field, e.code, problem);
        }
    }
    if (ok) ok = read_uint(j, f.a.empty() ? "a" : f.a.data(), e.a, problem);
    if (ok) {
        const char* b_field = f.b.empty() ? "b" : f.b.data();
        auto b = j.find(b_field);
        if (f.b_signed && b != j.end() && b->is_number_integer() && !b->is_number_unsigned()) {
            e.b = static_cast<std::uint64_t>(b->get<std::int64_t>());
        } else {
            ok = read_uint(j, b_field, e.b, problem);
        }
    }
    if (!ok) {
        ++m_report.bad_records;
        note_error(at(std::string(to_string(e.kind)) + " " + problem));
        return false;
    }
    ++m_report.records;
    m_sink.on_event(e);
    return true;
}

encoding encoding_for_path(std::string_view path) {
    auto ends_with = [&](std::string_view suffix) {
        return path.size() >= suffix.size() && path.substr(path.size() - suffix.size()) == suffix;
    };
    return ends_with(".jsonl") || ends_with(".json") ? encoding::jsonl : encoding::binary;
}

loaded_trace load_bytes(std::string_view bytes) {
    collector sink;
    // Dense real traces take ~4 bytes per event in plain binary (bench-trace-load: 4.1), so this is
    // one allocation for them and at most ~1.5x too much for sparser ones (JSON Lines: far less).
    if (bytes.size() >= binary::magic.size() && bytes.substr(0, binary::magic.size()) == binary::magic)
        sink.reserve_events(bytes.size() / 4);
    decoder d(sink);
    d.feed(bytes);
    d.finish();
    return {sink.take(), d.report()};
}

loaded_trace load_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        loaded_trace result;
        result.report.fatal = true;
        result.report.error = "cannot open file";
        return result;
    }
    collector sink;
    decoder d(sink);
    std::string chunk(1 << 16, '\0');
    while (in) {
        in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
        d.feed(std::string_view(chunk.data(), static_cast<std::size_t>(in.gcount())));
    }
    d.finish();
    return {sink.take(), d.report()};
}

std::string describe_problems(const std::string& path, const read_report& r) {
    std::string out;
    if (!r.error.empty()) out = path + ": " + r.error;
    if (r.truncated) {
        if (!out.empty()) out += "; ";
        else out = path + ": ";
        out += "truncated at byte " + std::to_string(r.truncated_at);
    }
    if (r.bad_records > 0 && !out.empty()) out += " (" + std::to_string(r.bad_records) + " damaged records skipped)";
    return out;
}

} // namespace coroscope::traces
