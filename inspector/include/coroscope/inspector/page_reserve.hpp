#pragma once
// Fresh 2 MiB blocks for page_block, made ready ahead of need by a background thread.
//
// The first write to memory the process never touched costs a page fault, and the kernel zeroes
// the page then, on the thread that wrote. A live model takes ~30 MiB a second of fresh memory
// while it drains (events and histories, in page_blocks), on the window's thread, inside a frame.
// On the VMs we measure on a 2 MiB huge page costs 0.12 ms that way when the guest backed it
// before and ~3.4 ms when it did not (a 4 KiB page: ~12 us): frames of 10 ms for a drain of a
// few thousand events. While a page_reserve lives, a thread keeps `blocks_ahead` blocks allocated,
// advised MADV_HUGEPAGE and written once per 4 KiB, and page_block takes its 2 MiB blocks from
// them: the faults happen on that thread instead.
//
// One service per process, held by every page_reserve alive (the GUI's live link holds one): the
// thread starts with the first and stops with the last, which frees the blocks no one took.
#include <cstddef>
#include <cstdint>

namespace coroscope::inspector {

class page_reserve {
public:
    static constexpr std::size_t blocks_ahead = 8; // 16 MiB: half a second of a live drain

    page_reserve();
    ~page_reserve();
    page_reserve(const page_reserve&) = delete;
    page_reserve& operator=(const page_reserve&) = delete;

    // A ready block of page_block::huge_page_bytes (aligned, from std::aligned_alloc: std::free
    // releases it), or nullptr when no page_reserve lives or none is ready yet. Any thread.
    static void* take();

    struct counts {
        std::uint64_t made = 0;  // blocks the thread made ready, since the process started
        std::uint64_t taken = 0; // of those, taken by take()
        std::size_t ready = 0;   // ready now
        bool running = false;    // the thread runs (a page_reserve lives)
    };
    static counts stats();
};

} // namespace coroscope::inspector
