// The whole-trace answers as folds that can be resumed (stats_builder, lint_builder,
// resource_builder): fed a growing model a slice at a time, their results equal the batch
// functions' (compute_stats, run_lints, resource_lanes) on that model after every slice and at the
// end, on every golden trace and on a program run here; and what their publish() writes in place
// into the same outputs, again and again, equals their results.
#include "event_builder.hpp"
#include "golden.hpp"
#include "support.hpp"

#include <coroscope/inspector/lints.hpp>
#include <coroscope/inspector/model.hpp>
#include <coroscope/inspector/resources.hpp>
#include <coroscope/inspector/stats.hpp>
#include <coroscope/traces/reader.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <stdexcept>

using namespace coroscope;

namespace {

// stats_json leaves out the task ids' order and the ready histograms: compared here too.
void check_stats_equal(const inspector::model& m, const inspector::trace_stats& got, const inspector::trace_stats& want) {
    CHECK(inspector::stats_json(m, got) == inspector::stats_json(m, want));
    REQUIRE(got.tasks.size() == want.tasks.size());
    for (std::size_t i = 0; i < got.tasks.size(); ++i) {
        CHECK(got.tasks[i].id == want.tasks[i].id);
        CHECK(got.tasks[i].ready_histogram == want.tasks[i].ready_histogram);
    }
    CHECK(got.total.ready_histogram == want.total.ready_histogram);
}

struct fed_counts {
    std::size_t slices = 0;
    std::size_t findings = 0, lanes = 0, steps = 0; // of the final results, so the test shows it saw some
    std::size_t publish_calls = 0, publications = 0; // stats_builder::publish calls, and finished ones
    std::size_t lane_publish_calls = 0;               // resource_builder::publish calls
    std::size_t lint_publish_calls = 0;               // lint_builder::publish calls
};

// What the GUI shows: the builders' results written in place by publish() into the same outputs
// each time (stats a few rows per call: the deadline has always passed).
struct published {
    inspector::trace_stats stats;
    std::vector<inspector::lint_finding> lints;
    std::vector<inspector::resource_lane> lanes;

    void publish(const inspector::model& m, inspector::stats_builder& s, inspector::lint_builder& l,
                 inspector::resource_builder& r, fed_counts& counts) {
        std::size_t calls = 0;
        do {
            ++calls;
            REQUIRE(calls < 100000);
        } while (!s.publish(m, stats, std::chrono::steady_clock::time_point::min()));
        CHECK_FALSE(s.publishing());
        // The findings stay as the last publication left them until the one under way ends.
        const nlohmann::json before = inspector::lints_json(m, lints);
        std::size_t lint_calls = 1;
        while (!l.publish(m, lints, std::chrono::steady_clock::time_point::min())) {
            CHECK(l.publishing());
            CHECK(inspector::lints_json(m, lints) == before);
            ++lint_calls;
            REQUIRE(lint_calls < 100000);
        }
        CHECK_FALSE(l.publishing());
        std::size_t lane_calls = 0;
        do {
            ++lane_calls;
            REQUIRE(lane_calls < 100000);
        } while (!r.publish(lanes, std::chrono::steady_clock::time_point::min()));
        CHECK_FALSE(r.publishing());
        counts.publish_calls += calls;
        counts.lane_publish_calls += lane_calls;
        counts.lint_publish_calls += lint_calls;
        ++counts.publications;
    }
    // Equal to the builders' results at the same point of their folds.
    void check(const inspector::model& m, inspector::stats_builder& s, const inspector::lint_builder& l,
               inspector::resource_builder& r) {
        check_stats_equal(m, stats, s.result(m));
        CHECK(inspector::lints_json(m, lints) == inspector::lints_json(m, l.result(m)));
        CHECK(inspector::resources_json(m, lanes) == inspector::resources_json(m, r.result()));
    }
};

// Feeds `t` into a fresh model in slices of the given sizes (cycled), and the builders after each
// slice (sometimes in two parts, sometimes only every other slice, so that they lag and catch up);
// after each slice where they caught up, and at the end, their results equal the batch ones.
fed_counts feed_in_slices(const traces::trace& t, const std::vector<std::size_t>& sizes) {
    inspector::model m;
    m.on_header(t.header);
    for (std::size_t i = 1; i < t.strings.size(); ++i) m.on_string(static_cast<std::uint32_t>(i), t.strings[i]);
    inspector::stats_builder stats;
    inspector::lint_builder lints;
    inspector::resource_builder resources;
    published shown;
    fed_counts out;
    std::size_t at = 0;
    while (at < t.events.size()) {
        const std::size_t n = std::min(sizes[out.slices % sizes.size()], t.events.size() - at);
        m.on_events(t.events.data() + at, n);
        at += n;
        ++out.slices;
        if (out.slices % 3 == 2) continue; // they lag this time
        // Half of what is new first (a result taken in between), then the rest.
        const std::uint64_t half = stats.next() + (at - stats.next()) / 2;
        stats.feed(m, half);
        lints.feed(m, half);
        resources.feed(m, half);
        (void)stats.result(m);
        (void)lints.result(m);
        (void)resources.result();
        if (out.slices % 2 == 0) { // published while lagging: what the folds took so far
            shown.publish(m, stats, lints, resources, out);
            shown.check(m, stats, lints, resources);
        }
        stats.feed(m, at);
        lints.feed(m, at);
        resources.feed(m, at);
        REQUIRE(stats.next() == at);
        REQUIRE(lints.next() == at);
        REQUIRE(resources.next() == at);
        check_stats_equal(m, stats.result(m), inspector::compute_stats(m));
        CHECK(inspector::lints_json(m, lints.result(m)) == inspector::lints_json(m, inspector::run_lints(m)));
        CHECK(inspector::resources_json(m, resources.result()) == inspector::resources_json(m, inspector::resource_lanes(m)));
        shown.publish(m, stats, lints, resources, out);
        shown.check(m, stats, lints, resources);
    }
    stats.feed(m, m.trace().events.size());
    lints.feed(m, m.trace().events.size());
    resources.feed(m, m.trace().events.size());
    const inspector::trace_stats s = stats.result(m);
    check_stats_equal(m, s, inspector::compute_stats(m));
    const auto findings = lints.result(m);
    CHECK(inspector::lints_json(m, findings) == inspector::lints_json(m, inspector::run_lints(m)));
    const auto lanes = resources.result();
    CHECK(inspector::resources_json(m, lanes) == inspector::resources_json(m, inspector::resource_lanes(m)));
    shown.publish(m, stats, lints, resources, out);
    check_stats_equal(m, shown.stats, inspector::compute_stats(m));
    CHECK(inspector::lints_json(m, shown.lints) == inspector::lints_json(m, inspector::run_lints(m)));
    CHECK(inspector::resources_json(m, shown.lanes) == inspector::resources_json(m, inspector::resource_lanes(m)));
    out.findings = findings.size();
    out.lanes = lanes.size();
    out.steps = s.total.steps;
    return out;
}

} // namespace

TEST_CASE("answer builders: every golden trace fed a slice at a time gives the batch answers after each slice") {
    const char* names[] = {"bugs.trace",     "echo.trace",       "nested.trace", "philosophers-deadlock.trace",
                           "pipeline.trace", "subprocess.trace", "timers.trace"};
    std::size_t findings = 0, lanes = 0;
    for (const char* name : names) {
        INFO(name);
        const traces::trace t = test_support::golden_trace(name);
        REQUIRE(t.events.size() > 20);
        // One event at a time, odd sizes, and the whole trace at once.
        for (const auto& sizes : {std::vector<std::size_t>{1}, std::vector<std::size_t>{7, 1, 64, 3},
                                  std::vector<std::size_t>{t.events.size()}}) {
            const fed_counts c = feed_in_slices(t, sizes);
            CHECK(c.steps > 0);
            findings += c.findings;
            lanes += c.lanes;
        }
    }
    // The traces exercise every builder: lints are found (bugs, deadlock) and resources have lanes (echo).
    CHECK(findings > 0);
    CHECK(lanes > 0);
}

namespace {

coroscope::task<int> worker(int id, coroscope::channel<int>& ch, coroscope::mutex& mu) {
    test_support::live_counter alive;
    for (int i = 0; i < 5; ++i) {
        co_await coroscope::sleep_for(std::chrono::microseconds(200 * (id + 1)));
        auto lock = co_await mu.lock();
        co_await ch.send(id * 100 + i);
    }
    if (id == 2) throw std::runtime_error("worker 2 gives up");
    co_return id;
}

coroscope::task<void> program() {
    test_support::live_counter alive;
    coroscope::channel<int> ch(2);
    coroscope::mutex mu;
    std::vector<coroscope::join_handle<int>> workers;
    for (int id = 0; id < 4; ++id) workers.push_back(coroscope::spawn(worker(id, ch, mu), "worker"));
    int received = 0;
    while (received < 20) {
        (void)co_await ch.recv();
        ++received;
    }
    for (auto& w : workers) {
        try {
            (void)co_await w;
        } catch (const std::runtime_error&) { // worker 2's: read, so not a swallowed exception
        }
    }
    co_return;
}

} // namespace

TEST_CASE("answer builders: a program's events fed a slice at a time give the batch answers, nothing leaked") {
    test_support::run_result r = test_support::run_recorded([] { return program(); });
    REQUIRE(r.trace.events.size() > 100);
    for (const auto& sizes : {std::vector<std::size_t>{1}, std::vector<std::size_t>{5, 13, 2}, std::vector<std::size_t>{100}}) {
        const fed_counts c = feed_in_slices(r.trace, sizes);
        CHECK(c.slices > 1);
        CHECK(c.steps >= 30); // 36 steps: the workers, main and their sleeps
    }
    CHECK(test_support::live_counter::live == 0);
    CHECK(r.loop_close == 0);
}

TEST_CASE("answer builders: the end of a trace with many tasks alive is published in several calls, the findings unchanged until the last") {
    // 200 tasks asleep when the trace ends, nobody joining them: 200 leaked tasks, all judged at the
    // end, so one publication makes them all (16 per call when the deadline has passed).
    test_support::event_builder b;
    b.spawn(1, 0, "main");
    b.resume(1);
    for (std::uint32_t id = 2; id <= 201; ++id) b.spawn(id, 1, "sleeper");
    b.suspend(1, traces::wait_reason::sleep, 0);
    b.next_tick();
    for (std::uint32_t id = 2; id <= 201; ++id) {
        b.resume(id);
        b.suspend(id, traces::wait_reason::sleep, 0);
    }
    b.end();
    // published::publish checks that the shown findings stay as they were while publishing().
    const fed_counts c = feed_in_slices(b.t, {150});
    CHECK(c.findings == 201); // the sleepers and main
    CHECK(c.lint_publish_calls >= c.publications + 201 / 16);
}

TEST_CASE("answer builders: a lane's many new episodes are published in pieces, and the lanes end equal to the batch ones") {
    // One task waiting on one stream 10 000 times (io_wait, io_ready, resume): 10 000 episodes in
    // one lane, more than one call copies (4096 a piece) when the deadline has passed.
    test_support::event_builder b;
    b.spawn(1, 0, "main");
    b.resume(1);
    b.suspend(1, traces::wait_reason::sleep, 0);
    b.spawn(2, 1, "reader");
    for (std::uint32_t k = 0; k < 10'000; ++k) {
        b.next_tick();
        b.resume(2);
        b.add(traces::event_kind::io_wait, 2, 0, 1);
        b.suspend(2, traces::wait_reason::io, 1, 10 + k % 50);
        b.add(traces::event_kind::io_ready, 2, 0, 1, 64);
        b.ready(2, traces::wait_reason::io);
    }
    b.end();
    const fed_counts c = feed_in_slices(b.t, {b.t.events.size()});
    CHECK(c.lanes == 1);
    CHECK(c.lane_publish_calls >= c.publications + 2); // the last publication took 3 calls at least
}

TEST_CASE("answer builders: publish() over many tasks takes several calls, and a model grown meanwhile is caught up") {
    // 300 tasks spawned by task 1, each stepping a few times with its own durations, waiting on
    // one of 20 streams (io_wait, io_ready, resume), some failing; then the end of the trace.
    test_support::event_builder b;
    b.t.header.minor = 1;
    const std::uint32_t error = b.str("boom");
    b.spawn(1, 0, "main");
    b.resume(1);
    for (std::uint32_t id = 2; id <= 301; ++id) b.spawn(id, 1, id % 2 ? "odd" : "");
    b.suspend(1, traces::wait_reason::sleep, 0);
    for (std::uint32_t round = 0; round < 4; ++round) {
        b.next_tick();
        for (std::uint32_t id = 2; id <= 301; ++id) {
            b.resume(id);
            const std::uint32_t stream = 1 + id % 20; // more lanes than one call of publish() takes
            b.add(traces::event_kind::io_wait, id, 0, stream);
            b.suspend(id, traces::wait_reason::io, stream, 10 + (id * 37 + round * 11) % 400);
            b.add(traces::event_kind::io_ready, id, 0, stream, 64 + id);
            b.ready(id, traces::wait_reason::io);
        }
    }
    b.next_tick();
    for (std::uint32_t id = 2; id <= 301; ++id) {
        b.resume(id);
        if (id % 7 == 0) {
            b.exit(id, traces::exit_status::failed, error);
            b.add(traces::event_kind::unobserved_failure, id);
        } else {
            b.exit(id);
        }
    }
    b.end();

    // In slices, publishing at every caught-up point; the lagging ones publish what was folded.
    const fed_counts c = feed_in_slices(b.t, {97, 13, 400});
    CHECK(c.publications > 3);
    CHECK(c.publish_calls > c.publications); // 301 tasks do not fit one call's rows
    CHECK(c.lane_publish_calls > c.publications); // nor 20 lanes
    CHECK(c.lanes == 20);
    CHECK(c.findings > 0); // the swallowed exceptions

    // A publication interrupted by the model growing (live: the drain goes on between frames):
    // the rows it makes come from the history as it is then; the next one, with every event fed,
    // equals the batch answers.
    inspector::model m;
    m.on_header(b.t.header);
    for (std::size_t i = 1; i < b.t.strings.size(); ++i) m.on_string(static_cast<std::uint32_t>(i), b.t.strings[i]);
    const std::size_t half = b.t.events.size() / 2;
    m.on_events(b.t.events.data(), half);
    inspector::stats_builder stats;
    inspector::lint_builder lints;
    inspector::resource_builder resources;
    stats.feed(m, half);
    lints.feed(m, half);
    resources.feed(m, half);
    published shown;
    REQUIRE_FALSE(stats.publish(m, shown.stats, std::chrono::steady_clock::time_point::min()));
    CHECK(stats.publishing());
    m.on_events(b.t.events.data() + half, b.t.events.size() - half);
    while (!stats.publish(m, shown.stats, std::chrono::steady_clock::time_point::min())) {
    }
    stats.feed(m, m.trace().events.size());
    lints.feed(m, m.trace().events.size());
    resources.feed(m, m.trace().events.size());
    fed_counts counts;
    shown.publish(m, stats, lints, resources, counts);
    check_stats_equal(m, shown.stats, inspector::compute_stats(m));
    CHECK(inspector::lints_json(m, shown.lints) == inspector::lints_json(m, inspector::run_lints(m)));
    CHECK(inspector::resources_json(m, shown.lanes) == inspector::resources_json(m, inspector::resource_lanes(m)));
    CHECK(shown.stats.tasks.size() == 301);
}
