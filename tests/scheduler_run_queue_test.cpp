// The run queue (detail/run_queue.hpp): a FIFO ring that grows, keeps its order across the wrap
// and the growth, and indexes from the front.
#include <coroscope/detail/run_queue.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <deque>
#include <vector>

using coroscope::detail::run_queue;
using coroscope::detail::task_record;

namespace {
// Distinct fake task pointers: the queue only stores and returns them, never dereferences them.
std::array<char, 1000> storage;
task_record* fake(std::size_t i) { return reinterpret_cast<task_record*>(&storage[i]); }
} // namespace

TEST_CASE("run queue: FIFO order, indexing and iteration from the front") {
    run_queue q;
    CHECK(q.empty());
    for (std::size_t i = 0; i < 5; ++i) q.push_back(fake(i));
    REQUIRE(q.size() == 5);
    CHECK(q[0] == fake(0));
    CHECK(q[4] == fake(4));
    std::swap(q[0], q[2]); // the random policy swaps its pick to the front
    std::vector<task_record*> seen;
    for (task_record* t : q) seen.push_back(t);
    CHECK(seen == std::vector<task_record*>{fake(2), fake(1), fake(0), fake(3), fake(4)});
    CHECK(q.pop_front() == fake(2));
    CHECK(q.pop_front() == fake(1));
    CHECK(q.size() == 3);
    q.clear();
    CHECK(q.empty());
}

TEST_CASE("run queue: behaves as a deque through wrap-around and growth") {
    // Interleave pushes and pops so the indices wrap many times, while the size crosses several
    // capacities (16, 32, ... 512) up and down; a std::deque is the reference.
    run_queue q;
    std::deque<task_record*> reference;
    std::size_t next = 0;
    for (int round = 0; round < 40; ++round) {
        std::size_t pushes = static_cast<std::size_t>((round * 37) % 300), pops = static_cast<std::size_t>((round * 53) % 280);
        for (std::size_t i = 0; i < pushes; ++i) {
            q.push_back(fake(next % storage.size()));
            reference.push_back(fake(next % storage.size()));
            ++next;
        }
        for (std::size_t i = 0; i < pops && !reference.empty(); ++i) {
            REQUIRE(q.pop_front() == reference.front());
            reference.pop_front();
        }
        REQUIRE(q.size() == reference.size());
        for (std::size_t i = 0; i < reference.size(); ++i) REQUIRE(q[i] == reference[i]);
    }
    CHECK(next > 5000); // the test did wrap and grow
}

TEST_CASE("run queue: rotate pops the front and pushes at the back, across the wrap, without growing") {
    run_queue q;
    std::deque<task_record*> reference;
    for (std::size_t i = 0; i < 16; ++i) { // exactly full: rotate must reuse the slot it empties
        q.push_back(fake(i));
        reference.push_back(fake(i));
    }
    for (std::size_t i = 16; i < 100; ++i) {
        REQUIRE(q.rotate(fake(i)) == reference.front());
        reference.pop_front();
        reference.push_back(fake(i));
        REQUIRE(q.size() == 16);
        for (std::size_t k = 0; k < reference.size(); ++k) REQUIRE(q[k] == reference[k]);
    }
    q.pop_front();
    CHECK(q.rotate(fake(500)) == reference[1]); // not full
    CHECK(q[q.size() - 1] == fake(500));
    CHECK(q.size() == 15);
}
