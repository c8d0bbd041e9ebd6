#pragma once
// pipe_stream: a pipe on the scheduler's loop (a child process's stdin/stdout/stderr, see process.hpp,
// or one end of open_pipe()). Same read/write/shutdown/close API and contracts as stream (stream.hpp);
// traces show it as a resource of kind pipe.
#include <coroscope/stream.hpp>

namespace coroscope {

namespace detail {
struct pipe_io;
}

class pipe_stream : public stream {
public:
    pipe_stream() = default;

private:
    friend struct detail::pipe_io;
    explicit pipe_stream(detail::io_ref state) noexcept : stream(std::move(state)) {}
};

// An anonymous one-way pipe: bytes written to `writer` come out of `reader`; closing the writer
// gives the reader end of file.
struct pipe_pair {
    pipe_stream reader;
    pipe_stream writer;
};
pipe_pair open_pipe(); // throws io_error when the system is out of descriptors

} // namespace coroscope
