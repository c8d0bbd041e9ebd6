// The wait-for graph's layout (gui/wait_graph_panel.cpp, graph_layout in panels.hpp): a layout made
// in slices over many frames ends equal to one made at once, with the earlier layout on screen
// meanwhile; columns are the longest wait chain (also through a loop the cycles leave out, and a
// chain hundreds deep); a resource's node is named by its lane. Whole frames drawn headless
// (gui_headless.hpp); no display needed.
#include <catch2/catch.hpp>

#include "event_builder.hpp"
#include "gui_headless.hpp"

#include <coroscope/inspector/model.hpp>

#include <algorithm>
#include <string>
#include <vector>

namespace gui = coroscope::gui;
namespace inspector = coroscope::inspector;
namespace traces = coroscope::traces;
using test_support::draw_frames;
using test_support::golden_trace;
using test_support::headless_imgui;
using wait_reason = traces::wait_reason;

namespace {

// The graph tab shown, laid out in one frame (`at_once`) or one slice per frame.
void set_up(gui::session& s, gui::ui_state& ui, inspector::model m, bool at_once) {
    s.model = std::move(m);
    s.loaded = true;
    ui.panels.tab = gui::answer_tab::graph;
    ui.panels.tab_requested = true;
    if (at_once) {
        ui.panels.graph.build_slice = std::size_t{1} << 40;
        ui.panels.graph.build_budget_s = 1e9;
    } else {
        ui.panels.graph.build_slice = 1;
        ui.panels.graph.build_budget_s = 0; // run_slices_for takes one slice, then the budget is spent
    }
}

bool laid_out(const gui::ui_state& ui) {
    return !ui.panels.graph.building && ui.panels.graph.shown.generation == ui.panels.cache.graph_generation;
}

// Frames until the graph at the cursor is the one shown; how many it took.
int frames_until_laid_out(gui::session& s, gui::ui_state& ui) {
    int frames = 0;
    do {
        draw_frames(s, ui, 1);
        ++frames;
    } while (!laid_out(ui) && frames < 100000);
    return frames;
}

void check_same(const gui::graph_layout::placement& a, const gui::graph_layout::placement& b) {
    CHECK(a.width == b.width);
    CHECK(a.height == b.height);
    CHECK(a.run_queue == b.run_queue);
    REQUIRE(a.nodes.size() == b.nodes.size());
    for (std::size_t i = 0; i < a.nodes.size(); ++i) {
        INFO("node " << i << " " << a.nodes[i].label);
        CHECK(a.nodes[i].node == b.nodes[i].node);
        CHECK(a.nodes[i].label == b.nodes[i].label);
        CHECK(a.nodes[i].object_reason == b.nodes[i].object_reason);
        CHECK(a.nodes[i].in_cycle == b.nodes[i].in_cycle);
        CHECK(a.nodes[i].column == b.nodes[i].column);
        CHECK((a.nodes[i].x == b.nodes[i].x && a.nodes[i].y == b.nodes[i].y));
        CHECK((a.nodes[i].w == b.nodes[i].w && a.nodes[i].h == b.nodes[i].h));
    }
    REQUIRE(a.links.size() == b.links.size());
    for (std::size_t i = 0; i < a.links.size(); ++i) {
        INFO("link " << i);
        CHECK((a.links[i].from == b.links[i].from && a.links[i].to == b.links[i].to));
        CHECK(a.links[i].reason == b.links[i].reason);
        CHECK((a.links[i].held_by == b.links[i].held_by && a.links[i].inferred == b.links[i].inferred));
        CHECK((a.links[i].ax == b.links[i].ax && a.links[i].ay == b.links[i].ay));
        CHECK((a.links[i].bx == b.links[i].bx && a.links[i].by == b.links[i].by));
    }
}

// The layout against the graph it was made from: a node per endpoint, a link per edge with its
// reason, the cycles' tasks marked, and each node outside them in the column of the longest wait
// chain leading to it (links touching a cycle do not count). With `loops` (a loop the cycles leave
// out), one link of each such loop may point back; otherwise none does.
void check_against_graph(const gui::graph_layout::placement& l, const inspector::wait_graph& g, bool loops = false) {
    REQUIRE(l.links.size() == g.edges.size());
    std::vector<bool> is_endpoint(l.nodes.size(), false);
    for (std::size_t i = 0; i < g.edges.size(); ++i) {
        const auto& link = l.links[i];
        CHECK(l.nodes[link.from].node == g.edges[i].from);
        CHECK(l.nodes[link.to].node == g.edges[i].to);
        CHECK(link.reason == g.edges[i].reason);
        CHECK(link.held_by == g.edges[i].held_by);
        is_endpoint[link.from] = is_endpoint[link.to] = true;
    }
    CHECK(std::all_of(is_endpoint.begin(), is_endpoint.end(), [](bool b) { return b; }));
    for (const auto& c : g.cycles)
        for (std::uint32_t t : c.tasks()) {
            auto it = std::find_if(l.nodes.begin(), l.nodes.end(), [&](const auto& n) {
                return n.node == inspector::wait_node{inspector::node_kind::task, t};
            });
            REQUIRE(it != l.nodes.end());
            CHECK(it->in_cycle);
        }
    std::size_t backwards = 0;
    std::vector<bool> fed_from_previous(l.nodes.size(), false);
    for (const auto& link : l.links) {
        const auto& a = l.nodes[link.from];
        const auto& b = l.nodes[link.to];
        if (a.in_cycle || b.in_cycle) continue;
        if (b.column <= a.column) ++backwards;
        if (b.column == a.column + 1) fed_from_previous[link.to] = true;
    }
    if (!loops) CHECK(backwards == 0);
    for (std::size_t i = 0; i < l.nodes.size(); ++i) {
        const auto& n = l.nodes[i];
        if (n.in_cycle) continue;
        INFO("node " << n.label << " column " << n.column);
        CHECK(n.column < static_cast<int>(l.nodes.size()));
        if (n.column > 0) CHECK(fed_from_previous[i]); // a longest chain: its link in from the column before
    }
}

} // namespace

TEST_CASE("wait-for graph: a layout made in slices over many frames equals one made at once, the earlier one shown meanwhile") {
    headless_imgui imgui;
    for (const char* name : {"philosophers-deadlock.trace", "pipeline.trace", "bugs.trace", "echo.trace", "timers.trace"}) {
        INFO(name);
        gui::session at_once_s, sliced_s;
        gui::ui_state at_once, sliced;
        set_up(at_once_s, at_once, inspector::model(golden_trace(name)), true);
        set_up(sliced_s, sliced, inspector::model(golden_trace(name)), false);
        const std::uint64_t steps = at_once_s.model.step_count();
        std::uint64_t previous_generation = gui::answers_cache::none;
        std::size_t laid = 0;
        for (std::uint64_t step : {steps / 4, steps / 2, steps * 3 / 4, steps}) {
            INFO("step " << step);
            at_once_s.model.seek(step);
            sliced_s.model.seek(step);
            CHECK(frames_until_laid_out(at_once_s, at_once) == 1);
            const gui::graph_layout::placement before = sliced.panels.graph.shown;
            const int frames = frames_until_laid_out(sliced_s, sliced);
            if (!sliced.panels.cache.graph.edges.empty()) {
                // One slice per frame: every edge and every node had one, and the layout shown
                // meanwhile was the one before (checked on a frame of its own below).
                CHECK(frames >= static_cast<int>(sliced.panels.cache.graph.edges.size()));
                ++laid;
            }
            check_same(sliced.panels.graph.shown, at_once.panels.graph.shown);
            check_against_graph(sliced.panels.graph.shown, sliced.panels.cache.graph);
            CHECK(sliced.panels.graph.shown.generation != previous_generation);
            previous_generation = sliced.panels.graph.shown.generation;
            if (step == 0 || before.generation == gui::answers_cache::none || sliced.panels.cache.graph.edges.empty()) continue;
            // Again from the step before this one: its first frames still show this step's layout.
            sliced_s.model.seek(step - 1);
            const gui::graph_layout::placement shown = sliced.panels.graph.shown;
            draw_frames(sliced_s, sliced, 1);
            if (!sliced.panels.cache.graph.edges.empty()) {
                CHECK(sliced.panels.graph.building);
                check_same(sliced.panels.graph.shown, shown);
            }
            frames_until_laid_out(sliced_s, sliced);
            sliced_s.model.seek(step);
            frames_until_laid_out(sliced_s, sliced);
            check_same(sliced.panels.graph.shown, at_once.panels.graph.shown);
        }
        CHECK(laid > 0);
    }
}

TEST_CASE("wait-for graph: the deadlocked philosophers are in the ring, the rest in columns by wait chain") {
    headless_imgui imgui;
    gui::session s;
    gui::ui_state ui;
    set_up(s, ui, inspector::model(golden_trace("philosophers-deadlock.trace")), false);
    // The first step where the philosophers' waits close a cycle (each holds a fork the next waits for).
    std::uint64_t step = 0;
    for (; step <= s.model.step_count(); ++step) {
        s.model.seek(step);
        if (!inspector::wait_graph_at(s.model).cycles.empty()) break;
    }
    INFO("step " << step);
    frames_until_laid_out(s, ui);
    const inspector::wait_graph& g = ui.panels.cache.graph;
    REQUIRE_FALSE(g.cycles.empty());
    check_against_graph(ui.panels.graph.shown, g);
    std::size_t ring = 0;
    for (const auto& n : ui.panels.graph.shown.nodes) ring += n.in_cycle;
    CHECK(ring >= g.cycles[0].awaits.size());
}

TEST_CASE("wait-for graph: a join chain 600 tasks deep is laid out in 600 columns") {
    headless_imgui imgui;
    test_support::event_builder b;
    constexpr std::uint32_t depth = 600;
    for (std::uint32_t t = 1; t <= depth; ++t) b.spawn(t, 0);
    for (std::uint32_t t = 1; t < depth; ++t) {
        b.resume(t);
        b.suspend(t, wait_reason::join, t + 1);
    }
    b.resume(depth);
    b.suspend(depth, wait_reason::event, 7);
    gui::session s;
    gui::ui_state ui;
    set_up(s, ui, inspector::model(b.t), true);
    frames_until_laid_out(s, ui);
    const auto& l = ui.panels.graph.shown;
    check_against_graph(l, ui.panels.cache.graph);
    REQUIRE(l.nodes.size() == depth + 1);
    for (const auto& n : l.nodes) {
        if (n.node.kind != inspector::node_kind::task) continue;
        CHECK(n.column == static_cast<int>(n.node.id) - 1); // task 1 waits longest: a chain of 600 in front of it
    }
}

TEST_CASE("wait-for graph: a loop the cycles leave out (a semaphore held by two, one waiting on it) has a link back, the rest in chain order") {
    headless_imgui imgui;
    test_support::event_builder b;
    b.spawn(1, 0);
    b.spawn(2, 0);
    b.resume(1);
    b.acquire(1, wait_reason::semaphore, 20);
    b.suspend(1, wait_reason::yield);
    b.resume(2);
    b.acquire(2, wait_reason::semaphore, 20);
    b.suspend(2, wait_reason::event, 30);
    b.ready(1, wait_reason::yield);
    b.resume(1);
    b.suspend(1, wait_reason::semaphore, 20); // holds a permit and waits for another
    gui::session s;
    gui::ui_state ui;
    set_up(s, ui, inspector::model(b.t), false);
    frames_until_laid_out(s, ui);
    const inspector::wait_graph& g = ui.panels.cache.graph;
    CHECK(g.cycles.empty()); // two holders: not one link of a chain
    const auto& l = ui.panels.graph.shown;
    check_against_graph(l, g, true);
    // task 1 -> semaphore 20 -> held by 1 and 2; 2 -> event 30. The walk starts at task 1 (first
    // met) and cuts 20 -> 1: the rest follows the waits.
    auto column_of = [&](inspector::node_kind k, std::uint32_t id) {
        for (const auto& n : l.nodes)
            if (n.node == inspector::wait_node{k, id}) return n.column;
        FAIL("no node " << id);
        return -1;
    };
    CHECK(column_of(inspector::node_kind::task, 1) == 0);
    CHECK(column_of(inspector::node_kind::object, 20) == 1);
    CHECK(column_of(inspector::node_kind::task, 2) == 2);
    CHECK(column_of(inspector::node_kind::object, 30) == 3);
}

TEST_CASE("wait-for graph: a resource's node is named by its lane, a timer by its id") {
    headless_imgui imgui;
    gui::session s;
    gui::ui_state ui;
    set_up(s, ui, inspector::model(golden_trace("echo.trace")), true);
    draw_frames(s, ui, 1);
    std::size_t resources = 0;
    const std::uint64_t steps = s.model.step_count();
    for (std::uint64_t step = 0; step <= steps; ++step) {
        s.model.seek(step);
        frames_until_laid_out(s, ui);
        for (const auto& n : ui.panels.graph.shown.nodes) {
            if (n.node.kind == inspector::node_kind::timer) {
                CHECK(n.label == "timer " + std::to_string(n.node.id));
            }
            if (n.node.kind != inspector::node_kind::resource) continue;
            const auto& lanes = ui.panels.cache.resources;
            auto lane = std::find_if(lanes.begin(), lanes.end(), [&](const auto& r) { return r.id == n.node.id; });
            REQUIRE(lane != lanes.end());
            std::string expected = std::string(traces::to_string(lane->kind)) + " " + std::to_string(lane->id);
            if (lane->label != 0) expected += " " + std::string(s.model.text(lane->label));
            CHECK(n.label == expected);
            ++resources;
        }
    }
    CHECK(resources > 0);
}

TEST_CASE("wait-for graph: a join on a task id the trace never spawned is laid out with that id's label") {
    headless_imgui imgui;
    test_support::event_builder b;
    // A corrupt target, far past the tasks the trace has: the graph's label table does not grow to
    // it. (Not 4e9: the lints' fold sizes its own table by task id and throws bad_alloc there.)
    constexpr std::uint32_t bad = 50000;
    b.spawn(1, 0, "main");
    b.resume(1);
    b.suspend(1, wait_reason::join, bad);
    gui::session s;
    gui::ui_state ui;
    set_up(s, ui, inspector::model(b.t), true);
    frames_until_laid_out(s, ui);
    const auto& l = ui.panels.graph.shown;
    check_against_graph(l, ui.panels.cache.graph);
    REQUIRE(l.nodes.size() == 2);
    CHECK(l.nodes[0].label == gui::task_label(s.model, 1));
    CHECK(l.nodes[1].node == inspector::wait_node{inspector::node_kind::task, bad});
    CHECK(l.nodes[1].label == gui::task_label(s.model, bad));
    CHECK(ui.panels.graph.task_labels.size() <= s.model.history().tasks().size() + 1);
}

TEST_CASE("wait-for graph: a graph computed while another is laid out waits for it, then is laid out itself") {
    headless_imgui imgui;
    // Three steps of the pipeline golden whose graphs differ, each laid out at once for reference.
    gui::session at_once_s, sliced_s;
    gui::ui_state at_once, sliced;
    set_up(at_once_s, at_once, inspector::model(golden_trace("pipeline.trace")), true);
    set_up(sliced_s, sliced, inspector::model(golden_trace("pipeline.trace")), false);
    const std::uint64_t steps = at_once_s.model.step_count();
    std::vector<std::uint64_t> chosen;
    std::vector<gui::graph_layout::placement> reference;
    for (std::uint64_t step = 0; step <= steps && chosen.size() < 3; ++step) {
        at_once_s.model.seek(step);
        frames_until_laid_out(at_once_s, at_once);
        const auto& l = at_once.panels.graph.shown;
        if (l.links.empty() || (!reference.empty() && l.links.size() == reference.back().links.size())) continue;
        chosen.push_back(step);
        reference.push_back(l);
    }
    REQUIRE(chosen.size() == 3);
    sliced_s.model.seek(chosen[0]);
    frames_until_laid_out(sliced_s, sliced);
    check_same(sliced.panels.graph.shown, reference[0]);
    sliced_s.model.seek(chosen[1]);
    draw_frames(sliced_s, sliced, 1);
    REQUIRE(sliced.panels.graph.building);
    const std::uint64_t second = sliced.panels.graph.next.generation;
    sliced_s.model.seek(chosen[2]); // while the second is being laid out
    int frames = 0;
    while (sliced.panels.graph.building && frames < 100000) {
        draw_frames(sliced_s, sliced, 1);
        ++frames;
        if (sliced.panels.graph.building) check_same(sliced.panels.graph.shown, reference[0]);
    }
    CHECK(sliced.panels.graph.shown.generation == second);
    check_same(sliced.panels.graph.shown, reference[1]);
    frames_until_laid_out(sliced_s, sliced);
    check_same(sliced.panels.graph.shown, reference[2]);
}
