#pragma once
// The live link between a program (the agent, in scheduler/) and an inspector (the client, in
// inspector/): framing and message vocabulary. The full protocol is in traces/README.md, "Live link".
//
// A frame is: u32 payload length (little-endian), u8 frame type, payload. Control messages are JSON
// objects; event frames carry consecutive chunks of one binary trace stream (header first), so a
// client feeds them, in order, to a traces::decoder.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace coroscope::traces::wire {

inline constexpr std::uint16_t protocol_major = 1;
inline constexpr std::uint16_t protocol_minor = 0;
inline constexpr std::string_view hello_magic = "coroscope-live";
inline constexpr std::size_t max_frame_payload = 64 * 1024; // a larger frame closes the connection
inline constexpr std::size_t frame_header_bytes = 5;

enum class frame_type : std::uint8_t {
    hello = 1,   // client -> program, first frame: {"magic","version":"1.0","token"}
    welcome = 2, // program -> client: {"version","program","pid","paused","step","tick"}
    events = 3,  // program -> client: the next bytes of the binary trace stream
    command = 4, // client -> program: {"id","cmd",...}; see README
    reply = 5,   // program -> client: {"id","ok",...} or {"id","ok":false,"error"}
    notice = 6,  // program -> client, unasked: {"paused":true,"step","tick","why"} / {"exited":code}
    error = 7,   // program -> client: {"error"}; after a failed handshake the connection closes
};

// Appends one frame to `out`. Payloads longer than max_frame_payload must be split by the caller
// (events frames can be split anywhere; JSON messages are always far smaller).
void append_frame(std::string& out, frame_type type, std::string_view payload);

// Splits a byte stream into frames. Feed bytes as they arrive; next() yields complete frames.
class frame_reader {
public:
    struct frame {
        frame_type type;
        std::string payload;
    };
    void feed(std::string_view bytes) { m_buffer.append(bytes); }
    // True and fills `out` when a whole frame is buffered. False when more bytes are needed or the
    // stream is bad (then error() says why: a frame over max_frame_payload).
    bool next(frame& out);
    const std::string& error() const { return m_error; }

private:
    std::string m_buffer;
    std::size_t m_consumed = 0;
    std::string m_error;
};

// Compares two byte strings in time independent of where they differ (tokens).
bool constant_time_equal(std::string_view a, std::string_view b);

} // namespace coroscope::traces::wire
