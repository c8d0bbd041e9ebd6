// Stats: busy time, histogram, ready-to-resume latency, waits by reason; IO lanes; failures.
#include "support.hpp"

#include <coroscope/inspector/model.hpp>
#include <coroscope/inspector/resources.hpp>
#include <coroscope/inspector/stats.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace coroscope;
using traces::event_kind;
using traces::wait_reason;

namespace {

traces::event ev(std::uint64_t ts, event_kind kind, std::uint32_t task, std::uint8_t code = 0, std::uint32_t a = 0,
                 std::uint64_t b = 0) {
    traces::event e;
    e.ts_ns = ts;
    e.task = task;
    e.kind = kind;
    e.code = code;
    e.a = a;
    e.b = b;
    return e;
}

// Every field of two summaries, one CHECK each (so a failure names the field).
void check_same_summary(const inspector::latency_summary& got, const inspector::latency_summary& want) {
    CHECK(got.count == want.count);
    CHECK(got.p50 == want.p50);
    CHECK(got.p90 == want.p90);
    CHECK(got.p99 == want.p99);
    CHECK(got.max == want.max);
    CHECK(got.total == want.total);
}

} // namespace

TEST_CASE("stats: steps, busy time, histogram, latencies and waits per task") {
    traces::trace t;
    auto sleep = static_cast<std::uint8_t>(wait_reason::sleep);
    t.events = {
        ev(0, event_kind::task_spawn, 1),
        ev(100, event_kind::task_ready, 1, static_cast<std::uint8_t>(wait_reason::spawn)),
        ev(1'100, event_kind::task_resume, 1),        // latency 1000 ns
        ev(6'100, event_kind::task_suspend, 1, sleep, 3), // step 5 us
        ev(1'006'100, event_kind::task_ready, 1, sleep),  // slept 1 ms
        ev(1'026'100, event_kind::task_resume, 1),    // latency 20 us
        ev(3'026'100, event_kind::task_exit, 1),      // step 2 ms
    };
    inspector::model m(t);
    auto s = inspector::compute_stats(m);
    REQUIRE(s.tasks.size() == 1);
    const auto& a = s.tasks[0];
    CHECK(a.steps == 2);
    CHECK(a.busy_ns == 5'000 + 2'000'000);
    CHECK(a.step_histogram[0] == 1); // < 10 us
    CHECK(a.step_histogram[3] == 1); // < 10 ms
    CHECK(a.ready_latency.count == 2);
    CHECK(a.ready_latency.p50 == 1'000);
    CHECK(a.ready_latency.max == 20'000);
    // The latencies in the step buckets: 1 us (< 10 us) and 20 us (< 100 us); totals add up.
    CHECK(a.ready_histogram[0] == 1);
    CHECK(a.ready_histogram[1] == 1);
    CHECK(a.ready_histogram[2] == 0);
    CHECK(s.total.ready_histogram == a.ready_histogram);
    CHECK(a.waiting_ns[static_cast<std::size_t>(wait_reason::sleep)] == 1'000'000);
    CHECK(s.total.busy_ns == a.busy_ns);
    auto j = inspector::stats_json(m, s);
    CHECK(j["tasks"][0]["waiting_ns"]["sleep"] == 1'000'000);
    CHECK_THAT(inspector::stats_text(m, s), Catch::Contains("task 1"));
}

TEST_CASE("stats: percentiles by nearest rank") {
    std::vector<std::uint64_t> v;
    for (std::uint64_t i = 1; i <= 100; ++i) v.push_back(i);
    auto s = inspector::summarize(v);
    CHECK(s.p50 == 50);
    CHECK(s.p90 == 90);
    CHECK(s.p99 == 99);
    CHECK(s.max == 100);
    CHECK(inspector::summarize({}).count == 0);
}

namespace {
// Adds `values` one at a time to `set`; after every `every`-th, the last and the `also`-th, its
// summary must equal summarize() of what was added so far, and `more(set)` runs. Returns how many
// times it looked.
template <class More>
std::size_t check_as_it_grows(inspector::duration_set& set, const std::vector<std::uint64_t>& values, std::size_t every,
                              std::size_t also, More more) {
    std::vector<std::uint64_t> added;
    std::size_t asked = 0;
    for (std::size_t i = 0; i < values.size(); ++i) {
        set.add(values[i]);
        added.push_back(values[i]);
        if (i % every == 0 || i + 1 == values.size() || i + 1 == also) {
            INFO("values: " << added.size());
            check_same_summary(set.summary(), inspector::summarize(added));
            more(set);
            ++asked;
        }
    }
    return asked;
}
} // namespace

TEST_CASE("stats: a duration_set's summary equals summarize() small and bucketed, asked as it grows") {
    // Values spread over many powers of two, runs of equal ones, small exact ones and huge ones,
    // added in a scrambled order; asked at sizes below and above bucketed_from.
    std::vector<std::uint64_t> all;
    std::uint64_t x = 12345;
    for (std::size_t i = 0; i < 3 * inspector::duration_set::bucketed_from + 17; ++i) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        switch (i % 5) {
        case 0: all.push_back(x >> 40); break;               // up to 2^24
        case 1: all.push_back(1000 + (x >> 60)); break;      // a narrow range: many equal values
        case 2: all.push_back((x >> 58)); break;             // below 128: exact buckets
        case 3: all.push_back(x >> (x % 64)); break;         // every magnitude, up to 2^64 - 1
        default: all.push_back(777'777); break;              // one value again and again
        }
    }
    inspector::duration_set set;
    CHECK(check_as_it_grows(set, all, 997, inspector::duration_set::bucketed_from, [](const auto&) {}) > 10);
    // add_all from a bucketed set into a small one, and the reverse.
    inspector::duration_set small;
    small.add(5);
    small.add_all(set);
    inspector::duration_set into_big = set;
    into_big.add(5);
    std::vector<std::uint64_t> added = all;
    added.push_back(5);
    const inspector::latency_summary want = inspector::summarize(added);
    for (inspector::duration_set* d : {&small, &into_big}) {
        const inspector::latency_summary got = d->summary();
        check_same_summary(got, want);
    }
}

TEST_CASE("stats: a duration_set with most values in one narrow range splits its buckets, and its summary stays exact") {
    // 300 000 values, nine in ten within 16 us of 1 ms (one top bucket's range), the rest spread;
    // equal runs too. Asked as it grows: equal to summarize(), and no bucket a summary sorts holds
    // more than split_from values (one-value buckets hold a count only).
    std::vector<std::uint64_t> all;
    std::uint64_t x = 987654321;
    for (std::size_t i = 0; i < 300'000; ++i) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        if (i % 10 == 9) all.push_back(x >> 36);                      // spread, up to 2^28
        else if (i % 10 == 8) all.push_back(1'000'000);               // one value again and again
        else all.push_back(1'000'000 + ((x >> 33) % 16'384));         // the narrow range
    }
    inspector::duration_set set;
    const std::size_t asked = check_as_it_grows(set, all, 29'989, 0, [](const inspector::duration_set& d) {
        CHECK(d.largest_bucket() <= inspector::duration_set::split_from);
    });
    CHECK(asked == 12); // every 29 989th value, and the last
    // Copies and add_all carry split buckets and one-value counts whole.
    inspector::duration_set copy = set, merged;
    merged.add_all(set);
    check_same_summary(copy.summary(), inspector::summarize(all));
    check_same_summary(merged.summary(), inspector::summarize(all));
    CHECK(merged.size() == all.size());
}

TEST_CASE("resources: io_wait -> io_ready -> resume lane with readiness-to-resume latency") {
    traces::trace t;
    t.strings.push_back("tcp 1 -> 2");
    auto read = static_cast<std::uint8_t>(traces::io_direction::read);
    t.events = {
        ev(0, event_kind::task_spawn, 1),
        ev(1, event_kind::task_ready, 1, static_cast<std::uint8_t>(wait_reason::spawn)),
        ev(2, event_kind::task_resume, 1),
        ev(3, event_kind::resource_open, 0, static_cast<std::uint8_t>(traces::resource_kind::tcp), 9, 1),
        ev(4, event_kind::io_wait, 1, read, 9),
        ev(5, event_kind::task_suspend, 1, static_cast<std::uint8_t>(wait_reason::io), 9),
        ev(100, event_kind::io_ready, 1, read, 9, 12),
        ev(101, event_kind::task_ready, 1, static_cast<std::uint8_t>(wait_reason::io)),
        ev(150, event_kind::task_resume, 1),
        ev(160, event_kind::task_exit, 1),
    };
    inspector::model m(t);
    auto lanes = inspector::resource_lanes(m);
    REQUIRE(lanes.size() == 1);
    CHECK(lanes[0].id == 9);
    REQUIRE(lanes[0].episodes.size() == 1);
    CHECK(lanes[0].episodes[0].result == 12);
    CHECK(lanes[0].episodes[0].resume_ts == 150);
    CHECK(lanes[0].ready_to_resume.max == 50);
    CHECK_THAT(inspector::resources_text(m, lanes), Catch::Contains("12 bytes"));
}

TEST_CASE("coroscope-trace stats on sample-bugs: a table per task, totals, the failure and its stack") {
    const std::string bin = COROSCOPE_BIN_DIR;
    std::string path = test_support::temp_path("stats-bugs.trace");
    REQUIRE(test_support::run_command("COROSCOPE_TRACE=" + path + " " + bin + "/sample-bugs >/dev/null 2>&1").status == 0);
    auto r = test_support::run_command(bin + "/coroscope-trace stats " + path);
    CHECK(r.status == 0);
    CHECK_THAT(r.out, Catch::Contains("blocker"));
    CHECK_THAT(r.out, Catch::Contains("(total)"));
    CHECK_THAT(r.out, Catch::Contains("'forgotten' failed"));
    CHECK_THAT(r.out, Catch::Contains("sample::forgotten"));
    auto j = test_support::run_command(bin + "/coroscope-trace stats --json " + path);
    CHECK(j.status == 0);
    auto json = nlohmann::json::parse(j.out);
    CHECK(json["total"]["busy_ns"].get<std::uint64_t>() >= 50'000'000); // blocker's 50 ms step
    CHECK(json["failures"].size() == 1);
    std::remove(path.c_str());
}
