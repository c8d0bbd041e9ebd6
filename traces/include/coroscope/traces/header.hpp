#pragma once
// The header every trace file and live stream begins with.
#include <cstdint>
#include <string>

namespace coroscope::traces {

inline constexpr std::uint16_t format_major = 1; // a reader refuses files with a newer major
inline constexpr std::uint16_t format_minor = 5; // a newer minor loads; unknown record kinds are skipped and counted
// 1.1 added event_kind::unobserved_failure, 1.2 acquire and release (and zstd blocks), 1.3 string
// pieces records, 1.4 zstd blocks compressed against a built-in dictionary, 1.5 modelled blocks (layout 3: our
// own range coder and context models); files of every older minor load unchanged.

struct header {
    std::uint16_t major = format_major;
    std::uint16_t minor = format_minor;
    std::string producer;          // program that wrote the trace (argv[0] base name)
    std::uint32_t pid = 0;         // its process id
    std::uint64_t start_unix_ns = 0; // wall-clock time at trace start, ns since the Unix epoch
    std::string clock_unit = "ns"; // unit of event::ts_ns
    std::uint32_t features = 0;    // feature flags (bit set), none defined in 1.0

    friend bool operator==(const header&, const header&) = default;
};

} // namespace coroscope::traces
