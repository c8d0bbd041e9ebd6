// The whole-trace answers as folds that can be resumed (stats_builder, lint_builder,
// resource_builder): fed a growing model a slice at a time, their results equal the batch
// functions' (compute_stats, run_lints, resource_lanes) on that model after every slice and at the
// end, on every golden trace and on a program run here.
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

traces::trace golden(const std::string& name) {
    traces::loaded_trace loaded = traces::load_file(std::string(COROSCOPE_SOURCE_DIR) + "/traces/golden/" + name);
    REQUIRE(loaded.report.error.empty());
    return std::move(loaded.trace);
}

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
        stats.feed(m, at);
        lints.feed(m, at);
        resources.feed(m, at);
        REQUIRE(stats.next() == at);
        REQUIRE(lints.next() == at);
        REQUIRE(resources.next() == at);
        check_stats_equal(m, stats.result(m), inspector::compute_stats(m));
        CHECK(inspector::lints_json(m, lints.result(m)) == inspector::lints_json(m, inspector::run_lints(m)));
        CHECK(inspector::resources_json(m, resources.result()) == inspector::resources_json(m, inspector::resource_lanes(m)));
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
        const traces::trace t = golden(name);
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
