// Binary encoding: exact round trip with JSON Lines, truncation at every byte, chunking
// independence, version rules, unknown records, corruption, and size per event; the same for
// zstd-compressed blocks (format 1.2; 1.4: dictionary and columns layouts); batch encoding.
#include <coroscope/traces/binary.hpp>
#include <coroscope/traces/collector.hpp>
#include <coroscope/traces/jsonl.hpp>
#include <coroscope/traces/reader.hpp>
#include <coroscope/traces/writer.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>

using namespace coroscope::traces;

namespace {

std::uint64_t pick(std::mt19937_64& rng) {
    // Mostly small values (the common case) but every width, including the extremes.
    switch (rng() % 6) {
    case 0: return 0;
    case 1: return rng() % 4;
    case 2: return rng() % 300;
    case 3: return std::numeric_limits<std::uint64_t>::max() - rng() % 3;
    case 4: return rng() >> (rng() % 64);
    default: return rng();
    }
}

trace random_trace(std::uint32_t seed, std::size_t events) {
    std::mt19937_64 rng(seed);
    trace t;
    t.header.producer = "random producer ✓";
    t.header.pid = static_cast<std::uint32_t>(rng());
    t.header.start_unix_ns = rng();
    // Any flags but the one the writer owns: it sets feature_zstd_blocks exactly when it compresses.
    t.header.features = static_cast<std::uint32_t>(rng()) & ~binary::feature_zstd_blocks;
    t.define_string(1, "coroscope::task<int> sample::alpha()");
    t.define_string(2, "coroscope::task<int> sample::alphabet()"); // shares a long prefix
    t.define_string(3, "with \"quotes\", tabs\t and\nnewlines");
    t.define_string(4, "ünïcödé ✓");
    t.define_string(5, "");
    t.define_string(7, "after a gap");
    t.define_string(8, std::string(600, 'x') + "y"); // longer than the longest borrowable prefix
    t.define_string(9, std::string(600, 'x') + "z");
    std::uint64_t ts = rng() % 1000;
    for (std::size_t i = 0; i < events; ++i) {
        event e;
        e.kind = static_cast<event_kind>(rng() % event_kind_count);
        // Realistic runs of increasing timestamps, with occasional jumps backwards and to the ends.
        ts = rng() % 10 == 0 ? pick(rng) : ts + rng() % 5000;
        e.ts_ns = ts;
        e.step = rng() % 3 == 0 ? pick(rng) : i / 3;
        e.tick = static_cast<std::uint32_t>(rng() % 3 == 0 ? pick(rng) : i / 10);
        e.task = static_cast<std::uint32_t>(rng() % 3 == 0 ? 0 : pick(rng));
        e.code = static_cast<std::uint8_t>(rng() % 3 == 0 ? pick(rng) : rng() % 4);
        e.reserved = static_cast<std::uint16_t>(rng() % 5 == 0 ? pick(rng) : 0);
        e.a = static_cast<std::uint32_t>(pick(rng));
        e.b = pick(rng);
        t.events.push_back(e);
    }
    return t;
}

// A trace shaped like a real scheduler run: ticks, resumes, nested frames, timers, polls.
trace realistic_trace(std::size_t ticks) {
    std::mt19937_64 rng(42);
    trace t;
    t.header.producer = "sample-realistic";
    t.header.pid = 4242;
    t.header.start_unix_ns = 1'795'632'761'595'022'214ull;
    std::uint32_t next_string = 1;
    auto intern = [&](const std::string& s) {
        for (std::uint32_t id = 1; id < t.strings.size(); ++id)
            if (t.strings[id] == s) return id;
        t.define_string(next_string, s);
        return next_string++;
    };
    event e;
    auto emit = [&](event_kind kind, std::uint32_t task, std::uint8_t code = 0, std::uint32_t a = 0,
                    std::uint64_t b = 0, std::uint64_t dt = 0) {
        e.ts_ns += dt;
        e.kind = kind;
        e.task = task;
        e.code = code;
        e.a = a;
        e.b = b;
        t.events.push_back(e);
    };
    const int tasks = 6;
    emit(event_kind::trace_start, 0, 0, 4242, 0, 1'465'150);
    for (std::uint32_t task = 1; task <= tasks; ++task) {
        emit(event_kind::task_spawn, task, 0, task == 1 ? 0 : 1, intern("worker " + std::to_string(task)), 400);
        emit(event_kind::task_ready, task, 9, task == 1 ? 0 : 1);
    }
    std::uint32_t timer = 0;
    for (std::size_t tick = 0; tick < ticks; ++tick) {
        e.tick = static_cast<std::uint32_t>(tick);
        emit(event_kind::tick_begin, 0, 0, tasks, 0, 150 + rng() % 100);
        for (std::uint32_t task = 1; task <= tasks; ++task) {
            if (rng() % 3 == 0) continue;
            emit(event_kind::task_resume, task, 0, 0, 0, 100 + rng() % 300);
            int depth = static_cast<int>(rng() % 3);
            for (int d = 0; d < depth; ++d) {
                std::string fn = "coroscope::task<int> sample::stage" + std::to_string(d) + "(int)";
                emit(event_kind::frame_enter, task, 0, intern(fn), intern("samples/realistic.cpp:" + std::to_string(20 + d)));
            }
            if (rng() % 2 == 0) {
                ++timer;
                std::uint64_t due = e.ts_ns + 1'000'000;
                emit(event_kind::timer_arm, task, 0, timer, due);
                emit(event_kind::task_suspend, task, 1, timer, due, 2000 + rng() % 60000);
            } else {
                emit(event_kind::task_suspend, task, 6, 0, 0, 1000 + rng() % 5000);
                emit(event_kind::task_ready, task, 6, task);
            }
            for (int d = 0; d < depth; ++d) emit(event_kind::frame_exit, task);
            ++e.step;
        }
        emit(event_kind::poll_begin, 0, 0, static_cast<std::uint32_t>(rng() % 2), 0, 200);
        std::uint32_t fired = 0;
        for (std::uint32_t task = 1; task <= tasks; ++task) {
            if (rng() % 4 != 0) continue;
            emit(event_kind::timer_fire, task, 0, timer, 0, fired == 0 ? 900'000 : 0);
            emit(event_kind::task_ready, task, 1, 0);
            ++fired;
        }
        emit(event_kind::poll_end, 0, 0, fired, 0, 3000 + rng() % 2000);
    }
    emit(event_kind::trace_end, 0, 0, 0, 0, 500);
    return t;
}

void check_same(const trace& a, const trace& b) {
    CHECK(a.header == b.header);
    CHECK(a.strings == b.strings);
    REQUIRE(a.events.size() == b.events.size());
    for (std::size_t i = 0; i < a.events.size(); ++i) {
        INFO("event " << i);
        REQUIRE(a.events[i] == b.events[i]);
    }
}

void check_same(const read_report& a, const read_report& b) {
    CHECK(a.header_ok == b.header_ok);
    CHECK(a.encoding == b.encoding);
    CHECK(a.records == b.records);
    CHECK(a.unknown_records == b.unknown_records);
    CHECK(a.bad_records == b.bad_records);
    CHECK(a.truncated == b.truncated);
    CHECK(a.truncated_at == b.truncated_at);
    CHECK(a.error == b.error);
    CHECK(a.fatal == b.fatal);
}

loaded_trace load_in_chunks(std::string_view bytes, std::size_t chunk) {
    collector sink;
    decoder d(sink);
    for (std::size_t at = 0; at < bytes.size(); at += chunk) d.feed(bytes.substr(at, chunk));
    d.finish();
    return {sink.take(), d.report()};
}

// Byte sizes of the header and of each record, as the encoder produced them.
std::vector<std::size_t> record_ends(const trace& t, std::size_t& header_size) {
    binary::encoder enc;
    std::string out = enc.encode_header(t.header);
    header_size = out.size();
    std::vector<std::size_t> ends;
    for (std::size_t id = 1; id < t.strings.size(); ++id) {
        enc.encode_string(static_cast<std::uint32_t>(id), t.strings[id], out);
        ends.push_back(out.size());
    }
    for (const event& e : t.events) {
        enc.encode_event(e, out);
        ends.push_back(out.size());
    }
    return ends;
}

std::string set_version(std::string bytes, std::uint16_t major, std::uint16_t minor) {
    bytes[8] = static_cast<char>(major & 0xff);
    bytes[9] = static_cast<char>(major >> 8);
    bytes[10] = static_cast<char>(minor & 0xff);
    bytes[11] = static_cast<char>(minor >> 8);
    return bytes;
}

} // namespace

TEST_CASE("binary round trip is exact for any field values") {
    trace original = random_trace(1, 3000);
    std::string bytes = encode(original, encoding::binary);
    REQUIRE(bytes.substr(0, 8) == binary::magic);
    loaded_trace loaded = load_bytes(bytes);
    CHECK(loaded.report.error == "");
    CHECK(loaded.report.encoding == encoding::binary);
    CHECK(loaded.report.header_ok);
    CHECK_FALSE(loaded.report.truncated);
    CHECK(loaded.report.bad_records == 0);
    CHECK(loaded.report.records == original.strings.size() - 1 + original.events.size());
    check_same(loaded.trace, original);
}

TEST_CASE("binary and JSON Lines convert into each other exactly") {
    trace original = random_trace(2, 2000);
    loaded_trace from_jsonl = load_bytes(encode(original, encoding::jsonl));
    REQUIRE(from_jsonl.report.error == "");
    CHECK(from_jsonl.report.encoding == encoding::jsonl);
    check_same(from_jsonl.trace, original);

    // jsonl -> binary -> jsonl gives the same bytes; binary -> jsonl -> binary too.
    std::string binary_bytes = encode(from_jsonl.trace, encoding::binary);
    loaded_trace from_binary = load_bytes(binary_bytes);
    check_same(from_binary.trace, original);
    CHECK(encode(from_binary.trace, encoding::jsonl) == encode(original, encoding::jsonl));
    CHECK(encode(load_bytes(encode(from_binary.trace, encoding::jsonl)).trace, encoding::binary) == binary_bytes);
}

TEST_CASE("binary strings: prefixes, redefinitions, embedded NULs and invalid UTF-8 survive") {
    trace t;
    t.define_string(1, "samples/nested.cpp:10");
    t.define_string(2, "samples/nested.cpp:11");
    t.define_string(3, std::string("nul\0inside", 10));
    t.define_string(4, "\xff\xfe not utf-8");
    t.define_string(5, "samples/nested.cpp:12");
    loaded_trace loaded = load_bytes(encode(t, encoding::binary));
    check_same(loaded.trace, t);

    // A string id redefined later in the stream: later prefixes must use the new text.
    collector sink;
    binary::encoder enc;
    std::string bytes = enc.encode_header(header{});
    enc.encode_string(1, "alpha::first", bytes);
    enc.encode_string(1, "beta::second", bytes);
    enc.encode_string(2, "alpha::first again", bytes);
    enc.encode_string(3, "beta::second again", bytes);
    loaded_trace redefined = load_bytes(bytes);
    CHECK(redefined.report.bad_records == 0);
    CHECK(redefined.trace.text(1) == "beta::second");
    CHECK(redefined.trace.text(2) == "alpha::first again");
    CHECK(redefined.trace.text(3) == "beta::second again");
}

namespace {

// A string pieces record (format 1.3) made by hand from its payload.
void put_pieces(std::string& bytes, const std::string& payload) {
    binary::put_varint(bytes, binary::framed_kind | (binary::record_string_pieces << binary::kind_bits));
    binary::put_varint(bytes, payload.size());
    bytes += payload;
}

std::string literal(std::string_view text) {
    std::string out;
    binary::put_varint(out, text.size() << 1);
    out += text;
    return out;
}

std::string copy(std::size_t length, std::uint64_t distance) {
    std::string out;
    binary::put_varint(out, ((length - binary::string_copy_min) << 1) | 1);
    binary::put_varint(out, distance);
    return out;
}

} // namespace

TEST_CASE("string pieces (1.3): copies from the history make strings smaller and decode exactly") {
    // Made by hand: literals, a copy from an earlier string, a copy overlapping what it produces,
    // and the next id after a plain string record with id 7.
    std::string bytes = binary::encoder{}.encode_header(header{});
    put_pieces(bytes, literal("samples/nested.cpp:10"));                            // id 1
    put_pieces(bytes, copy(19, 21) + literal("12"));                                // id 2: samples/nested.cpp:12
    put_pieces(bytes, literal("ab") + copy(10, 2));                                 // id 3: ab x 6, overlapping
    put_pieces(bytes, "");                                                          // id 4: empty
    {
        std::string payload;
        binary::put_varint(payload, 7);
        binary::put_varint(payload, 0);
        payload += "seven";
        binary::put_varint(bytes, binary::framed_kind);
        binary::put_varint(bytes, payload.size());
        bytes += payload;
    }
    put_pieces(bytes, copy(5, 5) + literal("+eight"));                              // id 8: seven+eight
    loaded_trace hand = load_bytes(bytes);
    CHECK(hand.report.error == "");
    CHECK(hand.report.records == 6);
    CHECK(hand.trace.text(1) == "samples/nested.cpp:10");
    CHECK(hand.trace.text(2) == "samples/nested.cpp:12");
    CHECK(hand.trace.text(3) == "abababababab");
    CHECK(hand.trace.text(4) == "");
    CHECK(hand.trace.text(7) == "seven");
    CHECK(hand.trace.text(8) == "seven+eight");
    check_same(load_in_chunks(bytes, 1).report, hand.report);

    // The writer: a string that shares much with earlier ones costs far less than its text, and
    // none costs more than its text plus 3 bytes of framing (lead, length, one literal header).
    trace t;
    t.define_string(1, "scheduler/include/coroscope/task_group.hpp:105");
    t.define_string(2, "scheduler/include/coroscope/timeout.hpp:117");
    t.define_string(3, "coroscope::task<void> coroscope::detail::timeout_timer(std::chrono::nanoseconds)");
    t.define_string(4, "coroscope::task<void> sample::ticker(std::chrono::nanoseconds, coroscope::event&)");
    t.define_string(5, std::string(300, 'z'));
    binary::encoder enc;
    std::string out = enc.encode_header(t.header);
    std::vector<std::size_t> sizes;
    for (std::uint32_t id = 1; id <= 5; ++id) {
        std::size_t before = out.size();
        enc.encode_string(id, t.strings[id], out);
        sizes.push_back(out.size() - before);
        CHECK(sizes.back() <= t.strings[id].size() + 3);
    }
    CHECK(sizes[1] < t.strings[2].size() / 2);
    CHECK(sizes[3] < t.strings[4].size() * 2 / 3);
    CHECK(sizes[4] < 20); // one literal 'z', then copies of itself
    check_same(load_bytes(out).trace, t);

    // Enough strings that both sides drop the history beyond 64 KiB, some copying from far back.
    trace many;
    for (std::uint32_t id = 1; id <= 4000; ++id)
        many.define_string(id, "coroscope::task<void> sample::worker_" + std::to_string(id % 97) + "(std::vector<int>&, " +
                                   std::to_string(id * 7919u) + ")");
    std::string packed = encode(many);
    CHECK(packed.size() < 4000 * 40);
    loaded_trace back = load_bytes(packed);
    CHECK(back.report.error == "");
    check_same(back.trace, many);
    check_same(load_in_chunks(packed, 4096).trace, many);
}

TEST_CASE("damaged string pieces are counted and named, and no string grows beyond its budget") {
    trace t = random_trace(9, 3);
    const std::string good = encode(t, encoding::binary);
    struct damage {
        std::string payload;
        std::string why;
    };
    const std::vector<damage> cases = {
        {literal("abc").substr(0, 2), "runs past the record"},
        {copy(4, 0), "field 'distance' 0"},
        {literal("x") + copy(4, 1u << 20), "is not in the string history"},
        {std::string(1, '\xff') + std::string(1, '\x05') + "\x01", "field 'copy length' is out of range"},
        {literal("x") + copy(4, std::uint64_t{1} << 62).substr(0, 3), "field 'distance' is damaged"},
    };
    for (const auto& c : cases) {
        std::string bytes = good;
        const std::size_t at = bytes.size();
        put_pieces(bytes, c.payload);
        loaded_trace loaded = load_bytes(bytes);
        INFO(c.why << ": " << loaded.report.error);
        CHECK(loaded.report.bad_records == 1);
        CHECK(loaded.trace.events.size() == t.events.size());
        CHECK_THAT(loaded.report.error, Catch::Contains("byte " + std::to_string(at) + ": string pieces record: ") &&
                                            Catch::Contains(c.why));
        check_same(load_in_chunks(bytes, 1).report, loaded.report);
    }
    // 300 copies of 259 bytes each would make a 77 KiB string out of 900 bytes: refused at 64 KiB.
    std::string bytes = good;
    std::string payload = literal("y");
    for (int i = 0; i < 300; ++i) payload += copy(binary::string_copy_max, 1);
    put_pieces(bytes, payload);
    loaded_trace greedy = load_bytes(bytes);
    CHECK(greedy.report.bad_records == 1);
    CHECK_THAT(greedy.report.error, Catch::Contains("copies add up to more than 64 KiB"));
}

TEST_CASE("file_writer writes binary by default and load_file detects it") {
    trace original = random_trace(11, 500);
    auto dir = std::filesystem::temp_directory_path();
    std::string path = (dir / ("coroscope-binary-" + std::to_string(::getpid()) + ".cstrace")).string();
    REQUIRE(save_file(path, original).empty());
    loaded_trace loaded = load_file(path);
    CHECK(loaded.report.encoding == encoding::binary);
    CHECK(loaded.report.error == "");
    check_same(loaded.trace, original);
    {
        file_writer w(path, encoding::binary);
        REQUIRE(w.ok());
        replay(original, w);
        w.flush();
        CHECK(w.bytes_written() == encode(original, encoding::binary).size());
    }
    std::remove(path.c_str());
    CHECK(encoding_for_path("run.jsonl") == encoding::jsonl);
    CHECK(encoding_for_path("run.cstrace") == encoding::binary);
}

TEST_CASE("a binary trace cut at every byte keeps every complete record and names the cut") {
    trace original = random_trace(3, 60);
    std::string bytes = encode(original, encoding::binary);
    std::size_t header_size = 0;
    std::vector<std::size_t> ends = record_ends(original, header_size);
    REQUIRE(ends.back() == bytes.size());
    std::uint64_t previous_records = 0;
    for (std::size_t cut = 0; cut <= bytes.size(); ++cut) {
        INFO("cut at " << cut);
        loaded_trace loaded = load_bytes(std::string_view(bytes).substr(0, cut));
        if (cut < header_size) {
            CHECK(loaded.report.fatal);
            CHECK(loaded.report.records == 0);
            CHECK(loaded.report.truncated == (cut > 0));
            if (cut > 0) CHECK(loaded.report.truncated_at == 0);
            continue;
        }
        std::size_t complete = 0, last_end = header_size;
        for (std::size_t end : ends) {
            if (end > cut) break;
            ++complete;
            last_end = end;
        }
        CHECK_FALSE(loaded.report.fatal);
        CHECK(loaded.report.bad_records == 0);
        CHECK(loaded.report.records == complete);
        CHECK(loaded.report.records >= previous_records);
        previous_records = loaded.report.records;
        CHECK(loaded.report.truncated == (cut != last_end));
        if (loaded.report.truncated) {
            CHECK(loaded.report.truncated_at == last_end);
            CHECK_THAT(describe_problems("t.cstrace", loaded.report), Catch::Contains("truncated at byte " + std::to_string(last_end)));
        }
        // What was delivered is exactly a prefix of the original.
        std::size_t strings = std::min(complete, original.strings.size() - 1);
        std::size_t events = complete - strings;
        REQUIRE(loaded.trace.events.size() == events);
        for (std::size_t i = 0; i < events; ++i) REQUIRE(loaded.trace.events[i] == original.events[i]);
    }
}

TEST_CASE("feeding binary one byte, 4 KiB or all at once gives identical results") {
    trace original = random_trace(5, 4000);
    std::string bytes = encode(original, encoding::binary);
    REQUIRE(bytes.size() > 3 * 4096);
    std::string cut = bytes.substr(0, bytes.size() - 3); // and cut inside the last record
    for (const std::string* input : {&bytes, &cut}) {
        loaded_trace whole = load_bytes(*input);
        loaded_trace bytewise = load_in_chunks(*input, 1);
        loaded_trace pages = load_in_chunks(*input, 4096);
        loaded_trace odd = load_in_chunks(*input, 7);
        for (const loaded_trace* other : {&bytewise, &pages, &odd}) {
            check_same(other->trace, whole.trace);
            check_same(other->report, whole.report);
        }
        CHECK(whole.report.truncated == (input == &cut));
    }
}

TEST_CASE("a binary trace of a newer major version is refused naming both versions") {
    std::string bytes = set_version(encode(random_trace(6, 10), encoding::binary), 2, 3);
    loaded_trace refused = load_bytes(bytes);
    CHECK(refused.report.fatal);
    CHECK_FALSE(refused.report.header_ok);
    CHECK(refused.trace.events.empty());
    CHECK_THAT(refused.report.error, Catch::Contains("2.3") && Catch::Contains(std::to_string(format_major) + "." + std::to_string(format_minor)));
    // Known as soon as the fixed header part has arrived.
    loaded_trace early = load_bytes(std::string_view(bytes).substr(0, 12));
    CHECK_THAT(early.report.error, Catch::Contains("2.3"));
}

TEST_CASE("a newer minor version loads, unknown records and fields are skipped and counted") {
    trace t = random_trace(7, 4);
    binary::encoder enc;
    header h = t.header;
    h.minor = 9;
    std::string bytes = enc.encode_header(h);
    // The 1.9 header body grew a field: rewrite the body length and append one.
    {
        std::size_t body_length_at = 12;
        REQUIRE(static_cast<unsigned char>(bytes[body_length_at]) < 0x7f);
        bytes[body_length_at] = static_cast<char>(bytes[body_length_at] + 3);
        bytes += "new";
    }
    for (std::size_t id = 1; id < t.strings.size(); ++id) enc.encode_string(static_cast<std::uint32_t>(id), t.strings[id], bytes);
    enc.encode_event(t.events[0], bytes);
    // A framed record of an unknown type (7) with a 5-byte payload.
    binary::put_varint(bytes, binary::framed_kind | (7u << binary::kind_bits));
    binary::put_varint(bytes, 5);
    bytes += "abcde";
    enc.encode_event(t.events[1], bytes);
    // An event of an unknown kind (25): its deltas still count for the next event.
    event future = t.events[1];
    future.kind = static_cast<event_kind>(25);
    future.ts_ns += 12345;
    future.step += 7;
    enc.encode_event(future, bytes);
    // An event of a kind that needs the wide form (200).
    future.kind = static_cast<event_kind>(200);
    future.tick += 3;
    enc.encode_event(future, bytes);
    enc.encode_event(t.events[2], bytes);
    // An event whose 'extra' part carries a newer field after 'reserved'.
    {
        t.events[3].reserved = 0x1234;
        std::string with_extra;
        enc.encode_event(t.events[3], with_extra);
        // It ends with the extra part: length 2, varint 0x1234 (2 bytes). Append 2 unknown bytes.
        REQUIRE(with_extra.size() >= 3);
        std::size_t length_at = with_extra.size() - 3;
        REQUIRE(with_extra[length_at] == 2);
        with_extra[length_at] = 4;
        with_extra += "\x01\x02";
        bytes += with_extra;
    }
    loaded_trace loaded = load_bytes(bytes);
    CHECK(loaded.report.error == "");
    CHECK_FALSE(loaded.report.fatal);
    CHECK(loaded.report.bad_records == 0);
    CHECK(loaded.report.unknown_records == 3);
    CHECK(loaded.trace.header.minor == 9);
    CHECK(loaded.trace.header.producer == t.header.producer);
    CHECK(loaded.trace.header.features == t.header.features);
    check_same(loaded.trace, [&] {
        trace expected = t;
        expected.header.minor = 9;
        return expected;
    }());
    // Byte-at-a-time agrees.
    loaded_trace bytewise = load_in_chunks(bytes, 1);
    check_same(bytewise.report, loaded.report);
}

TEST_CASE("damaged binary records are counted and named with their byte offset and field") {
    trace t = random_trace(8, 3);
    std::string bytes = encode(t, encoding::binary);
    std::size_t at = bytes.size();
    // A task_resume whose task does not fit 32 bits.
    binary::put_varint(bytes, static_cast<std::uint64_t>(event_kind::task_resume) | (binary::f_task << binary::kind_bits));
    binary::put_varint(bytes, std::uint64_t{1} << 40);
    std::size_t at_string = bytes.size();
    // A string borrowing from a string that does not exist.
    std::string payload;
    binary::put_varint(payload, 50);
    binary::put_varint(payload, 3);
    binary::put_varint(payload, 999);
    payload += "tail";
    binary::put_varint(bytes, binary::framed_kind);
    binary::put_varint(bytes, payload.size());
    bytes += payload;
    std::size_t at_huge = bytes.size();
    // A framed record claiming 1 GiB: refused as damaged, never waited for or allocated.
    binary::put_varint(bytes, binary::framed_kind | (5u << binary::kind_bits));
    binary::put_varint(bytes, std::uint64_t{1} << 30);
    loaded_trace loaded = load_bytes(bytes);
    CHECK(loaded.report.bad_records == 3);
    CHECK_FALSE(loaded.report.truncated);
    CHECK(loaded.trace.events.size() == t.events.size());
    CHECK_THAT(loaded.report.error, Catch::Contains("byte " + std::to_string(at)) && Catch::Contains("'task'"));
    (void)at_string;
    (void)at_huge;

    // A plausible length (10 MiB) that the input does not hold is a truncation, not an allocation.
    std::string big = encode(t, encoding::binary);
    std::size_t big_at = big.size();
    binary::put_varint(big, binary::framed_kind | (5u << binary::kind_bits));
    binary::put_varint(big, 10u << 20);
    big += "only a few bytes";
    loaded_trace cut = load_bytes(big);
    CHECK(cut.report.truncated);
    CHECK(cut.report.truncated_at == big_at);
    CHECK(cut.report.bad_records == 0);

    // A string id far beyond anything a dense trace this short could hold: refused, not allocated.
    std::string sparse = encode(t, encoding::binary);
    std::size_t sparse_at = sparse.size();
    std::string sparse_payload;
    binary::put_varint(sparse_payload, 4'000'000'000u);
    binary::put_varint(sparse_payload, 0);
    sparse_payload += "far";
    binary::put_varint(sparse, binary::framed_kind);
    binary::put_varint(sparse, sparse_payload.size());
    sparse += sparse_payload;
    loaded_trace refused_id = load_bytes(sparse);
    CHECK(refused_id.report.bad_records == 1);
    CHECK(refused_id.trace.strings.size() == t.strings.size());
    CHECK_THAT(refused_id.report.error, Catch::Contains("byte " + std::to_string(sparse_at)) && Catch::Contains("'id'"));
    loaded_trace refused_json = load_bytes(encode(t, encoding::jsonl) + "{\"string\":4000000000,\"text\":\"far\"}\n");
    CHECK(refused_json.report.bad_records == 1);
    CHECK(refused_json.trace.strings.size() == t.strings.size());

    // A varint longer than 64 bits.
    std::string longer = encode(t, encoding::binary);
    std::size_t long_at = longer.size();
    longer += std::string(11, '\xff');
    loaded_trace overlong = load_bytes(longer);
    CHECK(overlong.report.bad_records >= 1);
    CHECK_THAT(overlong.report.error, Catch::Contains("byte " + std::to_string(long_at)));
}

TEST_CASE("random corruption of a binary trace never crashes and is chunking-independent") {
    trace original = random_trace(10, 300);
    std::string clean = encode(original, encoding::binary);
    std::mt19937_64 rng(99);
    for (int round = 0; round < 600; ++round) {
        std::string bytes = clean;
        int flips = 1 + static_cast<int>(rng() % 8);
        for (int i = 0; i < flips; ++i) {
            std::size_t at = rng() % bytes.size();
            switch (rng() % 3) {
            case 0: bytes[at] = static_cast<char>(bytes[at] ^ (1 << (rng() % 8))); break;
            case 1: bytes[at] = static_cast<char>(rng()); break;
            default: bytes[at] = static_cast<char>(0xff); break;
            }
        }
        if (rng() % 4 == 0) bytes.resize(rng() % bytes.size());
        loaded_trace whole = load_bytes(bytes);
        CHECK(whole.trace.events.size() <= bytes.size()); // every event costs at least one byte
        if (round % 20 == 0) {
            loaded_trace bytewise = load_in_chunks(bytes, 1);
            check_same(bytewise.trace, whole.trace);
            check_same(bytewise.report, whole.report);
        }
    }
    // Pure noise after a valid header.
    for (int round = 0; round < 200; ++round) {
        std::string bytes = encode(trace{}, encoding::binary);
        std::size_t n = rng() % 2000;
        for (std::size_t i = 0; i < n; ++i) bytes.push_back(static_cast<char>(rng()));
        loaded_trace noise = load_bytes(bytes);
        CHECK(noise.report.header_ok);
    }
}

TEST_CASE("binary costs under 8 bytes per event on a realistic trace") {
    trace t = realistic_trace(2000);
    std::string bytes = encode(t, encoding::binary);
    double per_event = static_cast<double>(bytes.size()) / static_cast<double>(t.events.size());
    double jsonl_per_event = static_cast<double>(encode(t, encoding::jsonl).size()) / static_cast<double>(t.events.size());
    INFO("binary " << per_event << " B/event, JSON Lines " << jsonl_per_event << " B/event");
    CHECK(per_event < 8.0);
    check_same(load_bytes(bytes).trace, t);

#ifdef COROSCOPE_BIN_DIR
    // A real recorded run, when the sample has been built.
    std::string sample = std::string(COROSCOPE_BIN_DIR) + "/sample-nested";
    if (std::filesystem::exists(sample)) {
        auto path = (std::filesystem::temp_directory_path() / ("coroscope-size-" + std::to_string(::getpid()) + ".jsonl")).string();
        std::string command = "COROSCOPE_TRACE='" + path + "' '" + sample + "' > /dev/null 2>&1";
        REQUIRE(std::system(command.c_str()) == 0);
        loaded_trace real = load_file(path);
        std::remove(path.c_str());
        REQUIRE(real.report.error == "");
        REQUIRE(real.trace.events.size() > 100);
        std::string real_bytes = encode(real.trace, encoding::binary);
        double real_per_event = static_cast<double>(real_bytes.size()) / static_cast<double>(real.trace.events.size());
        INFO("sample-nested: " << real.trace.events.size() << " events, " << real_per_event << " B/event");
        CHECK(real_per_event < 8.0);
        check_same(load_bytes(real_bytes).trace, real.trace);
    }
#endif
}

// ---- zstd blocks (format 1.2) ----

namespace {

// The trace as it was written, except the writer-owned feature flag.
trace without_zstd_flag(trace t) {
    t.header.features &= ~binary::feature_zstd_blocks;
    return t;
}

// A trace long enough for several 256 KiB blocks, and a string too big for any block.
trace multi_block_trace() {
    trace t = realistic_trace(9000);
    t.define_string(static_cast<std::uint32_t>(t.strings.size()), std::string(binary::max_block_bytes + 10, 's'));
    return t;
}

} // namespace

TEST_CASE("zstd blocks round trip exactly, across blocks and around a record too big for one") {
    for (const trace& original : {random_trace(21, 3000), multi_block_trace()}) {
        std::string packed = encode(original, encoding::binary, compression::zstd);
        std::string plain = encode(original, encoding::binary);
        loaded_trace loaded = load_bytes(packed);
        INFO(describe_problems("zstd", loaded.report));
        CHECK(loaded.report.error == "");
        CHECK(loaded.report.bad_records == 0);
        CHECK(loaded.report.unknown_records == 0);
        CHECK_FALSE(loaded.report.truncated);
        CHECK(loaded.report.records == original.strings.size() - 1 + original.events.size());
        CHECK((loaded.trace.header.features & binary::feature_zstd_blocks) != 0);
        check_same(without_zstd_flag(loaded.trace), original);
        CHECK(packed.size() < plain.size());
        // Back to plain binary gives the plain encoding's bytes (the flag is cleared again).
        CHECK(encode(loaded.trace, encoding::binary) == plain);
        // And to JSON Lines the same lines as from the plain trace (only a binary file holds blocks).
        CHECK(encode(loaded.trace, encoding::jsonl) == encode(original, encoding::jsonl));
    }
    // The realistic trace filled several blocks: a block holds at most 1 MiB of records.
    trace big = multi_block_trace();
    std::string plain = encode(big, encoding::binary);
    REQUIRE(plain.size() > 3 * binary::block_target_bytes);
}

TEST_CASE("zstd: file_writer and convert-style re-encoding give the same bytes as encode") {
    trace original = multi_block_trace();
    auto path = (std::filesystem::temp_directory_path() / ("coroscope-zstd-" + std::to_string(::getpid()) + ".trace")).string();
    REQUIRE(save_file(path, original, encoding::binary, compression::zstd).empty());
    loaded_trace loaded = load_file(path);
    CHECK(loaded.report.error == "");
    check_same(without_zstd_flag(loaded.trace), original);
    CHECK(std::filesystem::file_size(path) == encode(original, encoding::binary, compression::zstd).size());
    std::remove(path.c_str());
}

TEST_CASE("zstd: feeding one byte, 4 KiB or all at once gives identical results") {
    std::string bytes = encode(multi_block_trace(), encoding::binary, compression::zstd);
    std::string cut = bytes.substr(0, bytes.size() - 3);
    for (const std::string* input : {&bytes, &cut}) {
        loaded_trace whole = load_bytes(*input);
        for (std::size_t chunk : {std::size_t{1}, std::size_t{7}, std::size_t{4096}}) {
            loaded_trace chunked = load_in_chunks(*input, chunk);
            check_same(chunked.trace, whole.trace);
            check_same(chunked.report, whole.report);
        }
        CHECK(whole.report.truncated == (input == &cut));
    }
}

TEST_CASE("a zstd trace cut at any byte keeps every complete block and names where the cut one began") {
    // Small blocks: the file_writer closes a block at every flush, so a short trace spans several.
    trace original = random_trace(23, 120);
    auto path = (std::filesystem::temp_directory_path() / ("coroscope-zstd-cut-" + std::to_string(::getpid()) + ".trace")).string();
    std::vector<std::size_t> block_ends; // file size after each flush: where a block ends
    std::vector<std::size_t> records_at_end;
    {
        file_writer w(path, encoding::binary, compression::zstd);
        REQUIRE(w.ok());
        w.on_header(original.header);
        w.flush();
        block_ends.push_back(w.bytes_written()); // the header alone
        records_at_end.push_back(0);
        std::size_t records = 0;
        for (std::size_t id = 1; id < original.strings.size(); ++id, ++records)
            w.on_string(static_cast<std::uint32_t>(id), original.strings[id]);
        w.flush();
        block_ends.push_back(w.bytes_written());
        records_at_end.push_back(records);
        for (std::size_t i = 0; i < original.events.size(); ++i) {
            w.on_event(original.events[i]);
            ++records;
            if (i % 17 == 16 || i + 1 == original.events.size()) {
                w.flush();
                block_ends.push_back(w.bytes_written());
                records_at_end.push_back(records);
            }
        }
    }
    loaded_trace all = load_file(path);
    REQUIRE(all.report.error == "");
    check_same(without_zstd_flag(all.trace), original);
    std::string bytes;
    {
        std::FILE* f = std::fopen(path.c_str(), "rb");
        REQUIRE(f);
        bytes.assign(block_ends.back(), '\0');
        REQUIRE(std::fread(bytes.data(), 1, bytes.size(), f) == bytes.size());
        std::fclose(f);
    }
    std::remove(path.c_str());
    REQUIRE(block_ends.size() > 5);
    std::size_t checked = 0;
    for (std::size_t cut = block_ends.front(); cut <= bytes.size(); ++cut) {
        INFO("cut at " << cut);
        loaded_trace loaded = load_bytes(std::string_view(bytes).substr(0, cut));
        std::size_t complete = 0, last_end = block_ends.front();
        for (std::size_t b = 0; b < block_ends.size() && block_ends[b] <= cut; ++b) {
            complete = records_at_end[b];
            last_end = block_ends[b];
        }
        REQUIRE_FALSE(loaded.report.fatal);
        REQUIRE(loaded.report.bad_records == 0);
        REQUIRE(loaded.report.records == complete);
        REQUIRE(loaded.report.truncated == (cut != last_end));
        if (loaded.report.truncated) REQUIRE(loaded.report.truncated_at == last_end);
        const std::size_t strings = original.strings.size() - 1; // the first block holds them all
        std::size_t events = complete > strings ? complete - strings : 0;
        REQUIRE(loaded.trace.events.size() == events);
        for (std::size_t i = 0; i < events; ++i) REQUIRE(loaded.trace.events[i] == original.events[i]);
        ++checked;
    }
    CHECK(checked == bytes.size() - block_ends.front() + 1);
}

TEST_CASE("damaged zstd blocks are counted and named, never crash, and do not depend on chunking") {
    trace original = random_trace(24, 400);
    std::string clean = encode(original, encoding::binary, compression::zstd);
    std::string plain_header = encode(trace{original.header, {""}, {}}, encoding::binary, compression::zstd);
    std::mt19937_64 rng(7);
    int named = 0;
    for (int round = 0; round < 300; ++round) {
        std::string bytes = clean;
        // Damage inside the zstd frame (after the header, the block's lead, length, layout and size);
        // the frame's checksum makes changes to the content detectable.
        std::size_t at = plain_header.size() + 8 + rng() % (bytes.size() - plain_header.size() - 8);
        bytes[at] = static_cast<char>(bytes[at] ^ (1 << (rng() % 8)));
        loaded_trace whole = load_bytes(bytes);
        CHECK_FALSE(whole.report.fatal);
        if (whole.report.bad_records > 0) {
            CHECK_THAT(whole.report.error, Catch::Contains("byte ") && Catch::Contains("zstd block"));
            ++named;
        } else {
            // A change zstd does not see (e.g. a larger window size in the frame header) must then
            // change nothing: never plausible wrong records.
            check_same(without_zstd_flag(whole.trace), original);
        }
        if (round % 30 == 0) {
            loaded_trace bytewise = load_in_chunks(bytes, 1);
            check_same(bytewise.trace, whole.trace);
            check_same(bytewise.report, whole.report);
        }
    }
    CHECK(named > 250);

    // A block that declares more content than its frame holds, or more than 1 MiB.
    binary::encoder enc;
    std::string lying = enc.encode_header(header{});
    std::string payload;
    binary::put_varint(payload, binary::block_layout_records);
    binary::put_varint(payload, binary::max_block_bytes + 1);
    payload += "not zstd";
    binary::put_varint(lying, binary::framed_kind | (binary::record_zstd_block << binary::kind_bits));
    binary::put_varint(lying, payload.size());
    lying += payload;
    loaded_trace refused = load_bytes(lying);
    CHECK(refused.report.bad_records == 1);
    CHECK_THAT(refused.report.error, Catch::Contains("field 'length'") && Catch::Contains("1 MiB"));

    // A layout a newer minor version may define: skipped by its length and counted, not damage.
    std::string newer = enc.encode_header(header{});
    std::string other_layout;
    binary::put_varint(other_layout, 7);
    other_layout += "whatever";
    binary::put_varint(newer, binary::framed_kind | (binary::record_zstd_block << binary::kind_bits));
    binary::put_varint(newer, other_layout.size());
    newer += other_layout;
    loaded_trace skipped = load_bytes(newer);
    CHECK(skipped.report.bad_records == 0);
    CHECK(skipped.report.unknown_records == 1);
}

TEST_CASE("compressed blocks of format 1.5: the writer's layout, dictionary and version, and unknown dictionaries") {
    trace original = realistic_trace(300);
    original.header.minor = 3; // a converted 1.3 file: with compressed blocks it becomes 1.5
    std::string packed = encode(original, encoding::binary, compression::zstd);
    loaded_trace loaded = load_bytes(packed);
    REQUIRE(loaded.report.error == "");
    CHECK(loaded.trace.header.minor == binary::model_minor);
    CHECK(encode(original, encoding::binary).substr(10, 2) == std::string("\x03\x00", 2)); // plain stays 1.3
    // The first record after the header is a block of layout 3 (modelled: smaller than zstd's
    // columns on a short trace) with dictionary 1.
    const std::size_t header_size = encode(trace{original.header, {""}, {}}).size();
    std::size_t pos = header_size;
    auto byte = [&](std::size_t at) { return static_cast<unsigned char>(packed.at(at)); };
    REQUIRE(byte(pos) == (binary::framed_kind | (binary::record_zstd_block << binary::kind_bits)));
    ++pos;
    while (byte(pos) & 0x80) ++pos; // the length
    ++pos;
    CHECK(byte(pos) == binary::block_layout_model);
    CHECK(byte(pos + 1) == 1); // dictionary 1
    // A full block is zstd's (layout 2): modelling costs ~1 us per event, so writers model small
    // blocks only (up to zstd_small_block bytes of records).
    const trace longer = realistic_trace(80000); // its first block is a full one (256 KiB of records)
    std::string long_run = encode(longer, encoding::binary, compression::zstd);
    std::size_t at = encode(trace{longer.header, {""}, {}}).size() + 1;
    while (static_cast<unsigned char>(long_run.at(at)) & 0x80) ++at;
    CHECK(static_cast<unsigned char>(long_run.at(at + 1)) == binary::block_layout_columns);

    // The same block naming a dictionary this reader does not have: skipped and counted, as a newer
    // minor's; so are layouts 1 and 2 with it.
    for (std::uint64_t layout : {binary::block_layout_dictionary, binary::block_layout_columns, binary::block_layout_model}) {
        std::string unknown = packed;
        unknown[pos] = static_cast<char>(layout);
        unknown[pos + 1] = 0x63; // dictionary 99
        loaded_trace skipped = load_bytes(unknown);
        CHECK(skipped.report.bad_records == 0);
        CHECK(skipped.report.unknown_records == 1);
        CHECK(skipped.trace.events.empty());
    }
}

TEST_CASE("encode_events and file_writer::on_events give the same bytes as one event at a time") {
    for (const trace& original : {random_trace(31, 5000), realistic_trace(2000)}) {
        std::string one, batch;
        binary::encoder a, b;
        for (const event& e : original.events) a.encode_event(e, one);
        b.encode_events(original.events.data(), original.events.size(), batch);
        CHECK(batch == one);
        // Wide events (kinds >= 31, framed records) inside a batch.
        std::vector<event> wide = original.events;
        for (std::size_t i = 0; i < wide.size(); i += 37) wide[i].kind = static_cast<event_kind>(31 + i % 200);
        one.clear();
        batch.clear();
        binary::encoder c, d;
        for (const event& e : wide) c.encode_event(e, one);
        d.encode_events(wide.data(), wide.size(), batch);
        CHECK(batch == one);
        for (compression comp : {compression::none, compression::zstd}) {
            auto path = (std::filesystem::temp_directory_path() /
                         ("coroscope-batch-" + std::to_string(::getpid()) + ".trace")).string();
            {
                file_writer w(path, encoding::binary, comp);
                REQUIRE(w.ok());
                w.on_header(original.header);
                for (std::size_t id = 1; id < original.strings.size(); ++id)
                    w.on_string(static_cast<std::uint32_t>(id), original.strings[id]);
                // Batches of every size, a single event among them.
                std::size_t i = 0;
                for (std::size_t n = 1; i < original.events.size(); n = n * 3 + 1) {
                    n = std::min(n, original.events.size() - i);
                    w.on_events(original.events.data() + i, n);
                    i += n;
                }
            }
            loaded_trace loaded = load_file(path);
            std::remove(path.c_str());
            CHECK(loaded.report.error == "");
            check_same(without_zstd_flag(loaded.trace), original);
        }
    }
}

// Compressed blocks on the real golden traces (measured here, not hard-coded): the same traces, and
// the target (3 bytes per event on average over the samples' traces), whole files, both
// pooled (all bytes over all events) and as the mean of the files: format 1.5's modelled blocks
// made 2.76 and 2.92 when measured (1.4's zstd columns 3.90 and 4.10), and the event records alone
// stay under it too. bench-trace-load prints the same per file with PASS/MISS.
TEST_CASE("compressed blocks over the golden traces: the same traces, whole files at most 3 bytes per event") {
    namespace fs = std::filesystem;
    const fs::path golden = fs::path(COROSCOPE_SOURCE_DIR) / "traces" / "golden";
    std::vector<fs::path> paths;
    for (const auto& entry : fs::directory_iterator(golden))
        if (entry.is_regular_file() && entry.path().extension() == ".trace") paths.push_back(entry.path());
    std::sort(paths.begin(), paths.end());
    REQUIRE(paths.size() >= 5);
    double events = 0, plain_file = 0, zstd_file = 0, plain_records = 0, zstd_records = 0, file_ratios = 0;
    std::string table;
    for (const auto& path : paths) {
        loaded_trace loaded = load_file(path.string());
        INFO(path.string() << ": " << describe_problems(path.string(), loaded.report));
        REQUIRE(loaded.report.error == "");
        REQUIRE(loaded.trace.events.size() > 10);
        std::string packed = encode(loaded.trace, encoding::binary, compression::zstd);
        loaded_trace unpacked = load_bytes(packed);
        REQUIRE(unpacked.report.error == "");
        check_same(without_zstd_flag(unpacked.trace), without_zstd_flag(loaded.trace));

        // The event records alone: the same trace without its string table, minus the header.
        trace events_only = loaded.trace;
        events_only.strings = {std::string{}};
        const double header_bytes = static_cast<double>(encode(trace{events_only.header, {""}, {}}).size());
        const double n = static_cast<double>(loaded.trace.events.size());
        const double file_plain = static_cast<double>(encode(loaded.trace).size());
        const double file_zstd = static_cast<double>(packed.size());
        const double rec_plain = static_cast<double>(encode(events_only).size()) - header_bytes;
        const double rec_zstd = static_cast<double>(encode(events_only, encoding::binary, compression::zstd).size()) - header_bytes;
        events += n;
        plain_file += file_plain;
        zstd_file += file_zstd;
        plain_records += rec_plain;
        zstd_records += rec_zstd;
        file_ratios += file_zstd / n;
        char line[240];
        std::snprintf(line, sizeof line, "%-28s %4.0f events: file %5.2f -> %5.2f B/event with blocks; event records %4.2f -> %4.2f\n",
                      path.filename().string().c_str(), n, file_plain / n, file_zstd / n, rec_plain / n, rec_zstd / n);
        table += line;

        // The checked-in zstd twin (traces/golden/zstd/, made by traces/golden/zstd.sh) loads cleanly
        // and, when made from this recording (same pid and start time), is the same trace.
        fs::path twin = golden / "zstd" / path.filename();
        if (fs::exists(twin)) {
            loaded_trace from_twin = load_file(twin.string());
            INFO(twin.string() << ": " << describe_problems(twin.string(), from_twin.report));
            REQUIRE(from_twin.report.error == "");
            CHECK_FALSE(from_twin.report.truncated);
            CHECK((from_twin.trace.header.features & binary::feature_zstd_blocks) != 0);
            CHECK(from_twin.trace.events.size() > 10);
            if (from_twin.trace.header.pid == loaded.trace.header.pid &&
                from_twin.trace.header.start_unix_ns == loaded.trace.header.start_unix_ns)
                check_same(without_zstd_flag(from_twin.trace), without_zstd_flag(loaded.trace));
            else
                WARN(twin.string() << " was made from an older recording: run traces/golden/zstd.sh BUILD_DIR");
        }
    }
    char totals[240];
    std::snprintf(totals, sizeof totals, "all %zu traces, %.0f events: file %.2f -> %.2f B/event with blocks (mean of files %.2f); event records %.2f -> %.2f\n",
                  paths.size(), events, plain_file / events, zstd_file / events, file_ratios / static_cast<double>(paths.size()),
                  plain_records / events, zstd_records / events);
    table += totals;
    WARN("compressed blocks on the golden traces:\n" << table);
    CHECK(zstd_records / events <= 3.0);
    CHECK(zstd_file / events <= 3.0);                                 // pooled
    CHECK(file_ratios / static_cast<double>(paths.size()) <= 3.0);    // mean of the files
    CHECK(zstd_file < plain_file);
    CHECK(fs::exists(golden / "zstd")); // the twins seed the fuzzer: regenerate.sh / zstd.sh make them
}
