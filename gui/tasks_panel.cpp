// Task table: every task of the trace with its state at the cursor; click a row to select it.
// Filter by a piece of the name and by state; click a column header to sort by it.
#include "app.hpp"
#include "panels.hpp"
#include "theme.hpp"

#include <coroscope/traces/event.hpp>

#include <imgui.h>
#include <imgui_internal.h> // TableSetColumnSortDirection: the sort comes from ui_state

#include <algorithm>
#include <array>
#include <cinttypes>
#include <cstdio>
#include <cctype>
#include <cstring>

namespace coroscope::gui {

namespace {

// "join task 2 loader alpha", "sleep timer 1 until 6.012 ms", "failed: text", ...
std::string wait_text(const inspector::model& m, const inspector::task_snapshot& t) {
    using traces::wait_reason;
    if (t.state == inspector::task_state::done) {
        std::string out(traces::to_string(t.status));
        if (t.error != 0) out += ": " + std::string(m.text(t.error));
        return out;
    }
    if (t.state != inspector::task_state::waiting) return "";
    std::string out(traces::to_string(t.reason));
    switch (t.reason) {
    case wait_reason::join: out += " on task " + task_label(m, t.target); break;
    case wait_reason::sleep:
        out += " on timer " + std::to_string(t.target);
        if (t.deadline_ns != 0)
            out += " until " + format_duration(static_cast<double>(t.deadline_ns - std::min(t.deadline_ns, m.history().first_ts())));
        break;
    case wait_reason::io: out += " on resource " + std::to_string(t.target); break;
    case wait_reason::none:
    case wait_reason::yield: break;
    default:
        if (t.target != 0) out += " on object " + std::to_string(t.target);
        break;
    }
    return out;
}

void draw_state_counts(const task_table& t) {
    ImGui::TextUnformatted("Tasks");
    ImGui::SameLine();
    ImGui::TextColored(to_vec4(color_text_dim), "%zu", t.total);
    const std::array<rgb, 4> colors{color_ready, color_running, color_wait_sleep, color_done};
    for (std::size_t i = 0; i < t.counts.size(); ++i) {
        ImGui::SameLine(0, 14);
        ImGui::TextColored(to_vec4(colors[i]), "%zu %s", t.counts[i],
                           inspector::to_string(static_cast<inspector::task_state>(i)).data());
    }
    if (t.failed) {
        ImGui::SameLine();
        ImGui::TextColored(to_vec4(color_failed), "(%zu failed)", t.failed);
    }
    if (t.unborn) {
        ImGui::SameLine(0, 14);
        ImGui::TextColored(to_vec4(color_text_dim), "%zu not spawned yet", t.unborn);
    }
}

constexpr const char* state_filters[] = {"all states", "ready", "running", "waiting", "done", "failed", "not spawned yet"};

bool passes_state(const inspector::task_snapshot* t, int filter) {
    using inspector::task_state;
    switch (filter) {
    case 0: return true;
    case 1: return t && t->state == task_state::ready;
    case 2: return t && t->state == task_state::running;
    case 3: return t && t->state == task_state::waiting;
    case 4: return t && t->state == task_state::done;
    case 5: return t && t->state == task_state::done && t->status == traces::exit_status::failed;
    case 6: return !t;
    }
    return true;
}

bool contains_ignoring_case(const std::string& text, const char* piece) {
    std::size_t n = std::strlen(piece);
    if (n == 0) return true;
    auto it = std::search(text.begin(), text.end(), piece, piece + n,
                          [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b)); });
    return it != text.end();
}

// Sorts ids by `column` (ties keep id order). Keys are computed once per task, not per comparison.
void sort_rows(const inspector::model& m, std::vector<std::uint32_t>& ids, task_column column, bool descending) {
    const inspector::history& h = m.history();
    const inspector::snapshot& snap = m.state();
    std::sort(ids.begin(), ids.end());
    if (column == task_column::id) {
        if (descending) std::reverse(ids.begin(), ids.end());
        return;
    }
    if (column == task_column::name || column == task_column::wait) {
        std::vector<std::pair<std::string, std::uint32_t>> keyed;
        keyed.reserve(ids.size());
        for (std::uint32_t id : ids) {
            const inspector::task_snapshot* t = snap.task(id);
            keyed.emplace_back(column == task_column::name ? m.task_name(id) : (t ? wait_text(m, *t) : std::string()), id);
        }
        std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
            return descending ? b.first < a.first : a.first < b.first;
        });
        for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = keyed[i].second;
        return;
    }
    std::vector<std::pair<std::uint64_t, std::uint32_t>> keyed;
    keyed.reserve(ids.size());
    for (std::uint32_t id : ids) {
        const inspector::task_snapshot* t = snap.task(id);
        std::uint64_t key = 0;
        if (column == task_column::state) key = t ? static_cast<std::uint64_t>(t->state) * 32 + static_cast<std::uint64_t>(t->reason) : 1000;
        else if (column == task_column::parent) key = h.task(id) ? h.task(id)->parent : 0;
        else key = t ? t->steps : 0;
        keyed.emplace_back(key, id);
    }
    std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
        return descending ? b.first < a.first : a.first < b.first;
    });
    for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = keyed[i].second;
}

} // namespace

void update_task_table(const inspector::model& m, panels_state& p) {
    const inspector::history& h = m.history();
    const inspector::snapshot& snap = m.state();
    task_table& t = p.tasks;
    const std::uint64_t events = m.trace().events.size();
    const bool same_trace = t.events == events && t.last_ts == h.last_ts() && t.tasks_data == h.tasks().data();
    if (!same_trace || t.counts_cursor != m.cursor()) {
        t.counts.fill(0);
        t.failed = t.unborn = t.total = 0;
        for (const auto& th : h.tasks()) {
            if (!th.known) continue;
            ++t.total;
            const inspector::task_snapshot* ts = snap.task(th.id);
            if (!ts) {
                ++t.unborn;
                continue;
            }
            ++t.counts[static_cast<std::size_t>(ts->state)];
            t.failed += ts->state == inspector::task_state::done && ts->status == traces::exit_status::failed;
        }
        t.counts_cursor = m.cursor();
    }
    // The rows depend on the cursor only through a state filter or a sort by state, wait or steps.
    const bool at_cursor = p.tasks_state_filter != 0 || p.tasks_sort == task_column::state ||
                           p.tasks_sort == task_column::wait || p.tasks_sort == task_column::steps;
    const std::uint64_t cursor = at_cursor ? m.cursor() : answers_cache::none;
    const char* filter = p.tasks_name_filter.data();
    if (same_trace && t.cursor == cursor && t.name_filter == filter && t.state_filter == p.tasks_state_filter &&
        t.sort_column == p.tasks_sort && t.sort_descending == p.tasks_sort_descending)
        return;
    t.events = events;
    t.last_ts = h.last_ts();
    t.tasks_data = h.tasks().data();
    t.cursor = cursor;
    t.name_filter = filter;
    t.state_filter = p.tasks_state_filter;
    t.sort_column = p.tasks_sort;
    t.sort_descending = p.tasks_sort_descending;
    t.rows.clear();
    for (const auto& th : h.tasks()) {
        if (!th.known || !passes_state(snap.task(th.id), p.tasks_state_filter)) continue;
        if (filter[0] != 0 && !contains_ignoring_case(m.task_name(th.id), filter)) continue;
        t.rows.push_back(th.id);
    }
    sort_rows(m, t.rows, p.tasks_sort, p.tasks_sort_descending);
}

void draw_tasks_panel(session& s, ui_state& ui) {
    const inspector::model& m = s.model;
    const inspector::history& h = m.history();
    const inspector::snapshot& snap = m.state();
    panels_state& p = ui.panels;

    update_task_table(m, p);
    draw_state_counts(p.tasks);
    ImGui::SetNextItemWidth(160 * ui_scale());
    ImGui::InputTextWithHint("##name_filter", "filter by name", p.tasks_name_filter.data(), p.tasks_name_filter.size());
    ImGui::SameLine();
    ImGui::SetNextItemWidth(140 * ui_scale());
    ImGui::Combo("##state_filter", &p.tasks_state_filter, state_filters, IM_ARRAYSIZE(state_filters));
    if (p.tasks_name_filter[0] != 0 || p.tasks_state_filter != 0) {
        update_task_table(m, p); // the filters may have changed just above
        ImGui::SameLine();
        ImGui::TextColored(to_vec4(color_text_dim), "%zu of %zu shown", p.tasks.rows.size(), p.tasks.total);
        ImGui::SameLine();
        if (ImGui::SmallButton("clear")) {
            p.tasks_name_filter[0] = 0;
            p.tasks_state_filter = 0;
        }
    }

    ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_ScrollY |
                            ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_Resizable | ImGuiTableFlags_Sortable;
    if (!ImGui::BeginTable("task_table", 6, flags)) return;
    const float scale = ui_scale();
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("id", ImGuiTableColumnFlags_WidthFixed | ImGuiTableColumnFlags_DefaultSort);
    ImGui::TableSetupColumn("name", ImGuiTableColumnFlags_WidthFixed, scale * 150.0f);
    ImGui::TableSetupColumn("state", ImGuiTableColumnFlags_WidthFixed, scale * 70.0f);
    ImGui::TableSetupColumn("wait reason / target", ImGuiTableColumnFlags_WidthStretch);
    ImGui::TableSetupColumn("parent", ImGuiTableColumnFlags_WidthFixed);
    ImGui::TableSetupColumn("steps", ImGuiTableColumnFlags_WidthFixed);
    ImGui::TableHeadersRow();
    // The sort lives in the UI state (scripts, tests and the settings set it too); the table's
    // header shows it. A header click after the first frame changes ImGui's specs: take them.
    if (ImGuiTableSortSpecs* specs = ImGui::TableGetSortSpecs(); specs && specs->SpecsCount > 0) {
        const auto shown = static_cast<task_column>(specs->Specs[0].ColumnIndex);
        const bool shown_descending = specs->Specs[0].SortDirection == ImGuiSortDirection_Descending;
        if (shown != p.tasks_sort || shown_descending != p.tasks_sort_descending) {
            if (specs->SpecsDirty && p.tasks_sort_synced) {
                p.tasks_sort = shown;
                p.tasks_sort_descending = shown_descending;
            } else {
                ImGui::TableSetColumnSortDirection(static_cast<int>(p.tasks_sort),
                                                   p.tasks_sort_descending ? ImGuiSortDirection_Descending : ImGuiSortDirection_Ascending,
                                                   false);
            }
        }
        specs->SpecsDirty = false;
        p.tasks_sort_synced = true;
    }
    update_task_table(m, p);
    const std::vector<std::uint32_t>& ids = p.tasks.rows;

    const bool reveal = ui.table_revealed != ui.selected_task;
    int selected_row = -1;
    if (reveal)
        for (std::size_t i = 0; i < ids.size(); ++i)
            if (ids[i] == ui.selected_task) selected_row = static_cast<int>(i);

    ImGuiListClipper clipper;
    clipper.Begin(static_cast<int>(ids.size()));
    if (reveal && selected_row >= 0) clipper.ForceDisplayRangeByIndices(selected_row, selected_row + 1);
    while (clipper.Step()) {
        for (int row = clipper.DisplayStart; row < clipper.DisplayEnd; ++row) {
            std::uint32_t id = ids[static_cast<std::size_t>(row)];
            const inspector::task_history* th = h.task(id);
            const inspector::task_snapshot* t = snap.task(id);
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            char label[32];
            std::snprintf(label, sizeof label, "%u", id);
            bool selected = id == ui.selected_task;
            if (ImGui::Selectable(label, selected, ImGuiSelectableFlags_SpanAllColumns))
                ui.selected_task = ui.table_revealed = id; // clicked here: already in view
            if (selected && reveal) ImGui::SetScrollHereY(0.5f);
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(m.task_name(id).c_str());
            ImGui::TableNextColumn();
            if (!t) {
                ImGui::TextColored(to_vec4(color_text_dim), "-");
                ImGui::TableNextColumn();
                ImGui::TextColored(to_vec4(color_text_dim), "not spawned yet");
            } else {
                rgb c = state_color(t->state, t->reason, t->status);
                ImGui::TextColored(to_vec4(c), "%s", std::string(inspector::to_string(t->state)).c_str());
                ImGui::TableNextColumn();
                std::string w = wait_text(m, *t);
                rgb wc = t->state == inspector::task_state::done ? c : color_text_dim;
                if (t->state == inspector::task_state::waiting) wc = wait_color(t->reason);
                ImGui::TextColored(to_vec4(wc), "%s", w.c_str());
            }
            ImGui::TableNextColumn();
            if (th && th->parent != 0) ImGui::Text("%u", th->parent);
            else ImGui::TextColored(to_vec4(color_text_dim), "-");
            ImGui::TableNextColumn();
            ImGui::Text("%" PRIu64 " / %" PRIu64, t ? t->steps : 0, th ? th->steps : 0);
            if (ImGui::IsItemHovered()) ImGui::SetTooltip("steps run before the cursor / in the whole trace");
        }
    }
    if (reveal) ui.table_revealed = ui.selected_task;
    ImGui::EndTable();
}

} // namespace coroscope::gui
