// The inspector model: folds of hand-built event vectors, time travel forwards and backwards.
#include "support.hpp"

#include <coroscope/inspector/model.hpp>
#include <coroscope/inspector/report.hpp>

#include <catch2/catch.hpp>

using namespace coroscope;
using inspector::task_state;

using traces::event_kind;
using traces::wait_reason;

namespace {

// Builds events the way the scheduler numbers them: steps count resumes, ticks count passes.
struct builder {
    traces::trace t;
    std::uint64_t ts = 0;
    std::uint64_t step = 0;
    std::uint32_t tick = 0;

    std::uint32_t str(const std::string& s) {
        t.strings.push_back(s);
        return static_cast<std::uint32_t>(t.strings.size() - 1);
    }
    void add(event_kind kind, std::uint32_t task, std::uint8_t code = 0, std::uint32_t a = 0, std::uint64_t b = 0) {
        traces::event e;
        e.ts_ns = ts += 10;
        e.step = step;
        e.tick = tick;
        e.task = task;
        e.kind = kind;
        e.code = code;
        e.a = a;
        e.b = b;
        t.events.push_back(e);
    }
    void spawn(std::uint32_t task, std::uint32_t parent, const std::string& name) {
        add(event_kind::task_spawn, task, 0, parent, str(name));
        add(event_kind::task_ready, task, static_cast<std::uint8_t>(wait_reason::spawn), parent);
    }
    void tick_begin() { add(event_kind::tick_begin, 0); }
    void resume(std::uint32_t task) { add(event_kind::task_resume, task); }
    void suspend(std::uint32_t task, wait_reason r, std::uint32_t target = 0) {
        add(event_kind::task_suspend, task, static_cast<std::uint8_t>(r), target);
        ++step;
    }
    void exit(std::uint32_t task, traces::exit_status s = traces::exit_status::ok, std::uint32_t error = 0) {
        add(event_kind::task_exit, task, static_cast<std::uint8_t>(s), error);
        ++step;
    }
    void enter(std::uint32_t task, std::uint32_t fn, std::uint32_t loc) { add(event_kind::frame_enter, task, 0, fn, loc); }
    void leave(std::uint32_t task, bool threw = false, std::uint32_t error = 0) {
        add(event_kind::frame_exit, task, threw ? 1 : 0, error);
    }
};

// main spawns worker; worker calls f -> g, sleeps in g, g throws, f catches; main joins worker.
builder two_tasks() {
    builder b;
    std::uint32_t main_fn = b.str("task<void> main()"), worker_fn = b.str("task<int> app::worker()");
    std::uint32_t f = b.str("task<int> app::f(int)"), g = b.str("task<int> app::g(int)");
    std::uint32_t loc = b.str("app.cpp:10"), boom = b.str("boom");
    b.spawn(1, 0, "main");
    b.tick_begin();                         // tick 0
    b.resume(1);                            // step 0
    b.enter(1, main_fn, loc);
    b.spawn(2, 1, "worker");
    b.suspend(1, wait_reason::join, 2);
    ++b.tick;
    b.tick_begin();                         // tick 1
    b.resume(2);                            // step 1
    b.enter(2, worker_fn, loc);
    b.enter(2, f, loc);
    b.enter(2, g, loc);
    b.suspend(2, wait_reason::sleep, 7);
    ++b.tick;
    b.tick_begin();                         // tick 2
    b.add(event_kind::task_ready, 2, static_cast<std::uint8_t>(wait_reason::sleep), 0);
    b.resume(2);                            // step 2
    b.leave(2, true, boom);                 // g throws
    b.leave(2);                             // f catches, returns
    b.leave(2);                             // worker returns
    b.add(event_kind::task_ready, 1, static_cast<std::uint8_t>(wait_reason::join), 2);
    b.exit(2);
    ++b.tick;
    b.tick_begin();                         // tick 3
    b.resume(1);                            // step 3
    b.leave(1);
    b.exit(1);
    return b;
}

} // namespace

TEST_CASE("the model folds tasks, states, wait reasons and stacks") {
    builder b = two_tasks();
    inspector::model m(b.t);
    CHECK(m.step_count() == 4);
    CHECK(m.history().tick_count() == 4);
    CHECK(m.task_name(2) == "worker");
    CHECK(m.history().task(2)->parent == 1);
    CHECK(m.history().task(1)->children == std::vector<std::uint32_t>{2});

    m.seek(0); // before anything ran: main ready, worker unknown
    REQUIRE(m.state().task(1));
    CHECK(m.state().task(1)->state == task_state::ready);
    CHECK(m.state().task(2) == nullptr);
    CHECK(m.state().run_queue() == std::deque<std::uint32_t>{1});

    m.seek(2); // before step 2: worker sleeping inside g, main joining worker
    CHECK(m.state().task(1)->state == task_state::waiting);
    CHECK(m.state().task(1)->reason == wait_reason::join);
    CHECK(m.state().task(1)->target == 2);
    const auto* worker = m.state().task(2);
    CHECK(worker->state == task_state::ready); // woken by its timer in tick 2, before step 2
    CHECK(worker->stack.size() == 3);
    CHECK(m.text(worker->stack.back().function) == "task<int> app::g(int)");
    CHECK(worker->steps == 1);

    m.seek(4); // the end: both done, stacks empty
    CHECK(m.state().task(1)->state == task_state::done);
    CHECK(m.state().task(2)->state == task_state::done);
    CHECK(m.state().task(2)->stack.empty());
    CHECK(m.state().task(2)->thrown_stack.empty()); // the exception was caught
}

TEST_CASE("stepping back gives exactly the state stepping forward gave") {
    builder b = two_tasks();
    inspector::model m(b.t);
    std::vector<std::string> forward;
    for (std::uint64_t s = 0; s <= m.step_count(); ++s) {
        m.seek(s);
        forward.push_back(inspector::dump_json(m).dump());
    }
    for (std::uint64_t s = m.step_count() + 1; s-- > 0;) {
        m.seek(s);
        CHECK(inspector::dump_json(m).dump() == forward[s]);
    }
    m.seek(2);
    m.step_back();
    CHECK(m.cursor() == 1);
    m.tick_forward();
    CHECK(m.cursor() == 2);
    m.tick_back();
    CHECK(m.cursor() == 1);
}

TEST_CASE("state intervals cover each task's life, ending at its exit") {
    builder b = two_tasks();
    inspector::model m(b.t);
    const auto& worker = *m.history().task(2);
    REQUIRE(worker.intervals.size() == 5); // ready, running, waiting (sleep), ready, running
    CHECK(worker.intervals[0].state == task_state::ready);
    CHECK(worker.intervals[1].state == task_state::running);
    CHECK(worker.intervals[2].state == task_state::waiting);
    CHECK(worker.intervals[2].reason == wait_reason::sleep);
    CHECK(worker.intervals[3].state == task_state::ready);
    CHECK(worker.intervals[4].state == task_state::running);
    CHECK(worker.intervals[4].end_ts == worker.end_ts);
    CHECK(worker.ended);
    for (const auto& iv : worker.intervals) CHECK(iv.end_ts != inspector::state_interval::open_end);
}

TEST_CASE("a failed task keeps the stack where its exception was thrown") {
    builder b;
    std::uint32_t fn = b.str("task<void> job()"), inner = b.str("task<void> parse()"), loc = b.str("job.cpp:3");
    std::uint32_t err = b.str("bad input");
    b.spawn(1, 0, "job");
    b.tick_begin();
    b.resume(1);
    b.enter(1, fn, loc);
    b.enter(1, inner, loc);
    b.leave(1, true, err);
    b.leave(1, true, err);
    b.exit(1, traces::exit_status::failed, err);
    inspector::model m(b.t);
    m.seek(m.step_count());
    const auto* t = m.state().task(1);
    CHECK(t->status == traces::exit_status::failed);
    CHECK(m.text(t->error) == "bad input");
    REQUIRE(t->thrown_stack.size() == 2);
    CHECK(m.text(t->thrown_stack[1].function) == "task<void> parse()");
}

TEST_CASE("a stream that begins mid-run shows the tasks it meets") {
    builder b;
    b.tick_begin();
    b.resume(5); // task 5 never spawned in this stream
    b.suspend(5, wait_reason::yield);
    inspector::model m(b.t);
    CHECK(m.history().task(5) != nullptr);
    CHECK(m.task_name(5) == "task 5");
    m.seek(m.step_count());
    CHECK(m.state().task(5)->state == task_state::waiting);
}

TEST_CASE("seeking far in a long trace goes through checkpoints and stays exact") {
    // 3 tasks yielding round-robin for 20000 steps.
    builder b;
    for (std::uint32_t id = 1; id <= 3; ++id) b.spawn(id, 0, "spinner " + std::to_string(id));
    for (int tick = 0; tick < 6667; ++tick) {
        b.tick_begin();
        for (std::uint32_t id = 1; id <= 3; ++id) {
            b.resume(id);
            b.suspend(id, wait_reason::yield);
            b.add(event_kind::task_ready, id, static_cast<std::uint8_t>(wait_reason::yield), id);
        }
        ++b.tick;
    }
    inspector::model m(b.t);
    REQUIRE(m.step_count() == 20001);
    for (std::uint64_t s : {19000ull, 7ull, 12345ull, 12344ull, 20001ull, 0ull}) {
        m.seek(s);
        // Before step s, task (s % 3) + 1 has run s/3 (+1 if earlier in the round) steps.
        for (std::uint32_t id = 1; id <= 3; ++id) {
            std::uint64_t expected = s / 3 + ((s % 3) >= id ? 1 : 0);
            CHECK(m.state().task(id)->steps == expected);
        }
    }
}

TEST_CASE("short_function_name drops the return type only") {
    CHECK(inspector::short_function_name("coroscope::task<int> sample::load_file(std::string, int)") ==
          "sample::load_file(std::string, int)");
    CHECK(inspector::short_function_name("coroscope::task<std::map<int, int> > a::b<c d>::f()") == "a::b<c d>::f()");
    CHECK(inspector::short_function_name("fetch block") == "fetch block");
}
