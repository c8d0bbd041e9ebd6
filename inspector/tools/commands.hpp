#pragma once
// coroscope-trace subcommands that live in their own files (tools/cmd_<name>.cpp). Each add_<name>
// registers its subcommand on the app and returns it with the function that runs it once parsed;
// main() runs the one that was chosen:
//
//     std::vector<cli::command> commands{cli::add_validate(app), ...};
//     CLI11_PARSE(app, argc, argv);
//     for (auto& c : commands) if (*c.app) return c.run();
#include <CLI/CLI.hpp>

#include <functional>

namespace coroscope::cli {

struct command {
    CLI::App* app = nullptr;  // the subcommand; true when it was given on the command line
    std::function<int()> run; // runs it; returns the process exit code
};

// validate FILE: decoding problems and cheap semantic checks; exit 1 if any error.
command add_validate(CLI::App& app);
// convert FILE --to jsonl|binary -o OUT: exact re-encoding, record by record.
command add_convert(CLI::App& app);
// record [-o FILE] [--zstd] -- PROGRAM ARGS...: runs PROGRAM with COROSCOPE_TRACE set (and COROSCOPE_TRACE_ZSTD=1); exit code = PROGRAM's.
command add_record(CLI::App& app);
// export FILE --format chrome -o OUT.json: Chrome/Perfetto trace-event JSON.
command add_export(CLI::App& app);
// lint FILE [--json] [--long-step-ms N] [--starvation-ticks N]: scheduling-bug findings; exit 1 if any.
command add_lint(CLI::App& app);
// stats FILE [--json]: per-task and total time, latencies, IO lanes, failures.
command add_stats(CLI::App& app);
// attach ADDR -o FILE: records a live program until it exits (exit 0 when it exited 0).
command add_attach(CLI::App& app);
// control ADDR COMMAND [ARG]: one command to a live program; prints where it stopped.
command add_control(CLI::App& app);

} // namespace coroscope::cli
