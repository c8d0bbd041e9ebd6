// coroscope-trace validate, convert, record and export, on real recorded samples and on traces
// made by hand to break one rule each.
#include "support.hpp"

#include <coroscope/inspector/chrome_export.hpp>
#include <coroscope/inspector/model.hpp>
#include <coroscope/traces/binary.hpp>
#include <coroscope/traces/reader.hpp>
#include <coroscope/traces/writer.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <vector>

using namespace coroscope;
using test_support::run_command;
using test_support::temp_path;
using traces::event_kind;

namespace {

const std::string bin = COROSCOPE_BIN_DIR;
const std::string tool = bin + "/coroscope-trace";

std::string read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string record(const std::string& sample, const std::string& name, const std::string& args = "") {
    std::string path = temp_path(name);
    auto r = run_command("COROSCOPE_TRACE=" + path + " " + bin + "/sample-" + sample + " " + args + " >/dev/null");
    REQUIRE(r.status == 0);
    return path;
}

traces::event ev(event_kind kind, std::uint64_t ts, std::uint64_t step, std::uint32_t task, std::uint32_t a = 0,
                 std::uint64_t b = 0) {
    traces::event e;
    e.kind = kind;
    e.ts_ns = ts;
    e.step = step;
    e.task = task;
    e.a = a;
    e.b = b;
    return e;
}

// A small well-formed run: task 1 spawns task 2; each runs one step.
traces::trace small_trace() {
    traces::trace t;
    t.header.producer = "handmade";
    t.header.pid = 42;
    t.define_string(1, "main");
    t.define_string(2, "child");
    t.define_string(3, "coroscope::task<void> demo::main_task()");
    t.events = {
        ev(event_kind::trace_start, 0, 0, 0, 42),
        ev(event_kind::task_spawn, 10, 0, 1, 0, 1),
        ev(event_kind::task_resume, 20, 0, 1),
        ev(event_kind::frame_enter, 20, 0, 1, 3),
        ev(event_kind::task_spawn, 30, 0, 2, 1, 2),
        ev(event_kind::task_suspend, 40, 0, 1),
        ev(event_kind::task_resume, 50, 1, 2),
        ev(event_kind::task_exit, 60, 1, 2),
        ev(event_kind::task_resume, 70, 2, 1),
        ev(event_kind::frame_exit, 80, 2, 1),
        ev(event_kind::task_exit, 80, 2, 1),
        ev(event_kind::trace_end, 90, 3, 0),
    };
    return t;
}

std::string save(const traces::trace& t, const std::string& name) {
    std::string path = temp_path(name);
    REQUIRE(traces::save_file(path, t, traces::encoding_for_path(path)).empty());
    return path;
}

} // namespace

TEST_CASE("every new subcommand has --help") {
    for (const char* sub : {"validate", "convert", "record", "export"}) {
        auto r = run_command(tool + " " + sub + " --help");
        INFO(sub << ": " << r.out);
        CHECK(r.status == 0);
        CHECK_THAT(r.out, Catch::Contains(sub));
    }
}

TEST_CASE("validate: a recorded trace is clean, a hand-made good one too") {
    std::string path = record("nested", "v-nested.trace");
    auto r = run_command(tool + " validate " + path);
    CHECK(r.status == 0);
    CHECK_THAT(r.out, Catch::Contains(path + ": ok"));
    CHECK_THAT(r.out, Catch::Contains("producer sample-nested"));
    std::string good = save(small_trace(), "v-good.jsonl");
    auto g = run_command(tool + " validate " + good);
    CHECK(g.status == 0);
    CHECK_THAT(g.out, Catch::Contains(good + ": ok"));
    std::remove(path.c_str());
    std::remove(good.c_str());
}

TEST_CASE("validate: each broken rule is counted, named with an example, and makes the exit code 1") {
    struct broken {
        const char* expect;
        std::function<void(traces::trace&)> damage;
    };
    std::vector<broken> cases = {
        {"1 events out of timestamp order; first: event 7 (task_exit, step 1, ts 45 ns)",
         [](traces::trace& t) { t.events[7].ts_ns = 45; }},
        {"1 task_resume of an unknown task; first: event 6 (task_resume, step 1, ts 50 ns): task 2 was never spawned",
         [](traces::trace& t) { t.events[4].task = 7; }},
        {"1 frame_exit without frame_enter", [](traces::trace& t) { t.events[3].kind = event_kind::mark; }},
        {"1 step numbers not increasing; first: event 8 (task_resume, step 1, ts 70 ns) after step 1",
         [](traces::trace& t) { t.events[8].step = 1; }},
        {"1 task_resume while another step runs", [](traces::trace& t) { t.events[5].kind = event_kind::mark; }},
    };
    for (const auto& c : cases) {
        auto t = small_trace();
        c.damage(t);
        std::string path = save(t, "v-broken.trace");
        auto r = run_command(tool + " validate " + path);
        INFO(r.out);
        CHECK(r.status == 1);
        CHECK_THAT(r.out, Catch::Contains(path + ": error: " + c.expect));
        std::remove(path.c_str());
    }
}

TEST_CASE("validate: a partial stream (no trace_start) only warns about what began before it") {
    auto t = small_trace();
    t.events.erase(t.events.begin(), t.events.begin() + 2); // no trace_start, no spawn of task 1
    std::string path = save(t, "v-partial.trace");
    auto r = run_command(tool + " validate " + path);
    INFO(r.out);
    CHECK(r.status == 0);
    CHECK_THAT(r.out, Catch::Contains("warning: 1 task_resume of a task spawned before the trace began"));
    std::remove(path.c_str());
}

TEST_CASE("validate: truncated and damaged files name the byte offset") {
    std::string path = record("nested", "v-cut.trace");
    std::string bytes = read_bytes(path);
    std::string cut = temp_path("v-cut2.trace");
    std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() - 3);
    auto r = run_command(tool + " validate " + cut);
    INFO(r.out);
    CHECK(r.status == 1);
    CHECK_THAT(r.out, Catch::Contains(cut + ": error: truncated at byte "));
    auto expect = traces::load_file(cut).report.truncated_at;
    CHECK_THAT(r.out, Catch::Contains("truncated at byte " + std::to_string(expect)));

    // A JSON Lines file with a line that is not an object.
    std::string jl = temp_path("v-bad.jsonl");
    std::string good = save(small_trace(), "v-bad-src.jsonl");
    std::string text = read_bytes(good);
    auto at = text.find("{\"kind\":\"task_resume\"");
    text.insert(at, "[1,2]\n");
    std::ofstream(jl, std::ios::binary) << text;
    auto d = run_command(tool + " validate " + jl);
    INFO(d.out);
    CHECK(d.status == 1);
    CHECK_THAT(d.out, Catch::Contains("error: 1 damaged records; first: byte " + std::to_string(at)));

    auto missing = run_command(tool + " validate /nonexistent.trace 2>&1");
    CHECK(missing.status == 1);
    CHECK_THAT(missing.out, Catch::Contains("/nonexistent.trace: cannot open file"));
    for (const auto& p : {path, cut, jl, good}) std::remove(p.c_str());
}

TEST_CASE("convert: binary -> jsonl -> binary gives back the recorded bytes") {
    std::string original = record("nested", "c-nested.trace");
    std::string jsonl = temp_path("c-nested.jsonl");
    std::string back = temp_path("c-back.trace");
    auto a = run_command(tool + " convert " + original + " --to jsonl -o " + jsonl);
    REQUIRE(a.status == 0);
    CHECK(read_bytes(jsonl).front() == '{');
    auto b = run_command(tool + " convert " + jsonl + " --to binary -o " + back);
    REQUIRE(b.status == 0);
    CHECK(read_bytes(back) == read_bytes(original));
    auto x = traces::load_file(original), y = traces::load_file(jsonl);
    CHECK(x.trace.events == y.trace.events);
    CHECK(x.trace.strings == y.trace.strings);
    CHECK(x.trace.header == y.trace.header);

    // Without --to, the output name decides; jsonl -> jsonl is the same text.
    std::string jsonl2 = temp_path("c-again.jsonl");
    CHECK(run_command(tool + " convert " + jsonl + " -o " + jsonl2).status == 0);
    CHECK(read_bytes(jsonl2) == read_bytes(jsonl));

    auto bad = run_command(tool + " convert " + original + " --to xml -o " + back + " 2>&1");
    CHECK(bad.status != 0);
    auto missing = run_command(tool + " convert /nonexistent.trace -o " + back + " 2>&1");
    CHECK(missing.status == 1);
    CHECK_THAT(missing.out, Catch::Contains("/nonexistent.trace: cannot open file"));
    for (const auto& p : {original, jsonl, back, jsonl2}) std::remove(p.c_str());
}

TEST_CASE("convert: a cut file converts what loaded, says where it was cut, exits 1") {
    std::string jsonl = save(small_trace(), "c-cut-src.jsonl");
    std::string text = read_bytes(jsonl);
    std::string cut = temp_path("c-cut.jsonl");
    std::size_t at = text.find("{\"kind\":\"task_exit\"");
    std::ofstream(cut, std::ios::binary) << text.substr(0, at + 5);
    std::string out = temp_path("c-cut.trace");
    auto r = run_command(tool + " convert " + cut + " -o " + out + " 2>&1");
    CHECK(r.status == 1);
    CHECK_THAT(r.out, Catch::Contains(cut + ": truncated at byte " + std::to_string(at)));
    CHECK(traces::load_file(out).trace.events.size() == 7);
    for (const auto& p : {jsonl, cut, out}) std::remove(p.c_str());
}

TEST_CASE("record: runs the program with COROSCOPE_TRACE, sums up, passes its exit code on") {
    std::string path = temp_path("r-nested.trace");
    auto r = run_command(tool + " record --progress -o " + path + " -- " + bin + "/sample-nested 2>&1");
    INFO(r.out);
    CHECK(r.status == 0);
    auto loaded = traces::load_file(path);
    REQUIRE(loaded.report.error.empty());
    auto bytes = std::filesystem::file_size(path);
    CHECK_THAT(r.out, Catch::Contains("coroscope-trace: recorded " + path + ": " +
                                      std::to_string(loaded.trace.events.size()) + " events, " +
                                      std::to_string(bytes) + " bytes, 0 dropped; "));
    CHECK_THAT(r.out, Catch::Contains("exited with code 0"));

    // Program arguments after --, JSON Lines by name, a non-zero exit code passed on.
    std::string jl = temp_path("r-deadlock.jsonl");
    auto d = run_command(tool + " record -o " + jl + " -- " + bin + "/sample-philosophers --deadlock 2>&1");
    INFO(d.out);
    CHECK(d.status == 2);
    CHECK(read_bytes(jl).front() == '{');
    CHECK(traces::load_file(jl).report.error.empty());

    // Default name: the program's base name + .trace, in the current directory.
    auto dir = std::filesystem::path(temp_path("r-dir"));
    std::filesystem::create_directories(dir);
    auto n = run_command("cd " + dir.string() + " && " + tool + " record -- " + bin + "/sample-nested >/dev/null 2>&1");
    CHECK(n.status == 0);
    CHECK(std::filesystem::exists(dir / "sample-nested.trace"));

    // Not a Coroscope program: no trace, its exit code anyway.
    auto sh = run_command("cd " + dir.string() + " && " + tool + " record -- /bin/sh -c 'exit 3' 2>&1");
    CHECK(sh.status == 3);
    CHECK_THAT(sh.out, Catch::Contains("wrote no trace"));
    auto none = run_command(tool + " record -o " + path + " -- /nonexistent/program 2>&1");
    CHECK(none.status == 127);
    CHECK_THAT(none.out, Catch::Contains("/nonexistent/program: cannot run: No such file or directory"));
    std::filesystem::remove_all(dir);
    std::remove(path.c_str());
    std::remove(jl.c_str());
}

namespace {

// What two recordings of the same deterministic run share: every event and string, without the
// wall-clock parts (timestamps, sleep deadlines and timer due times, pid, start time).
std::vector<std::string> without_times(const traces::trace& t) {
    std::vector<std::string> out(t.strings.begin(), t.strings.end());
    for (traces::event e : t.events) {
        e.ts_ns = 0;
        if (e.kind == event_kind::task_suspend || e.kind == event_kind::timer_arm) e.b = 0;
        if (e.kind == event_kind::trace_start) e.a = 0;
        out.push_back(std::string(traces::to_string(e.kind)) + " " + std::to_string(e.step) + " " +
                      std::to_string(e.tick) + " " + std::to_string(e.task) + " " + std::to_string(e.code) + " " +
                      std::to_string(e.a) + " " + std::to_string(e.b) + " " + std::to_string(e.reserved));
    }
    return out;
}

} // namespace

TEST_CASE("record --zstd: the program writes zstd blocks itself, the same events as without") {
    std::string plain = temp_path("rz-plain.trace"), packed = temp_path("rz-zstd.trace");
    const std::string program = " -- " + bin + "/sample-bugs --seed 1 2>&1";
    // The fixed schedule makes the run repeatable; a loaded machine can still shift a timer into
    // another tick, so up to 3 pairs of runs are recorded until one pair agrees.
    bool same = false;
    for (int attempt = 0; attempt < 3 && !same; ++attempt) {
        auto a = run_command("COROSCOPE_SCHEDULE=random:1 " + tool + " record -o " + plain + program);
        auto b = run_command("COROSCOPE_SCHEDULE=random:1 " + tool + " record --zstd -o " + packed + program);
        INFO(a.out << b.out);
        REQUIRE(a.status == 0);
        REQUIRE(b.status == 0);
        auto from_plain = traces::load_file(plain);
        auto from_zstd = traces::load_file(packed);
        REQUIRE(from_plain.report.error.empty());
        REQUIRE(from_zstd.report.error.empty());
        CHECK_FALSE(from_zstd.report.truncated);
        CHECK((from_plain.trace.header.features & traces::binary::feature_zstd_blocks) == 0);
        CHECK((from_zstd.trace.header.features & traces::binary::feature_zstd_blocks) != 0);
        CHECK(from_zstd.trace.events.size() > 100);
        CHECK(std::filesystem::file_size(packed) < std::filesystem::file_size(plain));
        // The summary line counts what the zstd file holds.
        CHECK_THAT(b.out, Catch::Contains(std::to_string(from_zstd.trace.events.size()) + " events, " +
                                          std::to_string(std::filesystem::file_size(packed)) + " bytes"));
        same = without_times(from_plain.trace) == without_times(from_zstd.trace);
    }
    CHECK(same);

    // The variable alone does the same for any program; JSON Lines has no blocks to write.
    auto env = run_command("COROSCOPE_TRACE_ZSTD=1 COROSCOPE_TRACE=" + packed + " " + bin + "/sample-nested >/dev/null 2>&1");
    CHECK(env.status == 0);
    auto direct = traces::load_file(packed);
    CHECK(direct.report.error.empty());
    CHECK((direct.trace.header.features & traces::binary::feature_zstd_blocks) != 0);
    auto jsonl = run_command(tool + " record --zstd -o " + temp_path("rz.jsonl") + " -- " + bin + "/sample-nested 2>&1");
    CHECK(jsonl.status == 2);
    CHECK_THAT(jsonl.out, Catch::Contains("--zstd needs the binary encoding"));
    std::remove(plain.c_str());
    std::remove(packed.c_str());
}

namespace {

struct chrome_counts {
    std::size_t steps = 0, instants = 0, flow_starts = 0, flow_ends = 0;
    std::map<std::uint64_t, std::string> threads; // tid -> name
    std::set<std::uint64_t> start_ids, end_ids;
    std::map<std::string, std::size_t> flows_by_cat;
};

chrome_counts count(const nlohmann::json& j) {
    chrome_counts c;
    for (const auto& e : j.at("traceEvents")) {
        std::string ph = e.at("ph");
        if (ph == "X" && e.at("cat") == "step") ++c.steps;
        if (ph == "i") ++c.instants;
        if (ph == "M" && e.at("name") == "thread_name") c.threads[e.at("tid")] = e.at("args").at("name");
        if (ph == "s") {
            ++c.flow_starts;
            c.start_ids.insert(e.at("id").get<std::uint64_t>());
            ++c.flows_by_cat[e.at("cat")];
        }
        if (ph == "f") {
            ++c.flow_ends;
            c.end_ids.insert(e.at("id").get<std::uint64_t>());
            CHECK(e.at("bp") == "e");
        }
        if (ph != "M") {
            CHECK(e.at("ts").is_number());
            CHECK(e.at("pid").is_number());
        }
    }
    return c;
}

} // namespace

TEST_CASE("export: a hand-made trace gives exactly the slices, threads and flows it holds") {
    auto j = inspector::chrome_trace(small_trace());
    auto c = count(j);
    CHECK(c.steps == 3);
    CHECK(c.threads == std::map<std::uint64_t, std::string>{{0, "scheduler loop"}, {1, "main"}, {2, "child"}});
    CHECK(c.flows_by_cat == std::map<std::string, std::size_t>{{"spawn", 1}});
    CHECK(c.start_ids == c.end_ids);
    for (const auto& e : j["traceEvents"]) {
        if (e["ph"] == "M" && e["name"] == "process_name") CHECK(e["args"]["name"] == "handmade");
        if (e["ph"] == "X" && e["args"]["step"] == 0) {
            CHECK(e["name"] == "demo::main_task()");
            CHECK(e["tid"] == 1);
            CHECK(e["pid"] == 42);
            CHECK(e["ts"] == Approx(0.020));
            CHECK(e["dur"] == Approx(0.020));
        }
        if (e["ph"] == "X" && e["args"]["step"] == 1) CHECK(e["name"] == "child"); // no frame: task name
    }
}

TEST_CASE("export: Chrome JSON of recorded samples parses and matches the trace") {
    for (const char* sample : {"nested", "timers", "echo"}) {
        INFO(sample);
        std::string path = record(sample, std::string("e-") + sample + ".trace",
                                  std::string(sample) == "echo" ? "--clients 2 --messages 3" : "");
        std::string out = temp_path(std::string("e-") + sample + ".json");
        auto r = run_command(tool + " export " + path + " --format chrome -o " + out + " 2>&1");
        INFO(r.out);
        REQUIRE(r.status == 0);
        auto j = nlohmann::json::parse(read_bytes(out));
        auto c = count(j);
        auto loaded = traces::load_file(path);
        const auto& t = loaded.trace;
        std::size_t resumes = 0, instants = 0, spawns_with_parent = 0, wakes = 0;
        std::map<std::uint64_t, std::string> names{{0, "scheduler loop"}};
        for (const auto& e : t.events) {
            resumes += e.kind == event_kind::task_resume;
            instants += e.kind == event_kind::io_ready || e.kind == event_kind::timer_fire || e.kind == event_kind::mark;
            if (e.kind == event_kind::task_spawn) {
                names[e.task] = std::string(t.text(e.b));
                spawns_with_parent += e.a != 0;
            }
            if (e.kind == event_kind::task_ready && e.a != 0 && e.a != e.task &&
                e.code != static_cast<std::uint8_t>(traces::wait_reason::spawn))
                ++wakes;
        }
        CHECK(c.steps == resumes);
        CHECK(c.instants == instants);
        CHECK(c.threads == names);
        CHECK(c.flows_by_cat["spawn"] == spawns_with_parent); // every spawned task ran
        CHECK(c.flows_by_cat["wake"] <= wakes);               // a woken task may never run again
        CHECK(c.flow_starts == c.flow_ends);
        CHECK(c.start_ids == c.end_ids);
        if (std::string(sample) != "nested") CHECK(c.instants > 0);
        if (std::string(sample) == "nested") CHECK(c.flows_by_cat["wake"] > 0);
        CHECK(j["otherData"]["producer"] == std::string("sample-") + sample);
        std::remove(path.c_str());
        std::remove(out.c_str());
    }
    auto bad = run_command(tool + " export /nonexistent.trace -o /tmp/x.json 2>&1");
    CHECK(bad.status == 1);
    CHECK_THAT(bad.out, Catch::Contains("/nonexistent.trace: cannot open file"));
}
