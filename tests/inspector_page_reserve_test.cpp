// page_reserve: 2 MiB blocks faulted in ahead by a background thread, taken by page_block while a
// reserve lives (the GUI's live link holds one); the thread and its blocks go with the last holder.
#include <coroscope/inspector/page_block.hpp>
#include <coroscope/inspector/page_reserve.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <thread>

using coroscope::inspector::page_block;
using coroscope::inspector::page_reserve;

namespace {
// Waits (up to 10 s) until the thread has `n` blocks ready.
bool wait_ready(std::size_t n) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (page_reserve::stats().ready < n) {
        if (std::chrono::steady_clock::now() > until) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
}
} // namespace

TEST_CASE("page_reserve: none alive, page_block allocates its own, and while one lives its 2 MiB blocks come made ready") {
    REQUIRE_FALSE(page_reserve::stats().running);
    CHECK(page_reserve::take() == nullptr);
    const std::uint64_t taken_before = page_reserve::stats().taken;
    {
        page_block own(page_block::huge_page_bytes);
        CHECK(own.huge());
        CHECK(page_reserve::stats().taken == taken_before);
    }
    {
        page_reserve reserve;
        CHECK(page_reserve::stats().running);
        REQUIRE(wait_ready(page_reserve::blocks_ahead));
        CHECK(page_reserve::stats().ready == page_reserve::blocks_ahead); // never more

        // A block taken directly: aligned to its size, all of it writable, freed with std::free.
        void* p = page_reserve::take();
        REQUIRE(p != nullptr);
        CHECK(reinterpret_cast<std::uintptr_t>(p) % page_block::huge_page_bytes == 0);
        auto* bytes = static_cast<std::uint8_t*>(p);
        for (std::size_t i = 0; i < page_block::huge_page_bytes; ++i) bytes[i] = static_cast<std::uint8_t>(i);
        CHECK(bytes[page_block::huge_page_bytes - 1] == 0xff);
        std::free(p);

        // page_block takes one for exactly 2 MiB, not for a bigger or a smaller block.
        const std::uint64_t taken = page_reserve::stats().taken;
        {
            page_block block(page_block::huge_page_bytes);
            CHECK(page_reserve::stats().taken == taken + 1);
            CHECK(block.huge());
            CHECK(block.size() == page_block::huge_page_bytes);
            CHECK(reinterpret_cast<std::uintptr_t>(block.data()) % page_block::huge_page_bytes == 0);
            block.data()[block.size() - 1] = 1;
            page_block two(2 * page_block::huge_page_bytes);
            page_block small(4096);
            CHECK(page_reserve::stats().taken == taken + 1);
            CHECK(two.size() == 2 * page_block::huge_page_bytes);
            CHECK_FALSE(small.huge());
        }
        // The thread makes up for what was taken.
        CHECK(wait_ready(page_reserve::blocks_ahead));
    }
    // The last holder gone: the thread stopped and the blocks nobody took were freed (LSan checks
    // they are not merely dropped).
    const page_reserve::counts after = page_reserve::stats();
    CHECK_FALSE(after.running);
    CHECK(after.ready == 0);
    CHECK(after.made >= after.taken + page_reserve::blocks_ahead);
    CHECK(page_reserve::take() == nullptr);
}

TEST_CASE("page_reserve: one thread for every holder, stopped with the last, started again by a new one") {
    REQUIRE_FALSE(page_reserve::stats().running);
    auto first = std::make_unique<page_reserve>();
    auto second = std::make_unique<page_reserve>();
    REQUIRE(wait_ready(page_reserve::blocks_ahead));
    first.reset();
    CHECK(page_reserve::stats().running); // the second still holds it
    CHECK(page_reserve::stats().ready == page_reserve::blocks_ahead);
    void* p = page_reserve::take();
    CHECK(p != nullptr);
    std::free(p);
    second.reset();
    CHECK_FALSE(page_reserve::stats().running);
    CHECK(page_reserve::stats().ready == 0);

    // Held and let go many times, from two threads at once: no thread is left running and no block
    // left over (a thread started again before the old one was joined must not keep it going).
    auto churn = [] {
        for (int i = 0; i < 50; ++i) {
            page_reserve r;
            if (void* q = page_reserve::take()) std::free(q);
        }
    };
    std::thread a(churn), b(churn);
    a.join();
    b.join();
    CHECK_FALSE(page_reserve::stats().running);
    CHECK(page_reserve::stats().ready == 0);
}
