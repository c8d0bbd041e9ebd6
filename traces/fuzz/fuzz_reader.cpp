// libFuzzer target: the trace reader on arbitrary bytes (binary, zstd blocks, JSON Lines).
//
// Invariants checked on every input (a violation aborts, which libFuzzer reports as a crash):
// - decoding never crashes, leaks or trips a sanitizer, and ends (libFuzzer's -timeout);
// - the result does not depend on how the input is split: all at once, one byte at a time (inputs
//   up to 1 KiB) and chunks of sizes taken from the input itself give the same report and the same
//   sequence of delivered header, strings and events (compared by a running hash);
// - a string id delivered to the sink is within the documented bound (65536 or 16x the input's
//   size), so a sink that keeps strings in a vector indexed by id never allocates beyond it;
// - the report is coherent: fatal => nothing was delivered past the header, truncated_at <= size,
//   a non-empty error whenever something was damaged;
// - the columns layout's decoder (format 1.4, behind a zstd checksum in files) and the modelled
//   layout's (1.5) on the raw input: see LLVMFuzzerTestOneInput.
// Memory: run with -malloc_limit_mb / -rss_limit_mb (make fuzz does): the decoder buffers only the
// input it was given plus one inflated zstd block (<= 1 MiB; a 1.4 columns block: its rows, <= 1 MiB
// more; a modelled block: its rows, <= 1 MiB, and its model tables, <= 2 x 4 MiB), the strings and the 1.3 string history
// (<= 128 KiB; the copies of one string add up to at most 64 KiB).
#include <coroscope/traces/reader.hpp>

#include <coroscope/traces/binary.hpp>

#include "../src/block_columns.hpp"
#include "../src/dictionary.hpp"
#include "../src/model_block.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

namespace tr = coroscope::traces;

// FNV-1a over everything delivered, in order.
class hashing_sink final : public tr::event_sink {
public:
    explicit hashing_sink(std::size_t input_size) : m_id_bound(std::max<std::uint64_t>(1u << 16, 16 * input_size)) {}
    void on_header(const tr::header& h) override {
        mix(1);
        mix(h.major);
        mix(h.minor);
        mix(h.producer);
        mix(h.pid);
        mix(h.start_unix_ns);
        mix(h.clock_unit);
        mix(h.features);
        ++headers;
    }
    void on_string(std::uint32_t id, std::string_view text) override {
        if (id > m_id_bound) fail("string id beyond the plausibility bound");
        mix(2);
        mix(id);
        mix(text);
        ++items;
    }
    void on_event(const tr::event& e) override {
        mix(3);
        mix(e.ts_ns);
        mix(e.step);
        mix(e.tick);
        mix(e.task);
        mix(static_cast<std::uint64_t>(e.kind));
        mix(e.code);
        mix(e.reserved);
        mix(e.a);
        mix(e.b);
        ++items;
    }
    static void fail(const char* what) {
        std::fprintf(stderr, "fuzz-trace-reader: invariant broken: %s\n", what);
        std::abort();
    }

    std::uint64_t hash = 1469598103934665603ull;
    std::uint64_t items = 0;
    int headers = 0;

private:
    void mix(std::uint64_t v) {
        for (int i = 0; i < 8; ++i) {
            hash ^= (v >> (8 * i)) & 0xff;
            hash *= 1099511628211ull;
        }
    }
    void mix(std::string_view s) {
        mix(s.size());
        for (unsigned char c : s) {
            hash ^= c;
            hash *= 1099511628211ull;
        }
    }
    std::uint64_t m_id_bound;
};

struct outcome {
    std::uint64_t hash, items;
    tr::read_report report;
};

// Feeds the input in chunks; chunk(i) gives the size of the i-th chunk.
template <typename Chunk>
outcome decode(std::string_view input, Chunk chunk) {
    hashing_sink sink(input.size());
    tr::decoder d(sink);
    std::size_t at = 0;
    for (std::size_t i = 0; at < input.size(); ++i) {
        std::size_t n = std::min(chunk(i), input.size() - at);
        d.feed(input.substr(at, n));
        at += n;
    }
    d.finish();
    if (sink.headers > 1) hashing_sink::fail("more than one header delivered");
    const auto& r = d.report();
    if (r.truncated && r.truncated_at > input.size()) hashing_sink::fail("truncated_at beyond the input");
    if ((r.bad_records > 0 || r.fatal) && r.error.empty())
        hashing_sink::fail("damage without an error message");
    if (!r.header_ok && sink.items > 0) hashing_sink::fail("records delivered without a header");
    if (r.records != sink.items) hashing_sink::fail("report.records differs from what was delivered");
    return {sink.hash, sink.items, r};
}

bool same(const outcome& a, const outcome& b) {
    const auto &x = a.report, &y = b.report;
    return a.hash == b.hash && a.items == b.items && x.header_ok == y.header_ok && x.encoding == y.encoding &&
           x.records == y.records && x.unknown_records == y.unknown_records && x.bad_records == y.bad_records &&
           x.truncated == y.truncated && x.truncated_at == y.truncated_at && x.error == y.error && x.fatal == y.fatal;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    outcome whole = decode(input, [&](std::size_t) { return input.size() + 1; });
    // Chunk sizes from the input's own bytes (1..256), so the fuzzer explores the split points too.
    outcome chunked = decode(input, [&](std::size_t i) { return size == 0 ? 1 : std::size_t{data[i % size]} + 1; });
    if (!same(whole, chunked)) hashing_sink::fail("chunked decoding differs from decoding all at once");
    // The columns layout (1.4) sits behind a zstd checksum, which random bytes rarely pass: its
    // decoder is also fed the input directly. It must refuse or succeed without reading out of
    // bounds, never make more bytes than it was given, and what it accepts must be rows that
    // rows_to_columns lays out again into as many bytes (the same up to the lead stream's length varint).
    {
        std::string rows, again;
        if (coroscope::traces::binary::columns_to_rows(input, rows).empty()) {
            if (rows.size() > size) hashing_sink::fail("columns_to_rows made more bytes than it was given");
            coroscope::traces::binary::rows_to_columns(rows, again);
            if (again.size() > size) hashing_sink::fail("columns of accepted rows are longer than the input");
        }
    }
    // The modelled layout (1.5) has no checksum, so mutated goldens reach it through the reader
    // above; its decoder is also fed the input directly, with a content length taken from the
    // input's first bytes (up to 64 KiB + 1, the largest a modelled block may claim + 1): it must refuse or succeed and never make more rows than
    // that length, and rows it accepts must code again into rows that decode to themselves. The
    // length is at most 16 bytes per input byte (+64): the model's tables grow with the length, and
    // a 1 KiB input claiming 64 KiB took a second per run under ASan; inputs of 4 KiB and more
    // still reach every length up to the refused 64 KiB + 1.
    {
        const std::size_t longest = std::min(coroscope::traces::binary::zstd_small_block + 1, 16 * size + 64);
        const std::size_t length = (size < 3 ? size : (std::size_t{data[0]} | std::size_t{data[1]} << 8 |
                                                       static_cast<std::size_t>(data[2] & 0x01) << 16)) %
                                   (longest + 1);
        const std::string_view dictionary = coroscope::traces::binary::builtin_dictionary(1);
        std::string rows, coded, again;
        const std::string why = coroscope::traces::binary::model_decode(input.substr(std::min<std::size_t>(3, size)), length,
                                                                        dictionary, rows);
        if (rows.size() > length) hashing_sink::fail("model_decode made more rows than the content length");
        if (why.empty()) {
            if (rows.size() != length) hashing_sink::fail("model_decode accepted rows of another length");
            coroscope::traces::binary::model_encode(rows, dictionary, coded);
            if (!coroscope::traces::binary::model_decode(coded, rows.size(), dictionary, again).empty() || again != rows)
                hashing_sink::fail("rows model_decode accepted do not code and decode back to themselves");
        }
    }
    if (size <= 1024) {
        outcome bytewise = decode(input, [](std::size_t) { return std::size_t{1}; });
        if (!same(whole, bytewise)) hashing_sink::fail("byte-at-a-time decoding differs from decoding all at once");
    }
    return 0;
}
