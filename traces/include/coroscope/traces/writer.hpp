#pragma once
// Writing traces to a file: an event_sink that encodes what it receives.
#include <coroscope/traces/reader.hpp>
#include <coroscope/traces/sink.hpp>
#include <coroscope/traces/trace.hpp>

#include <cstdio>
#include <memory>
#include <string>

namespace coroscope::traces {

namespace binary {
class stream_writer;
}

// Binary only: none writes every record as it comes; zstd batches records into zstd-compressed
// blocks (format 1.2, header feature bit binary::feature_zstd_blocks), typically 2-3x smaller, at
// the cost that a cut file loses the last unfinished block (up to 256 KiB of records).
enum class compression { none, zstd };

class file_writer final : public event_sink {
public:
    // Opens path for writing; ok() tells whether it worked, error() why not. JSON Lines ignores c.
    file_writer(const std::string& path, traces::encoding enc = encoding::binary,
                traces::compression c = compression::none);
    ~file_writer() override;
    file_writer(const file_writer&) = delete;
    file_writer& operator=(const file_writer&) = delete;

    bool ok() const { return m_file != nullptr; }
    const std::string& error() const { return m_error; }

    void on_header(const header& h) override;
    void on_string(std::uint32_t id, std::string_view text) override;
    void on_event(const event& e) override;
    // One call per batch (the scheduler hands over its buffered events this way): binary encodes
    // them with one resize per chunk instead of one append and one virtual call per event.
    void on_events(const event* events, std::size_t count) override;
    // Hands everything received so far to the OS (with zstd: closes the current block first).
    void flush();
    std::uint64_t bytes_written() const { return m_bytes; }

private:
    void write_pending();

    std::FILE* m_file = nullptr;
    std::string m_error;
    std::string m_pending; // encoded bytes not yet handed to the OS
    std::uint64_t m_bytes = 0;
    std::unique_ptr<binary::stream_writer> m_binary; // delta, string and block state of the binary encoding
};

// Encodes a whole trace in memory (header, strings, events as replay() orders them).
std::string encode(const trace& t, encoding enc = encoding::binary, compression c = compression::none);

// Writes a whole trace; returns "" or the error.
std::string save_file(const std::string& path, const trace& t, encoding enc = encoding::binary,
                      compression c = compression::none);
// Replays a trace into a sink: header, then strings before the first event that uses them.
void replay(const trace& t, event_sink& sink);

} // namespace coroscope::traces
