#pragma once
// Bytes handed out from a few big blocks that never move and are freed together with the arena:
// for the model's many small growing byte strings (every task's state intervals, the event store's
// blocks), so that they share 2 MiB huge pages (page_block.hpp) instead of each growing on its own
// fresh 4 KiB pages and being copied as it doubles. The first block is small (a small trace stays
// small); every later block is 2 MiB.
#include <coroscope/inspector/page_block.hpp>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace coroscope::inspector {

class byte_arena {
public:
    static constexpr std::size_t first_block_bytes = std::size_t{64} << 10;
    static constexpr std::size_t max_reserve = first_block_bytes; // the most one reserve() may ask

    byte_arena() = default;
    byte_arena(const byte_arena&) = delete;
    byte_arena& operator=(const byte_arena&) = delete;
    // Moving keeps every byte handed out where it is (the blocks move, not their memory).
    byte_arena(byte_arena&& o) noexcept { *this = std::move(o); }
    byte_arena& operator=(byte_arena&& o) noexcept {
        if (this != &o) {
            m_blocks = std::move(o.m_blocks);
            m_next = o.m_next;
            m_limit = o.m_limit;
            o.m_blocks.clear();
            o.m_next = o.m_limit = nullptr;
        }
        return *this;
    }

    // At least n <= max_reserve contiguous free bytes from cursor() on (a new block when the
    // current one has less); they are the arena's until commit()ted.
    std::uint8_t* reserve(std::size_t n) {
        if (static_cast<std::size_t>(m_limit - m_next) < n) [[unlikely]]
            next_block();
        return m_next;
    }
    // The next free byte.
    std::uint8_t* cursor() const { return m_next; }
    // Hands out the next n bytes (n at most what the last reserve() asked, minus what was committed since).
    void commit(std::size_t n) { m_next += n; }
    // reserve(n) and commit(n): n bytes that stay put until the arena is destroyed.
    std::uint8_t* allocate(std::size_t n) {
        std::uint8_t* p = reserve(n);
        commit(n);
        return p;
    }
    // Bytes allocated from the system (what the arena costs in memory).
    std::size_t bytes_held() const {
        std::size_t n = 0;
        for (const page_block& b : m_blocks) n += b.size();
        return n;
    }

private:
    void next_block() {
        m_blocks.emplace_back(m_blocks.empty() ? first_block_bytes : page_block::huge_page_bytes);
        m_next = m_blocks.back().data();
        m_limit = m_next + m_blocks.back().size();
    }

    std::vector<page_block> m_blocks;
    std::uint8_t* m_next = nullptr;
    std::uint8_t* m_limit = nullptr;
};

} // namespace coroscope::inspector
