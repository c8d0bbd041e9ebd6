// JSON Lines encoding: exact round trip, truncation, damaged records, version checks.
#include "support.hpp"

#include <coroscope/traces/jsonl.hpp>
#include <coroscope/traces/reader.hpp>
#include <coroscope/traces/writer.hpp>

#include <catch2/catch.hpp>

#include <fstream>
#include <random>
#include <sstream>

using namespace coroscope::traces;

namespace {

trace random_trace(std::uint32_t seed, std::size_t events) {
    std::mt19937_64 rng(seed);
    trace t;
    t.header.producer = "random \"quoted\" producer";
    t.header.pid = 1234;
    t.header.start_unix_ns = rng();
    t.define_string(1, "plain");
    t.define_string(2, "with \"quotes\", tabs\t and\nnewlines");
    t.define_string(3, "ünïcödé ✓");
    for (std::size_t i = 0; i < events; ++i) {
        event e;
        e.kind = static_cast<event_kind>(rng() % event_kind_count);
        e.ts_ns = rng();
        e.step = rng();
        e.tick = static_cast<std::uint32_t>(rng());
        e.task = static_cast<std::uint32_t>(rng() % 3 == 0 ? 0 : rng());
        e.code = static_cast<std::uint8_t>(rng() % 4);
        e.reserved = static_cast<std::uint16_t>(rng() % 5 == 0 ? rng() : 0);
        e.a = static_cast<std::uint32_t>(rng());
        e.b = rng();
        t.events.push_back(e);
    }
    return t;
}

std::string encode_jsonl(const trace& t) {
    std::string out = jsonl::encode_header(t.header);
    for (std::size_t id = 1; id < t.strings.size(); ++id) out += jsonl::encode_string(static_cast<std::uint32_t>(id), t.strings[id]);
    for (const event& e : t.events) out += jsonl::encode_event(e);
    return out;
}

} // namespace

TEST_CASE("JSON Lines round trip is exact for any field values") {
    trace original = random_trace(7, 2000);
    loaded_trace loaded = load_bytes(encode_jsonl(original));
    CHECK(loaded.report.error.empty());
    CHECK_FALSE(loaded.report.truncated);
    CHECK(loaded.report.records == original.events.size() + original.strings.size() - 1);
    CHECK(loaded.trace.header == original.header);
    CHECK(loaded.trace.strings == original.strings);
    CHECK(loaded.trace.events == original.events);
}

TEST_CASE("file_writer and load_file round trip through a file") {
    trace original = random_trace(11, 500);
    std::string path = test_support::temp_path("roundtrip.jsonl");
    REQUIRE(save_file(path, original, encoding::jsonl).empty());
    loaded_trace loaded = load_file(path);
    CHECK(loaded.trace.events == original.events);
    CHECK(loaded.trace.strings == original.strings);
    std::remove(path.c_str());
}

TEST_CASE("a JSON Lines trace cut at any byte keeps every complete record") {
    trace original = random_trace(3, 40);
    std::string bytes = encode_jsonl(original);
    std::size_t header_end = bytes.find('\n') + 1;
    std::size_t previous_records = 0;
    for (std::size_t cut = header_end; cut <= bytes.size(); ++cut) {
        loaded_trace loaded = load_bytes(std::string_view(bytes).substr(0, cut));
        // Records fully before the cut survive; the cut record is reported with its offset.
        std::size_t complete = 0, last_line_start = header_end;
        for (std::size_t i = header_end; i < cut; ++i) {
            if (bytes[i] == '\n') {
                ++complete;
                last_line_start = i + 1;
            }
        }
        CHECK(loaded.report.records >= complete);
        CHECK(loaded.report.records >= previous_records);
        previous_records = loaded.report.records;
        if (loaded.report.truncated) CHECK(loaded.report.truncated_at == last_line_start);
        else CHECK((cut == bytes.size() || bytes[cut - 1] == '\n' || loaded.report.records == complete + 1));
    }
}

TEST_CASE("feeding one byte at a time gives the same result as all at once") {
    trace original = random_trace(5, 100);
    std::string bytes = encode_jsonl(original);
    bytes.resize(bytes.size() - 17); // and cut inside the last record
    loaded_trace whole = load_bytes(bytes);
    collector sink;
    decoder d(sink);
    for (char c : bytes) d.feed(std::string_view(&c, 1));
    d.finish();
    CHECK(sink.trace().events == whole.trace.events);
    CHECK(d.report().truncated == whole.report.truncated);
    CHECK(d.report().truncated_at == whole.report.truncated_at);
    CHECK(whole.report.truncated);
}

TEST_CASE("damaged records are skipped, counted and named with their byte offset") {
    trace original = random_trace(9, 3);
    std::string bytes = encode_jsonl(original);
    std::size_t second_event = bytes.find("{\"kind\"");
    second_event = bytes.find("{\"kind\"", second_event + 1);
    std::string damaged = bytes.substr(0, second_event) + "{\"kind\":\"task_resume\",\"ts\":\"soon\"}\n" + bytes.substr(second_event);
    loaded_trace loaded = load_bytes(damaged);
    CHECK(loaded.report.bad_records == 1);
    CHECK(loaded.trace.events.size() == original.events.size());
    CHECK_THAT(loaded.report.error, Catch::Contains("byte " + std::to_string(second_event)) && Catch::Contains("'ts'"));
}

TEST_CASE("a newer major version is refused naming both versions, a newer minor loads") {
    std::string newer_major = "{\"coroscope\":\"trace\",\"version\":\"2.0\"}\n";
    loaded_trace refused = load_bytes(newer_major);
    CHECK(refused.report.fatal);
    CHECK_THAT(refused.report.error, Catch::Contains("2.0") && Catch::Contains(std::to_string(format_major) + "." + std::to_string(format_minor)));

    std::string newer_minor = "{\"coroscope\":\"trace\",\"version\":\"1.7\"}\n"
                              "{\"kind\":\"teleport\",\"ts\":1}\n"
                              "{\"kind\":\"mark\",\"ts\":2,\"step\":0,\"tick\":0,\"text\":0}\n";
    loaded_trace loaded = load_bytes(newer_minor);
    CHECK_FALSE(loaded.report.fatal);
    CHECK(loaded.report.unknown_records == 1);
    CHECK(loaded.trace.events.size() == 1);
}

TEST_CASE("not a trace at all is refused in one line naming the problem") {
    loaded_trace loaded = load_bytes("hello world\n");
    CHECK(loaded.report.fatal);
    CHECK_THAT(describe_problems("notes.txt", loaded.report), Catch::StartsWith("notes.txt: byte 0: "));
    loaded_trace missing = load_file("/nonexistent/trace.jsonl");
    CHECK(missing.report.fatal);
}
