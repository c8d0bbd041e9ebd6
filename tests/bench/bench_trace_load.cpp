// bench-trace-load: how fast traces are written and read, binary vs JSON Lines.
//
// The trace is real: the scheduler records 10 tasks that mostly yield, call a nested frame every 8th
// iteration and sleep (0 ms, through the loop's timer) every 32nd, until about 5M events are
// recorded. It is then encoded in memory both ways (traces::encode: write throughput) and decoded
// from memory (traces::load_bytes: load throughput); both loads are checked to give back every event.
// JSON Lines is about 50x slower, so it is timed on the trace's first 500k events (the same
// header, strings and event mix): rates are per event, and the whole bench stays within budget.
// Targets: binary load >= 50M events/s, and >= 30x faster than JSON Lines. The same trace with
// zstd blocks (format 1.2) is written and loaded too (info rows: size, load and write rates), and
// the golden traces with modelled blocks (format 1.5, layout 3) against their plain twins.
// Size targets (the issue): at most 8 bytes per event, 3 with zstd blocks, on average over the
// samples' traces: measured on the committed golden files (traces/golden/*.trace and zstd/*.trace,
// whole files: header, strings, events), read at run time; the long recorded run is a row too, and
// so is its first 400 events, a short run that is not a sample (traces/golden/zstd_budget.py says
// where the golden files' bytes go). The zstd size is also printed per golden file (and their mean),
// and for the samples run at their default arguments by this bench (bin/sample-* beside it,
// COROSCOPE_TRACE_ZSTD=1): per file, the files' mean and pooled (all bytes / all events).
//
// Freed memory is kept in the process (mallopt) so repeated runs measure the codecs, not the
// kernel handing out fresh pages (on this VM first-touching memory costs ~9 us per 4 KiB page).
// The first, cold binary load is reported too. Times are the thread's CPU time (bench::timer::cpu):
// the rates are per core, and time spent descheduled on a shared machine is left out.
#include "bench_common.hpp"

#include <coroscope/coroscope.hpp>
#include <coroscope/traces/binary.hpp>
#include <coroscope/traces/reader.hpp>
#include <coroscope/traces/writer.hpp>

#include <malloc.h>
#include <unistd.h>

#include <algorithm>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <filesystem>
#include <string>
#include <vector>

namespace {

constexpr std::size_t target_events = 5'000'000;
constexpr std::size_t json_events = 500'000;
constexpr int tasks = 10;
constexpr std::size_t short_events = 400; // a short run, the size of the samples' golden traces

namespace tr = coroscope::traces;

// A collector that reserves its event vector up front.
class reserving_collector final : public tr::event_sink {
public:
    explicit reserving_collector(std::size_t capacity) { trace.events.reserve(capacity); }
    void on_header(const tr::header& h) override { trace.header = h; }
    void on_string(std::uint32_t id, std::string_view text) override { trace.define_string(id, text); }
    void on_event(const tr::event& e) override { trace.events.push_back(e); }
    tr::trace trace;
};

const reserving_collector* recording = nullptr;

coroscope::task<int> nested_work(int i) {
    co_return i * 2;
}

coroscope::task<void> worker() {
    int sum = 0;
    for (int i = 0; recording->trace.events.size() < target_events; ++i) {
        if (i % 32 == 31) co_await coroscope::sleep_for(std::chrono::milliseconds(0));
        else if (i % 8 == 7) sum += co_await nested_work(i);
        else co_await coroscope::yield();
    }
    (void)sum;
}

tr::trace record_trace() {
    reserving_collector sink(target_events + 100'000);
    recording = &sink;
    uv_loop_t loop;
    if (uv_loop_init(&loop) != 0) std::abort();
    {
        coroscope::scheduler sched(&loop);
        tr::header h;
        h.producer = "bench-trace-load";
        sched.record_to(sink, h);
        std::vector<coroscope::join_handle<void>> handles;
        for (int i = 0; i < tasks; ++i) handles.push_back(sched.spawn(worker(), "worker " + std::to_string(i)));
        sched.run();
        sched.end_recording();
    }
    if (uv_loop_close(&loop) != 0) std::abort();
    return std::move(sink.trace);
}

volatile std::size_t sink_value;

// Counts what the decoder delivers: decoding alone, without building a trace in memory.
class counting_sink final : public tr::event_sink {
public:
    void on_header(const tr::header&) override {}
    void on_string(std::uint32_t, std::string_view) override {}
    void on_event(const tr::event&) override { ++events; }
    std::size_t events = 0;
};

} // namespace

// Whole-file bytes per event over the traces in dir (total bytes / total events), and how many.
struct golden_size {
    double bytes_per_event = 0;
    std::size_t traces = 0;
    double events = 0;
    bool ok = true;
};

golden_size golden_bytes_per_event(const std::filesystem::path& dir) {
    golden_size out;
    double bytes = 0;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
        if (!entry.is_regular_file() || entry.path().extension() != ".trace") continue;
        tr::loaded_trace loaded = tr::load_file(entry.path().string());
        if (!loaded.report.error.empty() || loaded.trace.events.empty()) {
            std::fprintf(stderr, "bench-trace-load: %s: %s\n", entry.path().c_str(),
                         tr::describe_problems(entry.path().string(), loaded.report).c_str());
            out.ok = false;
            continue;
        }
        bytes += static_cast<double>(entry.file_size());
        out.events += static_cast<double>(loaded.trace.events.size());
        ++out.traces;
    }
    if (ec || out.traces == 0) {
        std::fprintf(stderr, "bench-trace-load: no golden traces in %s\n", dir.c_str());
        out.ok = false;
    }
    if (out.events > 0) out.bytes_per_event = bytes / out.events;
    return out;
}

// The samples at their default arguments, recorded by this run with zstd blocks as a user would
// (COROSCOPE_TRACE=FILE COROSCOPE_TRACE_ZSTD=1 sample-X): whole-file bytes per event of each, and the
// same events re-encoded plainly (traces::encode) for comparison.
struct sample_size {
    std::string name;
    double events = 0;
    double zstd_bytes = 0;
    double plain_bytes = 0;
};

const char* const default_samples[] = {"nested", "pipeline", "timers", "echo", "subprocess", "philosophers", "bugs"};

bool record_samples(std::vector<sample_size>& out) {
    std::error_code ec;
    const std::filesystem::path bin = std::filesystem::canonical("/proc/self/exe", ec).parent_path();
    const std::filesystem::path dir = std::filesystem::temp_directory_path(ec) / ("bench-trace-load." + std::to_string(::getpid()));
    std::filesystem::create_directories(dir, ec);
    if (ec) {
        std::fprintf(stderr, "bench-trace-load: cannot create %s: %s\n", dir.c_str(), ec.message().c_str());
        return false;
    }
    bool ok = true;
    for (const char* name : default_samples) {
        const std::filesystem::path program = bin / (std::string("sample-") + name);
        const std::filesystem::path file = dir / (std::string(name) + ".trace");
        const std::string command = "COROSCOPE_TRACE='" + file.string() + "' COROSCOPE_TRACE_ZSTD=1 '" + program.string() +
                                    "' >/dev/null 2>&1";
        const int status = std::system(command.c_str());
        tr::loaded_trace loaded = tr::load_file(file.string());
        if (status != 0 || !loaded.report.error.empty() || loaded.trace.events.empty()) {
            std::fprintf(stderr, "bench-trace-load: %s (default arguments) exited with status %d: %s\n", program.c_str(),
                         status, tr::describe_problems(file.string(), loaded.report).c_str());
            ok = false;
            continue;
        }
        sample_size s;
        s.name = name;
        s.events = static_cast<double>(loaded.trace.events.size());
        s.zstd_bytes = static_cast<double>(std::filesystem::file_size(file, ec));
        s.plain_bytes = static_cast<double>(tr::encode(loaded.trace).size());
        out.push_back(s);
    }
    std::filesystem::remove_all(dir, ec);
    return ok;
}

int main() {
    mallopt(M_MMAP_THRESHOLD, 1 << 30); // big blocks from the heap, not fresh mmaps...
    mallopt(M_TRIM_THRESHOLD, -1);      // ...and freed memory stays for the next run
    std::printf("bench-trace-load: recording a %zu-event trace of %d tasks...\n", target_events, tasks);
    tr::trace trace = record_trace();
    const double events = static_cast<double>(trace.events.size());

    tr::trace prefix = trace;
    prefix.events.resize(json_events);
    const double events_json = static_cast<double>(prefix.events.size());

    std::string bin, jsonl, zst;
    double write_bin = bench::median({bench::cpu_seconds([&] { bin = tr::encode(trace, tr::encoding::binary); }),
                                      bench::cpu_seconds([&] { bin = tr::encode(trace, tr::encoding::binary); }),
                                      bench::cpu_seconds([&] { bin = tr::encode(trace, tr::encoding::binary); })});
    double write_zstd = bench::median({bench::cpu_seconds([&] { zst = tr::encode(trace, tr::encoding::binary, tr::compression::zstd); }),
                                       bench::cpu_seconds([&] { zst = tr::encode(trace, tr::encoding::binary, tr::compression::zstd); })});
    double write_json = bench::median({bench::cpu_seconds([&] { jsonl = tr::encode(prefix, tr::encoding::jsonl); }),
                                       bench::cpu_seconds([&] { jsonl = tr::encode(prefix, tr::encoding::jsonl); })});

    // Round trip check (and the cold load: first touch of the loaded trace's memory).
    bool ok = true;
    double cold_bin = 0;
    {
        tr::loaded_trace loaded;
        cold_bin = bench::cpu_seconds([&] { loaded = tr::load_bytes(bin); });
        ok = ok && loaded.report.error.empty() && loaded.trace.events == trace.events;
    }
    {
        tr::loaded_trace loaded = tr::load_bytes(jsonl);
        ok = ok && loaded.report.error.empty() && loaded.trace.events == prefix.events;
    }
    {
        tr::loaded_trace loaded = tr::load_bytes(zst);
        ok = ok && loaded.report.error.empty() && loaded.trace.events == trace.events;
    }
    if (!ok) {
        std::fprintf(stderr, "bench-trace-load: a loaded trace differs from the recorded one\n");
        return 1;
    }
    auto load = [](const std::string& bytes) {
        return [&bytes] { sink_value = tr::load_bytes(bytes).trace.events.size(); };
    };
    auto decode_only = [&bin] {
        counting_sink counter;
        tr::decoder d(counter);
        d.feed(bin);
        d.finish();
        sink_value = counter.events;
    };
    // Modelled blocks (format 1.5, layout 3) as writers make them: the golden traces with blocks
    // (traces/golden/zstd/, one small block each, modelled because that was smaller than zstd's),
    // loaded from memory against their plain twins; and written again from the loaded traces.
    const std::filesystem::path golden_dir = std::filesystem::path(COROSCOPE_SOURCE_DIR) / "traces" / "golden";
    std::vector<std::string> modelled_files, plain_files;
    std::vector<tr::trace> golden_traces;
    double modelled_events = 0;
    for (const auto& entry : std::filesystem::directory_iterator(golden_dir / "zstd")) {
        if (entry.path().extension() != ".trace") continue;
        auto read = [](const std::filesystem::path& path) {
            std::ifstream in(path, std::ios::binary);
            return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        };
        modelled_files.push_back(read(entry.path()));
        plain_files.push_back(read(golden_dir / entry.path().filename()));
        tr::loaded_trace m = tr::load_bytes(modelled_files.back()), p = tr::load_bytes(plain_files.back());
        // Its first block must be modelled and load the same events as the plain twin.
        std::size_t at = tr::encode(tr::trace{m.trace.header, {""}, {}}).size() + 1;
        while (at < modelled_files.back().size() && (static_cast<unsigned char>(modelled_files.back()[at]) & 0x80)) ++at;
        if (at + 1 >= modelled_files.back().size() ||
            static_cast<unsigned char>(modelled_files.back()[at + 1]) != tr::binary::block_layout_model ||
            !m.report.error.empty() || m.trace.events != p.trace.events) {
            std::fprintf(stderr, "bench-trace-load: %s is not a modelled block that loads as its plain twin\n",
                         entry.path().c_str());
            return 1;
        }
        modelled_events += static_cast<double>(m.trace.events.size());
        golden_traces.push_back(std::move(p.trace));
    }
    auto load_all = [](const std::vector<std::string>& files) {
        return [&files] {
            std::size_t n = 0;
            for (const std::string& f : files) n += tr::load_bytes(f).trace.events.size();
            sink_value = n;
        };
    };
    auto write_all = [&golden_traces](tr::compression c) {
        return [&golden_traces, c] {
            std::size_t n = 0;
            for (const tr::trace& t : golden_traces) n += tr::encode(t, tr::encoding::binary, c).size();
            sink_value = n;
        };
    };
    auto bin_times = bench::interleaved_medians({load(bin), decode_only, load(zst), load_all(modelled_files),
                                                 load_all(plain_files), write_all(tr::compression::zstd),
                                                 write_all(tr::compression::none)},
                                                5, 1, bench::timer::cpu);
    auto json_times = bench::interleaved_medians({load(jsonl)}, 3, 0, bench::timer::cpu); // the round trip check warmed it

    double load_bin = bin_times[0], load_json = json_times[0];
    auto meps = [&](double s) { return events / s / 1e6; };
    auto meps_json = [&](double s) { return events_json / s / 1e6; };
    double bin_rate = meps(load_bin), json_rate = meps_json(load_json);
    double bin_bytes = static_cast<double>(bin.size()) / events, json_bytes = static_cast<double>(jsonl.size()) / events_json;
    double zstd_bytes = static_cast<double>(zst.size()) / events;
    // A short run that is not a sample: the first short_events events of this bench's own recording
    // (whole file: header, strings, events), as long as a golden trace, for comparing sizes with them.
    tr::trace short_run = trace;
    short_run.events.resize(short_events);
    const double short_plain = static_cast<double>(tr::encode(short_run).size()) / short_events;
    const double short_zstd =
        static_cast<double>(tr::encode(short_run, tr::encoding::binary, tr::compression::zstd).size()) / short_events;
    golden_size golden = golden_bytes_per_event(golden_dir);
    golden_size golden_zstd = golden_bytes_per_event(golden_dir / "zstd");
    if (!golden.ok || !golden_zstd.ok) return 1;
    // Per golden file too: the files' mean is what each trace weighs alone.
    std::vector<bench::row> golden_rows;
    {
        double sum = 0;
        std::vector<std::filesystem::path> files;
        for (const auto& entry : std::filesystem::directory_iterator(golden_dir / "zstd"))
            if (entry.path().extension() == ".trace") files.push_back(entry.path());
        std::sort(files.begin(), files.end());
        for (const auto& path : files) {
            double n = static_cast<double>(tr::load_file(path.string()).trace.events.size());
            double zb = static_cast<double>(std::filesystem::file_size(path)) / n;
            double pb = static_cast<double>(std::filesystem::file_size(golden_dir / path.filename())) / n;
            sum += zb;
            golden_rows.push_back({"  golden " + path.stem().string() + " (" + std::to_string(static_cast<long>(n)) +
                                       " events)",
                                   zb, "bytes/event", bench::fmt("%.2f plain", pb), "<= 3 bytes/event", bench::check(zb <= 3)});
        }
        double mean = files.empty() ? 0 : sum / static_cast<double>(files.size());
        golden_rows.push_back({"  golden, mean of the " + std::to_string(files.size()) + " files", mean, "bytes/event",
                               bench::fmt("%.2f pooled", golden_zstd.bytes_per_event), "<= 3 bytes/event",
                               bench::check(mean <= 3)});
    }
    std::printf("recording the samples at their default arguments with zstd blocks...\n");
    std::vector<sample_size> samples;
    if (!record_samples(samples)) return 1;
    using bench::fmt;
    std::printf("trace: %zu events, %zu strings; binary %.1f MB; JSON Lines of the first %zu events %.1f MB; "
                "both round trip exactly\n",
                trace.events.size(), trace.strings.size(), bin.size() / 1e6, prefix.events.size(), jsonl.size() / 1e6);
    bench::print_table(
        "Trace load and write (in memory)",
        {
            {"load JSON Lines (load_bytes, 500k events)", json_rate, "M events/s", "", "", bench::verdict::none},
            {"load binary (load_bytes, 5M events)", bin_rate, "M events/s", fmt("%.1fx JSON Lines", bin_rate / json_rate),
             ">= 30x JSON Lines", bench::check(bin_rate >= 30 * json_rate)},
            {"load binary: absolute rate", bin_rate, "M events/s", fmt("%.2fx of target", bin_rate / 50),
             ">= 50M events/s", bench::check(bin_rate >= 50)},
            {"decode binary only (decoder -> counting sink)", meps(bin_times[1]), "M events/s",
             fmt("%.2fx load_bytes", meps(bin_times[1]) / bin_rate), "(info)", bench::verdict::none},
            {"load binary with zstd blocks (load_bytes)", meps(bin_times[2]), "M events/s",
             fmt("%.2fx plain binary", meps(bin_times[2]) / bin_rate), "(info)", bench::verdict::none},
            {"load golden traces, modelled blocks (" + std::to_string(modelled_files.size()) + " files)",
             modelled_events / bin_times[3] / 1e6, "M events/s",
             fmt("%.3fx their plain twins", bin_times[4] / bin_times[3]), "(info)", bench::verdict::none},
            {"write golden traces with blocks (model + zstd, keep smaller)", modelled_events / bin_times[5] / 1e6,
             "M events/s", fmt("%.3fx plain", bin_times[6] / bin_times[5]), "(info)", bench::verdict::none},
            {"load binary, cold (first run, page faults)", meps(cold_bin), "M events/s",
             fmt("%.2fx warm", meps(cold_bin) / bin_rate), "(info)", bench::verdict::none},
            {"write JSON Lines (encode)", meps_json(write_json), "M events/s",
             fmt("%.0f MB/s", jsonl.size() / write_json / 1e6), "(info)", bench::verdict::none},
            {"write binary (encode)", meps(write_bin), "M events/s",
             fmt("%.1fx JSON Lines", meps(write_bin) / meps_json(write_json)), "(info)", bench::verdict::none},
            {"write binary (encode)", bin.size() / write_bin / 1e6, "MB/s", "", "(info)", bench::verdict::none},
            {"write binary with zstd blocks (encode)", meps(write_zstd), "M events/s",
             fmt("%.2fx plain binary", meps(write_zstd) / meps(write_bin)), "(info)", bench::verdict::none},
            {"size JSON Lines", json_bytes, "bytes/event", "", "(info)", bench::verdict::none},
            {"size binary", bin_bytes, "bytes/event", fmt("%.1fx smaller", json_bytes / bin_bytes), "(info)",
             bench::verdict::none},
            {"size binary with zstd blocks", zstd_bytes, "bytes/event", fmt("%.1fx smaller than plain", bin_bytes / zstd_bytes),
             "<= 3 bytes/event", bench::check(zstd_bytes <= 3)},
            {"size binary, " + std::to_string(golden.traces) + " golden traces (whole files)",
             golden.bytes_per_event, "bytes/event", fmt("%.1fx long run", golden.bytes_per_event / bin_bytes),
             "<= 8 bytes/event", bench::check(golden.bytes_per_event <= 8)},
            {"size with blocks (1.5: modelled), " + std::to_string(golden_zstd.traces) + " golden traces (whole, pooled)", golden_zstd.bytes_per_event,
             "bytes/event", fmt("%.1fx smaller than plain", golden.bytes_per_event / golden_zstd.bytes_per_event),
             "<= 3 bytes/event", bench::check(golden_zstd.bytes_per_event <= 3)},
            {"size binary, first " + std::to_string(short_events) + " events (whole; not a sample)", short_plain,
             "bytes/event", fmt("%.1fx long run", short_plain / bin_bytes), "(info)", bench::verdict::none},
            {"size zstd blocks, first " + std::to_string(short_events) + " events (whole; not a sample)", short_zstd,
             "bytes/event", fmt("%.1fx smaller than plain", short_plain / short_zstd), "(info)", bench::verdict::none},
        });
    bench::print_table("Golden traces with blocks (1.5: modelled), per file (traces/golden/zstd/, whole files)", golden_rows);
    std::vector<bench::row> sample_rows;
    double sum = 0, sum_plain = 0, all_events = 0, all_bytes = 0, all_plain = 0;
    for (const sample_size& s : samples) {
        const double zb = s.zstd_bytes / s.events;
        sum += zb;
        sum_plain += s.plain_bytes / s.events;
        all_events += s.events;
        all_bytes += s.zstd_bytes;
        all_plain += s.plain_bytes;
        sample_rows.push_back({"  sample-" + s.name + " (" + std::to_string(static_cast<long>(s.events)) + " events)", zb,
                               "bytes/event", fmt("%.2f plain", s.plain_bytes / s.events), "<= 3 bytes/event",
                               bench::check(zb <= 3)});
    }
    const double files = static_cast<double>(samples.size());
    const double mean = sum / files;
    sample_rows.push_back({"  samples, mean of the " + std::to_string(samples.size()) + " files", mean, "bytes/event",
                           fmt("%.2f plain", sum_plain / files), "<= 3 bytes/event", bench::check(mean <= 3)});
    sample_rows.push_back({"  samples, pooled (all bytes / all events)", all_bytes / all_events, "bytes/event",
                           fmt("%.2f plain", all_plain / all_events), "<= 3 bytes/event",
                           bench::check(all_bytes / all_events <= 3)});
    bench::print_table("Samples at their default arguments, recorded now with zstd blocks (whole files)", sample_rows);
    return 0;
}
