// What the answer panels derive from the model once per change (spawn tree rows, resources rows
// with the waiters and sleepers at the cursor, the lints' counts and the finding at the cursor, the
// event log's filtered rows) must never be stale: each case changes one input the cache depends on
// (events arriving as from a live program, the cursor moving back, a filter, a collapsed group, a
// new model) and compares what the panel holds with what the model says, drawing whole frames
// headless (gui_headless.hpp).
#include <catch2/catch.hpp>

#include "gui_headless.hpp"
#include "../gui/time_budget.hpp"
#include "support.hpp"

#include <coroscope/inspector/model.hpp>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

namespace gui = coroscope::gui;
namespace inspector = coroscope::inspector;
namespace traces = coroscope::traces;
using test_support::draw_frames;
using test_support::golden_trace;
using test_support::headless_imgui;

namespace {

void show_tab(gui::ui_state& ui, gui::answer_tab tab) {
    ui.panels.tab = tab;
    ui.panels.tab_requested = true;
}

// The model fed the way a live source feeds it: the header and strings (with `tab` shown), then
// events in batches.
void feed_start(gui::session& s, gui::ui_state& ui, const traces::trace& t, gui::answer_tab tab) {
    show_tab(ui, tab);
    s.model.on_header(t.header);
    for (std::size_t i = 1; i < t.strings.size(); ++i) s.model.on_string(static_cast<std::uint32_t>(i), t.strings[i]);
    s.loaded = true;
    s.source = "fed";
}
void feed(gui::session& s, const traces::trace& t, std::size_t from, std::size_t to) {
    s.model.on_events(t.events.data() + from, to - from);
}

// A golden trace opened whole with `tab` shown (the tab bar shows it from the second frame).
void open_golden(gui::session& s, gui::ui_state& ui, const std::string& name, gui::answer_tab tab) {
    s.model = inspector::model(golden_trace(name));
    s.loaded = true;
    show_tab(ui, tab);
    draw_frames(s, ui, 2);
}

// The spawn tree as the model's history says: depth-first in spawn order, the tasks under a
// collapsed spawner left out.
void spawn_order(const inspector::history& h, const inspector::task_history& t, const std::set<std::uint32_t>& collapsed,
                 std::vector<std::uint32_t>& out) {
    out.push_back(t.id);
    if (collapsed.count(t.id)) return;
    for (std::uint32_t c : t.children)
        if (const inspector::task_history* ch = h.task(c)) spawn_order(h, *ch, collapsed, out);
}
std::vector<std::uint32_t> expected_tree(const inspector::model& m, const std::set<std::uint32_t>& collapsed) {
    const inspector::history& h = m.history();
    std::vector<std::uint32_t> out;
    for (const auto& t : h.tasks())
        if (t.known && (t.parent == 0 || !h.task(t.parent))) spawn_order(h, t, collapsed, out);
    return out;
}
std::vector<std::uint32_t> tree_rows(const gui::ui_state& ui) {
    std::vector<std::uint32_t> out;
    for (const auto& row : ui.panels.lanes.lanes) out.push_back(row.task);
    return out;
}

// The tasks waiting on each resource lane at the cursor, and the sleeping tasks, from the model.
std::vector<std::vector<std::uint32_t>> expected_waiters(const inspector::model& m, const std::vector<inspector::resource_lane>& lanes) {
    std::vector<std::vector<std::uint32_t>> out(lanes.size());
    for (std::size_t i = 0; i < lanes.size(); ++i)
        for (const auto& t : m.state().tasks())
            if (t.known && t.state == inspector::task_state::waiting && t.reason == traces::wait_reason::io && t.target == lanes[i].id)
                out[i].push_back(t.id);
    return out;
}
std::vector<std::uint32_t> expected_sleepers(const inspector::model& m) {
    std::vector<std::uint32_t> out;
    for (const auto& t : m.state().tasks())
        if (t.known && t.state == inspector::task_state::waiting && t.reason == traces::wait_reason::sleep) out.push_back(t.id);
    return out;
}
// The panel's text for a lane's waiters: their labels joined by ", ", the first few, then how many more.
std::string waiters_text(const inspector::model& m, const std::vector<std::uint32_t>& ids) {
    std::string out;
    for (std::size_t i = 0; i < ids.size() && i < gui::resource_rows::waiters_named; ++i)
        out += (i ? ", " : "") + gui::task_label(m, ids[i]);
    if (ids.size() > gui::resource_rows::waiters_named)
        out += " and " + std::to_string(ids.size() - gui::resource_rows::waiters_named) + " more";
    return out;
}

// Indices of the events of `task` (0 = all) whose kind is shown.
std::vector<std::uint64_t> expected_log(const inspector::model& m, std::uint32_t task, const gui::panels_state& p) {
    std::vector<std::uint64_t> out;
    const auto& events = m.trace().events;
    for (std::size_t i = 0; i < events.size(); ++i) {
        traces::event e = events[i];
        if ((task == 0 || e.task == task) && p.log_kinds[static_cast<std::size_t>(e.kind)]) out.push_back(i);
    }
    return out;
}

} // namespace

TEST_CASE("spawn tree: its rows grow with a live trace and follow collapse, expand and a selection under a closed group") {
    headless_imgui imgui;
    const traces::trace t = golden_trace("bugs.trace"); // spawns tasks late in the run too
    gui::session s;
    gui::ui_state ui;
    feed_start(s, ui, t, gui::answer_tab::spawn_tree);
    // Half of the events, as if the program were still running.
    feed(s, t, 0, t.events.size() / 2);
    draw_frames(s, ui, 3);
    const std::vector<std::uint32_t> early = expected_tree(s.model, {});
    REQUIRE_FALSE(early.empty());
    CHECK(tree_rows(ui) == early);

    feed(s, t, t.events.size() / 2, t.events.size());
    draw_frames(s, ui, 1);
    const std::vector<std::uint32_t> all = expected_tree(s.model, {});
    REQUIRE(all.size() > early.size()); // tasks were spawned in the second half
    CHECK(tree_rows(ui) == all);

    // Close a spawner with children: its descendants leave the rows; open it again: they are back.
    std::uint32_t spawner = 0;
    for (const auto& th : s.model.history().tasks())
        if (th.known && !th.children.empty()) spawner = spawner ? spawner : th.id;
    REQUIRE(spawner != 0);
    ui.panels.timeline_collapsed.insert(spawner);
    draw_frames(s, ui, 1);
    const std::vector<std::uint32_t> closed = expected_tree(s.model, {spawner});
    REQUIRE(closed.size() < all.size());
    CHECK(tree_rows(ui) == closed);

    // Selecting a task hidden under it opens the group again (and the tree scrolls to it).
    const std::uint32_t hidden = s.model.history().task(spawner)->children.front();
    ui.selected_task = hidden;
    draw_frames(s, ui, 2);
    CHECK(ui.panels.timeline_collapsed.count(spawner) == 0);
    CHECK(tree_rows(ui) == all);
    CHECK(ui.panels.tree_revealed == hidden);
}

TEST_CASE("resources: the waiters and sleepers follow the cursor forwards and back, opened lanes add their waits") {
    headless_imgui imgui;
    gui::session s;
    gui::ui_state ui;
    open_golden(s, ui, "echo.trace", gui::answer_tab::resources);
    const auto& lanes = ui.panels.cache.resources;
    const gui::resource_rows& r = ui.panels.resources;
    REQUIRE_FALSE(lanes.empty());

    std::vector<std::uint64_t> steps;
    for (std::uint64_t step = 0; step <= s.model.step_count(); ++step) steps.push_back(step);
    for (std::uint64_t step = s.model.step_count() + 1; step-- > 0;) steps.push_back(step); // and back
    std::size_t with_waiters = 0, without = 0;
    for (std::uint64_t step : steps) {
        s.model.seek(step);
        draw_frames(s, ui, 1);
        INFO("step " << step);
        const auto waiters = expected_waiters(s.model, lanes);
        REQUIRE(r.waiters.size() == lanes.size());
        bool any = false;
        for (std::size_t i = 0; i < lanes.size(); ++i) {
            INFO("lane " << lanes[i].id);
            CHECK(r.waiters[i] == waiters_text(s.model, waiters[i]));
            any |= !waiters[i].empty();
        }
        (any ? with_waiters : without) += 1;
        CHECK(r.sleepers == expected_sleepers(s.model));
    }
    // The walk went through steps with and without waiters: a cache stuck at one would have failed.
    CHECK(with_waiters > 0);
    CHECK(without > 0);

    // Opening a lane adds a header row and a row per wait; closing it takes them away.
    std::size_t busiest = 0;
    for (std::size_t i = 0; i < lanes.size(); ++i)
        if (lanes[i].episodes.size() > lanes[busiest].episodes.size()) busiest = i;
    REQUIRE_FALSE(lanes[busiest].episodes.empty());
    CHECK(r.total == lanes.size());
    ui.panels.resources_opened.insert(lanes[busiest].id);
    draw_frames(s, ui, 1);
    CHECK(r.total == lanes.size() + 1 + lanes[busiest].episodes.size());
    ui.panels.resources_opened.clear();
    draw_frames(s, ui, 1);
    CHECK(r.total == lanes.size());

    // The timers sample's sleepers, the cursor going forwards then back.
    s.model = inspector::model(golden_trace("timers.trace"));
    std::size_t sleeping = 0, awake = 0;
    for (std::uint64_t step : steps) {
        s.model.seek(step);
        draw_frames(s, ui, 1);
        INFO("timers, step " << step);
        CHECK(r.sleepers == expected_sleepers(s.model));
        (r.sleepers.empty() ? awake : sleeping) += 1;
    }
    CHECK(sleeping > 0);
    CHECK(awake > 0);
}

TEST_CASE("resources and lints: a trace that grows is counted again (live)") {
    headless_imgui imgui;
    const traces::trace t = golden_trace("bugs.trace");
    gui::session s;
    gui::ui_state ui;
    feed_start(s, ui, t, gui::answer_tab::lints);
    feed(s, t, 0, t.events.size() / 2);
    draw_frames(s, ui, 3);
    auto counts_of = [](const std::vector<inspector::lint_finding>& findings) {
        std::array<std::size_t, inspector::lint_kind_count> counts{};
        for (const auto& f : findings) ++counts[static_cast<std::size_t>(f.kind)];
        return counts;
    };
    const std::size_t early = ui.panels.cache.lints.size();
    CHECK(ui.panels.lints.counts == counts_of(inspector::run_lints(s.model)));

    feed(s, t, t.events.size() / 2, t.events.size());
    draw_frames(s, ui, 1);
    const auto findings = inspector::run_lints(s.model);
    REQUIRE(findings.size() != early); // the rest of the trace has other findings
    CHECK(ui.panels.cache.lints.size() == findings.size());
    CHECK(ui.panels.lints.counts == counts_of(findings));

    show_tab(ui, gui::answer_tab::resources);
    draw_frames(s, ui, 2);
    CHECK(ui.panels.resources.first_row.size() == inspector::resource_lanes(s.model).size());
    CHECK(ui.panels.resources.sleepers == expected_sleepers(s.model));
}

TEST_CASE("lints: the finding shown whole is the one at the cursor for the selected task, and follows seeks") {
    headless_imgui imgui;
    gui::session s;
    gui::ui_state ui;
    open_golden(s, ui, "bugs.trace", gui::answer_tab::lints);
    const auto& findings = ui.panels.cache.lints;
    REQUIRE(findings.size() >= 2);
    std::set<std::uint64_t> finding_steps;
    for (const auto& f : findings) finding_steps.insert(f.step);

    // Each finding's step with its task selected (what a click on its row does), in reverse order
    // so that the cursor also moves back.
    for (std::size_t i = findings.size(); i-- > 0;) {
        const inspector::lint_finding& f = findings[i];
        s.model.seek(f.step);
        if (f.task) ui.selected_task = f.task;
        draw_frames(s, ui, 1);
        std::size_t first = findings.size();
        for (std::size_t j = 0; j < findings.size() && first == findings.size(); ++j)
            if (findings[j].step == f.step && (findings[j].task == ui.selected_task || findings[j].task == 0)) first = j;
        INFO("finding " << i << " at step " << f.step);
        CHECK(ui.panels.lints.here == first);
        CHECK(first <= i);
    }
    // A step without findings: nothing shown whole.
    std::uint64_t quiet = 0;
    while (finding_steps.count(quiet)) ++quiet;
    REQUIRE(quiet <= s.model.step_count());
    s.model.seek(quiet);
    draw_frames(s, ui, 1);
    CHECK(ui.panels.lints.here == findings.size());
}

TEST_CASE("event log: the filtered rows follow a growing trace, a filter change and a new model") {
    headless_imgui imgui;
    const traces::trace t = golden_trace("pipeline.trace");
    gui::session s;
    gui::ui_state ui;
    feed_start(s, ui, t, gui::answer_tab::events);
    // A task with events in both halves of the trace.
    const std::size_t n = t.events.size();
    std::uint32_t task = 0;
    for (std::size_t i = n / 2; i < n && task == 0; ++i)
        for (std::size_t j = 0; j < n / 2 && task == 0; ++j)
            if (t.events[i].task != 0 && t.events[j].task == t.events[i].task) task = t.events[i].task;
    REQUIRE(task != 0);
    feed(s, t, 0, n / 2);
    ui.panels.log_task = static_cast<int>(task);
    draw_frames(s, ui, 3);
    const std::vector<std::uint64_t> early = expected_log(s.model, task, ui.panels);
    REQUIRE_FALSE(early.empty());
    CHECK(ui.panels.cache.rows == early);

    // Events arrive in three batches, a frame after each: the rows are extended, never stale.
    for (std::size_t from = n / 2, to; from < n; from = to) {
        to = std::min(n, from + n / 6 + 1);
        feed(s, t, from, to);
        draw_frames(s, ui, 1);
        CHECK(ui.panels.cache.rows == expected_log(s.model, task, ui.panels));
    }
    CHECK(ui.panels.cache.rows.size() > early.size());

    // Another filter: every task, scheduling kinds only.
    ui.panels.log_task = 0;
    ui.panels.log_kinds.fill(false);
    ui.panels.log_kinds[static_cast<std::size_t>(traces::event_kind::task_resume)] = true;
    draw_frames(s, ui, 1);
    const std::vector<std::uint64_t> resumes = expected_log(s.model, 0, ui.panels);
    REQUIRE(resumes.size() == s.model.step_count());
    CHECK(ui.panels.cache.rows == resumes);

    // Another trace opened in its place, same filter: its own rows.
    s.model = inspector::model(golden_trace("bugs.trace"));
    draw_frames(s, ui, 1);
    const std::vector<std::uint64_t> other = expected_log(s.model, 0, ui.panels);
    REQUIRE(other != resumes);
    CHECK(ui.panels.cache.rows == other);
}

namespace {

// The model of a golden trace fed its first `count` events, as a live stream would.
void start_live_model(inspector::model& m, const traces::trace& t, std::size_t count) {
    m.on_header(t.header);
    for (std::size_t i = 1; i < t.strings.size(); ++i) m.on_string(static_cast<std::uint32_t>(i), t.strings[i]);
    m.on_events(t.events.data(), count);
}

// The published answers are exactly the batch functions' on the model.
void check_answers_are_the_batch(const inspector::model& m, const gui::answers_cache& cache) {
    CHECK(inspector::stats_json(m, cache.stats) == inspector::stats_json(m, inspector::compute_stats(m)));
    CHECK(inspector::lints_json(m, cache.lints) == inspector::lints_json(m, inspector::run_lints(m)));
    CHECK(inspector::resources_json(m, cache.resources) == inspector::resources_json(m, inspector::resource_lanes(m)));
}

} // namespace

TEST_CASE("live: the whole-trace answers are published at the refresh interval, or ten times their last cost when longer") {
    const traces::trace t = golden_trace("bugs.trace");
    inspector::model m;
    const std::size_t n = t.events.size();
    start_live_model(m, t, n / 3);
    gui::answers_cache cache;
    // A budget no refresh spends here: each publication is finished in the refresh that starts it
    // (the steps across frames are the next test's).
    cache.fold_budget_s = cache.fold_idle_budget_s = 60;
    gui::refresh_answers(m, cache, 100.0, true); // the first answers are never held back
    REQUIRE(cache.trace_generation == 1);
    CHECK(cache.trace_events == n / 3);
    CHECK(cache.trace_cost_s >= 0);
    check_answers_are_the_batch(m, cache);

    // Cheap publications (the cost is set: a loaded machine could stretch the one measured): more
    // events are folded at once, published once the interval has passed, not before.
    cache.trace_cost_s = 0.001;
    m.on_events(t.events.data() + n / 3, n / 3);
    gui::refresh_answers(m, cache, 100.0 + gui::live_refresh_s / 2, true);
    CHECK(cache.trace_generation == 1);
    CHECK(cache.behind(m) == 0); // folded already (a small trace fits in one frame's budget)
    gui::refresh_answers(m, cache, 100.0 + gui::live_refresh_s, true);
    CHECK(cache.trace_generation == 2);
    CHECK(cache.trace_events == 2 * (n / 3));
    check_answers_are_the_batch(m, cache);

    // A publication that took 2 s (a huge trace): the next waits 20 s, not the interval (the
    // trace's last event, its end, held back: an ended trace is published at once, below).
    cache.trace_cost_s = 2.0;
    REQUIRE(t.events.back().kind == traces::event_kind::trace_end);
    m.on_events(t.events.data() + 2 * (n / 3), n - 1 - 2 * (n / 3));
    REQUIRE_FALSE(m.history().ended());
    const double last = cache.trace_computed_s;
    gui::refresh_answers(m, cache, last + 5 * gui::live_refresh_s, true);
    gui::refresh_answers(m, cache, last + 19.9, true);
    CHECK(cache.trace_generation == 2);
    gui::refresh_answers(m, cache, last + 20.0, true);
    CHECK(cache.trace_generation == 3);
    CHECK(cache.trace_events == n - 1);
    check_answers_are_the_batch(m, cache);
    // The end arrives: one refresh folds it, the next publishes the final answers (the 20 s are
    // not waited again).
    m.on_events(t.events.data() + n - 1, 1);
    gui::refresh_answers(m, cache, last + 20.1, true);
    CHECK(cache.behind(m) == 0);
    CHECK(cache.trace_generation == 3);
    gui::refresh_answers(m, cache, last + 20.2, true);
    CHECK(cache.trace_generation == 4);
    CHECK(cache.trace_events == n);
    check_answers_are_the_batch(m, cache);

    // A replay is never held back.
    gui::answers_cache replay;
    replay.trace_cost_s = 2.0;
    gui::refresh_answers(m, replay, 0.0, false);
    CHECK(replay.trace_events == n);
}

namespace {

// The philosophers' deadlock with half of its events in a live model, and answers not made yet.
struct half_live {
    traces::trace t = golden_trace("philosophers-deadlock.trace");
    std::size_t n = t.events.size();
    inspector::model m;
    gui::answers_cache cache;
    half_live() {
        REQUIRE(n > 100);
        start_live_model(m, t, n / 2);
    }
};

} // namespace

TEST_CASE("live: a trace that ended gets its final answers without waiting for the refresh interval") {
    half_live h;
    inspector::model& m = h.m;
    gui::answers_cache& cache = h.cache;
    double now = 100.0;
    gui::refresh_answers(m, cache, now, true); // the first answers, of the first half
    for (int k = 0; k < 100 && cache.publish_step != 0; ++k) gui::refresh_answers(m, cache, now += 0.001, true);
    REQUIRE(cache.trace_events == h.n / 2);
    // The rest arrives, ending with trace_end; the folds take it within the interval.
    m.on_events(h.t.events.data() + h.n / 2, h.n - h.n / 2);
    REQUIRE(m.history().ended());
    gui::refresh_answers(m, cache, now += 0.001, true);
    REQUIRE(cache.behind(m) == 0);
    // 2 ms after the last publication (the interval is 0.5 s): published at once, in its steps.
    for (int k = 0; k < 100 && cache.trace_events != h.n; ++k) gui::refresh_answers(m, cache, now += 0.001, true);
    CHECK(now - 100.0 < gui::live_refresh_s);
    CHECK(cache.trace_events == h.n);
    check_answers_are_the_batch(m, cache);
}

TEST_CASE("live with a frame budget: the panels' calls only read, the folds run after them in what the frame left") {
    half_live h;
    const traces::trace& t = h.t;
    const std::size_t n = h.n;
    inspector::model& m = h.m;
    gui::answers_cache& cache = h.cache;
    cache.fold_slice = 2;
    gui::frame_budget frame;
    frame.begin_frame();
    gui::refresh_answers(m, cache, 100.0, true, &frame); // the timeline's and the tabs' calls
    gui::refresh_answers(m, cache, 100.0, true, &frame);
    CHECK(cache.behind(m) == n / 2);
    CHECK(cache.trace_events == gui::answers_cache::none);
    CHECK(frame.spent_s() == 0);
    frame.panels_drawn(); // draw_app's last call: a few hundred events fit in the budget
    gui::refresh_answers(m, cache, 100.0, true, &frame);
    CHECK(cache.behind(m) == 0);
    CHECK(cache.trace_events == n / 2);
    CHECK(frame.spent_s() > 0);
    frame.end_frame();

    // A frame whose budget the drain spent: its folds take one slice (the first always runs).
    m.on_events(t.events.data() + n / 2, n - n / 2);
    frame.begin_frame();
    frame.spend(1.0);
    CHECK(frame.left_s() == 0);
    frame.panels_drawn();
    gui::refresh_answers(m, cache, 100.0 + 1.0 / 60, true, &frame);
    CHECK(cache.behind(m) == n - n / 2 - 2);
    gui::refresh_answers(m, cache, 100.0 + 1.0 / 60, true, &frame); // the same frame: nothing more
    CHECK(cache.behind(m) == n - n / 2 - 2);
    frame.end_frame();
}

TEST_CASE("live: each refresh folds a bounded slice, the answers catch up to the batch ones, another model restarts them") {
    half_live h;
    const traces::trace& t = h.t;
    const std::size_t n = h.n;
    inspector::model& m = h.m;
    gui::answers_cache& cache = h.cache;
    constexpr std::uint64_t slice = 2;
    cache.fold_slice = slice;                      // a slice of 2 events per refresh:
    cache.fold_budget_s = cache.fold_idle_budget_s = 0; // the budget is spent after the first slice
    double now = 100.0;
    gui::refresh_answers(m, cache, now, true);
    CHECK(cache.behind(m) == n / 2 - slice);
    // The first answers, of what was folded, begin at once and go on a step per refresh (with no
    // budget: a few stats rows, then the lints, then a lane each time), the folds waiting.
    CHECK(cache.publish_step != 0);
    std::uint64_t first_steps = 1;
    while (cache.trace_events == gui::answers_cache::none) {
        now += 1.0 / 60;
        gui::refresh_answers(m, cache, now, true);
        REQUIRE(cache.behind(m) == n / 2 - slice);
        REQUIRE(++first_steps < 1000);
    }
    CHECK(first_steps >= 3);
    CHECK(cache.trace_events == slice);
    // The rest arrives while the folds are behind; each refresh either folds one slice or takes
    // one step of a publication (at the interval: the stats' rows, the lints, the lanes, a refresh
    // each with no budget), never both.
    m.on_events(t.events.data() + n / 2, n - n / 2);
    std::uint64_t behind = cache.behind(m), publications = cache.trace_generation, refreshes = 0;
    std::uint64_t publishing_refreshes = 0;
    // Each publication's first and last refresh (now): the next begins no sooner than twice the
    // time the last one spanned after it ended (live_refresh_span_factor). A slow window (under 7
    // frames a second): a publication's few steps then span more than the refresh interval.
    std::vector<std::pair<double, double>> spans;
    while (cache.behind(m) > 0 || cache.trace_events != n) {
        now += 0.15;
        const std::uint64_t generation = cache.trace_generation;
        const int step = cache.publish_step;
        gui::refresh_answers(m, cache, now, true);
        ++refreshes;
        const bool published = step != 0 || cache.publish_step != 0 || cache.trace_generation != generation;
        if (published) {
            if (step == 0) spans.push_back({now, now});
            if (cache.publish_step == 0) spans.back().second = now;
            ++publishing_refreshes;
            REQUIRE(cache.behind(m) == behind); // the folds wait
        } else {
            REQUIRE(cache.behind(m) == (behind > slice ? behind - slice : 0));
        }
        // The same frame again (the timeline and the tabs both refresh): nothing more is done.
        const std::uint64_t again = cache.behind(m);
        const int again_step = cache.publish_step;
        gui::refresh_answers(m, cache, now, true);
        REQUIRE(cache.behind(m) == again);
        REQUIRE(cache.publish_step == again_step);
        behind = cache.behind(m);
        REQUIRE(refreshes < 10 * n);
    }
    CHECK(refreshes >= (n - slice) / slice);
    CHECK(cache.trace_generation - publications >= 2); // published on the way, not only at the end
    CHECK(publishing_refreshes >= 3 * (cache.trace_generation - publications)); // three steps each
    // The last is the ended trace's final publication: at once (the test above), so not spaced.
    REQUIRE(m.history().ended());
    REQUIRE(spans.size() >= 3);
    for (std::size_t i = 1; i + 1 < spans.size(); ++i) {
        INFO("publication " << i << " began at " << spans[i].first << ", the one before spanned " << spans[i - 1].first
                            << " - " << spans[i - 1].second);
        CHECK(spans[i].first - spans[i - 1].second >= gui::live_refresh_span_factor * (spans[i - 1].second - spans[i - 1].first) - 1e-9);
    }
    check_answers_are_the_batch(m, cache);
    CHECK_FALSE(cache.lints.empty());              // the deadlock, at least

    // Another trace put in the same model object, longer than what was folded: the folds restart.
    const traces::trace other = golden_trace("bugs.trace");
    m = inspector::model(other);
    REQUIRE(m.trace().events.size() > n);
    cache.fold_slice = 1u << 20;
    now += 10;
    gui::refresh_answers(m, cache, now, true);
    CHECK(cache.behind(m) == 0);
    for (int k = 0; k < 1000 && cache.trace_events == gui::answers_cache::none; ++k)
        gui::refresh_answers(m, cache, now += 1.0 / 60, true); // its first answers, in steps
    CHECK(cache.trace_events == m.trace().events.size());
    check_answers_are_the_batch(m, cache);
}
