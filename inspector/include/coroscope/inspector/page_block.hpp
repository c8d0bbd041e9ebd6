#pragma once
// Memory for the model's big append-only tables, in blocks that never move once allocated (so a
// table grows by adding blocks, never by copying what it holds).
//
// A block of at least huge_page_bytes is whole 2 MiB pages, aligned (std::aligned_alloc) and marked
// MADV_HUGEPAGE: the kernel then backs it with 2 MiB pages, one page fault where 4 KiB pages take
// 512 (a live model grows by ~20 bytes per event on fresh memory; on this VM a 4 KiB fault costs
// ~13 us at load 11). Smaller blocks come from operator new.
#include <cstddef>
#include <cstdint>

namespace coroscope::inspector {

class page_block {
public:
    static constexpr std::size_t huge_page_bytes = std::size_t{2} << 20;

    page_block() = default;
    // At least `bytes` bytes (contents unspecified); throws std::bad_alloc when out of memory.
    explicit page_block(std::size_t bytes);
    ~page_block() { release(); }
    page_block(const page_block&) = delete;
    page_block& operator=(const page_block&) = delete;
    page_block(page_block&& o) noexcept : m_data(o.m_data), m_bytes(o.m_bytes), m_huge(o.m_huge) {
        o.m_data = nullptr;
        o.m_bytes = 0;
    }
    page_block& operator=(page_block&& o) noexcept {
        if (this != &o) {
            release();
            m_data = o.m_data;
            m_bytes = o.m_bytes;
            m_huge = o.m_huge;
            o.m_data = nullptr;
            o.m_bytes = 0;
        }
        return *this;
    }

    std::uint8_t* data() const { return m_data; }
    std::size_t size() const { return m_bytes; } // usable bytes (>= the size asked for)
    bool huge() const { return m_huge; }        // whole aligned 2 MiB pages, advised MADV_HUGEPAGE

private:
    void release() noexcept;
    std::uint8_t* m_data = nullptr;
    std::size_t m_bytes = 0;
    bool m_huge = false;
};

} // namespace coroscope::inspector
