// coroscope-trace stats FILE [--json]: per task and total steps, busy time, step histogram,
// ready-to-resume latency and waiting time by reason; then IO lanes per resource and failures.
#include "commands.hpp"

#include <coroscope/inspector/report.hpp>
#include <coroscope/inspector/model.hpp>
#include <coroscope/inspector/resources.hpp>
#include <coroscope/inspector/stats.hpp>
#include <coroscope/traces/reader.hpp>

#include <iostream>
#include <memory>
#include <string>

namespace coroscope::cli {

command add_stats(CLI::App& app) {
    struct options {
        std::string path;
        bool json = false;
    };
    auto o = std::make_shared<options>();
    auto* sub = app.add_subcommand("stats", "where the time went: per-task steps, busy time, latencies, waits; IO "
                                            "lanes per resource; failures with their thrown stacks");
    sub->add_option("trace", o->path, "trace file")->required();
    sub->add_flag("--json", o->json, "print JSON instead of text");
    return {sub, [o]() {
                auto loaded = traces::load_file(o->path);
                std::string problems = traces::describe_problems(o->path, loaded.report);
                if (!problems.empty()) std::cerr << "coroscope-trace: " << problems << "\n";
                if (loaded.report.fatal) return 1;
                inspector::model m(loaded.trace);
                if (auto skipped = inspector::skipped_events_text(m); !skipped.empty())
                    std::cerr << "coroscope-trace: " << o->path << ": " << skipped << "\n";
                auto stats = inspector::compute_stats(m);
                auto lanes = inspector::resource_lanes(m);
                auto failures = inspector::task_failures(m);
                if (o->json) {
                    nlohmann::json j = inspector::stats_json(m, stats);
                    j["resources"] = inspector::resources_json(m, lanes);
                    j["failures"] = inspector::failures_json(m, failures);
                    std::cout << j.dump(2) << "\n";
                } else {
                    std::cout << inspector::stats_text(m, stats);
                    if (!lanes.empty()) std::cout << "\nresources\n" << inspector::resources_text(m, lanes);
                    if (!failures.empty()) std::cout << "\nfailures\n" << inspector::failures_text(m, failures);
                }
                return 0;
            }};
}

} // namespace coroscope::cli
