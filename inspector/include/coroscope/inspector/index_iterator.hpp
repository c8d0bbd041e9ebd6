#pragma once
// The arithmetic of a random-access iterator that is an index into a container reading its values
// by index (chunked_vector, interval_list). The derived iterator D only says how to read the value at
// the index (operator*); moving, distances and comparisons are the index's.
#include <compare>
#include <cstddef>
#include <iterator>

namespace coroscope::inspector {

template <class D>
class index_iterator {
public:
    using iterator_category = std::random_access_iterator_tag;
    using difference_type = std::ptrdiff_t;

    std::size_t index() const { return m_index; }
    auto operator[](difference_type n) const { return *(self() + n); }
    D& operator++() { return ++m_index, self(); }
    D operator++(int) { D old = self(); ++m_index; return old; }
    D& operator--() { return --m_index, self(); }
    D operator--(int) { D old = self(); --m_index; return old; }
    D& operator+=(difference_type n) {
        m_index = static_cast<std::size_t>(static_cast<difference_type>(m_index) + n);
        return self();
    }
    D& operator-=(difference_type n) { return *this += -n; }
    friend D operator+(D it, difference_type n) { return it += n; }
    friend D operator+(difference_type n, D it) { return it += n; }
    friend D operator-(D it, difference_type n) { return it -= n; }
    friend difference_type operator-(const D& a, const D& b) {
        return static_cast<difference_type>(a.m_index) - static_cast<difference_type>(b.m_index);
    }
    friend bool operator==(const D& a, const D& b) { return a.m_index == b.m_index; }
    friend auto operator<=>(const D& a, const D& b) { return a.m_index <=> b.m_index; }

protected:
    index_iterator() = default;
    explicit index_iterator(std::size_t index) : m_index(index) {}
    std::size_t m_index = 0;

private:
    D& self() { return static_cast<D&>(*this); }
    const D& self() const { return static_cast<const D&>(*this); }
};

} // namespace coroscope::inspector
