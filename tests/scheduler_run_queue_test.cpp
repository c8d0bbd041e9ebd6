// The run queue (detail/run_queue.hpp): a FIFO linked through the task records, checked against
// a std::deque through pushes, pops, rotates and the random policy's picks, indexing from the front
// and iteration included.
#include <coroscope/detail/run_queue.hpp>
#include <coroscope/task.hpp>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <deque>
#include <vector>

using coroscope::detail::run_queue;
using coroscope::detail::task_record;

namespace {
// A task record with no frames: the queue only links records, it never runs them.
struct fake_task final : task_record {
    void harvest_root() override {}
    coroscope::promise_base& root_promise() override { std::abort(); }
    void destroy_root() override {}
};

std::vector<task_record*> contents(const run_queue& q) {
    std::vector<task_record*> out;
    for (task_record* t : q) out.push_back(t);
    return out;
}

// The queue holds exactly `reference`, front first, by every way of reading it.
void check_same(const run_queue& q, const std::deque<task_record*>& reference) {
    REQUIRE(q.size() == reference.size());
    REQUIRE(q.empty() == reference.empty());
    if (!reference.empty()) REQUIRE(q.front() == reference.front());
    for (std::size_t i = 0; i < reference.size(); ++i) REQUIRE(q[i] == reference[i]);
    REQUIRE(contents(q) == std::vector<task_record*>(reference.begin(), reference.end()));
}
} // namespace

TEST_CASE("run queue: FIFO order, indexing and iteration from the front") {
    std::vector<fake_task> tasks(5);
    run_queue q;
    CHECK(q.empty());
    CHECK(contents(q).empty());
    for (fake_task& t : tasks) q.push_back(&t);
    check_same(q, {&tasks[0], &tasks[1], &tasks[2], &tasks[3], &tasks[4]});
    CHECK(q.pop_front() == &tasks[0]);
    CHECK(q.pop_front() == &tasks[1]);
    check_same(q, {&tasks[2], &tasks[3], &tasks[4]});
    q.clear();
    CHECK(q.empty());
    q.push_back(&tasks[1]); // a cleared queue starts again from nothing
    check_same(q, {&tasks[1]});
}

TEST_CASE("run queue: take(i) removes the i-th task and moves the front into its place") {
    // What the random policy did on the ring: swap the front with its pick, then pop the front.
    for (std::size_t size = 1; size <= 6; ++size)
        for (std::size_t pick = 0; pick < size; ++pick) {
            INFO("size " << size << ", pick " << pick);
            std::vector<fake_task> tasks(size + 1);
            run_queue q;
            std::deque<task_record*> reference;
            for (std::size_t i = 0; i < size; ++i) {
                q.push_back(&tasks[i]);
                reference.push_back(&tasks[i]);
            }
            std::swap(reference[0], reference[pick]);
            task_record* expected = reference.front();
            reference.pop_front();
            CHECK(q.take(pick) == expected);
            check_same(q, reference);
            q.push_back(&tasks[size]); // the back is still linked right (the tail moved if it was taken)
            reference.push_back(&tasks[size]);
            check_same(q, reference);
        }
}

TEST_CASE("run queue: behaves as a deque through pushes, pops, rotates and picks") {
    // A fixed pseudo-random mix of operations on up to 64 records, each in the queue at most once
    // (as in the scheduler); a std::deque is the reference.
    std::vector<fake_task> tasks(64);
    std::vector<task_record*> outside;
    for (fake_task& t : tasks) outside.push_back(&t);
    run_queue q;
    std::deque<task_record*> reference;
    std::uint64_t state = 12345;
    auto next = [&state](std::uint64_t n) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        return (state >> 33) % n;
    };
    int rotates = 0, takes = 0;
    for (int round = 0; round < 20000; ++round) {
        std::uint64_t op = next(4);
        if (op == 0 && !outside.empty()) { // push one that is not queued
            std::size_t k = next(outside.size());
            q.push_back(outside[k]);
            reference.push_back(outside[k]);
            outside.erase(outside.begin() + static_cast<std::ptrdiff_t>(k));
        } else if (op == 1 && !reference.empty()) { // pop
            REQUIRE(q.pop_front() == reference.front());
            outside.push_back(reference.front());
            reference.pop_front();
        } else if (op == 2 && !reference.empty() && !outside.empty()) { // rotate in one that is not queued
            std::size_t k = next(outside.size());
            task_record* back = outside[k];
            REQUIRE(q.rotate(back) == reference.front());
            outside[k] = reference.front();
            reference.pop_front();
            reference.push_back(back);
            ++rotates;
        } else if (op == 3 && !reference.empty()) { // the random policy's pick
            std::size_t pick = next(reference.size());
            std::swap(reference[0], reference[pick]);
            REQUIRE(q.take(pick) == reference.front());
            outside.push_back(reference.front());
            reference.pop_front();
            ++takes;
        }
        check_same(q, reference);
    }
    CHECK(rotates > 1000);
    CHECK(takes > 1000);
}

TEST_CASE("run queue: rotate with one task queued, as a task yields to the only other one") {
    std::vector<fake_task> tasks(2);
    run_queue q;
    q.push_back(&tasks[0]);
    for (int i = 0; i < 10; ++i) { // two tasks ping-ponging: each rotate swaps which one is queued
        CHECK(q.rotate(&tasks[(i + 1) % 2]) == &tasks[i % 2]);
        check_same(q, {&tasks[(i + 1) % 2]});
    }
}
