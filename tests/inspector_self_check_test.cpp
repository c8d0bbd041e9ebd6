// The inspector's self-check: every sample runs with COROSCOPE_TRACE and COROSCOPE_SELF_CHECK, so
// the scheduler writes its own view (introspect.hpp) before every step. The trace is folded into
// the model, the cursor is put at every step, and the model must say exactly what the scheduler
// said: which tasks live, each one's state, wait reason and target, its nested stack (function and
// location of every frame), and the run queue in order. A debugger that lies is worse than none.
#include "support.hpp"

#include <coroscope/inspector/model.hpp>
#include <coroscope/traces/reader.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

using namespace coroscope;
using test_support::run_command;

namespace {

const std::string bin = COROSCOPE_BIN_DIR;

struct checked_run {
    std::size_t views = 0;      // scheduler views compared (steps + the end)
    std::size_t mismatches = 0; // differences found (each also reported by a failed CHECK)
    std::uint64_t steps = 0;
};

// What the model says about one live task at the cursor, in the scheduler view's JSON shape.
nlohmann::json model_task(const inspector::model& m, const inspector::task_snapshot& t) {
    nlohmann::json frames = nlohmann::json::array();
    for (const inspector::frame_info& f : t.stack)
        frames.push_back({{"function", std::string(m.text(f.function))}, {"location", std::string(m.text(f.location))}});
    bool waiting = t.state == inspector::task_state::waiting;
    return {{"id", t.id},
            {"state", std::string(inspector::to_string(t.state))},
            {"reason", std::string(traces::to_string(waiting ? t.reason : traces::wait_reason::none))},
            {"target", waiting ? t.target : 0},
            {"frames", std::move(frames)}};
}

// Runs `command` (a sample and its arguments) recorded and self-checked, expecting `exit_code`,
// then compares the model with every view the scheduler wrote.
checked_run check_sample(const std::string& label, const std::string& command, int exit_code,
                         const std::string& env = "") {
    std::string trace_path = test_support::temp_path(label + ".trace");
    std::string check_path = test_support::temp_path(label + ".check.jsonl");
    auto r = run_command(env + " COROSCOPE_TRACE=" + trace_path + " COROSCOPE_SELF_CHECK=" + check_path + " " + bin +
                         "/" + command + " >/dev/null 2>&1");
    CHECK(r.status == exit_code);

    auto loaded = traces::load_file(trace_path);
    REQUIRE(loaded.report.error.empty());
    inspector::model m(loaded.trace);
    checked_run out;
    out.steps = m.step_count();

    std::ifstream in(check_path);
    REQUIRE(in.good());
    std::string line;
    while (std::getline(in, line)) {
        nlohmann::json view = nlohmann::json::parse(line);
        std::uint64_t step = view.at("step").get<std::uint64_t>();
        REQUIRE(step <= m.step_count());
        m.seek(step);
        INFO(label << " at step " << step);
        ++out.views;

        // The scheduler lists live tasks; the model also keeps the done ones.
        nlohmann::json want_tasks = nlohmann::json::array();
        for (const auto& t : view.at("tasks")) {
            nlohmann::json w = t;
            w.erase("parent");
            w.erase("name");
            want_tasks.push_back(std::move(w));
        }
        nlohmann::json got_tasks = nlohmann::json::array();
        for (const inspector::task_snapshot& t : m.state().tasks())
            if (t.known && t.state != inspector::task_state::done) got_tasks.push_back(model_task(m, t));
        std::vector<std::uint32_t> want_queue = view.at("run_queue").get<std::vector<std::uint32_t>>();
        std::vector<std::uint32_t> got_queue(m.state().run_queue().begin(), m.state().run_queue().end());

        bool same = got_tasks == want_tasks && got_queue == want_queue && m.state().running() == 0;
        if (!same) {
            ++out.mismatches;
            if (out.mismatches <= 3) { // the first few differences in full; the count says the rest
                CHECK(got_tasks.dump(1) == want_tasks.dump(1));
                CHECK(got_queue == want_queue);
                CHECK(m.state().running() == 0);
            }
        }
        // Names and parents the scheduler gave agree with the model's history.
        for (const auto& t : view.at("tasks")) {
            const inspector::task_history* th = m.history().task(t.at("id").get<std::uint32_t>());
            REQUIRE(th != nullptr);
            CHECK(m.task_name(th->id) == t.at("name").get<std::string>());
            CHECK(th->parent == t.at("parent").get<std::uint32_t>());
        }
    }
    in.close();
    std::filesystem::remove(trace_path);
    std::filesystem::remove(check_path);
    CHECK(!std::filesystem::exists(trace_path));
    CHECK(!std::filesystem::exists(check_path));
    return out;
}

} // namespace

TEST_CASE("the model agrees with the scheduler at every step of every sample") {
    struct sample {
        std::string label, command;
        int exit_code;
        std::string env;
    };
    const std::vector<sample> samples{
        {"nested", "sample-nested", 0, ""},
        {"echo", "sample-echo", 0, ""},
        {"pipeline", "sample-pipeline", 0, ""},
        {"timers", "sample-timers", 0, ""},
        {"philosophers", "sample-philosophers", 0, ""},
        {"philosophers-deadlock", "sample-philosophers --deadlock", 2, ""},
        {"subprocess", "sample-subprocess", 0, ""},
        {"bugs", "sample-bugs", 0, ""},
        // The random policy runs tasks out of queue order: the model must follow its swaps.
        {"nested-random", "sample-nested", 0, "COROSCOPE_SCHEDULE=random:7"},
        {"pipeline-random", "sample-pipeline", 0, "COROSCOPE_SCHEDULE=random:11"},
    };
    for (const sample& s : samples) {
        SECTION(s.label) {
            checked_run r = check_sample(s.label, s.command, s.exit_code, s.env);
            INFO(s.label << ": " << r.views << " views, " << r.steps << " steps");
            // One view before every step and one after the last: nothing skipped, nothing extra.
            CHECK(r.views == r.steps + 1);
            CHECK(r.steps > 10);
            CHECK(r.mismatches == 0);
        }
    }
}

TEST_CASE("COROSCOPE_SELF_CHECK names the file it cannot write") {
    auto r = run_command("COROSCOPE_SELF_CHECK=/nonexistent-dir/x.jsonl " + bin + "/sample-nested 2>&1");
    CHECK(r.status == 2);
    CHECK_THAT(r.out, Catch::Contains("COROSCOPE_SELF_CHECK") && Catch::Contains("/nonexistent-dir/x.jsonl"));
}
