#pragma once
// The inspector's end of the live link (traces/README.md, "Live link"): connects to a program
// started with COROSCOPE_LISTEN=ADDR, does the handshake, decodes the event stream and carries
// commands and their replies. The connection runs on its own thread with its own libuv loop; every
// public member is safe to call from any other thread (the GUI's, the CLI's).
#include <coroscope/traces/reader.hpp>
#include <coroscope/traces/sink.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace coroscope::inspector {

// Where a program listens: "127.0.0.1:PORT", "localhost:PORT", "[::1]:PORT", "HOST:PORT" or
// "unix:PATH".
struct live_address {
    bool unix_socket = false;
    std::string host; // without brackets ("::1")
    std::uint16_t port = 0;
    std::string path; // unix socket path
    std::string text; // as given, for messages
};

// Parses an address; on failure returns nullopt and sets `error` to one line naming the text.
std::optional<live_address> parse_live_address(std::string_view text, std::string& error);

class live_client {
public:
    enum class state {
        connecting, // connecting or waiting for the welcome
        connected,  // welcome received; events stream in, commands can be sent
        failed,     // never connected: failure() says why ("connection refused", "handshake: ...")
        closed,     // the connection ended after the welcome: exit_code() when the program exited
    };

    struct options {
        std::string token;                                  // COROSCOPE_TOKEN of the program ("" = none)
        std::chrono::milliseconds handshake_timeout{5000};  // connect + welcome
        bool collect_events = true; // false: count bytes only, drain() delivers nothing (control-only clients)
        std::string version = "1.0"; // the version sent in hello (tests send others)
    };

    // A reply (to a command) or a notice (unasked), in arrival order.
    struct message {
        bool is_reply = false;
        nlohmann::json body;
    };

    // Starts connecting at once on the client thread. A bad address fails immediately.
    explicit live_client(std::string address, options opts);
    explicit live_client(std::string address) : live_client(std::move(address), options{}) {}
    // Closes the connection and stops the thread (its loop closes with no handle left).
    ~live_client();
    live_client(const live_client&) = delete;
    live_client& operator=(const live_client&) = delete;

    const std::string& address() const { return m_address; }
    state current_state() const;
    // Why the client failed or closed ("" while connecting/connected or after a clean exit notice).
    std::string failure() const;
    // The program's exit code, once the exit notice arrived.
    std::optional<int> exit_code() const;
    // The welcome message (null until connected).
    nlohmann::json welcome() const;

    std::uint64_t bytes_received() const; // all bytes read from the socket
    std::uint64_t events_received() const; // events decoded so far (by drain())
    // The decoder's report on the stream drained so far (truncation, damage). Final after the
    // first drain() once the state is closed or failed.
    traces::read_report stream_report() const;

    // Decodes everything received since the last drain into `sink`, on the calling thread (the
    // client thread only reads and keeps the stream's bytes): the header first (once), then
    // strings and events in stream order, events in batches (event_sink::on_events). Returns how
    // many events were delivered. With max_bytes, decodes at most that many bytes of the stream
    // (the rest waits for the next call), so a caller that must not stall (a GUI frame) can bound
    // one call's work; call again while it returns events.
    std::uint64_t drain(traces::event_sink& sink, std::size_t max_bytes = std::numeric_limits<std::size_t>::max());

    // Queues a command ({"cmd":"step","count":3}); the id is assigned here and returned. Its reply
    // arrives through poll_messages() / wait_reply().
    std::uint64_t send_command(nlohmann::json command);
    // Takes the replies and notices received so far.
    std::vector<message> poll_messages();
    // Waits for the reply to command `id` (taking it out of the queue; other messages stay).
    // On timeout or when the connection ends first, returns {"ok":false,"error":...}.
    nlohmann::json wait_reply(std::uint64_t id, std::chrono::milliseconds timeout);
    // send_command + wait_reply.
    nlohmann::json command_and_wait(nlohmann::json command, std::chrono::milliseconds timeout);

    // Blocks until the client leaves `connecting` (true when connected) or the timeout passes.
    bool wait_connected(std::chrono::milliseconds timeout);
    // Blocks until something new happens (bytes, a message, a state change) or the timeout passes.
    void wait_activity(std::chrono::milliseconds timeout);
    // Blocks until the state is failed or closed; false on timeout.
    bool wait_finished(std::chrono::milliseconds timeout);

    struct impl; // the client thread's side; public so that libuv callbacks can reach it

private:
    std::string m_address;
    std::unique_ptr<impl> m_impl;
};

std::string_view to_string(live_client::state s);

} // namespace coroscope::inspector
