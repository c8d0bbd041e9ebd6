// trace_loader: a trace read on a background thread gives the same model as a load on the calling
// thread, with its progress at the file's size when done; unreadable and truncated files give the
// reason (and what was complete), never an exception.
#include "support.hpp"

#include "../gui/loader.hpp"

#include <catch2/catch.hpp>
#include <coroscope/traces/reader.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

using coroscope::gui::trace_loader;

namespace {

const std::string bin = COROSCOPE_BIN_DIR;

trace_loader::result wait_for(trace_loader& l) {
    while (!l.done()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    auto r = l.take();
    REQUIRE(r.has_value());
    CHECK_FALSE(l.take().has_value()); // once
    return std::move(*r);
}

std::string record(const std::string& name, const std::string& sample) {
    std::string path = test_support::temp_path(name);
    REQUIRE(test_support::run_command("COROSCOPE_TRACE=" + path + " " + bin + "/sample-" + sample).status == 0);
    return path;
}

} // namespace

TEST_CASE("a background load equals a direct load, and its progress ends at the file size") {
    for (const char* name : {"loader.trace", "loader.jsonl"}) { // binary and JSON Lines
        std::string path = record(name, "pipeline");
        coroscope::traces::loaded_trace direct = coroscope::traces::load_file(path);
        REQUIRE(direct.report.error.empty());

        trace_loader l(path);
        trace_loader::result r = wait_for(l);
        CHECK(r.report.header_ok);
        CHECK_FALSE(r.report.truncated);
        CHECK(r.report.error.empty());
        CHECK(l.bytes_total() == std::filesystem::file_size(path));
        CHECK(l.bytes_read() == l.bytes_total());
        CHECK(l.fraction() == 1.0f);
        CHECK(l.events_read() == direct.trace.events.size());
        REQUIRE(r.model.trace().events.size() == direct.trace.events.size());
        for (std::size_t i = 0; i < direct.trace.events.size(); ++i) {
            INFO("event " << i);
            CHECK(r.model.trace().events[i].kind == direct.trace.events[i].kind);
            CHECK(r.model.trace().events[i].ts_ns == direct.trace.events[i].ts_ns);
        }
        CHECK(r.model.trace().strings == direct.trace.strings);
        CHECK(r.model.step_count() == coroscope::inspector::model(direct.trace).step_count());
        std::remove(path.c_str());
    }
}

TEST_CASE("a truncated file loads what is complete and says where it was cut") {
    std::string path = record("loader-cut.trace", "nested");
    std::ifstream in(path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::size_t cut_at = bytes.size() / 2;
    while (cut_at < bytes.size() && !coroscope::traces::load_bytes(std::string_view(bytes).substr(0, cut_at)).report.truncated)
        ++cut_at;
    REQUIRE(cut_at < bytes.size());
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes.substr(0, cut_at);
    coroscope::traces::loaded_trace direct = coroscope::traces::load_file(path);

    trace_loader l(path);
    trace_loader::result r = wait_for(l);
    CHECK(r.report.truncated);
    CHECK(r.report.truncated_at == direct.report.truncated_at);
    CHECK_FALSE(r.report.fatal);
    CHECK(r.model.trace().events.size() == direct.trace.events.size());
    CHECK(r.model.trace().events.size() > 0);
    std::remove(path.c_str());
}

TEST_CASE("a missing file or a directory gives the reason") {
    trace_loader missing("/nonexistent/coroscope.trace");
    trace_loader::result m = wait_for(missing);
    CHECK(m.report.fatal);
    CHECK(m.report.error == "cannot open file: No such file or directory");
    CHECK(m.model.trace().events.empty());

    trace_loader dir(std::filesystem::temp_directory_path().string());
    trace_loader::result d = wait_for(dir);
    CHECK(d.report.fatal);
    CHECK(d.report.error == "is a directory, not a trace file");
}
