#pragma once
// Reading traces: incremental (feed bytes as they arrive) or a whole file at once. The reader
// never throws on bad input: it keeps every complete record and reports what was wrong and where.
#include <coroscope/traces/sink.hpp>
#include <coroscope/traces/trace.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace coroscope::traces {

// binary (the default) is compact; jsonl is the human-readable twin. Both are specified in
// traces/README.md and carry exactly the same information.
enum class encoding { binary, jsonl };

// The encoding a file name suggests: jsonl for names ending in ".jsonl" or ".json", else binary.
encoding encoding_for_path(std::string_view path);

namespace binary {
class stream_decoder;
}

struct read_report {
    bool header_ok = false;            // a valid header was read
    traces::encoding encoding = encoding::jsonl;
    std::uint64_t records = 0;         // complete records delivered (strings and events)
    std::uint64_t unknown_records = 0; // records of kinds this version does not know, skipped
    std::uint64_t bad_records = 0;     // damaged records, skipped
    bool truncated = false;            // the input ended inside a record
    std::uint64_t truncated_at = 0;    // byte offset where the incomplete record began
    std::string error;                 // first problem, one line naming the byte offset and field; "" if none
    bool fatal = false;                // nothing could be read (bad magic, newer major version)
};

// Incremental decoder. Detects the encoding from the first bytes ('{' = JSON Lines, "CSTRACE\0" =
// binary). Feeding a file one byte at a time gives the same result as all at once.
class decoder {
public:
    explicit decoder(event_sink& sink);
    ~decoder();
    decoder(const decoder&) = delete;
    decoder& operator=(const decoder&) = delete;

    void feed(std::string_view bytes);
    // The input ended: whatever is buffered is an incomplete record.
    void finish();
    const read_report& report() const { return m_report; }

private:
    void process_buffer(bool at_end);
    void detect(std::string_view bytes, bool at_end); // sets the encoding from the first bytes
    bool handle_line(std::string_view line, std::uint64_t offset);
    void note_error(std::string message);

    event_sink& m_sink;
    read_report m_report;
    std::string m_buffer;          // bytes not yet consumed
    std::uint64_t m_buffer_offset = 0; // file offset of m_buffer[0]
    std::size_t m_scan = 0;            // where the search for the next newline resumes
    bool m_detected = false;
    std::unique_ptr<binary::stream_decoder> m_binary; // set once the input is known to be binary
};

struct loaded_trace {
    traces::trace trace;
    read_report report;
};

// Loads a whole file. report.error names the file on failure to open.
loaded_trace load_file(const std::string& path);
// Decodes bytes already in memory.
loaded_trace load_bytes(std::string_view bytes);

// One-line summary of the problems in a report, prefixed with the file name; "" when clean.
std::string describe_problems(const std::string& path, const read_report& report);

} // namespace coroscope::traces
