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

void refresh_answers(const inspector::model& m, answers_cache& cache, double now_s, bool live) {
    const std::uint64_t events = m.trace().events.size();
    const std::uint64_t last_ts = m.history().last_ts();
    // A trace that grew since the last pass (live) waits for the refresh interval; a new or first one does not.
    bool grew = live && cache.trace_events != answers_cache::none && events > cache.trace_events;
    if ((cache.trace_events != events || cache.trace_last_ts != last_ts) &&
        (!grew || now_s - cache.trace_computed_s >= std::max(live_refresh_s, live_refresh_cost_factor * cache.trace_cost_s))) {
        cache.trace_computed_s = now_s;
        const auto start = std::chrono::steady_clock::now();
        cache.stats = inspector::compute_stats(m);
        cache.lints = inspector::run_lints(m);
        cache.resources = inspector::resource_lanes(m);
        cache.trace_cost_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        ++cache.trace_generation;
        cache.trace_events = events;
        cache.trace_last_ts = last_ts;
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
