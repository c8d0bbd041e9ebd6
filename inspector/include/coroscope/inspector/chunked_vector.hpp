#pragma once
// An append-only sequence of trivially copyable values that never copies what it holds as it
// grows: a first chunk of up to small_bytes that grows like a vector (small tables stay small),
// then fixed chunks of 2 MiB, each a huge page (page_block.hpp). Reads look like a vector: size(),
// operator[], back(), random-access iterators. For the model's big per-step tables, which a live
// session grows by millions of entries: no regrowth copies, one page fault per 2 MiB.
#include <coroscope/inspector/index_iterator.hpp>
#include <coroscope/inspector/page_block.hpp>

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstring>
#include <iterator>
#include <type_traits>
#include <vector>

namespace coroscope::inspector {

template <typename T>
class chunked_vector {
    static_assert(std::is_trivially_copyable_v<T>, "chunked_vector copies values as bytes");
    static_assert(std::has_single_bit(sizeof(T)), "a chunk must hold a whole number of values");

public:
    static constexpr std::size_t small_bytes = std::size_t{64} << 10;
    static constexpr std::size_t small_capacity = small_bytes / sizeof(T);   // values in the first chunk
    static constexpr std::size_t chunk_capacity = page_block::huge_page_bytes / sizeof(T); // in each later one

    chunked_vector() = default;
    chunked_vector(const chunked_vector& o) {
        for (std::size_t i = 0; i < o.size(); ++i) push_back(o[i]);
    }
    chunked_vector& operator=(const chunked_vector& o) {
        if (this != &o) *this = chunked_vector(o);
        return *this;
    }
    chunked_vector(chunked_vector&& o) noexcept { *this = std::move(o); }
    chunked_vector& operator=(chunked_vector&& o) noexcept {
        if (this != &o) {
            m_small = std::move(o.m_small);
            m_chunks = std::move(o.m_chunks);
            m_size = o.m_size;
            m_next = o.m_next;
            m_limit = o.m_limit;
            o.m_chunks.clear();
            o.m_size = 0;
            o.m_next = o.m_limit = nullptr;
        }
        return *this;
    }

    void push_back(const T& value) {
        if (m_next == m_limit) [[unlikely]]
            grow();
        *m_next++ = value;
        ++m_size;
    }
    std::size_t size() const { return m_size; }
    bool empty() const { return m_size == 0; }
    // The value at index i < size().
    const T& operator[](std::size_t i) const {
        if (i < small_capacity) return values(m_small)[i];
        const std::size_t j = i - small_capacity;
        return values(m_chunks[j / chunk_capacity])[j % chunk_capacity];
    }
    const T& back() const { return *(m_next - 1); }
    // Bytes allocated (what the table costs in memory).
    std::size_t bytes_held() const { return m_small.size() + m_chunks.size() * page_block::huge_page_bytes; }

    class iterator : public index_iterator<iterator> {
    public:
        using value_type = T;
        using difference_type = std::ptrdiff_t;
        using pointer = const T*;
        using reference = const T&;
        iterator() = default;
        iterator(const chunked_vector* v, std::size_t index) : index_iterator<iterator>(index), m_v(v) {}
        const T& operator*() const { return (*m_v)[this->m_index]; }
        const T& operator[](difference_type n) const { return (*m_v)[this->m_index + static_cast<std::size_t>(n)]; }

    private:
        const chunked_vector* m_v = nullptr;
    };
    iterator begin() const { return iterator(this, 0); }
    iterator end() const { return iterator(this, m_size); }

private:
    static T* values(const page_block& b) { return reinterpret_cast<T*>(b.data()); }

    // The current chunk is full: the first chunk doubles (copying at most small_bytes in all)
    // until it holds small_capacity values; after that a new 2 MiB chunk begins.
    void grow() {
        if (m_size < small_capacity) {
            const std::size_t capacity = m_size == 0 ? std::size_t{16} : 2 * m_size;
            page_block bigger(std::min(capacity, small_capacity) * sizeof(T));
            if (m_size > 0) std::memcpy(bigger.data(), m_small.data(), m_size * sizeof(T));
            m_small = std::move(bigger);
            m_next = values(m_small) + m_size;
            m_limit = values(m_small) + std::min(capacity, small_capacity);
            return;
        }
        m_chunks.emplace_back(page_block::huge_page_bytes);
        m_next = values(m_chunks.back());
        m_limit = m_next + chunk_capacity;
    }

    page_block m_small;
    std::vector<page_block> m_chunks;
    std::size_t m_size = 0;
    T* m_next = nullptr;  // where the next value goes
    T* m_limit = nullptr; // the end of the current chunk
};

} // namespace coroscope::inspector
