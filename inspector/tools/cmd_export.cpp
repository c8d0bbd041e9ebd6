// coroscope-trace export FILE --format chrome -o OUT.json: Chrome trace-event JSON for Perfetto
// (ui.perfetto.dev) and chrome://tracing. The conversion is inspector::chrome_trace().
#include "commands.hpp"

#include <coroscope/inspector/chrome_export.hpp>
#include <coroscope/traces/reader.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

namespace coroscope::cli {
namespace {

struct export_options {
    std::string input;
    std::string output;
    std::string format = "chrome";
    bool polls = false;
};

int run_export(const export_options& o) {
    auto loaded = traces::load_file(o.input);
    std::string problems = traces::describe_problems(o.input, loaded.report);
    if (loaded.report.fatal) {
        std::cerr << "coroscope-trace: " << problems << "\n";
        return 1;
    }
    if (!problems.empty()) std::cerr << "coroscope-trace: " << problems << "; exporting what loaded\n";
    inspector::chrome_options options;
    options.polls = o.polls;
    std::string text = inspector::chrome_trace(loaded.trace, options).dump();
    std::ofstream out(o.output, std::ios::binary | std::ios::trunc);
    if (!out) {
        std::cerr << "coroscope-trace: " << o.output << ": cannot open for writing: " << std::strerror(errno) << "\n";
        return 1;
    }
    out << text << "\n";
    out.close();
    if (!out) {
        std::cerr << "coroscope-trace: " << o.output << ": write failed: " << std::strerror(errno) << "\n";
        return 1;
    }
    return 0;
}

} // namespace

command add_export(CLI::App& app) {
    auto o = std::make_shared<export_options>();
    auto* sub = app.add_subcommand("export", "export a trace for other tools (Chrome trace-event JSON: Perfetto, "
                                             "chrome://tracing)");
    sub->add_option("trace", o->input, "trace file (binary or JSON Lines)")->required();
    sub->add_option("--format", o->format, "output format")->check(CLI::IsMember({"chrome"}))->capture_default_str();
    sub->add_option("-o,--output", o->output, "file to write (e.g. OUT.json)")->required();
    sub->add_flag("--polls", o->polls, "also show the loop's IO polls as slices on the scheduler loop thread");
    return {sub, [o] { return run_export(*o); }};
}

} // namespace coroscope::cli
