// coroscope-trace: the headless CLI for trace files and live programs.
#include "commands.hpp"

#include <coroscope/inspector/model.hpp>
#include <coroscope/inspector/report.hpp>
#include <coroscope/traces/reader.hpp>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <vector>

namespace {

using namespace coroscope;

// Loads a trace; prints problems on stderr. Returns false when nothing usable was read.
bool load(const std::string& path, traces::loaded_trace& out) {
    out = traces::load_file(path);
    std::string problems = traces::describe_problems(path, out.report);
    if (!problems.empty()) std::cerr << "coroscope-trace: " << problems << "\n";
    return !out.report.fatal;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"coroscope-trace: inspect Coroscope trace files without a window"};
    app.require_subcommand(1);

    std::string info_path;
    auto* info = app.add_subcommand("info", "header, counts by event kind, tasks, steps, duration");
    info->add_option("trace", info_path, "trace file")->required();

    std::string dump_path;
    std::uint64_t dump_step = 0;
    bool dump_as_json = false;
    auto* dump = app.add_subcommand("dump", "every task's state, wait reason and nested stack at a step");
    dump->add_option("trace", dump_path, "trace file")->required();
    dump->add_option("--at", dump_step, "the step (the state just before it runs); past the end = end of trace")
        ->required();
    dump->add_flag("--json", dump_as_json, "print JSON instead of text");

    // Subcommands in their own files (tools/cmd_<name>.cpp, declared in commands.hpp).
    std::vector<cli::command> commands{cli::add_validate(app), cli::add_convert(app), cli::add_record(app),
                                       cli::add_export(app), cli::add_lint(app), cli::add_stats(app),
                                       cli::add_attach(app), cli::add_control(app)};

    CLI11_PARSE(app, argc, argv);

    for (auto& c : commands)
        if (*c.app) return c.run();

    traces::loaded_trace loaded;
    if (*info) {
        if (!load(info_path, loaded)) return 1;
        inspector::model m(loaded.trace);
        if (auto skipped = inspector::skipped_events_text(m); !skipped.empty())
            std::cerr << "coroscope-trace: " << info_path << ": " << skipped << "\n";
        std::cout << inspector::info_text(m, loaded.report);
        return 0;
    }
    if (*dump) {
        if (!load(dump_path, loaded)) return 1;
        inspector::model m(loaded.trace);
        if (auto skipped = inspector::skipped_events_text(m); !skipped.empty())
            std::cerr << "coroscope-trace: " << dump_path << ": " << skipped << "\n";
        if (dump_step > m.step_count()) {
            std::cerr << "coroscope-trace: " << dump_path << ": --at " << dump_step << " is past the last step ("
                      << m.step_count() << "); showing the end of the trace\n";
        }
        m.seek(dump_step);
        if (dump_as_json) std::cout << inspector::dump_json(m).dump(2) << "\n";
        else std::cout << inspector::dump_text(m);
        return 0;
    }
    return 0;
}
