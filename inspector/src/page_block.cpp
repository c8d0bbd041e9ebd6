#include <coroscope/inspector/page_block.hpp>
#include <coroscope/inspector/page_reserve.hpp>

#include <sys/mman.h>

#include <cstdlib>
#include <new>

namespace coroscope::inspector {

page_block::page_block(std::size_t bytes) {
    constexpr std::size_t huge = huge_page_bytes;
    if (bytes < huge) {
        m_data = static_cast<std::uint8_t*>(::operator new(bytes));
        m_bytes = bytes;
        return;
    }
    m_huge = true;
    if (bytes == huge) { // the tables' usual block: one made ready (faulted in) on another thread
        if (void* p = page_reserve::take()) {
            m_data = static_cast<std::uint8_t*>(p);
            m_bytes = huge;
            return;
        }
    }
    // Whole 2 MiB pages, aligned, from the allocator (so that it counts them, and sanitizers see
    // them): a fresh block this big is mapped on its own, and the advice makes its pages huge.
    const std::size_t size = (bytes + huge - 1) / huge * huge;
    void* p = std::aligned_alloc(huge, size);
    if (!p) throw std::bad_alloc();
    // Advice only: without transparent huge pages the block still works, with 4 KiB pages.
    ::madvise(p, size, MADV_HUGEPAGE);
    m_data = static_cast<std::uint8_t*>(p);
    m_bytes = size;
}

void page_block::release() noexcept {
    if (!m_data) return;
    if (m_huge) std::free(m_data);
    else ::operator delete(m_data);
    m_data = nullptr;
    m_bytes = 0;
}

} // namespace coroscope::inspector
