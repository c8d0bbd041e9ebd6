#pragma once
// IO failures as typed exceptions. Every stream, listener, connect and process operation that fails
// throws an io_error carrying the libuv error code and a message naming the operation and the peer,
// e.g. "read from tcp 127.0.0.1:5000 -> 127.0.0.1:40112: connection reset by peer (ECONNRESET)".
// The common cases have their own subclass, so they can be caught by type; others are plain io_error.
#include <stdexcept>
#include <string>

namespace coroscope {

class io_error : public std::runtime_error {
public:
    io_error(int uv_code, std::string operation, std::string peer);
    int code() const noexcept { return m_code; }                         // the libuv code (negative), e.g. UV_EPIPE
    const std::string& operation() const noexcept { return m_operation; } // e.g. "write to"
    const std::string& peer() const noexcept { return m_peer; }           // the resource's label or address

private:
    int m_code;
    std::string m_operation;
    std::string m_peer;
};

class connection_reset : public io_error { using io_error::io_error; };   // ECONNRESET: the peer sent RST
class end_of_file : public io_error { using io_error::io_error; };        // EOF before read_exact got its bytes
class broken_pipe : public io_error { using io_error::io_error; };        // EPIPE: write after the peer closed
class connection_refused : public io_error { using io_error::io_error; }; // ECONNREFUSED: nobody listens there
class address_in_use : public io_error { using io_error::io_error; };     // EADDRINUSE: the port is taken

// Throws the io_error subclass matching `uv_code`.
[[noreturn]] void throw_io_error(int uv_code, std::string operation, std::string peer);

} // namespace coroscope
