// The wait-for graph: join, mutex and semaphore edges, exact and inferred holders, cycles; and dump shows it.
#include "event_builder.hpp"
#include "support.hpp"

#include <coroscope/inspector/model.hpp>
#include <coroscope/inspector/report.hpp>
#include <coroscope/inspector/wait_graph.hpp>
#include <coroscope/traces/reader.hpp>

#include <catch2/catch.hpp>

#include <set>

using namespace coroscope;
using traces::wait_reason;

namespace {

using builder = test_support::event_builder;

} // namespace

TEST_CASE("wait graph: join edges form a cycle among tasks") {
    builder b;
    b.spawn(1, 0);
    b.resume(1);
    b.spawn(2, 1);
    b.suspend(1, wait_reason::join, 2);
    b.resume(2);
    b.suspend(2, wait_reason::join, 1); // 2 joins its parent: a cycle
    inspector::model m(b.t);
    auto g = inspector::wait_graph_at(m);
    REQUIRE(g.edges.size() == 2);
    CHECK(g.edges[0].from == inspector::wait_node{inspector::node_kind::task, 1});
    CHECK(g.edges[0].to == inspector::wait_node{inspector::node_kind::task, 2});
    REQUIRE(g.cycles.size() == 1);
    CHECK(g.cycles[0].tasks() == std::vector<std::uint32_t>{1, 2});
    CHECK(g.cycles[0].awaits[0].reason == wait_reason::join);
    m.seek(1); // before task 2 joined: no cycle yet
    CHECK(inspector::wait_graph_at(m).cycles.empty());
}

TEST_CASE("wait graph: every cycle once, from its smallest task, in that order, with chains leading into them") {
    // 8 joins 1, 1 joins 6, 6 -> 7 -> 5 -> 6 (a cycle reached from a chain), 3 -> 2 -> 3, 4 sleeps.
    builder b;
    b.spawn(1, 0);
    for (std::uint32_t id = 2; id <= 8; ++id) b.spawn(id, 1);
    const std::vector<std::pair<std::uint32_t, std::uint32_t>> joins{{8, 1}, {1, 6}, {6, 7}, {7, 5}, {5, 6}, {3, 2}, {2, 3}};
    for (const auto& [task, target] : joins) {
        b.resume(task);
        b.suspend(task, wait_reason::join, target);
    }
    b.resume(4);
    b.suspend(4, wait_reason::sleep, 1);
    inspector::model m(b.t);
    const auto g = inspector::wait_graph_at(m);
    REQUIRE(g.cycles.size() == 2);
    CHECK(g.cycles[0].tasks() == std::vector<std::uint32_t>{2, 3});
    CHECK(g.cycles[1].tasks() == std::vector<std::uint32_t>{5, 6, 7});
    CHECK(g.cycles[1].awaits[0].next == 6);
    CHECK(g.cycles[1].awaits[2].next == 5);
    // The same as cycle_through from each task in id order, skipping those already in a cycle.
    inspector::snapshot s;
    inspector::lock_tracker locks;
    for (const auto& e : b.t.events) {
        locks.apply(e, s);
        s.apply(e);
    }
    std::vector<std::vector<std::uint32_t>> walked;
    std::set<std::uint32_t> seen;
    for (std::uint32_t id = 1; id <= 8; ++id) {
        if (seen.count(id)) continue;
        const auto c = inspector::cycle_through(s, locks, id);
        if (c.awaits.empty()) continue;
        walked.push_back(c.tasks());
        for (std::uint32_t t : c.tasks()) seen.insert(t);
    }
    REQUIRE(walked.size() == g.cycles.size());
    for (std::size_t i = 0; i < walked.size(); ++i) CHECK(walked[i] == g.cycles[i].tasks());
}

TEST_CASE("wait graph: a mutex handed over is held by the woken task, and a crossed lock is a cycle") {
    // Task 1 and 2 run; task 3 holds mutex 100 (unknown: taken without waiting). Task 1 waits on 100;
    // task 3 unlocks, handing it to 1 (ready, cause mutex, waker 3). Then 2 waits on 100 -> held by 1.
    // Task 1 waits on mutex 200, which 2 was handed earlier: 1 -> 2 -> 1.
    builder b;
    b.spawn(1, 0);
    b.spawn(2, 0);
    b.spawn(3, 0);
    b.resume(2);
    b.suspend(2, wait_reason::mutex, 200);
    b.resume(3);
    b.ready(2, wait_reason::mutex, 3); // 3 hands mutex 200 to 2
    b.suspend(3, wait_reason::yield);
    b.resume(1);
    b.suspend(1, wait_reason::mutex, 100);
    inspector::model m(b.t);
    auto g = inspector::wait_graph_at(m);
    // 1 waits on object 100, whose holder is unknown: no held-by edge, no cycle.
    CHECK(g.cycles.empty());
    bool unknown_holder = true;
    for (const auto& e : g.edges)
        if (e.held_by && e.from.id == 100) unknown_holder = false;
    CHECK(unknown_holder);
    CHECK(g.run_queue == std::vector<std::uint32_t>{2});

    b.resume(3);
    b.ready(1, wait_reason::mutex, 3); // 3 hands mutex 100 to 1
    b.suspend(3, wait_reason::yield);
    b.resume(2);
    b.suspend(2, wait_reason::mutex, 100); // 2 (holding 200) waits for 100, held by 1
    b.resume(1);
    b.suspend(1, wait_reason::mutex, 200); // 1 (holding 100) waits for 200, held by 2
    inspector::model m2(b.t);
    auto g2 = inspector::wait_graph_at(m2);
    REQUIRE(g2.cycles.size() == 1);
    CHECK(g2.cycles[0].tasks() == std::vector<std::uint32_t>{1, 2});
    CHECK(g2.cycles[0].awaits[0].target == 200);
    CHECK(g2.cycles[0].awaits[0].next == 2);
    bool held = false;
    for (const auto& e : g2.edges) held = held || (e.held_by && e.from.id == 100 && e.to.id == 1);
    CHECK(held);
    std::string text = inspector::dump_text(m2);
    CHECK_THAT(text, Catch::Contains("object 100 is held by task 1"));
    CHECK_THAT(text, Catch::Contains("deadlock: task 1 (mutex on object 200) -> task 2 (mutex on object 100) -> task 1"));
    auto json = inspector::dump_json(m2);
    CHECK(json["wait_for"]["cycles"].size() == 1);
    CHECK(json["run_queue"].empty());
}

TEST_CASE("wait graph: a holder that exits holds nothing, other waits point at objects, resources, timers") {
    builder b;
    b.spawn(1, 0);
    b.spawn(2, 0);
    b.resume(1);
    b.suspend(1, wait_reason::mutex, 7);
    b.resume(2);
    b.ready(1, wait_reason::mutex, 2);
    b.exit(2);
    b.resume(1);
    b.suspend(1, wait_reason::io, 40);
    inspector::model m(b.t);
    auto g = inspector::wait_graph_at(m);
    REQUIRE(g.edges.size() == 1);
    CHECK(g.edges[0].to == inspector::wait_node{inspector::node_kind::resource, 40});
}

TEST_CASE("wait graph: acquire and release events give exact mutex and semaphore holders") {
    builder b;
    b.spawn(1, 0);
    b.spawn(2, 0);
    b.spawn(3, 0);
    b.resume(1);
    b.acquire(1, wait_reason::mutex, 10); // uncontended lock
    b.acquire(1, wait_reason::semaphore, 20);
    b.suspend(1, wait_reason::sleep, 5);
    b.resume(2);
    b.acquire(2, wait_reason::semaphore, 20); // the last permit
    b.suspend(2, wait_reason::mutex, 10);
    b.resume(3);
    b.suspend(3, wait_reason::semaphore, 20);
    inspector::model m(b.t);
    auto g = inspector::wait_graph_at(m);
    std::vector<std::pair<std::uint32_t, std::uint32_t>> held; // (object, holder)
    for (const auto& e : g.edges)
        if (e.held_by) {
            CHECK_FALSE(e.inferred);
            held.emplace_back(e.from.id, e.to.id);
        }
    CHECK(held == std::vector<std::pair<std::uint32_t, std::uint32_t>>{{10, 1}, {20, 1}, {20, 2}});
    std::string text = inspector::dump_text(m);
    CHECK_THAT(text, Catch::Contains("task 2 'task 2' -> object 10  (mutex)"));
    CHECK_THAT(text, Catch::Contains("object 10 is held by task 1 'task 1'  (mutex)"));
    CHECK_THAT(text, Catch::Contains("object 20 is held by task 2 'task 2'  (semaphore)"));
    CHECK(text.find("inferred") == std::string::npos);
    CHECK(g.cycles.empty()); // task 1 sleeps: it will release

    // Task 1 unlocks (hand-over to 2) and gives its permit back: 2 holds the mutex and the only
    // permit left held; when 2 then waits on task 3 (join) and 3 on the semaphore, it is a cycle.
    b.resume(1);
    b.release(1, wait_reason::mutex, 10);
    b.acquire(2, wait_reason::mutex, 10);
    b.ready(2, wait_reason::mutex, 1);
    b.release(1, wait_reason::semaphore, 20);
    b.exit(1);
    b.resume(2);
    b.suspend(2, wait_reason::join, 3);
    inspector::model m2(b.t);
    auto g2 = inspector::wait_graph_at(m2);
    REQUIRE(g2.cycles.size() == 1);
    CHECK(g2.cycles[0].tasks() == std::vector<std::uint32_t>{2, 3});
    CHECK(g2.cycles[0].awaits[1].reason == wait_reason::semaphore);
    CHECK(g2.cycles[0].awaits[1].next == 2);
    CHECK(inspector::dump_json(m2)["wait_for"]["edges"].size() == 3); // 2 -> 3, 3 -> 20, 20 held by 2
}

TEST_CASE("wait graph: dump --at on sample-philosophers --deadlock shows every fork's holder and the cycle") {
    std::string path = test_support::temp_path("wait-graph-philosophers.trace");
    auto r = test_support::run_command("COROSCOPE_TRACE=" + path + " " + std::string(COROSCOPE_BIN_DIR) +
                                       "/sample-philosophers --deadlock >/dev/null 2>&1");
    REQUIRE(r.status == 2);
    auto loaded = traces::load_file(path);
    REQUIRE(loaded.report.error.empty());
    inspector::model m(loaded.trace);
    // The step after which all five wait: the first step whose state has a cycle.
    std::uint64_t at = 0;
    for (std::uint64_t step = 0; step <= m.step_count() && at == 0; ++step) {
        m.seek(step);
        if (!inspector::wait_graph_at(m).cycles.empty()) at = step;
    }
    REQUIRE(at != 0);
    auto dump = test_support::run_command(std::string(COROSCOPE_BIN_DIR) + "/coroscope-trace dump " + path +
                                          " --at " + std::to_string(at));
    CHECK(dump.status == 0);
    int held = 0, waits = 0;
    for (std::size_t p = dump.out.find(" is held by task "); p != std::string::npos; p = dump.out.find(" is held by task ", p + 1))
        ++held;
    for (std::size_t p = dump.out.find("(mutex)"); p != std::string::npos; p = dump.out.find("(mutex)", p + 1)) ++waits;
    CHECK(held == 5);
    CHECK(waits == 10); // five waits on a fork, five forks held
    CHECK_THAT(dump.out, Catch::Contains("deadlock: task "));
    for (int p = 0; p < 5; ++p) CHECK_THAT(dump.out, Catch::Contains("'philosopher " + std::to_string(p) + "'"));
    std::remove(path.c_str());
}
