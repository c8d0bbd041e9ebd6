// The answers area: a tab bar over the panels that answer "who waits on whom, who spawned whom,
// what the loop polls, what happened, where the time went, what went wrong". ImGui 1.86 from
// Debian has no docking branch, so the panels share one area as tabs.
#include "app.hpp"
#include "panels.hpp"
#include "theme.hpp"

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
}

void feed_folds(const inspector::model& m, answers_cache& cache, std::uint64_t to) {
    cache.stats_fold.feed(m, to);
    cache.lints_fold.feed(m, to);
    cache.resources_fold.feed(m, to);
    if (to > 0) cache.fold_last = m.trace().events[to - 1];
}

} // namespace

void refresh_answers(const inspector::model& m, answers_cache& cache, double now_s, bool live) {
    const std::uint64_t events = m.trace().events.size();
    const std::uint64_t last_ts = m.history().last_ts();
    restart_folds_if_replaced(m, cache);
    // Fold what is new: all of it in a replay; live, slices until the frame's budget is spent.
    std::uint64_t fed = cache.stats_fold.next();
    if (fed < events) {
        if (!live) {
            feed_folds(m, cache, events);
        } else {
            const double budget = events > cache.fold_seen_events ? cache.fold_budget_s : cache.fold_idle_budget_s;
            const auto start = std::chrono::steady_clock::now();
            do {
                feed_folds(m, cache, std::min(events, fed + std::max<std::uint64_t>(cache.fold_slice, 1)));
                fed = cache.stats_fold.next();
            } while (fed < events && std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < budget);
        }
        fed = cache.stats_fold.next();
    }
    cache.fold_seen_events = events;
    // Publish: at once in a replay and for the first answers; live, at the refresh interval (and
    // ten times the last publication's cost). A trace whose last timestamp moved without new events
    // is new too (the open waits' ends).
    const bool caught_up = fed == events;
    const bool changed = cache.trace_events != fed || (caught_up && cache.trace_last_ts != last_ts);
    const bool first = cache.trace_events == answers_cache::none;
    if (changed &&
        (!live || first ||
         now_s - cache.trace_computed_s >= std::max(live_refresh_s, live_refresh_cost_factor * cache.trace_cost_s))) {
        cache.trace_computed_s = now_s;
        const auto start = std::chrono::steady_clock::now();
        cache.stats = cache.stats_fold.result(m);
        cache.lints = cache.lints_fold.result(m);
        cache.resources = cache.resources_fold.result();
        cache.trace_cost_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        ++cache.trace_generation;
        cache.trace_events = fed;
        cache.trace_last_ts = caught_up ? last_ts : answers_cache::none;
        cache.graph_events = answers_cache::none; // holders depend on the events too
    }
    // Following a live program the cursor moves with every step: refresh at the interval then.
    bool moving = live && m.following() && cache.graph_events != answers_cache::none;
    if ((cache.graph_events != events || cache.graph_cursor != m.cursor()) &&
        (!moving || now_s - cache.graph_computed_s >= live_refresh_s)) {
        cache.graph_computed_s = now_s;
        cache.graph = inspector::wait_graph_at(m);
        ++cache.graph_generation;
        cache.graph_events = events;
        cache.graph_cursor = m.cursor();
    }
}

void draw_answer_tabs(session& s, ui_state& ui) {
    panels_state& p = ui.panels;
    refresh_answers(s.model, p.cache, ImGui::GetTime(), s.live != nullptr);

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
