#pragma once
// The model's copy of a trace, stored compactly: events are delta-coded into blocks of
// `block_events` and decoded on demand, so a 10-million-event trace holds ~6 bytes per event
// instead of sizeof(traces::event) == 40. Reads look like a vector of events that returns them by
// value: size(), operator[], forward iteration, ==.
//
// Reads decode through a one-block cache, so scans in index order cost one decode per event.
// The cache makes concurrent reads from two threads unsafe (as writes always were).
#include <coroscope/inspector/byte_arena.hpp>
#include <coroscope/inspector/chunked_vector.hpp>
#include <coroscope/traces/event.hpp>
#include <coroscope/traces/header.hpp>
#include <coroscope/traces/trace.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace coroscope::inspector {

class event_store {
public:
    static constexpr std::size_t block_events = 64; // events per independently decodable block

    event_store() = default;
    event_store(const event_store& other);
    event_store& operator=(const event_store& other);
    event_store(event_store&&) noexcept = default;
    event_store& operator=(event_store&&) noexcept = default;

    void push_back(const traces::event& e);
    std::size_t size() const { return m_size; }
    bool empty() const { return m_size == 0; }
    // The event at index i < size(), decoded.
    traces::event operator[](std::size_t i) const;
    traces::event front() const { return (*this)[0]; }
    traces::event back() const { return (*this)[m_size - 1]; }
    // Bytes held (encoded events, block index, cache): what the store costs in memory.
    std::size_t bytes_held() const;

    class iterator {
    public:
        using iterator_category = std::forward_iterator_tag;
        using value_type = traces::event;
        using difference_type = std::ptrdiff_t;
        using pointer = const traces::event*;
        using reference = const traces::event&;
        iterator() = default;
        iterator(const event_store* store, std::size_t index);
        const traces::event& operator*() const { return m_event; }
        const traces::event* operator->() const { return &m_event; }
        iterator& operator++();
        iterator operator++(int) {
            iterator old = *this;
            ++*this;
            return old;
        }
        bool operator==(const iterator& o) const { return m_index == o.m_index; }

    private:
        void load();
        const event_store* m_store = nullptr;
        std::size_t m_index = 0;
        traces::event m_event{};
    };
    iterator begin() const { return iterator(this, 0); }
    iterator end() const { return iterator(this, m_size); }

    friend bool operator==(const event_store& a, const event_store& b);
    friend bool operator==(const event_store& a, const std::vector<traces::event>& b);

private:
    // Encoded bytes live in an arena (2 MiB huge pages, never copied as the store grows); a block
    // never spans two of its blocks: room for a whole block is reserved when it begins.
    static constexpr std::size_t max_event_bytes = 64; // longest encoding of one event
    void decode_block(std::size_t block) const;

    byte_arena m_bytes;
    chunked_vector<const std::uint8_t*> m_block_start; // where each block's bytes begin
    std::size_t m_size = 0;
    traces::event m_prev{};                   // the previous event pushed (delta base within a block)
    // Decode cache: the events of one block.
    mutable std::size_t m_cached_block = static_cast<std::size_t>(-1);
    mutable std::size_t m_cached_count = 0;
    mutable std::array<traces::event, block_events> m_cache{};
};

// A trace as the model keeps it: the header, the interned strings and the compact events.
struct stored_trace {
    traces::header header;
    std::vector<std::string> strings{std::string{}}; // index = string id; id 0 is always ""
    event_store events;

    // The text of a string id; "" for id 0 and for ids never defined.
    std::string_view text(std::uint64_t id) const {
        return id < strings.size() ? std::string_view{strings[id]} : std::string_view{};
    }
    void define_string(std::uint32_t id, std::string_view value) {
        if (id >= strings.size()) strings.resize(id + 1);
        strings[id] = value;
    }
    // The whole trace decoded (40 bytes per event): for saving it or handing it on.
    traces::trace to_trace() const;
};

} // namespace coroscope::inspector
