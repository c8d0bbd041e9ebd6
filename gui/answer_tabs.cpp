// The answers area: a tab bar over the panels that answer "who waits on whom, who spawned whom,
// what the loop polls, what happened, where the time went, what went wrong". ImGui 1.86 from
// Debian has no docking branch, so the panels share one area as tabs.
#include "app.hpp"
#include "panels.hpp"
#include "theme.hpp"
#include "time_budget.hpp"

#include <coroscope/inspector/model.hpp>

#include <imgui.h>

#include <algorithm>
#include <chrono>

namespace coroscope::gui {

namespace {

constexpr std::array<std::string_view, answer_tab_count> tab_names{"graph", "spawn-tree", "resources",
                                                                   "events", "stats", "lints"};

} // namespace

std::string_view to_string(answer_tab t) { return tab_names[static_cast<std::size_t>(t)]; }

bool parse_answer_tab(std::string_view name, answer_tab& out) {
    for (std::size_t i = 0; i < tab_names.size(); ++i) {
        if (tab_names[i] == name) {
            out = static_cast<answer_tab>(i);
            return true;
        }
    }
    return false;
}

trace_key trace_key::of(const inspector::model& m) {
    return trace_key{m.trace().events.size(), m.history().last_ts(), m.history().tasks().data()};
}

std::uint64_t answers_cache::behind(const inspector::model& m) const {
    const std::uint64_t events = m.trace().events.size(), fed = stats_fold.next();
    return fed > events ? events : events - fed;
}

namespace {

// The folds go on from where they stopped when m is the model they folded, grown; any other model
// (a file opened, a new live session) starts them again. The last event they took identifies it.
void restart_folds_if_replaced(const inspector::model& m, answers_cache& cache) {
    const std::uint64_t fed = cache.stats_fold.next();
    const auto& events = m.trace().events;
    if (fed == 0 || (fed <= events.size() && events[fed - 1] == cache.fold_last)) return;
    cache.stats_fold = {};
    cache.lints_fold = inspector::lint_builder{};
    cache.resources_fold = {};
    cache.trace_events = answers_cache::none;
    cache.trace_last_ts = answers_cache::none;
    cache.fold_seen_events = 0;
    cache.publish_step = 0; // a publication under way was of the other model's folds
}

void feed_folds(const inspector::model& m, answers_cache& cache, std::uint64_t to) {
    cache.stats_fold.feed(m, to);
    cache.lints_fold.feed(m, to);
    cache.resources_fold.feed(m, to);
    if (to > 0) cache.fold_last = m.trace().events[to - 1];
}

} // namespace

void refresh_answers(const inspector::model& m, answers_cache& cache, double now_s, bool live, frame_budget* frame) {
    const std::uint64_t events = m.trace().events.size();
    const std::uint64_t last_ts = m.history().last_ts();
    restart_folds_if_replaced(m, cache);
    using clock = std::chrono::steady_clock;
    std::uint64_t fed = cache.stats_fold.next();
    // Live, the folds and the publication get one budget per frame (the timeline and the tabs
    // both ask: the second call in a frame only reads).
    // With a frame budget the folds wait for the frame's last call, after the panels were drawn
    // (draw_app): they take what this frame's drawing left. The panels' calls only read.
    const bool may_work = !frame || frame->panels_are_drawn();
    const bool second_call = live && (now_s == cache.refreshed_s || !may_work);
    if (may_work) cache.refreshed_s = now_s;
    // The frame's share when the window gives one (what the drain and drawing left), else the cache's.
    const double budget = frame ? frame->left_s()
                          : events > cache.fold_seen_events ? cache.fold_budget_s
                                                            : cache.fold_idle_budget_s;
    const auto work_start = clock::now();
    cache.fold_seen_events = events;
    // Publish: in a replay at once; live, the first answers after the first frame's fold, then at
    // the refresh interval (and ten times the last publication's cost), in steps against the
    // frame's deadline, the folds waiting meanwhile: the stats' rows, the lints' findings, then the
    // resource lanes (each as many frames as its deadline needs). A trace whose last timestamp
    // moved without new events is new too (the open waits' ends).
    auto publish = [&](clock::time_point deadline) {
        const auto start = clock::now();
        if (cache.publish_step == 0) {
            cache.publishing_cost_s = 0;
            cache.publish_step = 1;
            cache.publish_started_s = now_s;
        }
        bool more = true;
        while (more) {
            switch (cache.publish_step) {
            case 1:
                if (cache.stats_fold.publish(m, cache.stats, deadline)) cache.publish_step = 2;
                else more = false;
                break;
            case 2:
                if (cache.lints_fold.publish(m, cache.lints, deadline)) cache.publish_step = 3;
                else more = false;
                break;
            default:
                if (!cache.resources_fold.publish(cache.resources, deadline)) {
                    more = false;
                    break;
                }
                cache.publish_step = 0;
                ++cache.trace_generation;
                cache.trace_events = fed;
                cache.trace_last_ts = fed == events ? last_ts : answers_cache::none;
                cache.graph_events = answers_cache::none; // holders depend on the events too
                more = false;
                break;
            }
            if (live && more) more = clock::now() < deadline; // the next step in the next frame
        }
        cache.publishing_cost_s += std::chrono::duration<double>(clock::now() - start).count();
        if (cache.publish_step == 0) {
            cache.trace_cost_s = cache.publishing_cost_s;
            cache.trace_computed_s = now_s;
        }
    };
    if (!live) {
        if (fed < events) feed_folds(m, cache, events);
        fed = cache.stats_fold.next();
        if (cache.trace_events != fed || cache.trace_last_ts != last_ts) publish(clock::time_point::max());
    } else if (!second_call) {
        const auto deadline = clock::now() + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(budget));
        if (cache.publish_step != 0) {
            publish(deadline); // the publication under way goes on; the folds wait
        } else {
            const bool first = cache.trace_events == answers_cache::none;
            const bool due =
                now_s - cache.trace_computed_s >= std::max({live_refresh_s, live_refresh_cost_factor * cache.trace_cost_s,
                                                            live_refresh_span_factor * (cache.trace_computed_s - cache.publish_started_s)});
            const bool unpublished = cache.trace_events != fed || (fed == events && cache.trace_last_ts != last_ts);
            // A trace that ended, every event folded: its final answers do not wait for the interval
            // (the program exited; there is nothing more to throttle).
            const bool complete = fed == events && m.history().ended();
            const bool publish_now = !first && unpublished && (due || complete);
            if (!publish_now && fed < events) {
                // Fold what is new in slices while the next fits in the frame's budget.
                bool stopped = false;
                run_slices_for(budget, [&]() -> std::uint64_t {
                    const std::uint64_t from = cache.stats_fold.next();
                    if (from >= events) return 0;
                    feed_folds(m, cache, std::min(events, from + std::max<std::uint64_t>(cache.fold_slice, 1)));
                    return cache.stats_fold.next() - from;
                }, stopped);
                fed = cache.stats_fold.next();
            }
            // The first answers as soon as one frame's fold is in (in steps too: thousands of tasks
            // can be known by then); later ones start in a frame that did not fold.
            if (first || publish_now) publish(deadline);
        }
        fed = cache.stats_fold.next();
        if (frame) frame->spend(std::chrono::duration<double>(clock::now() - work_start).count());
    }
    // Following a live program the cursor moves with every step: refresh at the interval then, from
    // the lint fold, which keeps the state and the lock holders wait_graph_at would fold from the
    // first event (O(trace) each time): the graph after the events folded so far, == wait_graph_at(m)
    // once the folds caught up. Anywhere else (a replay, a live view paused on an earlier step) the
    // graph at the cursor, when it or the trace moved, from the index's nearest saved fold.
    // With a frame budget it is work like the folds (the frame's last call, charged to the budget),
    // and waits for a frame with room for its last cost, up to graph_wait_factor intervals.
    if (live && m.following()) {
        const double age = now_s - cache.graph_computed_s;
        const bool room = !frame || frame->left_s() >= cache.graph_cost_s || age >= graph_wait_factor * live_refresh_s;
        if ((cache.graph_events != fed || cache.graph_cursor != m.cursor()) && may_work &&
            (cache.graph_events == answers_cache::none || (age >= live_refresh_s && room))) {
            const auto start = clock::now();
            cache.graph_computed_s = now_s;
            cache.graph = cache.lints_fold.graph();
            ++cache.graph_generation;
            cache.graph_events = fed;
            cache.graph_cursor = m.cursor();
            cache.graph_cost_s = std::chrono::duration<double>(clock::now() - start).count();
            if (frame) frame->spend(cache.graph_cost_s);
        }
    } else if (cache.graph_events != events || cache.graph_cursor != m.cursor()) {
        cache.graph_computed_s = now_s;
        cache.graph = cache.graph_index.at(m, m.cursor_event()); // == wait_graph_at(m)
        ++cache.graph_generation;
        cache.graph_events = events;
        cache.graph_cursor = m.cursor();
    }
}

void draw_answer_tabs(session& s, ui_state& ui) {
    panels_state& p = ui.panels;
    refresh_answers(s.model, p.cache, ImGui::GetTime(), s.live != nullptr, &s.frame);

    // Counts in the tab titles say where there is something to look at without opening it.
    std::array<std::string, answer_tab_count> titles;
    std::size_t cycles = p.cache.graph.cycles.size();
    titles[0] = cycles ? "Wait-for graph (" + std::to_string(cycles) + " cycle" + (cycles > 1 ? "s" : "") + ")###graph"
                       : std::string("Wait-for graph###graph");
    titles[1] = "Spawn tree###spawn-tree";
    titles[2] = "Resources (" + std::to_string(p.cache.resources.size()) + ")###resources";
    titles[3] = "Event log###events";
    titles[4] = "Stats###stats";
    titles[5] = "Lints (" + std::to_string(p.cache.lints.size()) + ")###lints";

    if (!ImGui::BeginTabBar("answers", ImGuiTabBarFlags_FittingPolicyScroll)) return;
    for (int i = 0; i < answer_tab_count; ++i) {
        auto tab = static_cast<answer_tab>(i);
        ImGuiTabItemFlags flags = p.tab_requested && p.tab == tab ? ImGuiTabItemFlags_SetSelected : 0;
        if (i == 5 && !p.cache.lints.empty()) ImGui::PushStyleColor(ImGuiCol_Text, to_vec4(color_lint));
        if (i == 0 && cycles) ImGui::PushStyleColor(ImGuiCol_Text, to_vec4(color_cycle));
        bool open = ImGui::BeginTabItem(titles[static_cast<std::size_t>(i)].c_str(), nullptr, flags);
        if ((i == 5 && !p.cache.lints.empty()) || (i == 0 && cycles)) ImGui::PopStyleColor();
        if (!open) continue;
        if (!p.tab_requested) p.tab = tab;
        ImGui::BeginChild("tab_body", ImVec2(0, 0), false);
        switch (tab) {
        case answer_tab::graph: draw_wait_graph_panel(s, ui); break;
        case answer_tab::spawn_tree: draw_spawn_tree_panel(s, ui); break;
        case answer_tab::resources: draw_resources_panel(s, ui); break;
        case answer_tab::events: draw_event_log_panel(s, ui); break;
        case answer_tab::stats: draw_stats_panel(s, ui); break;
        case answer_tab::lints: draw_lints_panel(s, ui); break;
        }
        ImGui::EndChild();
        ImGui::EndTabItem();
    }
    p.tab_requested = false;
    ImGui::EndTabBar();
}

} // namespace coroscope::gui
