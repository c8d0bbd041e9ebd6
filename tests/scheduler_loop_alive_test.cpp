// detail::loop_alive (detail/loop_alive.hpp): the scheduler's call-free uv_loop_alive() must give
// libuv's own answer in every state a loop can be in: nothing, an inactive or unreferenced handle,
// an active handle, an active request, a handle closing, a callback pending from a failed connect.
#include <coroscope/detail/loop_alive.hpp>

#include <catch2/catch.hpp>

#include <uv.h>

#include <filesystem>
#include <string>

namespace {
// Both answers, checked against each other; returns libuv's.
bool alive(uv_loop_t& loop) {
    bool ours = coroscope::detail::loop_alive(&loop);
    bool libuv = uv_loop_alive(&loop) != 0;
    CHECK(ours == libuv);
    return libuv;
}
} // namespace

TEST_CASE("loop_alive agrees with uv_loop_alive in each state of a loop") {
    uv_loop_t loop;
    REQUIRE(uv_loop_init(&loop) == 0);
    CHECK_FALSE(alive(loop)); // fresh

    uv_timer_t timer;
    uv_timer_init(&loop, &timer);
    CHECK_FALSE(alive(loop)); // a handle that is not active
    uv_timer_start(&timer, [](uv_timer_t*) {}, 60'000, 0);
    CHECK(alive(loop)); // an active, referenced handle
    uv_unref(reinterpret_cast<uv_handle_t*>(&timer));
    CHECK_FALSE(alive(loop)); // active but unreferenced
    uv_ref(reinterpret_cast<uv_handle_t*>(&timer));
    uv_timer_stop(&timer);
    CHECK_FALSE(alive(loop));

    uv_fs_t stat_req;
    int called = 0;
    stat_req.data = &called;
    REQUIRE(uv_fs_stat(&loop, &stat_req, "/", [](uv_fs_t* req) { ++*static_cast<int*>(req->data); }) == 0);
    CHECK(alive(loop)); // an active request, no handle
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(called == 1);
    uv_fs_req_cleanup(&stat_req);
    CHECK_FALSE(alive(loop));

    uv_close(reinterpret_cast<uv_handle_t*>(&timer), nullptr);
    CHECK(alive(loop)); // a handle closing: its close callback is still to run
    uv_run(&loop, UV_RUN_NOWAIT);
    CHECK_FALSE(alive(loop));

    // A pipe connect that fails at once: libuv queues its callback for the next poll.
    uv_pipe_t pipe;
    uv_pipe_init(&loop, &pipe, 0);
    uv_connect_t connect;
    std::string missing = (std::filesystem::temp_directory_path() / "coroscope-loop-alive-no-such-socket").string();
    std::filesystem::remove(missing);
    int status = 1;
    connect.data = &status;
    uv_pipe_connect(&connect, &pipe, missing.c_str(), [](uv_connect_t* req, int s) { *static_cast<int*>(req->data) = s; });
    CHECK(alive(loop));
    uv_run(&loop, UV_RUN_NOWAIT);
    CHECK(status < 0);
    uv_close(reinterpret_cast<uv_handle_t*>(&pipe), nullptr);
    CHECK(alive(loop));
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_FALSE(alive(loop));

    CHECK(uv_loop_close(&loop) == 0);
}
