// The columns layout of zstd blocks (format 1.4, traces/src/block_columns.cpp, internal to traces/):
// rows -> columns -> rows gives back the same bytes for any records a writer makes (events of every
// kind and field width, reserved fields, wide events, strings), and damaged columns are refused with
// the content byte named, never read out of bounds.
#include "../traces/src/block_columns.hpp"

#include <coroscope/traces/binary.hpp>

#include <catch2/catch.hpp>

#include <random>
#include <string>

using namespace coroscope::traces;

namespace {

// Records as the writer makes them: strings and events of every kind (wide ones too), any values.
std::string random_rows(std::uint32_t seed, std::size_t events) {
    std::mt19937_64 rng(seed);
    binary::encoder enc;
    (void)enc.encode_header(header{});
    std::string rows;
    std::uint32_t next_id = 1;
    for (std::size_t i = 0; i < events; ++i) {
        if (rng() % 16 == 0) enc.encode_string(next_id++, "coroscope::task<int> f" + std::to_string(rng() % 50) + "()", rows);
        event e;
        e.kind = static_cast<event_kind>(rng() % 8 == 0 ? 24 + rng() % 20 : rng() % event_kind_count); // 31+: wide
        e.ts_ns = rng() % 4 == 0 ? rng() : i * 1000 + rng() % 900;
        e.step = i / 3;
        e.tick = static_cast<std::uint32_t>(i / 10);
        e.task = static_cast<std::uint32_t>(rng() % 7);
        e.code = static_cast<std::uint8_t>(rng() % 3);
        e.a = static_cast<std::uint32_t>(rng() % 2 == 0 ? rng() % 100 : rng());
        e.b = rng() % 2 == 0 ? 0 : rng() >> (rng() % 64);
        e.reserved = static_cast<std::uint16_t>(rng() % 9 == 0 ? rng() : 0);
        enc.encode_event(e, rows);
    }
    return rows;
}

} // namespace

TEST_CASE("columns layout: rows to columns and back gives the same bytes") {
    for (std::uint32_t seed : {1u, 2u, 3u}) {
        const std::string rows = random_rows(seed, 2000);
        std::string columns, back;
        binary::rows_to_columns(rows, columns);
        CHECK(columns.size() <= rows.size() + 3); // the same bytes reordered, plus the lead stream's length
        CHECK(columns != rows);
        CHECK(binary::columns_to_rows(columns, back) == "");
        CHECK(back == rows);
    }
    std::string empty, back = "old";
    binary::rows_to_columns("", empty);
    CHECK(empty == std::string(1, '\0')); // a lead stream of 0 bytes and no columns
    CHECK(binary::columns_to_rows(empty, back) == "");
    CHECK(back.empty());
}

TEST_CASE("columns layout: damaged content is refused naming the content byte") {
    const std::string rows = random_rows(4, 300);
    std::string columns;
    binary::rows_to_columns(rows, columns);
    std::string out;

    // Cut anywhere: a lead stream, a record or a column runs past the end.
    for (std::size_t cut = 0; cut < columns.size(); cut += 7) {
        INFO("cut at " << cut);
        std::string why = binary::columns_to_rows(std::string_view(columns).substr(0, cut), out);
        CHECK_THAT(why, Catch::StartsWith("content byte "));
    }
    // Bytes after the last column.
    CHECK_THAT(binary::columns_to_rows(columns + "x", out), Catch::Contains("bytes follow the last field column"));
    // A lead stream that claims more than the content.
    std::string too_long;
    binary::put_varint(too_long, 1000);
    too_long += "abc";
    CHECK_THAT(binary::columns_to_rows(too_long, out), Catch::Contains("field 'lead stream length'"));
    // An event lead with mask bits above bit 7.
    std::string bad_mask, lead;
    binary::put_varint(lead, 4 | (std::uint64_t{0x1ff} << binary::kind_bits));
    binary::put_varint(bad_mask, lead.size());
    bad_mask += lead;
    CHECK_THAT(binary::columns_to_rows(bad_mask, out), Catch::Contains("undefined bits"));
    // Random damage never reads out of bounds (ASan) and never makes more bytes than it was given.
    std::mt19937_64 rng(5);
    int refused = 0;
    for (int round = 0; round < 2000; ++round) {
        std::string bytes = columns;
        for (int flips = 1 + static_cast<int>(rng() % 3); flips > 0; --flips) {
            std::size_t at = rng() % bytes.size();
            bytes[at] = static_cast<char>(bytes[at] ^ (1 << (rng() % 8)));
        }
        std::string why = binary::columns_to_rows(bytes, out);
        if (!why.empty()) ++refused;
        CHECK(out.size() <= bytes.size());
    }
    CHECK(refused > 0);
}
