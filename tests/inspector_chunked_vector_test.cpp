// chunked_vector and page_block: the model's big per-step tables, which grow in chunks that never
// move (a growing first chunk, then 2 MiB huge-page chunks).
#include <coroscope/inspector/chunked_vector.hpp>
#include <coroscope/inspector/page_block.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>

using coroscope::inspector::chunked_vector;
using coroscope::inspector::page_block;

namespace {
// A value that differs for every index (and is not just the index).
std::uint64_t value_at(std::size_t i) { return i * 0x9e3779b97f4a7c15ull + 7; }

template <typename T>
void check_holds(const chunked_vector<T>& v, std::size_t n) {
    REQUIRE(v.size() == n);
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < n; ++i) wrong += v[i] != static_cast<T>(value_at(i));
    CHECK(wrong == 0);
    std::size_t i = 0;
    for (T x : v) wrong += x != static_cast<T>(value_at(i++));
    CHECK(i == n);
    CHECK(wrong == 0);
    if (n > 0) CHECK(v.back() == static_cast<T>(value_at(n - 1)));
}
} // namespace

TEST_CASE("chunked_vector keeps every value across its first chunk's growth and several 2 MiB chunks") {
    using vec = chunked_vector<std::uint64_t>;
    // The first chunk, three whole big chunks and part of a fourth.
    const std::size_t n = vec::small_capacity + 3 * vec::chunk_capacity + 12345;
    vec v;
    CHECK(v.empty());
    std::size_t wrong_back = 0;
    for (std::size_t i = 0; i < n; ++i) {
        v.push_back(value_at(i));
        wrong_back += v.back() != value_at(i); // back() right after every push, at every boundary
    }
    CHECK(wrong_back == 0);
    check_holds(v, n);
    CHECK(v.bytes_held() == vec::small_bytes + 4 * page_block::huge_page_bytes);
}

TEST_CASE("chunked_vector of 32-bit values crosses its chunk boundaries at their own sizes") {
    using vec = chunked_vector<std::uint32_t>;
    const std::size_t n = vec::small_capacity + vec::chunk_capacity + 1;
    vec v;
    for (std::size_t i = 0; i < n; ++i) v.push_back(static_cast<std::uint32_t>(value_at(i)));
    check_holds(v, n);
    // The values on either side of each boundary.
    for (std::size_t at : {vec::small_capacity - 1, vec::small_capacity, vec::small_capacity + vec::chunk_capacity - 1,
                           vec::small_capacity + vec::chunk_capacity})
        CHECK(v[at] == static_cast<std::uint32_t>(value_at(at)));
}

TEST_CASE("chunked_vector iterators are random access: binary search finds every value") {
    using vec = chunked_vector<std::uint64_t>;
    vec v;
    const std::size_t n = vec::small_capacity + vec::chunk_capacity + 100;
    for (std::size_t i = 0; i < n; ++i) v.push_back(3 * i); // sorted
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < n; i += 997) {
        auto it = std::upper_bound(v.begin(), v.end(), 3 * i + 1);
        wrong += static_cast<std::size_t>(it - v.begin()) != i + 1;
    }
    CHECK(wrong == 0);
    CHECK(std::upper_bound(v.begin(), v.end(), 3 * n) == v.end());
    CHECK(std::upper_bound(v.begin(), v.end(), 0) - v.begin() == 1);
}

TEST_CASE("a moved chunked_vector keeps its values where they are, a copy has its own") {
    using vec = chunked_vector<std::uint64_t>;
    const std::size_t n = vec::small_capacity + vec::chunk_capacity + 3;
    vec v;
    for (std::size_t i = 0; i < n; ++i) v.push_back(value_at(i));
    const std::uint64_t* first = &v[0];
    const std::uint64_t* last = &v[n - 1];

    vec moved = std::move(v);
    CHECK(&moved[0] == first); // no copy: the chunks moved, not their values
    CHECK(&moved[n - 1] == last);
    check_holds(moved, n);
    CHECK(v.empty()); // NOLINT(bugprone-use-after-move): a moved-from vector is empty and usable
    v.push_back(value_at(0));
    check_holds(v, 1);

    vec copy = moved;
    CHECK(&copy[0] != &moved[0]);
    check_holds(copy, n);
    copy.push_back(value_at(n)); // growing the copy leaves the original alone
    check_holds(copy, n + 1);
    check_holds(moved, n);

    vec assigned;
    assigned.push_back(1);
    assigned = std::move(copy);
    check_holds(assigned, n + 1);
}

TEST_CASE("page_block: big blocks are whole aligned huge pages, small ones come from the heap") {
    page_block small(1000);
    CHECK(small.size() >= 1000);
    CHECK_FALSE(small.huge());
    page_block big(page_block::huge_page_bytes + 1);
    CHECK(big.size() >= page_block::huge_page_bytes + 1);
    CHECK(big.huge());
    CHECK(big.size() == 2 * page_block::huge_page_bytes);
    CHECK(reinterpret_cast<std::uintptr_t>(big.data()) % page_block::huge_page_bytes == 0);
    // Every byte is usable.
    std::fill(big.data(), big.data() + big.size(), std::uint8_t{0xab});
    CHECK(big.data()[big.size() - 1] == 0xab);

    std::uint8_t* data = big.data();
    page_block moved = std::move(big);
    CHECK(moved.data() == data);
    CHECK(big.data() == nullptr); // NOLINT(bugprone-use-after-move): the source gave it up
    CHECK(big.size() == 0);
    moved = std::move(small); // frees the huge block, takes the small one
    CHECK(moved.size() >= 1000);
    CHECK_FALSE(moved.huge());
}
