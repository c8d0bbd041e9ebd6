#pragma once
// loop_alive(loop): uv_loop_alive(loop) without the call into libuv. Not part of the user API.
//
// The scheduler asks at every tick boundary whether libuv has anything that could deliver (else the
// poll is skipped); with two tasks yielding to each other that is every other task switch, and the
// call with its register saves cost as much as the rest of a switch. For the libuv this is built
// against (1.44, Unix), the answer is the four fields libuv's own uv__loop_alive() reads: active
// handles, active requests, callbacks pending from the last poll, handles closing. Any other
// version calls uv_loop_alive(). tests/scheduler_loop_alive_test.cpp checks both agree in each of
// these states.
#include <uv.h>

namespace coroscope::detail {

inline bool loop_alive(const uv_loop_t* loop) noexcept {
#if UV_VERSION_MAJOR == 1 && UV_VERSION_MINOR == 44 && !defined(_WIN32)
    // One test for the two counters (they are read together in any case).
    return (loop->active_handles | loop->active_reqs.count) != 0 ||
           loop->pending_queue[0] != static_cast<const void*>(&loop->pending_queue) || loop->closing_handles != nullptr;
#else
    return uv_loop_alive(loop) != 0;
#endif
}

} // namespace coroscope::detail
