// coroscope-trace lint FILE [--json] [--long-step-ms N] [--starvation-ticks N] [--starvation-ms N]: the
// lints of inspector/lints.hpp. Exit 1 when there are findings, 0 when clean (2 when the file cannot
// be read).
#include "commands.hpp"

#include <coroscope/inspector/report.hpp>
#include <coroscope/inspector/lints.hpp>
#include <coroscope/inspector/model.hpp>
#include <coroscope/traces/reader.hpp>

#include <iostream>
#include <memory>
#include <string>

namespace coroscope::cli {

command add_lint(CLI::App& app) {
    struct options {
        std::string path;
        bool json = false;
        double long_step_ms = 10;
        std::uint64_t starvation_ticks = 3;
        double starvation_ms = 20;
    };
    auto o = std::make_shared<options>();
    auto* sub = app.add_subcommand("lint", "find scheduling bugs: long steps, starvation, leaked tasks, swallowed "
                                           "exceptions, deadlocks, lost wakeups, never-yielding tasks (exit 1 if any)");
    sub->add_option("trace", o->path, "trace file")->required();
    sub->add_flag("--json", o->json, "print JSON instead of text");
    sub->add_option("--long-step-ms", o->long_step_ms, "a step longer than this is a finding (default 10)")
        ->check(CLI::NonNegativeNumber);
    sub->add_option("--starvation-ticks", o->starvation_ticks,
                    "a task ready for more than this many ticks before it runs is a finding (default 3)");
    sub->add_option("--starvation-ms", o->starvation_ms,
                    "a task woken from a wait that sat ready while more than this much of other tasks' steps ran "
                    "is a finding (default 20)")
        ->check(CLI::NonNegativeNumber);
    return {sub, [o]() {
                auto loaded = traces::load_file(o->path);
                std::string problems = traces::describe_problems(o->path, loaded.report);
                if (!problems.empty()) std::cerr << "coroscope-trace: " << problems << "\n";
                if (loaded.report.fatal) return 2;
                inspector::model m(loaded.trace);
                if (auto skipped = inspector::skipped_events_text(m); !skipped.empty())
                    std::cerr << "coroscope-trace: " << o->path << ": " << skipped << "\n";
                inspector::lint_options opt;
                opt.long_step_ns = static_cast<std::uint64_t>(o->long_step_ms * 1e6);
                opt.starvation_ticks = o->starvation_ticks;
                opt.starvation_ns = static_cast<std::uint64_t>(o->starvation_ms * 1e6);
                auto findings = inspector::run_lints(m, opt);
                if (o->json) std::cout << inspector::lints_json(m, findings).dump(2) << "\n";
                else std::cout << inspector::lints_text(m, findings);
                return findings.empty() ? 0 : 1;
            }};
}

} // namespace coroscope::cli
