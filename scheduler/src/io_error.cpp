#include <coroscope/io_error.hpp>

#include <uv.h>

namespace coroscope {

namespace {
std::string message(int code, const std::string& operation, const std::string& peer) {
    std::string text = operation;
    if (!peer.empty()) text += " " + peer;
    text += ": ";
    if (code == UV_EOF) return text + "end of file (EOF)";
    return text + uv_strerror(code) + " (" + uv_err_name(code) + ")";
}
} // namespace

io_error::io_error(int uv_code, std::string operation, std::string peer)
    : std::runtime_error(message(uv_code, operation, peer)), m_code(uv_code), m_operation(std::move(operation)),
      m_peer(std::move(peer)) {}

void throw_io_error(int uv_code, std::string operation, std::string peer) {
    switch (uv_code) {
    case UV_ECONNRESET: throw connection_reset(uv_code, std::move(operation), std::move(peer));
    case UV_EOF: throw end_of_file(uv_code, std::move(operation), std::move(peer));
    case UV_EPIPE: throw broken_pipe(uv_code, std::move(operation), std::move(peer));
    case UV_ECONNREFUSED: throw connection_refused(uv_code, std::move(operation), std::move(peer));
    case UV_EADDRINUSE: throw address_in_use(uv_code, std::move(operation), std::move(peer));
    default: throw io_error(uv_code, std::move(operation), std::move(peer));
    }
}

} // namespace coroscope
