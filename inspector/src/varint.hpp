#pragma once
// LEB128 varints for the model's compact in-memory encodings (history intervals, checkpoints).
// Internal to inspector/src; the file format's varints live in traces/binary.hpp (std::string based).
#include <cstddef>
#include <cstdint>
#include <vector>

namespace coroscope::inspector::detail {

inline void put_varint(std::vector<std::uint8_t>& out, std::uint64_t v) {
    while (v >= 0x80) {
        out.push_back(static_cast<std::uint8_t>(v | 0x80));
        v >>= 7;
    }
    out.push_back(static_cast<std::uint8_t>(v));
}

// Writes v at p (at most 10 bytes) and returns the byte after it: for encoders that fill a local
// buffer and append it once (one capacity check per record, not per byte).
inline std::uint8_t* put_varint(std::uint8_t* p, std::uint64_t v) {
    while (v >= 0x80) {
        *p++ = static_cast<std::uint8_t>(v | 0x80);
        v >>= 7;
    }
    *p++ = static_cast<std::uint8_t>(v);
    return p;
}

// Reads one varint at data[offset] and advances offset; the data was written by put_varint.
inline std::uint64_t get_varint(const std::uint8_t* data, std::size_t& offset) {
    std::uint64_t v = 0;
    for (unsigned shift = 0;; shift += 7) {
        std::uint8_t byte = data[offset++];
        v |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
        if (!(byte & 0x80)) return v;
    }
}

} // namespace coroscope::inspector::detail
