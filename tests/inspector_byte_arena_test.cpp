// byte_arena: the bytes every task's intervals and the event store's blocks are cut from; pieces
// never move, across the arena's blocks and when the arena itself moves.
#include <coroscope/inspector/byte_arena.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

using coroscope::inspector::byte_arena;
using coroscope::inspector::page_block;

namespace {
struct piece {
    std::uint8_t* data;
    std::size_t size;
    std::uint8_t fill;
};

// Fills `count` pieces of varied sizes (1 .. 4099 bytes), each with its own byte.
std::vector<piece> fill_pieces(byte_arena& arena, std::size_t count) {
    std::vector<piece> pieces;
    for (std::size_t i = 0; i < count; ++i) {
        const std::size_t size = 1 + (i * 131) % 4099;
        piece p{arena.allocate(size), size, static_cast<std::uint8_t>(i * 7 + 1)};
        for (std::size_t k = 0; k < size; ++k) p.data[k] = p.fill;
        pieces.push_back(p);
    }
    return pieces;
}

std::size_t damaged(const std::vector<piece>& pieces) {
    std::size_t n = 0;
    for (const piece& p : pieces)
        for (std::size_t k = 0; k < p.size; ++k) n += p.data[k] != p.fill;
    return n;
}
} // namespace

TEST_CASE("byte_arena pieces stay intact across the first block and several 2 MiB blocks") {
    byte_arena arena;
    CHECK(arena.bytes_held() == 0);
    std::vector<piece> pieces = fill_pieces(arena, 3000); // ~6 MiB: the 64 KiB block and three or four more
    CHECK(damaged(pieces) == 0);
    CHECK(arena.bytes_held() >= byte_arena::first_block_bytes + 3 * page_block::huge_page_bytes);
    // No two pieces overlap (a piece is handed out once).
    std::vector<std::pair<std::uint8_t*, std::uint8_t*>> spans;
    for (const piece& p : pieces) spans.emplace_back(p.data, p.data + p.size);
    std::sort(spans.begin(), spans.end());
    std::size_t overlaps = 0;
    for (std::size_t i = 1; i < spans.size(); ++i) overlaps += spans[i].first < spans[i - 1].second;
    CHECK(overlaps == 0);
}

TEST_CASE("byte_arena reserve gives room at the cursor, commit hands out only what was used") {
    byte_arena arena;
    std::uint8_t* room = arena.reserve(100);
    CHECK(room == arena.cursor());
    room[0] = 1;
    arena.commit(10);
    CHECK(arena.cursor() == room + 10); // the 90 bytes not used stay the arena's
    CHECK(arena.allocate(5) == room + 10);
    // More than the current block has left: the room begins a new block; handed-out bytes stay.
    std::uint8_t* big = arena.reserve(byte_arena::max_reserve);
    CHECK(big != room + 15);
    CHECK(room[0] == 1);
    big[byte_arena::max_reserve - 1] = 2; // all of the room is writable
    arena.commit(byte_arena::max_reserve);
    CHECK(arena.cursor() == big + byte_arena::max_reserve);
}

TEST_CASE("a moved byte_arena keeps every piece where it was") {
    byte_arena arena;
    std::vector<piece> pieces = fill_pieces(arena, 1500);
    const std::size_t held = arena.bytes_held();
    byte_arena moved = std::move(arena);
    CHECK(moved.bytes_held() == held);
    CHECK(damaged(pieces) == 0);
    // Growing after the move goes on from where the arena was, leaving the old pieces alone.
    std::vector<piece> more = fill_pieces(moved, 1500);
    CHECK(damaged(pieces) == 0);
    CHECK(damaged(more) == 0);
    // The moved-from arena holds nothing and starts afresh.
    CHECK(arena.bytes_held() == 0); // NOLINT(bugprone-use-after-move)
    std::vector<piece> fresh = fill_pieces(arena, 10);
    CHECK(damaged(fresh) == 0);
    CHECK(damaged(more) == 0);
}
