#pragma once
// The scheduler's run queue: a FIFO of ready tasks in a growable ring buffer. Not part of the user
// API. A ring rather than std::deque because the hot path of every task switch is one pop_front and
// one push_back: here each is an index mask and a store, with no block bookkeeping.
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

namespace coroscope::detail {

struct task_record;

class run_queue {
public:
    run_queue() = default;
    run_queue(const run_queue&) = delete;
    run_queue& operator=(const run_queue&) = delete;

    bool empty() const noexcept { return m_size == 0; }
    std::size_t size() const noexcept { return m_size; }
    // The i-th task from the front (0 = the next to run).
    task_record*& operator[](std::size_t i) noexcept {
        assert(i < size());
        return m_slots[(m_head + i) & m_mask];
    }
    task_record* operator[](std::size_t i) const noexcept {
        assert(i < size());
        return m_slots[(m_head + i) & m_mask];
    }
    void push_back(task_record* task) {
        if (m_size == m_capacity) [[unlikely]]
            grow();
        m_slots[(m_head + m_size++) & m_mask] = task;
    }
    task_record* pop_front() noexcept {
        assert(!empty());
        --m_size;
        return m_slots[m_head++ & m_mask];
    }
    // pop_front() then push_back(back), in one: the slot just emptied makes room, so it never grows.
    // The hot path of a yield that hands over directly (scheduler::yield_switch).
    task_record* rotate(task_record* back) noexcept {
        assert(!empty());
        // Everything read before the first store: a store through a pointer may alias m_slots.
        task_record** slots = m_slots.get();
        std::size_t head = m_head, mask = m_mask;
        task_record* front = slots[head & mask];
        slots[(head + m_size) & mask] = back;
        m_head = head + 1;
        return front;
    }
    void clear() noexcept { m_head = m_size = 0; }

    // Front-to-back iteration (read-only), for reports.
    class const_iterator {
    public:
        const_iterator(const run_queue* queue, std::size_t i) : m_queue(queue), m_i(i) {}
        task_record* operator*() const { return (*m_queue)[m_i]; }
        const_iterator& operator++() {
            ++m_i;
            return *this;
        }
        bool operator==(const const_iterator&) const = default;

    private:
        const run_queue* m_queue;
        std::size_t m_i;
    };
    const_iterator begin() const { return {this, 0}; }
    const_iterator end() const { return {this, size()}; }

private:
    // Doubles the ring (16 slots at first), keeping the order: the front moves to slot 0. Out of
    // line: push_back is inlined into the hot path, which should not pay for this code's registers.
    [[gnu::noinline]] void grow() {
        std::size_t n = size();
        std::size_t new_capacity = m_capacity ? m_capacity * 2 : 16;
        auto slots = std::make_unique<task_record*[]>(new_capacity);
        for (std::size_t i = 0; i < n; ++i) slots[i] = (*this)[i];
        m_slots = std::move(slots);
        m_capacity = new_capacity;
        m_mask = new_capacity - 1;
        m_head = 0;
    }

    std::unique_ptr<task_record*[]> m_slots;
    std::size_t m_capacity = 0; // a power of two (0 before the first push)
    std::size_t m_mask = 0;     // m_capacity - 1
    // The front's index grows without wrapping (a 64-bit count of pops cannot overflow); the mask
    // maps it to a slot. The back is m_head + m_size. (A head and a size rather than a head and a
    // tail: rotate(), every direct yield, then updates one index.)
    std::size_t m_head = 0;
    std::size_t m_size = 0;
};

} // namespace coroscope::detail
