// settings_store: where the configuration lives (XDG rules), the recent files list (most recent
// first, no duplicates, at most ten, absolute paths), and that nothing is created until written.
#include "support.hpp"

#include "../gui/app.hpp"
#include "../gui/settings.hpp"

#include <catch2/catch.hpp>
#include <imgui.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

using coroscope::gui::settings_store;

namespace {

// Sets an environment variable for one scope.
struct scoped_env {
    std::string name;
    std::string old;
    bool had = false;
    scoped_env(std::string n, const char* value) : name(std::move(n)) {
        if (const char* v = std::getenv(name.c_str())) {
            had = true;
            old = v;
        }
        if (value) ::setenv(name.c_str(), value, 1);
        else ::unsetenv(name.c_str());
    }
    ~scoped_env() {
        if (had) ::setenv(name.c_str(), old.c_str(), 1);
        else ::unsetenv(name.c_str());
    }
};

} // namespace

TEST_CASE("the configuration directory follows XDG_CONFIG_HOME, else HOME/.config") {
    {
        scoped_env xdg("XDG_CONFIG_HOME", "/somewhere/config");
        CHECK(coroscope::gui::config_dir() == "/somewhere/config/coroscope");
    }
    {
        scoped_env xdg("XDG_CONFIG_HOME", "relative/dir"); // invalid by the spec: ignored
        scoped_env home("HOME", "/home/someone");
        CHECK(coroscope::gui::config_dir() == "/home/someone/.config/coroscope");
    }
    {
        scoped_env xdg("XDG_CONFIG_HOME", nullptr);
        scoped_env home("HOME", nullptr);
        CHECK(coroscope::gui::config_dir() == "");
    }
}

TEST_CASE("recent files: created on first write, most recent first, no duplicates, at most ten") {
    std::string root = test_support::temp_path("settings");
    std::filesystem::remove_all(root);
    settings_store s;
    s.dir = root + "/coroscope";
    REQUIRE(s.load().empty());
    CHECK(s.recent.empty());
    CHECK_FALSE(std::filesystem::exists(s.dir)); // reading creates nothing

    REQUIRE(s.remember("/data/a.trace").empty());
    CHECK(std::filesystem::is_directory(s.dir));
    REQUIRE(s.remember("/data/b.trace").empty());
    REQUIRE(s.remember("/data/./a.trace").empty()); // the same file again: moves to the front
    CHECK(s.recent == std::vector<std::string>{"/data/a.trace", "/data/b.trace"});

    settings_store again;
    again.dir = s.dir;
    REQUIRE(again.load().empty());
    CHECK(again.recent == s.recent);

    for (int i = 0; i < 15; ++i) REQUIRE(s.remember("/data/" + std::to_string(i) + ".trace").empty());
    CHECK(s.recent.size() == settings_store::max_recent);
    CHECK(s.recent.front() == "/data/14.trace");
    again.load();
    CHECK(again.recent == s.recent);

    // A relative path is stored absolute: the list is used from any working directory.
    REQUIRE(s.remember("relative.trace").empty());
    CHECK(s.recent.front() == (std::filesystem::current_path() / "relative.trace").string());

    // Other files in the directory (imgui.ini) round-trip as written.
    REQUIRE(s.write_file("imgui.ini", "[Window][Open or launch]\nPos=10,20\n").empty());
    CHECK(s.read_file("imgui.ini") == "[Window][Open or launch]\nPos=10,20\n");
    CHECK(s.read_file("missing") == "");
    std::filesystem::remove_all(root);
}

TEST_CASE("an unwritable configuration directory is an error message, not a crash") {
    settings_store s;
    s.dir = "/proc/coroscope-cannot-exist";
    std::string error = s.remember("/data/a.trace");
    CHECK(error.find("cannot create /proc/coroscope-cannot-exist") == 0);
    CHECK(s.recent == std::vector<std::string>{"/data/a.trace"}); // kept in memory for this run
    settings_store none;
    CHECK(none.remember("/data/a.trace") == "no configuration directory (neither XDG_CONFIG_HOME nor HOME is set)");
}

namespace {

// One run of the window's settings, headless: an ImGui context with the shell's ini section, the
// ini read from the configuration directory like main.cpp does at start, written back at the end.
struct settings_run {
    coroscope::gui::ui_state ui;
    explicit settings_run(const std::string& dir) {
        ImGui::CreateContext();
        ui.shell.settings.dir = dir;
        coroscope::gui::register_shell_settings(ui.shell);
        std::string ini = ui.shell.settings.read_file("imgui.ini");
        if (!ini.empty()) ImGui::LoadIniSettingsFromMemory(ini.data(), ini.size());
    }
    std::string save() {
        std::size_t size = 0;
        const char* data = ImGui::SaveIniSettingsToMemory(&size);
        return ui.shell.settings.write_file("imgui.ini", std::string(data, size));
    }
    ~settings_run() { ImGui::DestroyContext(); }
    settings_run(const settings_run&) = delete;
    settings_run& operator=(const settings_run&) = delete;
};

} // namespace

TEST_CASE("the layout persists: answers tab, tasks sort and splitters written to imgui.ini and read back") {
    namespace gui = coroscope::gui;
    std::string root = test_support::temp_path("layout");
    std::filesystem::remove_all(root);
    const std::string dir = root + "/coroscope";
    gui::layout_settings arranged;
    {
        settings_run first(dir);
        CHECK(first.ui.shell.layout == gui::layout_settings{}); // nothing remembered yet: the defaults
        // What a user arranged: another tab, a sort by steps (descending), dragged splitters.
        first.ui.panels.tab = gui::answer_tab::events;
        first.ui.panels.tasks_sort = gui::task_column::steps;
        first.ui.panels.tasks_sort_descending = true;
        first.ui.tasks_width = 0.41f;
        first.ui.stack_width = 0.19f;
        first.ui.middle_height = 0.55f;
        arranged = gui::layout_of(first.ui);
        gui::remember_layout(first.ui.shell, arranged);
        gui::remember_window_size(first.ui.shell, 1280, 800);
        REQUIRE(first.save().empty());
    }
    settings_store store;
    store.dir = dir;
    const std::string ini = store.read_file("imgui.ini");
    INFO("imgui.ini:\n" << ini);
    CHECK(ini.find("[Coroscope][layout]\nTab=events\nTasksSort=5,1\nSplitters=0.410,0.190,0.550\n") != std::string::npos);
    {
        settings_run second(dir); // the next start
        CHECK(second.ui.shell.window_width == 1280);
        CHECK(second.ui.shell.window_height == 800);
        CHECK(second.ui.shell.layout == arranged);
        gui::apply_layout(second.ui.shell.layout, second.ui);
        CHECK(second.ui.panels.tab == gui::answer_tab::events);
        CHECK(second.ui.panels.tab_requested); // selected on the first frame
        CHECK(second.ui.panels.tasks_sort == gui::task_column::steps);
        CHECK(second.ui.panels.tasks_sort_descending);
        CHECK(second.ui.tasks_width == Approx(0.41f));
        CHECK(second.ui.stack_width == Approx(0.19f));
        CHECK(second.ui.middle_height == Approx(0.55f));
    }

    // A hand-edited or damaged section: unknown tab and column ignored, shares kept in range.
    REQUIRE(store.write_file("imgui.ini", "[Coroscope][layout]\nTab=nowhere\nTasksSort=17,0\nSplitters=5,-1,nan\n").empty());
    {
        settings_run damaged(dir);
        gui::apply_layout(damaged.ui.shell.layout, damaged.ui);
        CHECK(damaged.ui.panels.tab == gui::answer_tab::graph);
        CHECK(damaged.ui.panels.tasks_sort == gui::task_column::id);
        CHECK(damaged.ui.tasks_width <= 0.7f);
        CHECK(damaged.ui.stack_width >= 0.08f);
        CHECK(damaged.ui.tasks_width + damaged.ui.stack_width <= 0.85f + 1e-6f);
        CHECK(damaged.ui.middle_height == Approx(0.42f)); // nan: the default
    }
    std::filesystem::remove_all(root);
}
