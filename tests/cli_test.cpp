// coroscope-trace on a real recorded sample: info and dump --at, text and JSON.
#include "support.hpp"

#include <coroscope/inspector/model.hpp>
#include <coroscope/inspector/report.hpp>
#include <coroscope/traces/reader.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <iterator>

using namespace coroscope;
using test_support::run_command;

namespace {

const std::string bin = COROSCOPE_BIN_DIR;

std::string record_nested(const std::string& name = "nested.trace") {
    std::string path = test_support::temp_path(name);
    auto r = run_command("COROSCOPE_TRACE=" + path + " " + bin + "/sample-nested");
    REQUIRE(r.status == 0);
    return path;
}

} // namespace

TEST_CASE("sample-nested records a trace with the shape it promises") {
    std::string path = record_nested();
    auto loaded = traces::load_file(path);
    REQUIRE(loaded.report.error.empty());
    inspector::model m(loaded.trace);
    std::size_t tasks = 0;
    for (const auto& t : m.history().tasks()) tasks += t.known;
    CHECK(tasks >= 5);
    CHECK(m.history().ended());

    // Deepest stack at least 3 frames; the exception leaves 2 frames (validate, parse) and is
    // caught by fetch_order, which returns normally.
    std::size_t deepest = 0;
    std::vector<std::string> threw;
    for (std::uint64_t s = 0; s <= m.step_count(); ++s) {
        m.seek(s);
        for (const auto& t : m.state().tasks()) deepest = std::max(deepest, t.stack.size());
    }
    std::vector<std::uint32_t> stack;
    for (const auto& e : loaded.trace.events) {
        if (e.kind == traces::event_kind::frame_enter && e.task == 5) stack.push_back(e.a);
        if (e.kind == traces::event_kind::frame_exit && e.task == 5) {
            if (e.code) threw.push_back(std::string(inspector::short_function_name(m.text(stack.back()))));
            stack.pop_back();
        }
    }
    CHECK(deepest >= 4);
    CHECK(threw == std::vector<std::string>{"sample::validate_quantity(int, int)", "sample::parse_order(int, int)"});
    std::remove(path.c_str());
}

TEST_CASE("coroscope-trace info summarizes a recorded trace") {
    std::string path = record_nested();
    auto r = run_command(bin + "/coroscope-trace info " + path);
    CHECK(r.status == 0);
    CHECK_THAT(r.out, Catch::Contains("producer    sample-nested"));
    CHECK_THAT(r.out, Catch::Contains("loader alpha"));
    CHECK_THAT(r.out, Catch::Contains("complete    yes"));
    std::remove(path.c_str());
}

TEST_CASE("coroscope-trace dump --at shows the right tasks and stacks at every step") {
    std::string path = record_nested();
    auto loaded = traces::load_file(path);
    inspector::model m(loaded.trace);
    // Pick the step where 'orders' (task 5) is deepest: inside validate_quantity.
    std::uint64_t deep_step = 0;
    for (std::uint64_t s = 0; s < m.step_count(); ++s) {
        m.seek(s);
        const auto* orders = m.state().task(5);
        if (orders && orders->stack.size() == 4) {
            deep_step = s;
            break;
        }
    }
    REQUIRE(deep_step > 0);
    auto text = run_command(bin + "/coroscope-trace dump " + path + " --at " + std::to_string(deep_step));
    CHECK(text.status == 0);
    // Usually asleep in validate_quantity; on a slow machine its timer may already have fired.
    m.seek(deep_step);
    std::string state = inspector::describe_state(m, *m.state().task(5));
    CHECK_THAT(state, Catch::StartsWith("waiting (sleep on timer") || Catch::Equals("ready"));
    CHECK_THAT(text.out, Catch::Contains("task 5 'orders' " + state));
    // Innermost last (#0 = innermost): orders, fetch_order, parse_order, validate_quantity.
    auto at = [&](const char* s) { return text.out.find(s); };
    REQUIRE(at("#3 sample::orders()") != std::string::npos);
    CHECK(at("#3 sample::orders()") < at("#2 sample::fetch_order(int, int)"));
    CHECK(at("#2 sample::fetch_order(int, int)") < at("#1 sample::parse_order(int, int)"));
    CHECK(at("#1 sample::parse_order(int, int)") < at("#0 sample::validate_quantity(int, int)  samples/nested.cpp:"));

    // The JSON dump equals the library's view at every step.
    for (std::uint64_t s = 0; s <= m.step_count(); s += 7) {
        auto json = run_command(bin + "/coroscope-trace dump " + path + " --json --at " + std::to_string(s));
        REQUIRE(json.status == 0);
        m.seek(s);
        CHECK(nlohmann::json::parse(json.out) == inspector::dump_json(m));
    }
    auto end = run_command(bin + "/coroscope-trace dump " + path + " --json --at " + std::to_string(m.step_count()));
    nlohmann::json at_end = nlohmann::json::parse(end.out); // kept: a range-for over a temporary's member dangles
    for (const auto& t : at_end["tasks"]) CHECK(t["state"] == "done");
    std::remove(path.c_str());
}

TEST_CASE("coroscope-trace names the file and problem for bad input and keeps what loaded") {
    // JSON Lines, so the cut can be put inside a record for sure: 5 bytes into the line after the middle.
    std::string path = record_nested("nested.jsonl");
    std::string cut = test_support::temp_path("cut.jsonl");
    std::ifstream in(path);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::size_t cut_at = bytes.find('\n', bytes.size() / 2) + 6;
    REQUIRE(cut_at < bytes.size());
    std::ofstream(cut) << bytes.substr(0, cut_at);
    auto r = run_command(bin + "/coroscope-trace info " + cut + " 2>&1");
    CHECK(r.status == 0);
    CHECK_THAT(r.out, Catch::Contains(cut + ": truncated at byte " + std::to_string(cut_at - 5)));
    CHECK_THAT(r.out, Catch::Contains("complete    no"));
    auto missing = run_command(bin + "/coroscope-trace info /nonexistent.trace 2>&1");
    CHECK(missing.status != 0);
    CHECK_THAT(missing.out, Catch::Contains("/nonexistent.trace: cannot open file"));
    std::remove(path.c_str());
    std::remove(cut.c_str());
}
