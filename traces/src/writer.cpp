#include <coroscope/traces/writer.hpp>
#include <coroscope/traces/binary.hpp>
#include <coroscope/traces/jsonl.hpp>

#include <cerrno>
#include <cstring>

namespace coroscope::traces {

namespace {
constexpr std::size_t flush_threshold = 1 << 16;
}

file_writer::file_writer(const std::string& path, traces::encoding enc) : m_encoding(enc) {
    if (enc == encoding::binary) m_binary = std::make_unique<binary::encoder>();
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

void file_writer::on_header(const header& h) {
    if (m_binary) put(m_binary->encode_header(h));
    else put(jsonl::encode_header(h));
}

void file_writer::on_string(std::uint32_t id, std::string_view text) {
    if (m_binary) m_binary->encode_string(id, text, m_pending);
    else m_pending += jsonl::encode_string(id, text);
    if (m_pending.size() >= flush_threshold) flush();
}

void file_writer::on_event(const event& e) {
    if (m_binary) m_binary->encode_event(e, m_pending);
    else m_pending += jsonl::encode_event(e);
    if (m_pending.size() >= flush_threshold) flush();
}

namespace {
// Appends the encoding of everything it receives to a string.
class string_writer final : public event_sink {
public:
    explicit string_writer(encoding enc) : m_encoding(enc) {}
    void on_header(const header& h) override {
        out += m_encoding == encoding::binary ? m_binary.encode_header(h) : jsonl::encode_header(h);
    }
    void on_string(std::uint32_t id, std::string_view text) override {
        if (m_encoding == encoding::binary) m_binary.encode_string(id, text, out);
        else out += jsonl::encode_string(id, text);
    }
    void on_event(const event& e) override {
        if (m_encoding == encoding::binary) m_binary.encode_event(e, out);
        else out += jsonl::encode_event(e);
    }
    std::string out;

private:
    encoding m_encoding;
    binary::encoder m_binary;
};
} // namespace

std::string encode(const trace& t, encoding enc) {
    string_writer w(enc);
    replay(t, w);
    return std::move(w.out);
}

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
