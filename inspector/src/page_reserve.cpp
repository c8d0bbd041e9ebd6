#include <coroscope/inspector/page_reserve.hpp>
#include <coroscope/inspector/page_block.hpp>

#include <sys/mman.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

namespace coroscope::inspector {

namespace {

struct service {
    std::mutex mutex;
    std::condition_variable wake; // a block was taken, or the last holder left
    std::vector<void*> ready;
    std::thread thread;
    int holders = 0;
    // Which thread should run: the last holder leaving moves it on, so a thread started again
    // before the old one was joined never keeps the old one going.
    std::uint64_t generation = 0;
    std::uint64_t made = 0, taken = 0;

    void run(std::uint64_t mine) {
        constexpr std::size_t size = page_block::huge_page_bytes;
        std::unique_lock lock(mutex);
        while (generation == mine) {
            if (ready.size() >= page_reserve::blocks_ahead) {
                wake.wait(lock);
                continue;
            }
            lock.unlock();
            void* p = std::aligned_alloc(size, size);
            if (p) {
                ::madvise(p, size, MADV_HUGEPAGE); // as page_block's own (advice only)
                // One write per 4 KiB page: with huge pages the first one faults in all 2 MiB.
                auto* bytes = static_cast<volatile std::uint8_t*>(p);
                for (std::size_t i = 0; i < size; i += 4096) bytes[i] = 0;
            }
            lock.lock();
            if (!p) { // out of memory: page_block allocates on its own (and throws) meanwhile
                wake.wait_for(lock, std::chrono::milliseconds(100));
                continue;
            }
            ready.push_back(p);
            ++made;
        }
    }
};

service& the_service() {
    static service s;
    return s;
}

} // namespace

page_reserve::page_reserve() {
    service& s = the_service();
    std::lock_guard lock(s.mutex);
    if (s.holders++ == 0) {
        const std::uint64_t mine = ++s.generation;
        s.thread = std::thread([&s, mine] { s.run(mine); });
    }
}

page_reserve::~page_reserve() {
    service& s = the_service();
    std::thread thread;
    std::vector<void*> left;
    {
        std::lock_guard lock(s.mutex);
        if (--s.holders > 0) return;
        ++s.generation;
        thread = std::move(s.thread);
    }
    s.wake.notify_all();
    thread.join();
    {
        std::lock_guard lock(s.mutex);
        if (s.holders == 0) left.swap(s.ready); // else a new holder started the thread again: they stay
    }
    for (void* p : left) std::free(p);
}

void* page_reserve::take() {
    service& s = the_service();
    void* p = nullptr;
    {
        std::lock_guard lock(s.mutex);
        if (s.holders == 0 || s.ready.empty()) return nullptr;
        p = s.ready.back();
        s.ready.pop_back();
        ++s.taken;
    }
    s.wake.notify_one();
    return p;
}

page_reserve::counts page_reserve::stats() {
    service& s = the_service();
    std::lock_guard lock(s.mutex);
    return {s.made, s.taken, s.ready.size(), s.holders > 0};
}

} // namespace coroscope::inspector
