#pragma once
// Tests that run the inspector's binary (`coroscope`) as a process: the X display they need, and
// the state line it prints with --print-state.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <map>
#include <sstream>
#include <string>

namespace test_support {

// Fails (not skips) the test without an X display: a GUI test that silently passed without one would
// prove nothing. `test` names the binary in the hint.
inline void require_display(const std::string& test) {
    const char* display = std::getenv("DISPLAY");
    if (!display || !*display)
        FAIL("DISPLAY is not set: GUI tests need an X display; run them with `make test` (under xvfb-run) "
             "or `xvfb-run -a -s \"-screen 0 1600x1000x24\" " << COROSCOPE_BIN_DIR << "/" << test << "`");
}

// The `coroscope: state k=v k=v ... status=free text` line printed by --print-state, as a map (empty
// when the output has no such line). `status` is last and may contain spaces.
inline std::map<std::string, std::string> parse_state(const std::string& out) {
    std::map<std::string, std::string> kv;
    auto at = out.find("coroscope: state ");
    if (at == std::string::npos) return kv;
    std::string line = out.substr(at + 17, out.find('\n', at) - at - 17);
    auto status = line.find(" status=");
    if (status != std::string::npos) {
        kv["status"] = line.substr(status + 8);
        line.resize(status);
    }
    std::istringstream in(line);
    std::string word;
    while (in >> word) {
        auto eq = word.find('=');
        if (eq != std::string::npos) kv[word.substr(0, eq)] = word.substr(eq + 1);
    }
    return kv;
}

} // namespace test_support
