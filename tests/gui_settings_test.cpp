// settings_store: where the configuration lives (XDG rules), the recent files list (most recent
// first, no duplicates, at most ten, absolute paths), and that nothing is created until written.
#include "support.hpp"

#include "../gui/settings.hpp"

#include <catch2/catch.hpp>

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
