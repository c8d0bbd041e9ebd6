// The tasks table's filter (name, state) and sort, through ui_state: the test sets them where the
// panel's widgets and header clicks write them, draws whole frames headless (ImGui builds its draw
// lists without a window, as bench-gui-frame does) and compares the rows the table shows, in order,
// with what the inspector's model says about each task at the cursor.
#include <catch2/catch.hpp>

#include "gui_headless.hpp"
#include "support.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <string>
#include <vector>

namespace gui = coroscope::gui;
namespace inspector = coroscope::inspector;
using test_support::draw_frames;
using test_support::headless_imgui;

namespace {

void open(gui::session& s, gui::ui_state& ui, const std::string& file, std::uint64_t step) {
    s.model = inspector::model(test_support::golden_trace(file));
    s.loaded = true;
    s.source = file;
    gui::apply_presets(s, ui, -1, static_cast<long long>(step));
}

std::string lower(std::string text) {
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

void set_name_filter(gui::ui_state& ui, const std::string& text) {
    REQUIRE(text.size() < ui.panels.tasks_name_filter.size());
    std::memcpy(ui.panels.tasks_name_filter.data(), text.c_str(), text.size() + 1);
}

// The known tasks of the trace, in id order.
std::vector<std::uint32_t> known_tasks(const inspector::model& m) {
    std::vector<std::uint32_t> ids;
    for (const auto& t : m.history().tasks())
        if (t.known) ids.push_back(t.id);
    return ids;
}

} // namespace

TEST_CASE("tasks table: the name filter keeps names containing it in any case, the state filter the state at the cursor") {
    headless_imgui imgui;
    gui::session s;
    gui::ui_state ui;
    open(s, ui, "pipeline.trace", 0);
    const inspector::model& m = s.model;
    REQUIRE(m.step_count() > 10);
    s.model.seek(m.step_count() / 2);
    const std::vector<std::uint32_t> all = known_tasks(m);
    REQUIRE(all.size() >= 4);

    draw_frames(s, ui, 2);
    CHECK(ui.panels.tasks.rows == all); // no filter, sorted by id
    CHECK(ui.panels.tasks.total == all.size());

    // A piece of one task's name, in upper case: the filter ignores case.
    const std::string name = m.task_name(all[1]);
    REQUIRE(name.size() >= 3);
    const std::string piece = name.substr(1, 3);
    std::string upper = piece;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    set_name_filter(ui, upper);
    draw_frames(s, ui, 1);
    std::vector<std::uint32_t> expected;
    for (std::uint32_t id : all)
        if (lower(m.task_name(id)).find(lower(piece)) != std::string::npos) expected.push_back(id);
    INFO("filter '" << upper << "' from task " << all[1] << " '" << name << "'");
    REQUIRE_FALSE(expected.empty());
    REQUIRE(expected.size() < all.size()); // the filter must leave some out to prove anything
    CHECK(ui.panels.tasks.rows == expected);

    // State filter 3 = waiting at the cursor, combined with the name filter, then alone.
    auto waiting = [&](std::uint32_t id) {
        const inspector::task_snapshot* t = m.state().task(id);
        return t && t->state == inspector::task_state::waiting;
    };
    ui.panels.tasks_state_filter = 3;
    draw_frames(s, ui, 1);
    std::vector<std::uint32_t> both;
    std::copy_if(expected.begin(), expected.end(), std::back_inserter(both), waiting);
    CHECK(ui.panels.tasks.rows == both);
    set_name_filter(ui, "");
    draw_frames(s, ui, 1);
    std::vector<std::uint32_t> all_waiting;
    std::copy_if(all.begin(), all.end(), std::back_inserter(all_waiting), waiting);
    REQUIRE_FALSE(all_waiting.empty());
    CHECK(ui.panels.tasks.rows == all_waiting);

    // The state filter follows the cursor: at the end every task is done, none waits.
    s.model.seek(m.step_count());
    draw_frames(s, ui, 1);
    std::vector<std::uint32_t> waiting_at_end;
    std::copy_if(all.begin(), all.end(), std::back_inserter(waiting_at_end), waiting);
    CHECK(ui.panels.tasks.rows == waiting_at_end);
    ui.panels.tasks_state_filter = 4; // done
    draw_frames(s, ui, 1);
    CHECK(ui.panels.tasks.rows.size() == ui.panels.tasks.counts[static_cast<std::size_t>(inspector::task_state::done)]);
    for (std::uint32_t id : ui.panels.tasks.rows) CHECK(m.state().task(id)->state == inspector::task_state::done);
}

TEST_CASE("tasks table: sorted by name, state or steps in either direction, ties in id order") {
    headless_imgui imgui;
    gui::session s;
    gui::ui_state ui;
    open(s, ui, "bugs.trace", 0);
    const inspector::model& m = s.model;
    s.model.seek(m.step_count() / 2);
    const std::vector<std::uint32_t> all = known_tasks(m);
    REQUIRE(all.size() >= 4);

    // Each sort key as the model gives it; rows must be ordered by it, ties by increasing id.
    auto check_order = [&](const char* what, auto key, bool descending) {
        const std::vector<std::uint32_t>& rows = ui.panels.tasks.rows;
        INFO("sort by " << what << (descending ? " descending" : " ascending"));
        REQUIRE(rows.size() == all.size());
        CHECK(std::is_permutation(rows.begin(), rows.end(), all.begin(), all.end()));
        int distinct = 0;
        for (std::size_t i = 1; i < rows.size(); ++i) {
            auto a = key(rows[i - 1]), b = key(rows[i]);
            INFO("rows " << i - 1 << " and " << i << ": tasks " << rows[i - 1] << ", " << rows[i]);
            if (a == b) CHECK(rows[i - 1] < rows[i]);
            else CHECK((descending ? b < a : a < b));
            distinct += a != b;
        }
        CHECK(distinct > 0); // the key separates some tasks: the order is not just the id order
    };
    auto name = [&](std::uint32_t id) { return m.task_name(id); };
    auto state = [&](std::uint32_t id) {
        const inspector::task_snapshot* t = m.state().task(id);
        return t ? static_cast<int>(t->state) * 32 + static_cast<int>(t->reason) : 1000;
    };
    auto steps = [&](std::uint32_t id) {
        const inspector::task_snapshot* t = m.state().task(id);
        return t ? t->steps : 0;
    };

    draw_frames(s, ui, 2);
    CHECK(ui.panels.tasks.rows == all);
    for (bool descending : {false, true}) {
        ui.panels.tasks_sort_descending = descending;
        ui.panels.tasks_sort = gui::task_column::name;
        draw_frames(s, ui, 2);
        check_order("name", name, descending);
        ui.panels.tasks_sort = gui::task_column::state;
        draw_frames(s, ui, 2);
        check_order("state", state, descending);
        ui.panels.tasks_sort = gui::task_column::steps;
        draw_frames(s, ui, 2);
        check_order("steps", steps, descending);
    }
    // The table's header now shows the sort of the UI state, so later frames keep it.
    draw_frames(s, ui, 3);
    CHECK(ui.panels.tasks_sort == gui::task_column::steps);
    CHECK(ui.panels.tasks_sort_descending);
    check_order("steps", steps, true);

    // A sort by steps at the cursor follows the cursor.
    s.model.seek(m.step_count());
    draw_frames(s, ui, 1);
    check_order("steps", steps, true);
    ui.panels.tasks_sort = gui::task_column::id;
    ui.panels.tasks_sort_descending = false;
    draw_frames(s, ui, 1);
    CHECK(ui.panels.tasks.rows == all);
}
