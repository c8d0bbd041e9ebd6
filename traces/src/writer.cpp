#include <coroscope/traces/writer.hpp>
#include <coroscope/traces/binary.hpp>
#include <coroscope/traces/jsonl.hpp>

#include "stream_writer.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace coroscope::traces {

namespace {
constexpr std::size_t flush_threshold = 1 << 16;
}

file_writer::file_writer(const std::string& path, traces::encoding enc, traces::compression c) {
    if (enc == encoding::binary) m_binary = std::make_unique<binary::stream_writer>(c == compression::zstd);
    m_file = std::fopen(path.c_str(), "wb");
    if (!m_file) m_error = path + ": cannot open for writing: " + std::strerror(errno);
}

file_writer::~file_writer() {
    if (m_file) {
        flush();
        std::fclose(m_file);
    }
}

void file_writer::flush() {
    if (m_binary) m_binary->close_block(m_pending);
    write_pending();
}

void file_writer::write_pending() {
    if (!m_file || m_pending.empty()) return;
    std::size_t written = std::fwrite(m_pending.data(), 1, m_pending.size(), m_file);
    m_bytes += written;
    if (written != m_pending.size() && m_error.empty()) m_error = std::string("write failed: ") + std::strerror(errno);
    m_pending.clear();
    std::fflush(m_file);
}

void file_writer::on_header(const header& h) {
    if (m_binary) m_binary->header(h, m_pending);
    else m_pending += jsonl::encode_header(h);
    if (m_pending.size() >= flush_threshold) write_pending();
}

void file_writer::on_string(std::uint32_t id, std::string_view text) {
    if (m_binary) m_binary->string(id, text, m_pending);
    else m_pending += jsonl::encode_string(id, text);
    if (m_pending.size() >= flush_threshold) write_pending();
}

void file_writer::on_event(const event& e) {
    if (m_binary) m_binary->event(e, m_pending);
    else m_pending += jsonl::encode_event(e);
    if (m_pending.size() >= flush_threshold) write_pending();
}

void file_writer::on_events(const event* events, std::size_t count) {
    // Chunks, so that the pending bytes are handed to the OS about every flush_threshold whatever
    // the batch's size.
    constexpr std::size_t chunk = 1024;
    while (count > 0) {
        const std::size_t n = std::min(count, chunk);
        if (m_binary) m_binary->events(events, n, m_pending);
        else
            for (std::size_t i = 0; i < n; ++i) m_pending += jsonl::encode_event(events[i]);
        if (m_pending.size() >= flush_threshold) write_pending();
        events += n;
        count -= n;
    }
}

namespace {
// Appends the encoding of everything it receives to a string.
class string_writer final : public event_sink {
public:
    string_writer(encoding enc, compression c) : m_encoding(enc), m_binary(c == compression::zstd) {}
    void on_header(const header& h) override {
        if (m_encoding == encoding::binary) m_binary.header(h, out);
        else out += jsonl::encode_header(h);
    }
    void on_string(std::uint32_t id, std::string_view text) override {
        if (m_encoding == encoding::binary) m_binary.string(id, text, out);
        else out += jsonl::encode_string(id, text);
    }
    void on_event(const event& e) override {
        if (m_encoding == encoding::binary) m_binary.event(e, out);
        else out += jsonl::encode_event(e);
    }
    void on_events(const event* events, std::size_t count) override {
        if (m_encoding == encoding::binary) return m_binary.events(events, count, out);
        for (std::size_t i = 0; i < count; ++i) out += jsonl::encode_event(events[i]);
    }
    void finish() { m_binary.close_block(out); }
    std::string out;

private:
    encoding m_encoding;
    binary::stream_writer m_binary;
};
} // namespace

std::string encode(const trace& t, encoding enc, compression c) {
    string_writer w(enc, c);
    replay(t, w);
    w.finish();
    return std::move(w.out);
}

void replay(const trace& t, event_sink& sink) {
    sink.on_header(t.header);
    for (std::size_t id = 1; id < t.strings.size(); ++id) sink.on_string(static_cast<std::uint32_t>(id), t.strings[id]);
    sink.on_events(t.events.data(), t.events.size());
}

std::string save_file(const std::string& path, const trace& t, encoding enc, compression c) {
    file_writer out(path, enc, c);
    if (!out.ok()) return out.error();
    replay(t, out);
    out.flush();
    return out.error();
}

} // namespace coroscope::traces
