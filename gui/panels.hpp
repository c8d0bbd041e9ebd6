#pragma once
// The answer panels (spawn tree, wait-for graph, resources, event log, stats, lints), the tab bar
// that hosts them, and what they remember. Their state is one member of ui_state (panels_state);
// the inspector's answers they draw are computed once per change of the trace, not per frame.
#include "state_colors.hpp"

#include <coroscope/inspector/lints.hpp>
#include <coroscope/inspector/resources.hpp>
#include <coroscope/inspector/stats.hpp>
#include <coroscope/inspector/wait_graph.hpp>
#include <coroscope/inspector/wait_graph_index.hpp>
#include <coroscope/traces/event.hpp>

#include <array>
#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace coroscope::inspector {
class model;
}

namespace coroscope::gui {

struct session;
struct ui_state;
class frame_budget;

// The tabs of the answers area, in the order shown.
enum class answer_tab : int { graph, spawn_tree, resources, events, stats, lints };
inline constexpr int answer_tab_count = 6;
std::string_view to_string(answer_tab t);                    // "graph", "spawn-tree", ...
bool parse_answer_tab(std::string_view name, answer_tab& out); // the --panel names

// Whole-trace answers (stats, lints, resource lanes) depend only on the events: folds that take
// each event once (inspector::stats_builder, lint_builder, resource_builder) follow the trace as it
// grows and restart when it is replaced; their results are published here. The wait-for graph
// also depends on the cursor.
struct answers_cache {
    static constexpr std::uint64_t none = std::numeric_limits<std::uint64_t>::max();
    std::uint64_t trace_events = none;   // the events the published answers were built from (the first N)
    std::uint64_t trace_last_ts = none;  // history().last_ts() then, when they were all the trace had
    std::uint64_t trace_generation = 0;  // bumped each time stats, lints and resources are published
    inspector::trace_stats stats;
    std::vector<inspector::lint_finding> lints;
    std::vector<inspector::resource_lane> resources;

    // The folds behind them, and the last event they took (to tell the same model grown from
    // another one put in its place).
    inspector::stats_builder stats_fold;
    inspector::lint_builder lints_fold;
    inspector::resource_builder resources_fold;
    traces::event fold_last{};
    // Live: events are fed to the folds in slices of fold_slice while the next one should still fit
    // in the frame's budget (frame_budget: what the drain and the drawing leave), or, called without
    // one, in fold_budget_s (fold_idle_budget_s in a frame where the trace did not grow: catching
    // up); a frame that publishes spends the same budget on it instead. Slices are small because a
    // frame's first one runs whatever it costs (~0.25 ms usually; thousands of tasks appearing at
    // once cost ~10x that).
    std::uint64_t fold_slice = 1024;
    double fold_budget_s = 0.0015, fold_idle_budget_s = 0.003;
    std::uint64_t fold_seen_events = 0;  // the trace's events at the previous refresh
    double refreshed_s = -1;             // now_s of the last refresh (live: one fold per frame)
    int publish_step = 0;                // the publication under way: 0 none, 1 stats, 2 lints, 3 resources
    double publishing_cost_s = 0;        // its cost so far (wall clock)
    // Events of m the folds have not taken yet (live, shown while the answers catch up).
    std::uint64_t behind(const inspector::model& m) const;

    std::uint64_t graph_events = none;   // events().size() and cursor the graph was built at
    std::uint64_t graph_cursor = none;
    std::uint64_t graph_generation = 0;  // bumped each time `graph` is recomputed (its layout follows)
    inspector::wait_graph_index graph_index; // the graph at the cursor without a fold from the first event
    inspector::wait_graph graph;
    double trace_computed_s = -1e9, graph_computed_s = -1e9; // when (now_s) they were last computed
    double graph_cost_s = 0; // the live graph's last rebuild (wall clock)
    double trace_cost_s = 0;             // how long (wall clock) the last publication of stats, lints and resources took, all its slices
    double publish_started_s = 0;        // now_s when the publication under way (or the last) began:
                                         // the last one spanned trace_computed_s - publish_started_s

    // Event log rows: indices of the events that pass the filter. While the same model grows (live),
    // only the new events are filtered and appended.
    std::uint64_t rows_events = none;
    const void* rows_tasks_data = nullptr; // history().tasks().data() when they were built: another model
    std::uint64_t rows_filter = none;    // hash of the filter the rows were built with
    std::vector<std::uint64_t> rows;
};

// Which state of which model a cache was built from: the events it had, the last timestamp and the
// address of its task table (a model loaded in place of another has other tasks). Events are only
// ever appended to a model, so an equal key means the same trace.
struct trace_key {
    std::uint64_t events = answers_cache::none, last_ts = 0;
    const void* tasks_data = nullptr;
    static trace_key of(const inspector::model& m);
    bool operator==(const trace_key&) const = default;
};

// The resources tab's rows: each lane (answers_cache::resources), and under an opened lane a header
// row and one row per wait; rebuilt when the lanes are recomputed or the opened set changes. Who
// waits on each lane and who sleeps depend on the cursor: rebuilt when it or the trace moves.
struct resource_rows {
    std::uint64_t generation = answers_cache::none; // answers_cache::trace_generation of the lanes
    std::set<std::uint32_t> opened;      // the opened lanes (resource ids) the rows were built with
    std::vector<std::size_t> first_row;  // per lane: its row; the rows up to the next lane's are its waits
    std::size_t total = 0;               // rows
    std::uint64_t slowest = 1;           // the largest ready -> resume p99 (the bars' scale)
    std::vector<std::string> names;      // per lane: "tcp 3  127.0.0.1:7000"

    std::uint64_t state_generation = answers_cache::none; // the lanes, trace and cursor the waiters are of
    trace_key state_trace;
    std::uint64_t state_cursor = answers_cache::none;
    std::vector<std::string> waiters;    // per lane: the tasks waiting on it at the cursor ("" = none):
                                         // the first waiters_named labels, then " and N more"
    static constexpr std::size_t waiters_named = 6;
    std::vector<std::uint32_t> sleepers; // the tasks sleeping at the cursor, by id
};

// The lints tab's counts per kind (per computation of the lints) and the finding shown whole under
// the table: the first one at the cursor's step for the selected task.
struct lint_rows {
    std::uint64_t generation = answers_cache::none; // answers_cache::trace_generation of the counts
    std::array<std::size_t, inspector::lint_kind_count> counts{};
    std::uint64_t here_generation = answers_cache::none, here_cursor = answers_cache::none;
    std::uint32_t here_task = 0;
    std::size_t here = 0;                // index into answers_cache::lints; == its size: none
};

// The wait-for graph placed on its canvas (columns by wait-chain depth, cycles in a ring): laid out
// once per graph and font size, then each frame draws only what crosses the visible part. A big
// graph (following a live program: thousands of waits at each refresh) is laid out over several
// frames, in slices of build_slice edges or nodes while the next fits in build_budget_s of the
// frame (run_slices_for, time_budget.hpp); the previous layout stays on screen until it is done, and
// a graph computed meanwhile (a step each frame) is laid out next: the one on screen is never more
// than one layout behind.
struct graph_layout {
    struct node {
        inspector::wait_node node;
        std::string label;
        traces::wait_reason object_reason = traces::wait_reason::none; // objects: their kind, from a wait on them
        bool in_cycle = false;
        int column = 0;
        float x = 0, y = 0, w = 0, h = 0; // top-left and size on the canvas
    };
    struct link {
        std::size_t from = 0, to = 0;     // node indices of the graph's edge with the same index
        traces::wait_reason reason = traces::wait_reason::none; // that edge's: what `from` waits for
        bool held_by = false, inferred = false;                 // that edge's
        float ax = 0, ay = 0, bx = 0, by = 0; // the arrow on the canvas, node border to node border
    };
    // One layout of one graph: what a frame draws.
    struct placement {
        std::uint64_t generation = answers_cache::none; // answers_cache::graph_generation it was built from
        float font_size = 0;
        std::vector<node> nodes;
        std::vector<link> links;
        float width = 0, height = 0;      // the canvas
        std::string run_queue;            // "3, 5, 8" for the header
    };
    placement shown;                      // drawn
    placement next;                       // being made while `building`
    inspector::wait_graph graph;          // the graph it is made of (a newer one waits for it to be done)
    bool building = false;
    int stage = 0;                        // of the one being made (wait_graph_panel.cpp)
    std::size_t done = 0;                 // edges or nodes of that stage done
    std::vector<std::size_t> ring;        // its nodes in cycles, in cycle order
    std::size_t build_slice = 1024;
    double build_budget_s = 0.002;
    // Nodes' labels and their text sizes, kept across layouts of the same model and font (a
    // task's label is fixed once it is spawned, and a task in the graph was; an object's by its
    // id; a resource's once the published lanes name it; a timer's is made each time: each sleep
    // arms a new one).
    struct sized_label {
        std::string text;
        float w = 0, h = 0;
    };
    std::vector<sized_label> task_labels;                        // by task id; text "" = not made yet
    std::unordered_map<std::uint64_t, sized_label> other_labels; // objects and resources: by kind, object kind and id
    const void* task_labels_model = nullptr; // history().tasks().data() when they were made
    float task_labels_font = 0;
    // A layout's working memory (hash slots, links by node, the columns' walk), kept between
    // layouts: memory fresh from the system costs a page fault per 4 KiB page, which made most of a
    // 15 000-node refresh.
    struct scratch_space {
        std::vector<std::uint64_t> keys;
        std::vector<std::uint32_t> values, out_begin, out, fill, waits_in, order;
        std::vector<std::pair<std::uint32_t, std::uint32_t>> path;
        std::vector<char> cut, walk;
    } scratch;
};

// What the tasks table shows, in order: the known tasks that pass the name and state filters,
// sorted by the sort column. Rebuilt by update_task_table() only when its inputs change.
enum class task_column : int { id, name, state, wait, parent, steps };
struct task_table {
    std::uint64_t events = answers_cache::none, last_ts = 0; // the trace the rows were built from
    const void* tasks_data = nullptr;                       // history().tasks().data(): a new model
    std::uint64_t cursor = answers_cache::none;             // only when the rows depend on it (else none)
    std::string name_filter;
    int state_filter = -1;
    task_column sort_column = task_column::id;
    bool sort_descending = false;
    std::vector<std::uint32_t> rows;                        // task ids, in display order
    std::size_t total = 0;                                  // known tasks (before the filters)
    // Counts per state at the cursor (ready, running, waiting, done), failed, and not spawned yet.
    std::uint64_t counts_cursor = answers_cache::none;
    std::array<std::size_t, 4> counts{};
    std::size_t failed = 0, unborn = 0;
};

// The timeline's task lanes in spawn-tree order under their spawner, the children of collapsed
// tasks left out. Rebuilt only when the tasks or the collapsed set change.
struct timeline_lanes {
    struct lane {
        std::uint32_t task = 0;
        int depth = 0;
        bool has_children = false;
        bool collapsed = false;
    };
    std::uint64_t events = answers_cache::none, last_ts = 0;
    const void* tasks_data = nullptr;
    std::set<std::uint32_t> collapsed;    // the set they were built with
    std::vector<lane> lanes;
    std::vector<int> row_of;              // task id -> lane index, -1 = hidden (under a collapsed spawner)
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
                                         // (its rows are the timeline's lanes: `lanes` below)

    std::set<std::uint32_t> resources_opened; // resources: the lanes (resource ids) opened into their waits
    resource_rows resources;             // the rows shown (resources_panel.cpp)
    lint_rows lints;                     // lints: counts and the finding at the cursor (lints_panel.cpp)

    bool stats_selected_only = true;     // stats: the selected task's histograms (else only totals)

    // Tasks table: a name filter (substring, any case), a state filter and the sort (the table's
    // header clicks write it; set it here to sort without a click).
    std::array<char, 64> tasks_name_filter{};
    int tasks_state_filter = 0;          // 0 all, 1 ready, 2 running, 3 waiting, 4 done, 5 failed, 6 not spawned yet
    task_column tasks_sort = task_column::id;
    bool tasks_sort_descending = false;
    bool tasks_sort_synced = false;      // the table's header was set from tasks_sort once (first frame)
    task_table tasks;                    // the rows shown (update_task_table)

    std::set<std::uint32_t> timeline_collapsed; // timeline and spawn tree: tasks whose spawned tasks are hidden
    timeline_lanes lanes;                // the lanes and spawn tree rows shown (update_timeline_lanes)

    answers_cache cache;
    graph_layout graph;                  // the wait-for graph's layout (wait_graph_panel.cpp)

    static std::array<bool, traces::event_kind_count> all_kinds() {
        std::array<bool, traces::event_kind_count> a{};
        a.fill(true);
        return a;
    }
};

// Brings the cached answers up to date with the model (cheap when nothing changed). A replay (a
// file, however it was loaded) folds every new event and publishes at once. While events stream in
// (`live`), each call folds only a time-bounded slice (answers_cache::fold_budget_s), so a huge
// stream never stalls a frame, and publishes what was folded at most every `live_refresh_s`
// seconds of `now_s` (publishing summarizes every task: it grows with the trace). Once the folds
// have caught up, the published answers equal the batch functions' on the model.
inline constexpr double live_refresh_s = 0.5;
// Publishing also waits this many times its own last cost, so that on a huge trace the window
// spends at most about a tenth of its time in it.
inline constexpr double live_refresh_cost_factor = 10;
// And this many times the time its last one spanned (its steps each take a frame's leftover: on
// 10 000 tasks a publication spans ~100 frames), so that at most a third of the frames publish
// while the folds wait: else a window catching up with a long stream spends most frames
// republishing what it will soon have to publish again.
inline constexpr double live_refresh_span_factor = 2;
// Following live with a frame budget, the wait-for graph is rebuilt in a frame with room for its
// last cost, or once it is this many refresh intervals old whatever the frame has left.
inline constexpr double graph_wait_factor = 4;
// `frame`, when given, sets the live folds' budget (what is left of the frame's, see
// frame_budget) instead of the cache's fold_budget_s, and is told what they spent; the folds
// then run only in a call after frame->panels_drawn() (draw_app's last), the panels' calls read.
void refresh_answers(const inspector::model& m, answers_cache& cache, double now_s, bool live,
                     frame_budget* frame = nullptr);

// Brings p.tasks up to date with the model, the filters and the sort (cheap when none changed).
void update_task_table(const inspector::model& m, panels_state& p);
// Brings p.lanes up to date with the model's tasks and p.timeline_collapsed.
void update_timeline_lanes(const inspector::model& m, panels_state& p);
// Expands the collapsed spawners above `task` so that its lane shows; true if any was expanded.
bool reveal_lane(const inspector::model& m, panels_state& p, std::uint32_t task);
// The lane showing `task` in l: its own, else the collapsed spawner hiding it; -1 if none.
int visible_lane_of(const inspector::model& m, const timeline_lanes& l, std::uint32_t task);

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
