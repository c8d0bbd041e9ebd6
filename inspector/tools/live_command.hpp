#pragma once
// What `coroscope-trace attach` and `control` share: connecting to a live program with a timeout,
// and the one-line messages they print when that fails.
#include <coroscope/inspector/live_client.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

namespace coroscope::cli {

inline std::chrono::milliseconds to_ms(double seconds) {
    return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
}

inline std::string seconds_text(double s) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%g s", s);
    return buffer;
}

// Connects to `address` and waits for the welcome. On failure prints one line naming the address
// and the reason on stderr and returns nullptr.
inline std::unique_ptr<inspector::live_client> connect_live(const std::string& address,
                                                            inspector::live_client::options opts, double timeout_s) {
    std::string error;
    if (!inspector::parse_live_address(address, error)) {
        std::cerr << "coroscope-trace: " << error << "\n";
        return nullptr;
    }
    opts.handshake_timeout = to_ms(timeout_s);
    auto client = std::make_unique<inspector::live_client>(address, opts);
    if (!client->wait_connected(opts.handshake_timeout + std::chrono::seconds(1))) {
        std::string why = client->failure();
        if (why.empty()) why = "no welcome within " + seconds_text(timeout_s);
        std::cerr << "coroscope-trace: " << address << ": " << why << "\n";
        return nullptr;
    }
    return client;
}

} // namespace coroscope::cli
