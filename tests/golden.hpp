#pragma once
// The golden traces (traces/golden/), read whole, for the tests that check answers on real runs.
#include <coroscope/traces/reader.hpp>

#include <catch2/catch.hpp>

#include <string>

namespace test_support {

// A golden trace (traces/golden/NAME), read whole.
inline coroscope::traces::trace golden_trace(const std::string& name) {
    coroscope::traces::loaded_trace loaded =
        coroscope::traces::load_file(std::string(COROSCOPE_SOURCE_DIR) + "/traces/golden/" + name);
    REQUIRE(loaded.report.error.empty());
    return std::move(loaded.trace);
}

} // namespace test_support
