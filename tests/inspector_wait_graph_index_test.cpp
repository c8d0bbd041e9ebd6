// wait_graph_index: the graph at any event from saved folds equals wait_graph_at's fold from the
// first event, forwards, backwards and anywhere, and a model holding another trace starts it again.
#include "golden.hpp"

#include <coroscope/inspector/model.hpp>
#include <coroscope/inspector/wait_graph.hpp>
#include <coroscope/inspector/wait_graph_index.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace coroscope;
using test_support::golden_trace;

namespace {

// Every field of the graph, so that "equal" means what a panel would draw.
void check_same_graph(const inspector::wait_graph& got, const inspector::wait_graph& want) {
    REQUIRE(got.edges.size() == want.edges.size());
    for (std::size_t i = 0; i < got.edges.size(); ++i) {
        CHECK(got.edges[i].from == want.edges[i].from);
        CHECK(got.edges[i].to == want.edges[i].to);
        CHECK(got.edges[i].reason == want.edges[i].reason);
        CHECK(got.edges[i].held_by == want.edges[i].held_by);
        CHECK(got.edges[i].inferred == want.edges[i].inferred);
    }
    REQUIRE(got.cycles.size() == want.cycles.size());
    for (std::size_t i = 0; i < got.cycles.size(); ++i) CHECK(got.cycles[i].tasks() == want.cycles[i].tasks());
    CHECK(got.run_queue == want.run_queue);
    CHECK(got.running == want.running);
}

// The graph at step n both ways.
void check_step(inspector::model& m, inspector::wait_graph_index& index, std::uint64_t n) {
    m.seek(n);
    INFO("step " << n);
    check_same_graph(index.at(m, m.cursor_event()), inspector::wait_graph_at(m));
}

} // namespace

TEST_CASE("wait graph index: the graph at every step, forwards, backwards and by jumps, equals wait_graph_at") {
    for (const std::string name : {"philosophers-deadlock.trace", "bugs.trace", "pipeline.trace"}) {
        INFO(name);
        inspector::model m(golden_trace(name));
        const std::uint64_t steps = m.step_count();
        REQUIRE(steps > 10);
        inspector::wait_graph_index index(7); // a point every 7 events: most graphs start between two
        for (std::uint64_t n = 0; n <= steps; ++n) check_step(m, index, n);
        CHECK(index.points() == m.trace().events.size() / 7 + 1);
        for (std::uint64_t n = steps + 1; n-- > 0;) check_step(m, index, n);
        for (std::uint64_t k = 0; k < 50; ++k) check_step(m, index, (k * 7919) % (steps + 1));
        // A fresh index asked for the end first saves every point on the way at once.
        inspector::wait_graph_index late(7);
        check_step(m, late, steps);
        CHECK(late.points() == index.points());
        check_step(m, late, steps / 2);
        CHECK(late.bytes_held() > 0);
    }
    // The deadlock's cycle is among them (so the comparison saw one).
    inspector::model m(golden_trace("philosophers-deadlock.trace"));
    inspector::wait_graph_index index(64);
    std::size_t with_cycle = 0;
    for (std::uint64_t n = 0; n <= m.step_count(); ++n) {
        m.seek(n);
        with_cycle += !index.at(m, m.cursor_event()).cycles.empty();
    }
    CHECK(with_cycle > 0);
}

TEST_CASE("wait graph index: another trace put in the same model starts the index again") {
    inspector::model m(golden_trace("philosophers-deadlock.trace"));
    inspector::wait_graph_index index(16);
    check_step(m, index, m.step_count());
    const std::size_t points = index.points();
    REQUIRE(points > 2);
    m = inspector::model(golden_trace("bugs.trace"));
    for (std::uint64_t n = 0; n <= m.step_count(); n += 3) check_step(m, index, n);
    check_step(m, index, m.step_count());
    CHECK(index.points() == m.trace().events.size() / 16 + 1);
    // A graph past every point, then another trace whose events all come before the first point:
    // the last graph's fold is not taken for it.
    inspector::wait_graph_index wide(100000);
    check_step(m, wide, m.step_count());
    m = inspector::model(golden_trace("timers.trace"));
    check_step(m, wide, m.step_count());
    check_step(m, wide, m.step_count() / 2);
    // And a shorter one after it.
    m = inspector::model(golden_trace("subprocess.trace"));
    REQUIRE(m.trace().events.size() < (index.points() - 1) * 16);
    check_step(m, index, m.step_count());
    check_step(m, index, 1);
}
