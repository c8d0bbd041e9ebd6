#pragma once
// The answer panels (spawn tree, wait-for graph, resources, event log, stats, lints), the tab bar
// that hosts them, and what they remember. Their state is one member of ui_state (panels_state);
// the inspector's answers they draw are computed once per change of the trace, not per frame.
#include "state_colors.hpp"

#include <coroscope/inspector/lints.hpp>
#include <coroscope/inspector/resources.hpp>
#include <coroscope/inspector/stats.hpp>
#include <coroscope/inspector/wait_graph.hpp>
#include <coroscope/traces/event.hpp>

#include <array>
#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace coroscope::inspector {
class model;
}

namespace coroscope::gui {

struct session;
struct ui_state;

// The tabs of the answers area, in the order shown.
enum class answer_tab : int { graph, spawn_tree, resources, events, stats, lints };
inline constexpr int answer_tab_count = 6;
std::string_view to_string(answer_tab t);                    // "graph", "spawn-tree", ...
bool parse_answer_tab(std::string_view name, answer_tab& out); // the --panel names

// Whole-trace answers (stats, lints, resource lanes) depend only on the events, so they are
// recomputed when the trace grows or is replaced; the wait-for graph also depends on the cursor.
struct answers_cache {
    static constexpr std::uint64_t none = std::numeric_limits<std::uint64_t>::max();
    std::uint64_t trace_events = none;   // events().size() the whole-trace answers were built from
    std::uint64_t trace_last_ts = none;
    inspector::trace_stats stats;
    std::vector<inspector::lint_finding> lints;
    std::vector<inspector::resource_lane> resources;

    std::uint64_t graph_events = none;   // events().size() and cursor the graph was built at
    std::uint64_t graph_cursor = none;
    inspector::wait_graph graph;
    double trace_computed_s = -1e9, graph_computed_s = -1e9; // when (now_s) they were last computed

    // Event log rows: indices of the events that pass the filter.
    std::uint64_t rows_events = none;
    std::uint64_t rows_filter = none;    // hash of the filter the rows were built with
    std::vector<std::uint64_t> rows;
};

struct panels_state {
    answer_tab tab = answer_tab::graph;  // the tab shown
    bool tab_requested = false;          // select `tab` on the next frame (--panel, a click elsewhere)

    // Event log filter: one task (0 = all), or the selected task; and which kinds are shown.
    int log_task = 0;
    bool log_selected_only = false;
    std::array<bool, traces::event_kind_count> log_kinds = all_kinds();
    std::uint64_t log_revealed_cursor = answers_cache::none; // scroll to the cursor's row when it moves

    std::uint32_t tree_revealed = 0;     // the spawn tree scrolls to the selection when it differs

    bool stats_selected_only = true;     // stats: the selected task's histograms (else only totals)

    // Tasks table: a name filter (substring), a state filter and the sort the table last applied.
    std::array<char, 64> tasks_name_filter{};
    int tasks_state_filter = 0;          // 0 all, 1 ready, 2 running, 3 waiting, 4 done, 5 failed, 6 not spawned yet

    std::set<std::uint32_t> timeline_collapsed; // timeline: tasks whose spawned tasks' lanes are hidden

    answers_cache cache;

    static std::array<bool, traces::event_kind_count> all_kinds() {
        std::array<bool, traces::event_kind_count> a{};
        a.fill(true);
        return a;
    }
};

// Brings the cached answers up to date with the model (cheap when nothing changed). While events
// stream in (`live`), they are recomputed at most every `live_refresh_s` seconds of `now_s`: each is
// a pass over the whole trace. A replay (a file, however it was loaded) is never throttled.
inline constexpr double live_refresh_s = 0.5;
void refresh_answers(const inspector::model& m, answers_cache& cache, double now_s, bool live);

// The tab bar and the panel of the chosen tab (answer_tabs.cpp).
void draw_answer_tabs(session& s, ui_state& ui);

// Panels, one file each; each draws into the current window/child.
void draw_spawn_tree_panel(session& s, ui_state& ui);
void draw_wait_graph_panel(session& s, ui_state& ui);
void draw_resources_panel(session& s, ui_state& ui);
void draw_event_log_panel(session& s, ui_state& ui);
void draw_stats_panel(session& s, ui_state& ui);
void draw_lints_panel(session& s, ui_state& ui);

// Colors the panels share with the tests that look for them in screenshots.
inline constexpr rgb color_cycle{255, 40, 40};           // a deadlock cycle's edges and nodes
inline constexpr rgb color_histogram{96, 176, 255};      // stats bars: all tasks
inline constexpr rgb color_histogram_task{250, 210, 90}; // stats bars: the selected task
inline constexpr rgb color_log_cursor{40, 96, 168};      // the event log row at the cursor
inline constexpr rgb color_lint{236, 110, 60};           // lint kind labels

} // namespace coroscope::gui
