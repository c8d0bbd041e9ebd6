#pragma once
// The scheduler's run queue: a FIFO of ready tasks, linked through the tasks themselves
// (task_record::next_ready). Not part of the user API.
//
// Intrusive rather than a ring of pointers because the hot path of every task switch is one
// rotate (the front leaves, the yielder joins the back): here that is two loads and three stores,
// with no index, mask or capacity to read. A task is in at most one run queue at a time, at most
// once (the scheduler puts a task back only after it left: make_ready wakes waiting tasks, and a
// yield puts back the running one). Indexing from the front walks the links (the random policy's
// pick; the inspector's model finds a random pick in its own queue the same way).
#include <coroscope/detail/task_record.hpp>

#include <cassert>
#include <cstddef>
#include <cstdint>

namespace coroscope::detail {

class run_queue {
public:
    run_queue() = default;
    run_queue(const run_queue&) = delete;
    run_queue& operator=(const run_queue&) = delete;

    bool empty() const noexcept { return m_size == 0; }
    std::size_t size() const noexcept { return m_size; }
    // The next task to run.
    task_record* front() const noexcept {
        assert(!empty());
        return m_head;
    }
    // The i-th task from the front (0 = the next to run); walks i links.
    task_record* operator[](std::size_t i) const noexcept {
        assert(i < size());
        task_record* t = m_head;
        while (i-- > 0) t = t->next_ready;
        return t;
    }
    void push_back(task_record* task) noexcept {
        if (m_size++ == 0) m_head = task;
        else m_tail->next_ready = task;
        m_tail = task;
    }
    task_record* pop_front() noexcept {
        assert(!empty());
        task_record* front = m_head;
        m_head = front->next_ready; // not read when the queue is now empty (m_size says so)
        --m_size;
        return front;
    }
    // Takes the i-th task out, with the front moved into its place (the random policy's pick:
    // what swapping the two and popping the front did in the ring this queue replaced, so a seed
    // gives the same steps as before). take(0) is pop_front().
    task_record* take(std::size_t i) noexcept {
        assert(i < size());
        if (i == 0) return pop_front();
        task_record* front = m_head;
        task_record* before = (*this)[i - 1];
        task_record* picked = before->next_ready;
        if (i == 1) { // picked follows the front directly: front takes its place, before == front
            m_head = front;
            front->next_ready = picked->next_ready;
        } else {
            m_head = front->next_ready;
            before->next_ready = front;
            front->next_ready = picked->next_ready;
        }
        if (m_tail == picked) m_tail = front;
        --m_size;
        return picked;
    }
    // pop_front() then push_back(back), in one, on a queue that is not empty: the hot path of a
    // yield that hands over directly (scheduler::yield_switch). The back's link is written before
    // the front's is read: with one task queued the front is the tail, whose link is the new head.
    task_record* rotate(task_record* back) noexcept {
        assert(!empty());
        task_record* front = m_head;
        m_tail->next_ready = back;
        m_head = front->next_ready;
        m_tail = back;
        return front;
    }
    void clear() noexcept { m_size = 0; }

    // Front-to-back iteration (read-only), for reports.
    class const_iterator {
    public:
        const_iterator(task_record* at, std::size_t left) : m_at(at), m_left(left) {}
        task_record* operator*() const { return m_at; }
        const_iterator& operator++() {
            if (--m_left > 0) m_at = m_at->next_ready;
            else m_at = nullptr;
            return *this;
        }
        bool operator==(const const_iterator&) const = default;

    private:
        task_record* m_at;
        std::size_t m_left;
    };
    const_iterator begin() const { return m_size ? const_iterator{m_head, m_size} : end(); }
    const_iterator end() const { return {nullptr, 0}; }

private:
    // Links past the back (and past the front when empty) are stale: m_size bounds every walk.
    // m_size sits between the two ends so that GCC does not merge rotate()'s two stores into one
    // vector store (which took four instructions for two).
    task_record* m_head = nullptr;
    std::size_t m_size = 0;
    task_record* m_tail = nullptr;
};

} // namespace coroscope::detail
