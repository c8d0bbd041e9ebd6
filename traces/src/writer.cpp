#include <coroscope/traces/writer.hpp>
#include <coroscope/traces/jsonl.hpp>

#include <cerrno>
#include <cstring>

namespace coroscope::traces {

namespace {
constexpr std::size_t flush_threshold = 1 << 16;
}

file_writer::file_writer(const std::string& path, traces::encoding enc) : m_encoding(enc) {
    m_file = std::fopen(path.c_str(), "wb");
    if (!m_file) m_error = path + ": cannot open for writing: " + std::strerror(errno);
}

file_writer::~file_writer() {
    if (m_file) {
        flush();
        std::fclose(m_file);
    }
}

void file_writer::put(std::string_view bytes) {
    m_pending.append(bytes);
    if (m_pending.size() >= flush_threshold) flush();
}

void file_writer::flush() {
    if (!m_file || m_pending.empty()) return;
    std::size_t written = std::fwrite(m_pending.data(), 1, m_pending.size(), m_file);
    m_bytes += written;
    if (written != m_pending.size() && m_error.empty()) m_error = std::string("write failed: ") + std::strerror(errno);
    m_pending.clear();
    std::fflush(m_file);
}

void file_writer::on_header(const header& h) { put(jsonl::encode_header(h)); }
void file_writer::on_string(std::uint32_t id, std::string_view text) { put(jsonl::encode_string(id, text)); }
void file_writer::on_event(const event& e) { put(jsonl::encode_event(e)); }

void replay(const trace& t, event_sink& sink) {
    sink.on_header(t.header);
    for (std::size_t id = 1; id < t.strings.size(); ++id) sink.on_string(static_cast<std::uint32_t>(id), t.strings[id]);
    for (const event& e : t.events) sink.on_event(e);
}

std::string save_file(const std::string& path, const trace& t, encoding enc) {
    file_writer out(path, enc);
    if (!out.ok()) return out.error();
    replay(t, out);
    out.flush();
    return out.error();
}

} // namespace coroscope::traces
