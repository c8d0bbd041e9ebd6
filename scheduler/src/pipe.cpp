#include "io_internal.hpp"

#include <coroscope/pipe.hpp>

#include <unistd.h>

namespace coroscope {

namespace detail {

io_ref new_pipe_state(scheduler& sched) {
    ignore_sigpipe();
    auto* state = new stream_state(sched, traces::resource_kind::pipe);
    io_ref ref(state);
    if (int rc = uv_pipe_init(sched.loop(), &state->h.pipe, 0); rc != 0) throw_io_error(rc, "create", "a pipe");
    state->handle_initialized();
    return ref;
}

pipe_stream pipe_io::make(io_ref state) { return pipe_stream(std::move(state)); }

} // namespace detail

pipe_pair open_pipe() {
    scheduler* sched = scheduler::current();
    if (!sched) throw std::logic_error("open_pipe outside a running task");
    uv_file fds[2];
    if (int rc = uv_pipe(fds, 0, 0); rc != 0) throw_io_error(rc, "open", "a pipe");
    detail::io_ref ends[2];
    for (int i = 0; i < 2; ++i) {
        try {
            ends[i] = detail::new_pipe_state(*sched);
        } catch (...) {
            ::close(fds[0]);
            ::close(fds[1]);
            throw;
        }
    }
    pipe_pair pair{detail::pipe_io::make(ends[0]), detail::pipe_io::make(ends[1])};
    const char* names[2] = {"read end", "write end"};
    for (int i = 0; i < 2; ++i) {
        detail::stream_state* state = detail::as_stream(ends[i]);
        if (int rc = uv_pipe_open(&state->h.pipe, fds[i]); rc != 0) {
            ::close(fds[i]);
            if (i == 0) ::close(fds[1]);
            throw_io_error(rc, "open", "a pipe"); // pair's destructor closes both handles
        }
        state->opened("pipe fd " + std::to_string(fds[0]) + "->" + std::to_string(fds[1]) + " " + names[i]);
    }
    return pair;
}

} // namespace coroscope
