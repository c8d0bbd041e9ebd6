// Modelled blocks (format 1.5, layout 3, traces/src/model_block.cpp, internal to traces/): any rows
// (the records a writer makes in either string order, and bytes no writer makes) come back byte for
// byte, and damaged or lying coded bytes are refused with a reason, never read or written out of
// bounds (the decoder's rows never exceed the declared content length).
#include "../traces/src/dictionary.hpp"
#include "../traces/src/model_block.hpp"

#include <coroscope/traces/binary.hpp>

#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

using namespace coroscope::traces;

namespace {

const std::string_view dictionary = binary::builtin_dictionary(binary::dictionary_coroscope_1);

// A short run as a scheduler records it: strings defined right before the event that refers to
// them (strings_first = false) or all of them first, as `convert` writes a loaded trace. Spawns,
// frames with function and location strings, suspends with timers, resumes, marks; `copies` makes
// string pieces records with copies (the plain writer's), which the model codes as raw records.
std::string scheduler_rows(std::uint32_t seed, std::size_t steps, bool strings_first, bool copies) {
    std::mt19937_64 rng(seed);
    binary::encoder enc;
    enc.use_copies(copies);
    (void)enc.encode_header(header{});
    std::vector<std::string> strings;
    std::vector<event> events;
    auto string_id = [&](const std::string& text) {
        for (std::size_t i = 0; i < strings.size(); ++i)
            if (strings[i] == text) return static_cast<std::uint32_t>(i + 1);
        strings.push_back(text);
        return static_cast<std::uint32_t>(strings.size());
    };
    std::uint64_t ts = 1000;
    auto add = [&](event_kind kind, std::uint32_t task, std::uint32_t a, std::uint64_t b, std::uint8_t code = 0) {
        event e;
        e.kind = kind;
        e.ts_ns = ts += rng() % 3 == 0 ? 0 : rng() % 40000;
        e.task = task;
        e.a = a;
        e.b = b;
        e.code = code;
        e.step = events.empty() ? 0 : events.back().step + (kind == event_kind::task_resume);
        e.tick = static_cast<std::uint32_t>(e.step / 4);
        events.push_back(e);
    };
    add(event_kind::trace_start, 0, 4242, 0);
    for (std::uint32_t task = 1; task <= 4; ++task) {
        add(event_kind::task_spawn, task, task == 1 ? 0 : 1, string_id("worker " + std::to_string(task)));
        add(event_kind::task_ready, task, task == 1 ? 0 : 1, 0, 9);
    }
    for (std::size_t step = 0; step < steps; ++step) {
        const auto task = static_cast<std::uint32_t>(1 + rng() % 4);
        add(event_kind::task_resume, task, 0, 0);
        const std::string fn = "coroscope::task<int> sample::f" + std::to_string(rng() % 9) + "(int)";
        const std::uint32_t f = string_id(fn);
        add(event_kind::frame_enter, task, f, string_id("samples/x.cpp:" + std::to_string(10 + f)));
        if (rng() % 5 == 0) add(event_kind::mark, task, string_id("mark " + std::to_string(rng() % 20)), 0);
        add(event_kind::timer_arm, task, static_cast<std::uint32_t>(step + 1), ts + 12000000 + rng() % 900);
        add(event_kind::task_suspend, task, static_cast<std::uint32_t>(step + 1), events.back().b, 1);
        add(event_kind::task_ready, task, 0, 0, 1);
    }
    add(event_kind::trace_end, 0, 0, 0);

    std::string rows;
    std::size_t defined = 0;
    if (strings_first)
        for (; defined < strings.size(); ++defined) enc.encode_string(static_cast<std::uint32_t>(defined + 1), strings[defined], rows);
    for (const event& e : events) {
        // Recording order: the strings an event refers to, defined just before it.
        const std::uint64_t highest = std::max<std::uint64_t>(e.kind == event_kind::mark || e.kind == event_kind::frame_enter ? e.a : 0,
                                                              e.kind == event_kind::task_spawn || e.kind == event_kind::frame_enter ? e.b : 0);
        for (; defined < highest; ++defined) enc.encode_string(static_cast<std::uint32_t>(defined + 1), strings[defined], rows);
        enc.encode_event(e, rows);
    }
    return rows;
}

// Records no scheduler makes but a writer may: events of every kind with any values (wide ones,
// reserved fields), redefined and empty strings, strings nobody refers to.
std::string odd_rows(std::uint32_t seed, std::size_t events) {
    std::mt19937_64 rng(seed);
    binary::encoder enc;
    enc.use_copies(false);
    (void)enc.encode_header(header{});
    std::string rows;
    std::uint32_t next_id = 1;
    for (std::size_t i = 0; i < events; ++i) {
        if (rng() % 9 == 0) enc.encode_string(next_id++, rng() % 4 == 0 ? "" : "s" + std::to_string(rng() % 1000), rows);
        if (rng() % 40 == 0 && next_id > 1) enc.encode_string(static_cast<std::uint32_t>(1 + rng() % (next_id - 1)), "again", rows);
        event e;
        e.kind = static_cast<event_kind>(rng() % 8 == 0 ? 24 + rng() % 20 : rng() % event_kind_count);
        e.ts_ns = rng() % 4 == 0 ? rng() : i * 1000 + rng() % 900;
        e.step = rng() % 5 == 0 ? rng() : i / 3;
        e.tick = static_cast<std::uint32_t>(rng() % 7 == 0 ? rng() : i / 10);
        e.task = static_cast<std::uint32_t>(rng() % 3 == 0 ? rng() : rng() % 7);
        e.code = static_cast<std::uint8_t>(rng());
        e.a = static_cast<std::uint32_t>(rng() % 2 == 0 ? rng() % next_id : rng());
        e.b = rng() % 2 == 0 ? rng() % next_id : rng() >> (rng() % 64);
        e.reserved = static_cast<std::uint16_t>(rng() % 9 == 0 ? rng() : 0);
        enc.encode_event(e, rows);
    }
    return rows;
}

void round_trip(const std::string& rows, std::string* coded_out = nullptr) {
    std::string coded, back;
    binary::model_encode(rows, dictionary, coded);
    INFO(rows.size() << " bytes of rows, " << coded.size() << " coded");
    REQUIRE(binary::model_decode(coded, rows.size(), dictionary, back) == "");
    REQUIRE(back.size() == rows.size());
    CHECK(back == rows);
    if (coded_out) *coded_out = coded;
}

} // namespace

TEST_CASE("modelled blocks: a scheduler's records in either string order come back byte for byte") {
    for (std::uint32_t seed : {1u, 2u, 3u}) {
        for (bool strings_first : {false, true}) {
            for (bool copies : {false, true}) {
                INFO("seed " << seed << (strings_first ? ", strings first" : ", strings before use")
                             << (copies ? ", pieces with copies" : ""));
                const std::string rows = scheduler_rows(seed, 150, strings_first, copies);
                std::string coded;
                round_trip(rows, &coded);
                // What the models are for: well under the rows (measured, not a fixed number of bytes).
                CHECK(coded.size() * 2 < rows.size());
            }
        }
    }
}

TEST_CASE("modelled blocks: any records and any bytes come back byte for byte") {
    for (std::uint32_t seed : {4u, 5u}) round_trip(odd_rows(seed, 600));
    std::mt19937_64 rng(6);
    for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{2}, std::size_t{17}, std::size_t{3000}}) {
        std::string bytes(size, '\0');
        for (char& c : bytes) c = static_cast<char>(rng());
        round_trip(bytes); // not records at all: raw bytes
    }
    round_trip(std::string(5000, '\x7f')); // framed leads whose lengths run past the end
}

TEST_CASE("modelled blocks: damaged, cut or lying coded bytes are refused and never exceed the content length") {
    const std::string rows = scheduler_rows(7, 120, false, false);
    std::string coded;
    binary::model_encode(rows, dictionary, coded);
    std::mt19937_64 rng(8);
    int refused = 0, rounds = 0;
    std::string back;
    for (; rounds < 400; ++rounds) {
        std::string damaged = coded;
        const std::size_t at = rng() % damaged.size();
        damaged[at] = static_cast<char>(damaged[at] ^ (1 << (rng() % 8)));
        const std::string why = binary::model_decode(damaged, rows.size(), dictionary, back);
        CHECK(back.size() <= rows.size());
        if (!why.empty())
            ++refused;
        else
            CHECK(back == rows); // a change the decoder does not see (the coder's last bytes) changes nothing
    }
    CHECK(refused > rounds * 9 / 10);

    // Cut anywhere.
    for (std::size_t cut = 0; cut < coded.size(); ++cut) {
        const std::string why = binary::model_decode(std::string_view(coded).substr(0, cut), rows.size(), dictionary, back);
        CHECK(back.size() <= rows.size());
        if (why.empty()) CHECK(back == rows);
    }
    // A content length other than the one coded.
    for (std::size_t length : {std::size_t{0}, rows.size() - 1, rows.size() + 1, binary::zstd_small_block}) {
        const std::string why = binary::model_decode(coded, length, dictionary, back);
        CHECK_FALSE(why.empty());
        CHECK(back.size() <= length);
    }
    // Another dictionary than the one the block was coded with: a different model, refused.
    CHECK_FALSE(binary::model_decode(coded, rows.size(), "another dictionary", back).empty());

    // Random bytes with the largest content length a modelled block may claim (64 KiB; more is
    // refused at once): decoding ends (each item makes at least one byte of rows, and it stops when
    // it reads past the coded bytes) and names what it found.
    CHECK_THAT(binary::model_decode(coded, binary::zstd_small_block + 1, dictionary, back), Catch::Contains("64 KiB"));
    for (int i = 0; i < 20; ++i) {
        std::string noise(64 + rng() % 2000, '\0');
        for (char& c : noise) c = static_cast<char>(rng());
        const std::string why = binary::model_decode(noise, binary::zstd_small_block, dictionary, back);
        CHECK_FALSE(why.empty());
        CHECK(back.size() <= binary::zstd_small_block);
    }
}
