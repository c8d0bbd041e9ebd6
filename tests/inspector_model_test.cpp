// The inspector model: folds of hand-built event vectors, time travel forwards and backwards.
#include "event_builder.hpp"
#include "support.hpp"

#include <coroscope/inspector/model.hpp>
#include <coroscope/inspector/lints.hpp>
#include <coroscope/inspector/report.hpp>
#include <coroscope/inspector/stats.hpp>

#include <catch2/catch.hpp>

using namespace coroscope;
using inspector::task_state;

using traces::event_kind;
using traces::wait_reason;

namespace {

using builder = test_support::event_builder;

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

TEST_CASE("the model's compact event store gives back every field exactly") {
    std::vector<traces::event> events;
    traces::event e;
    for (int i = 0; i < 300; ++i) { // crosses several 64-event blocks
        e.ts_ns = i % 7 == 3 ? e.ts_ns - 5 : e.ts_ns + 1000 + static_cast<std::uint64_t>(i) * 37; // not always monotonic
        e.step = i % 5 == 0 ? e.step : e.step + 1;
        e.tick = static_cast<std::uint32_t>(i / 10);
        e.task = static_cast<std::uint32_t>(i % 4);
        e.kind = static_cast<event_kind>(i % traces::event_kind_count);
        e.code = static_cast<std::uint8_t>(i % 3 == 0 ? 0 : i);
        e.reserved = i % 50 == 7 ? 0xbeef : 0; // escaped records
        e.a = i % 2 ? 0 : 0xffffffffu - static_cast<std::uint32_t>(i);
        e.b = i % 3 == 0 ? 0 : i % 3 == 1 ? e.ts_ns + 12345 : ~std::uint64_t{0} - static_cast<std::uint64_t>(i);
        events.push_back(e);
    }
    events[100].kind = static_cast<event_kind>(255); // the escape kind itself, as an unknown kind
    inspector::stored_trace stored;
    for (const auto& ev : events) stored.events.push_back(ev);
    REQUIRE(stored.events.size() == events.size());
    CHECK(stored.events == events);
    for (std::size_t i = events.size(); i-- > 0;) CHECK(stored.events[i] == events[i]); // backwards, across blocks
    CHECK(stored.to_trace().events == events);
    inspector::event_store copy = stored.events;
    CHECK(copy == stored.events);
}

namespace {
// A pseudo-random but valid stream: 6 tasks, nested frames, exceptions, exits and re-spawns, and
// a scheduler that sometimes picks a task other than the run queue's front (the random policy).
builder random_run(std::uint64_t seed, int steps) {
    builder b;
    std::uint64_t state = seed;
    auto next = [&state](std::uint32_t n) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        return static_cast<std::uint32_t>((state >> 33) % n);
    };
    std::uint32_t fn = b.str("task<int> app::f(int)"), loc = b.str("app.cpp:1"), err = b.str("boom");
    std::vector<std::uint32_t> depth(7, 0);
    std::deque<std::uint32_t> ready;
    std::vector<std::uint32_t> waiting;
    for (std::uint32_t id = 1; id <= 6; ++id) {
        b.spawn(id, 0, "t" + std::to_string(id));
        ready.push_back(id);
    }
    std::uint32_t next_id = 7;
    while (static_cast<int>(b.step) < steps) {
        b.tick_begin();
        std::size_t batch = ready.size();
        for (std::size_t k = 0; k < batch && !ready.empty(); ++k) {
            std::size_t pick = next(3) == 0 ? next(static_cast<std::uint32_t>(batch - k)) : 0;
            std::uint32_t id = ready[pick];
            if (pick != 0) std::swap(ready[0], ready[pick]);
            ready.pop_front();
            b.resume(id);
            if (id >= depth.size()) depth.resize(id + 1, 0);
            if (depth[id] == 0) {
                b.enter(id, fn, loc);
                ++depth[id];
            }
            for (std::uint32_t c = next(4); c > 0; --c) {
                if (next(2) && depth[id] < 6) {
                    b.enter(id, fn, loc);
                    ++depth[id];
                } else if (depth[id] > 1) {
                    bool threw = next(4) == 0;
                    b.leave(id, threw, threw ? err : 0);
                    --depth[id];
                }
            }
            std::uint32_t what = next(20);
            if (what == 0) { // exits failed, unwinding, and a new task takes its place
                for (; depth[id] > 0; --depth[id]) b.leave(id, true, err);
                b.spawn(next_id, id, "t" + std::to_string(next_id));
                ready.push_back(next_id++);
                b.exit(id, traces::exit_status::failed, err);
            } else if (what < 8) {
                b.suspend(id, wait_reason::yield);
                b.add(event_kind::task_ready, id, static_cast<std::uint8_t>(wait_reason::yield), id);
                ready.push_back(id);
            } else {
                b.suspend(id, wait_reason::sleep, 100 + id);
                waiting.push_back(id);
            }
        }
        ++b.tick;
        for (std::uint32_t n = next(4); n > 0 && !waiting.empty(); --n) {
            std::uint32_t id = waiting.front();
            waiting.erase(waiting.begin());
            b.add(event_kind::timer_fire, id, 0, 100 + id);
            b.add(event_kind::task_ready, id, static_cast<std::uint8_t>(wait_reason::sleep));
            ready.push_back(id);
        }
        if (ready.empty() && !waiting.empty()) {
            b.add(event_kind::task_ready, waiting.front(), static_cast<std::uint8_t>(wait_reason::sleep));
            ready.push_back(waiting.front());
            waiting.erase(waiting.begin());
        }
    }
    return b;
}
} // namespace

TEST_CASE("undo, checkpoints and seeks all give the state a fresh fold gives, at every step") {
    builder b = random_run(5, 3000);
    REQUIRE(b.t.events.size() > 3 * 4096); // several checkpoints
    inspector::model m(b.t);
    // The truth at each step: a snapshot folded from the first event, nothing else involved.
    std::vector<std::string> truth;
    {
        inspector::model fresh(b.t);
        inspector::snapshot s;
        std::size_t i = 0;
        for (std::uint64_t step = 0; step <= fresh.step_count(); ++step) {
            std::uint64_t end = step < fresh.step_count() ? fresh.history().step_event(step) : b.t.events.size();
            for (; i < end; ++i) s.apply(b.t.events[i]);
            std::vector<std::uint8_t> saved;
            s.save(saved);
            truth.emplace_back(saved.begin(), saved.end());
        }
    }
    auto state_bytes = [&m] {
        std::vector<std::uint8_t> saved;
        m.state().save(saved);
        return std::string(saved.begin(), saved.end());
    };
    // Walk backwards from the end (undo, then a rebuild at each checkpoint), then forwards.
    std::size_t wrong = 0;
    m.seek(m.step_count());
    for (std::uint64_t s = m.step_count(); s-- > 0;) {
        m.step_back();
        REQUIRE(m.cursor() == s);
        wrong += state_bytes() != truth[s];
    }
    for (std::uint64_t s = 1; s <= m.step_count(); ++s) {
        m.step_forward();
        wrong += state_bytes() != truth[s];
    }
    CHECK(wrong == 0);
    // Random jumps, each followed by a step back and a step forward.
    std::uint64_t x = 99;
    for (int k = 0; k < 200; ++k) {
        x = x * 6364136223846793005ull + 1;
        std::uint64_t s = (x >> 33) % (m.step_count() + 1);
        m.seek(s);
        CHECK(state_bytes() == truth[s]);
        if (s > 0) {
            m.step_back();
            CHECK(state_bytes() == truth[s - 1]);
            m.step_forward();
            CHECK(state_bytes() == truth[s]);
        }
    }
    // Nothing accumulates: the same walk again ends holding exactly as much as the first time.
    auto walk = [&m] {
        m.seek(m.step_count());
        for (int k = 0; k < 2000; ++k) m.step_back();
        for (int k = 0; k < 2000; ++k) m.step_forward();
        return m.bytes_held();
    };
    std::size_t first = walk();
    CHECK(walk() == first);
}

TEST_CASE("the run queue follows the scheduler when it runs a task other than the front one") {
    builder b;
    for (std::uint32_t id = 1; id <= 4; ++id) b.spawn(id, 0, "t" + std::to_string(id));
    b.tick_begin();
    b.resume(3); // the random policy picked the third: the scheduler swaps it with the front
    b.suspend(3, wait_reason::yield);
    inspector::model m(b.t);
    m.seek(0);
    CHECK(m.state().run_queue() == std::deque<std::uint32_t>{1, 2, 3, 4});
    m.seek(1);
    CHECK(m.state().run_queue() == std::deque<std::uint32_t>{2, 1, 4});
    m.step_back();
    CHECK(m.state().run_queue() == std::deque<std::uint32_t>{1, 2, 3, 4});
}

TEST_CASE("an event for a task after its exit keeps the exit in its intervals") {
    builder b;
    b.spawn(1, 0, "t");
    b.tick_begin();
    b.resume(1);
    b.exit(1);
    std::uint64_t exit_ts = b.ts;
    b.add(event_kind::task_ready, 1, static_cast<std::uint8_t>(wait_reason::yield)); // a damaged stream
    inspector::model m(b.t);
    const auto& iv = m.history().task(1)->intervals;
    REQUIRE(iv.size() == 4); // ready, running, done (exit .. the stray event), ready
    CHECK(iv[1].end_ts == exit_ts);
    CHECK(iv[2].state == task_state::done);
    CHECK(iv[2].begin_ts == exit_ts);
    CHECK(iv[3].state == task_state::ready);
    CHECK(iv[3].end_ts == inspector::state_interval::open_end);
}

TEST_CASE("short_function_name drops the return type only") {
    CHECK(inspector::short_function_name("coroscope::task<int> sample::load_file(std::string, int)") ==
          "sample::load_file(std::string, int)");
    CHECK(inspector::short_function_name("coroscope::task<std::map<int, int> > a::b<c d>::f()") == "a::b<c d>::f()");
    CHECK(inspector::short_function_name("fetch block") == "fetch block");
}

TEST_CASE("intervals of tasks that share the arena stay exact across segments, and after the model moves") {
    // Two tasks interleaved, each through thousands of intervals (many segments of the shared
    // arena), with timestamps whose varints vary in length so intervals land at every offset.
    builder b;
    b.spawn(1, 0, "a");
    b.spawn(2, 0, "b");
    std::vector<std::pair<std::uint64_t, task_state>> expected[3];
    const std::uint32_t rounds = 6000;
    for (std::uint32_t r = 0; r < rounds; ++r) {
        b.tick_begin();
        for (std::uint32_t id = 1; id <= 2; ++id) {
            b.ts += (r % 97) * (r % 13 == 0 ? 1'000'000'007ull : 3); // short and long deltas
            b.resume(id);
            expected[id].emplace_back(b.ts, task_state::running);
            b.suspend(id, wait_reason::yield);
            expected[id].emplace_back(b.ts, task_state::waiting);
            b.add(event_kind::task_ready, id, static_cast<std::uint8_t>(wait_reason::yield), id);
            expected[id].emplace_back(b.ts, task_state::ready);
        }
        ++b.tick;
    }
    auto check_intervals = [&](const inspector::model& m) {
        for (std::uint32_t id = 1; id <= 2; ++id) {
            const auto& iv = m.history().task(id)->intervals;
            REQUIRE(iv.size() == expected[id].size() + 1); // + the first ready, at spawn
            std::size_t wrong = 0;
            for (std::size_t i = 0; i < expected[id].size(); ++i) { // by index (a fresh read each)
                const inspector::state_interval s = iv[i + 1];
                wrong += s.begin_ts != expected[id][i].first || s.state != expected[id][i].second;
                if (i + 1 < expected[id].size()) wrong += s.end_ts != expected[id][i + 1].first;
            }
            CHECK(wrong == 0);
            std::size_t i = 0; // in order (each read goes on from the last)
            for (auto it = iv.begin() + 1; it != iv.end(); ++it, ++i)
                wrong += (*it).begin_ts != expected[id][i].first || (*it).state != expected[id][i].second;
            CHECK(wrong == 0);
            for (std::size_t k = expected[id].size(); k-- > 0;) // backwards, across segments
                wrong += iv[k + 1].begin_ts != expected[id][k].first;
            CHECK(wrong == 0);
            CHECK(iv.back().state == task_state::ready);
            CHECK(iv.back().end_ts == inspector::state_interval::open_end);
        }
    };
    inspector::model m(b.t);
    check_intervals(m);
    inspector::model moved = std::move(m); // the arena moves, its bytes stay where they are
    check_intervals(moved);
    CHECK(moved.trace().events == b.t.events);
    // The moved model goes on folding: its intervals keep growing in the same arena.
    b.tick_begin();
    b.resume(1);
    b.exit(1);
    moved.on_event(b.t.events[b.t.events.size() - 3]);
    moved.on_event(b.t.events[b.t.events.size() - 2]);
    moved.on_event(b.t.events.back());
    CHECK(moved.history().task(1)->intervals.back().state == task_state::running);
    CHECK(moved.history().task(1)->intervals.back().end_ts == b.ts);
}

TEST_CASE("the event store's copy and move hold every event across several arena blocks") {
    // ~700 K events of ~8 bytes: the arena's 64 KiB block and two or three 2 MiB blocks.
    std::vector<traces::event> events;
    traces::event e;
    for (std::uint32_t i = 0; i < 700'000; ++i) {
        e.ts_ns += 1 + (i * 2654435761u) % 100'000;
        e.step += i % 3 == 0;
        e.task = 1 + i % 5;
        e.kind = static_cast<event_kind>(i % traces::event_kind_count);
        e.a = i % 4 == 0 ? i : 0;
        events.push_back(e);
    }
    inspector::event_store store;
    for (const auto& ev : events) store.push_back(ev);
    REQUIRE(store.bytes_held() > 4 * (std::size_t{1} << 20));
    CHECK(store == events);
    inspector::event_store copy = store;
    CHECK(copy == events);
    inspector::event_store moved = std::move(store);
    CHECK(moved == events);
    copy.push_back(e); // the copy grows on its own
    CHECK(copy.size() == events.size() + 1);
    CHECK(moved == events);
    CHECK(copy[events.size() - 1] == events.back());
}

TEST_CASE("model: an event naming a task id past max_task_id is not kept, and the rest still fold") {
    // A damaged id (4e9) used to make every table indexed by task id allocate for it (bad_alloc).
    test_support::event_builder b;
    b.spawn(1, 0);
    b.resume(1);
    const std::size_t first = b.t.events.size(); // where the first damaged event goes
    b.t.events.push_back(b.t.events.back());
    b.t.events.back().kind = traces::event_kind::task_spawn;
    b.t.events.back().task = 4'000'000'000u;
    b.t.events.push_back(b.t.events.back());
    b.t.events.back().task = 2;
    b.t.events.back().a = 4'000'000'000u; // a spawn whose parent is the damaged id
    b.spawn(3, 1);
    b.suspend(1, traces::wait_reason::join, 3);
    const std::size_t sent = b.t.events.size();
    inspector::model m(b.t);
    CHECK(m.skipped_events() == 2);
    CHECK(m.first_skipped_at() == first);
    CHECK(m.trace().events.size() == sent - 2);
    CHECK(m.history().tasks().size() == 3);
    CHECK(m.state().task(1)->state == inspector::task_state::waiting);
    CHECK(inspector::skipped_events_text(m) ==
          "2 events named a task id over 16777216 (field task, or a for a spawn or join: damaged) and were not kept; "
          "the first came after event " + std::to_string(first) + " of those kept");
    CHECK(inspector::skipped_events_text(inspector::model(test_support::event_builder{}.t)).empty());
    // The answers over it: no allocation for the damaged id.
    CHECK_NOTHROW(inspector::compute_stats(m));
    CHECK_NOTHROW(inspector::run_lints(m));
}
