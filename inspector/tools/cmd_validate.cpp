// coroscope-trace validate FILE: what the reader reported (truncation, damaged and unknown records)
// plus cheap semantic checks over the events. Exit 0 when no error counter is above zero, else 1.
#include "commands.hpp"

#include <coroscope/traces/reader.hpp>

#include <cstdint>
#include <filesystem>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

namespace coroscope::cli {
namespace {

using traces::event_kind;

// One kind of problem: how many, and the first one as an example.
struct counter {
    std::string what;
    bool error;           // false = a warning (does not change the exit code)
    bool counted = true;  // print the count before `what`
    std::uint64_t count = 0;
    std::string first;

    counter(std::string w, bool is_error) : what(std::move(w)), error(is_error) {}

    void add(const std::string& example) {
        if (count++ == 0) first = example;
    }
};

std::string event_ref(std::size_t index, const traces::event& e) {
    std::ostringstream s;
    s << "event " << index << " (" << traces::to_string(e.kind) << ", step " << e.step << ", ts " << e.ts_ns
      << " ns)";
    return s.str();
}

int run_validate(const std::string& path) {
    auto loaded = traces::load_file(path);
    const auto& r = loaded.report;
    const auto& t = loaded.trace;

    if (r.fatal) {
        std::cerr << "coroscope-trace: " << traces::describe_problems(path, r) << "\n";
        return 1;
    }

    std::error_code ec;
    auto size = std::filesystem::file_size(path, ec);
    std::cout << path << ": " << (r.encoding == traces::encoding::binary ? "binary" : "JSON Lines") << " "
              << t.header.major << "." << t.header.minor << ", producer "
              << (t.header.producer.empty() ? "?" : t.header.producer) << ", " << t.events.size() << " events, "
              << (t.strings.size() - 1) << " strings";
    if (!ec) std::cout << ", " << size << " bytes";
    std::cout << "\n";

    counter truncated{"truncated", true};
    counter damaged{"damaged records", true};
    counter unknown{"unknown records (newer minor version, skipped)", false};
    counter ts_order{"events out of timestamp order", true};
    counter step_order{"step numbers not increasing", true};
    counter unknown_task{"task_resume of an unknown task", true};
    counter unmatched_exit{"frame_exit without frame_enter", true};
    counter nested_step{"task_resume while another step runs", true};
    counter dropped{"events dropped by the recorder", false};
    counter partial_task{"task_resume of a task spawned before the trace began", false};
    counter partial_frame{"frame_exit of a frame entered before the trace began", false};

    if (r.truncated) {
        truncated.count = 1;
        truncated.counted = false;
        truncated.what = "truncated at byte " + std::to_string(r.truncated_at) + " (every record before it loaded)";
    }
    if (r.bad_records > 0) {
        damaged.count = r.bad_records;
        damaged.first = r.error;
    }
    if (r.unknown_records > 0) unknown.count = r.unknown_records;

    // A trace that begins with trace_start is a whole run: every task and frame it mentions must
    // have begun in it. One that does not (a live attach, a ring buffer) or one with drops may
    // refer to what it never saw; that is a warning, not an error.
    bool whole = !t.events.empty() && t.events.front().kind == event_kind::trace_start;
    std::unordered_map<std::uint32_t, std::uint32_t> frame_depth; // task -> frames entered in the trace
    std::unordered_map<std::uint32_t, bool> spawned;
    std::uint32_t running = 0; // task of the step in progress, 0 = none
    bool any_step = false;
    std::uint64_t last_step = 0;
    std::uint64_t drops = 0;
    for (std::size_t i = 0; i < t.events.size(); ++i) {
        const auto& e = t.events[i];
        if (i > 0 && e.ts_ns < t.events[i - 1].ts_ns) {
            ts_order.add(event_ref(i, e) + " is " + std::to_string(t.events[i - 1].ts_ns - e.ts_ns) +
                         " ns before the event ahead of it");
        }
        switch (e.kind) {
        case event_kind::task_spawn: spawned[e.task] = true; break;
        case event_kind::task_resume:
            if (any_step && e.step <= last_step) {
                step_order.add(event_ref(i, e) + " after step " + std::to_string(last_step));
            }
            any_step = true;
            last_step = e.step;
            if (!spawned.count(e.task)) {
                (whole ? unknown_task : partial_task)
                    .add(event_ref(i, e) + ": task " + std::to_string(e.task) + " was never spawned");
                spawned[e.task] = true; // report each task once
            }
            if (running != 0 && running != e.task) {
                nested_step.add(event_ref(i, e) + ": task " + std::to_string(running) + "'s step has not ended");
            }
            running = e.task;
            break;
        case event_kind::task_suspend:
        case event_kind::task_exit:
            if (running == e.task) running = 0;
            break;
        case event_kind::frame_enter: ++frame_depth[e.task]; break;
        case event_kind::frame_exit: {
            auto& depth = frame_depth[e.task];
            if (depth == 0) {
                (whole ? unmatched_exit : partial_frame)
                    .add(event_ref(i, e) + ": task " + std::to_string(e.task) + " has no open frame");
            } else {
                --depth;
            }
            break;
        }
        case event_kind::dropped:
            drops += e.b;
            dropped.add(event_ref(i, e) + ": " + std::to_string(e.b) + " lost");
            // What follows a drop may refer to tasks and frames whose beginnings were lost.
            whole = false;
            break;
        default: break;
        }
    }
    if (dropped.count > 0) dropped.first = std::to_string(drops) + " events in " + std::to_string(dropped.count) +
                                           " gaps; first: " + dropped.first;

    const counter* all[] = {&truncated,  &damaged,      &ts_order, &step_order, &unknown_task,  &unmatched_exit,
                            &nested_step, &unknown,     &dropped,  &partial_task, &partial_frame};
    std::uint64_t errors = 0, warnings = 0;
    for (const auto* c : all) {
        if (c->count == 0) continue;
        (c->error ? errors : warnings) += c->count;
        std::cout << path << ": " << (c->error ? "error: " : "warning: ");
        if (c->counted) std::cout << c->count << " ";
        std::cout << c->what;
        if (!c->first.empty()) std::cout << "; first: " << c->first;
        std::cout << "\n";
    }
    if (errors == 0 && warnings == 0) std::cout << path << ": ok\n";
    else std::cout << path << ": " << errors << " error(s), " << warnings << " warning(s)\n";
    return errors > 0 ? 1 : 0;
}

} // namespace

command add_validate(CLI::App& app) {
    auto path = std::make_shared<std::string>();
    auto* sub = app.add_subcommand("validate", "check a trace: damaged, unknown or cut records, events out of "
                                               "order, unknown tasks, unmatched frames; exit 1 on any error");
    sub->add_option("trace", *path, "trace file (binary or JSON Lines)")->required();
    return {sub, [path] { return run_validate(*path); }};
}

} // namespace coroscope::cli
