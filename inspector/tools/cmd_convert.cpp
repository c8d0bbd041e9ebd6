// coroscope-trace convert FILE --to jsonl|binary [--zstd] -o OUT: re-encodes a trace record by record
// (the decoder feeds a file_writer), so strings and events keep their order and every field its
// value: binary -> jsonl -> binary gives back the bytes the scheduler wrote. --zstd writes the
// records in compressed blocks (format 1.5: zstd columns with built-in dictionary 1, or modelled
// blocks for up to 64 KiB of records when smaller); any reader of format 1.5 loads either. A binary output is written in the current format (traces::format_minor,
// with 1.3 string pieces records), whatever minor the input said.
#include "commands.hpp"

#include <coroscope/traces/reader.hpp>
#include <coroscope/traces/writer.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>

namespace coroscope::cli {
namespace {

struct convert_options {
    std::string input;
    std::string output;
    std::string to; // "" = from the output name
    bool zstd = false;
};

int run_convert(const convert_options& o) {
    traces::encoding enc = traces::encoding_for_path(o.output);
    if (o.to == "jsonl") enc = traces::encoding::jsonl;
    else if (o.to == "binary") enc = traces::encoding::binary;
    if (o.zstd && enc != traces::encoding::binary) {
        std::cerr << "coroscope-trace: " << o.output << ": --zstd needs the binary encoding (--to binary)\n";
        return 1;
    }

    std::FILE* in = std::fopen(o.input.c_str(), "rb");
    if (!in) {
        std::cerr << "coroscope-trace: " << o.input << ": cannot open file: " << std::strerror(errno) << "\n";
        return 1;
    }
    if (o.input == o.output) {
        std::fclose(in);
        std::cerr << "coroscope-trace: " << o.output << ": the output would overwrite the input\n";
        return 1;
    }
    traces::file_writer writer(o.output, enc, o.zstd ? traces::compression::zstd : traces::compression::none);
    if (!writer.ok()) {
        std::fclose(in);
        std::cerr << "coroscope-trace: " << writer.error() << "\n";
        return 1;
    }
    traces::decoder decoder(writer);
    char buffer[64 * 1024];
    std::size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, in)) > 0) decoder.feed({buffer, n});
    bool read_error = std::ferror(in) != 0;
    int read_errno = errno;
    std::fclose(in);
    decoder.finish();
    writer.flush();

    const auto& r = decoder.report();
    if (read_error) {
        std::cerr << "coroscope-trace: " << o.input << ": read error: " << std::strerror(read_errno) << "\n";
        return 1;
    }
    if (r.fatal) {
        std::cerr << "coroscope-trace: " << traces::describe_problems(o.input, r) << "\n";
        std::remove(o.output.c_str());
        return 1;
    }
    if (!writer.error().empty()) {
        std::cerr << "coroscope-trace: " << writer.error() << "\n";
        return 1;
    }
    // What loaded is converted; damage and truncation are reported and make the exit code 1, so a
    // script notices that OUT holds less than the input claimed.
    std::string problems = traces::describe_problems(o.input, r);
    if (!problems.empty()) std::cerr << "coroscope-trace: " << problems << "; converted what loaded\n";
    return r.truncated || r.bad_records > 0 ? 1 : 0;
}

} // namespace

command add_convert(CLI::App& app) {
    auto o = std::make_shared<convert_options>();
    auto* sub = app.add_subcommand("convert", "re-encode a trace exactly (binary <-> JSON Lines)");
    sub->add_option("trace", o->input, "trace file (binary or JSON Lines)")->required();
    sub->add_option("--to", o->to, "output encoding (default: from the output name, .jsonl/.json = jsonl)")
        ->check(CLI::IsMember({"jsonl", "binary"}));
    sub->add_option("-o,--output", o->output, "file to write")->required();
    sub->add_flag("--zstd", o->zstd, "binary: compress records in zstd blocks (format 1.2, ~2x smaller)");
    return {sub, [o] { return run_convert(*o); }};
}

} // namespace coroscope::cli
