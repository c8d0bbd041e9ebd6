#pragma once
// Built-in zstd dictionaries (binary format 1.4, traces/README.md "Compressed blocks"). Internal to
// traces/: a block of layout block_layout_dictionary names one by id, so a reader can always find
// it; ids are never reused and a dictionary's bytes never change once released.
#include <cstdint>
#include <string_view>

namespace coroscope::traces::binary {

// Dictionary 1: Coroscope's own vocabulary (scheduler frame names, paths, labels, C++ spellings).
inline constexpr std::uint64_t dictionary_coroscope_1 = 1;
// The dictionary writers of this version use.
inline constexpr std::uint64_t dictionary_current = dictionary_coroscope_1;

// The bytes of dictionary `id` (used by zstd as raw content), or empty when this reader has none.
std::string_view builtin_dictionary(std::uint64_t id);

} // namespace coroscope::traces::binary
