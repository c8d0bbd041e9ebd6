// Task table: every task of the trace with its state at the cursor; click a row to select it.
// Filter by a piece of the name and by state; click a column header to sort by it.
#include "app.hpp"
#include "panels.hpp"
#include "theme.hpp"

#include <coroscope/traces/event.hpp>

#include <imgui.h>

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

void draw_state_counts(const inspector::snapshot& snap, std::size_t total) {
    std::array<std::size_t, 4> counts{};
    for (const auto& t : snap.tasks())
        if (t.known) ++counts[static_cast<std::size_t>(t.state)];
    ImGui::TextUnformatted("Tasks");
    ImGui::SameLine();
    ImGui::TextColored(to_vec4(color_text_dim), "%zu", total);
    const std::array<rgb, 4> colors{color_ready, color_running, color_wait_sleep, color_done};
    for (std::size_t i = 0; i < counts.size(); ++i) {
        ImGui::SameLine(0, 14);
        ImGui::TextColored(to_vec4(colors[i]), "%zu %s", counts[i],
                           std::string(inspector::to_string(static_cast<inspector::task_state>(i))).c_str());
    }
    std::size_t failed = 0;
    for (const auto& t : snap.tasks())
        failed += t.known && t.state == inspector::task_state::done && t.status == traces::exit_status::failed;
    if (failed) {
        ImGui::SameLine();
        ImGui::TextColored(to_vec4(color_failed), "(%zu failed)", failed);
    }
    std::size_t unborn = total - (counts[0] + counts[1] + counts[2] + counts[3]);
    if (unborn) {
        ImGui::SameLine(0, 14);
        ImGui::TextColored(to_vec4(color_text_dim), "%zu not spawned yet", unborn);
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

// Sorts ids by the table's sort specs (id, name, state, wait, parent, steps); ties keep id order.
void sort_rows(const inspector::model& m, std::vector<std::uint32_t>& ids, const ImGuiTableSortSpecs* specs) {
    if (!specs || specs->SpecsCount == 0) return;
    const inspector::history& h = m.history();
    const inspector::snapshot& snap = m.state();
    auto key_state = [&](std::uint32_t id) {
        const inspector::task_snapshot* t = snap.task(id);
        return t ? static_cast<int>(t->state) * 32 + static_cast<int>(t->reason) : 1000;
    };
    auto parent = [&](std::uint32_t id) { const auto* th = h.task(id); return th ? th->parent : 0u; };
    auto steps = [&](std::uint32_t id) { const auto* t = snap.task(id); return t ? t->steps : 0u; };
    std::vector<std::string> names;
    if (specs->Specs[0].ColumnIndex == 1 || specs->Specs[0].ColumnIndex == 3) {
        names.resize(h.tasks().size() + 1);
        for (std::uint32_t id : ids) {
            const inspector::task_snapshot* t = snap.task(id);
            names[id] = specs->Specs[0].ColumnIndex == 1 ? m.task_name(id) : (t ? wait_text(m, *t) : std::string());
        }
    }
    const ImGuiTableColumnSortSpecs& s = specs->Specs[0];
    bool desc = s.SortDirection == ImGuiSortDirection_Descending;
    std::stable_sort(ids.begin(), ids.end(), [&](std::uint32_t a, std::uint32_t b) {
        switch (s.ColumnIndex) {
        case 1:
        case 3: return desc ? names[b] < names[a] : names[a] < names[b];
        case 2: return desc ? key_state(b) < key_state(a) : key_state(a) < key_state(b);
        case 4: return desc ? parent(b) < parent(a) : parent(a) < parent(b);
        case 5: return desc ? steps(b) < steps(a) : steps(a) < steps(b);
        default: return desc ? b < a : a < b;
        }
    });
}

} // namespace

void draw_tasks_panel(session& s, ui_state& ui) {
    const inspector::model& m = s.model;
    const inspector::history& h = m.history();
    const inspector::snapshot& snap = m.state();

    std::vector<std::uint32_t> ids;
    ids.reserve(h.tasks().size());
    for (const auto& t : h.tasks())
        if (t.known) ids.push_back(t.id);

    draw_state_counts(snap, ids.size());
    panels_state& p = ui.panels;
    ImGui::SetNextItemWidth(160);
    ImGui::InputTextWithHint("##name_filter", "filter by name", p.tasks_name_filter.data(), p.tasks_name_filter.size());
    ImGui::SameLine();
    ImGui::SetNextItemWidth(140);
    ImGui::Combo("##state_filter", &p.tasks_state_filter, state_filters, IM_ARRAYSIZE(state_filters));
    const std::size_t total = ids.size();
    if (p.tasks_name_filter[0] != 0 || p.tasks_state_filter != 0) {
        std::erase_if(ids, [&](std::uint32_t id) {
            return !passes_state(snap.task(id), p.tasks_state_filter) || !contains_ignoring_case(m.task_name(id), p.tasks_name_filter.data());
        });
        ImGui::SameLine();
        ImGui::TextColored(to_vec4(color_text_dim), "%zu of %zu shown", ids.size(), total);
        ImGui::SameLine();
        if (ImGui::SmallButton("clear")) {
            p.tasks_name_filter[0] = 0;
            p.tasks_state_filter = 0;
        }
    }

    ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_ScrollY |
                            ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_Resizable | ImGuiTableFlags_Sortable;
    if (!ImGui::BeginTable("task_table", 6, flags)) return;
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("id", ImGuiTableColumnFlags_WidthFixed | ImGuiTableColumnFlags_DefaultSort);
    ImGui::TableSetupColumn("name", ImGuiTableColumnFlags_WidthFixed, 150.0f);
    ImGui::TableSetupColumn("state", ImGuiTableColumnFlags_WidthFixed, 70.0f);
    ImGui::TableSetupColumn("wait reason / target", ImGuiTableColumnFlags_WidthStretch);
    ImGui::TableSetupColumn("parent", ImGuiTableColumnFlags_WidthFixed);
    ImGui::TableSetupColumn("steps", ImGuiTableColumnFlags_WidthFixed);
    ImGui::TableHeadersRow();
    sort_rows(m, ids, ImGui::TableGetSortSpecs());

    int selected_row = -1;
    for (std::size_t i = 0; i < ids.size(); ++i)
        if (ids[i] == ui.selected_task) selected_row = static_cast<int>(i);

    ImGuiListClipper clipper;
    clipper.Begin(static_cast<int>(ids.size()));
    const bool reveal = ui.table_revealed != ui.selected_task;
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
