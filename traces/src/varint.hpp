#pragma once
// Reading the format's unsigned LEB128 varints (binary::put_varint writes them) where every byte
// must be checked: inside block contents, which come from the file.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace coroscope::traces::binary {

// Reads a varint at s[pos..] (at most 10 bytes, inside s); advances pos. False when cut or too long.
inline bool read_varint(std::string_view s, std::size_t& pos, std::uint64_t& value) {
    value = 0;
    for (unsigned shift = 0; shift < 70 && pos < s.size(); shift += 7) {
        const auto byte = static_cast<unsigned char>(s[pos++]);
        if (shift < 64) value |= std::uint64_t{byte & 0x7fu} << shift;
        if (byte < 0x80) return true;
    }
    return false;
}

} // namespace coroscope::traces::binary
