#include "loader.hpp"

#include "app.hpp"
#include "shell.hpp"

#include <coroscope/inspector/report.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <sys/stat.h>
#include <vector>

namespace coroscope::gui {

namespace {

// Counts events on their way into the model, so the progress line can say how many arrived.
class counting_sink final : public traces::event_sink {
public:
    counting_sink(inspector::model& m, std::atomic<std::uint64_t>& count) : m_model(m), m_count(count) {}
    void on_header(const traces::header& h) override { m_model.on_header(h); }
    void on_string(std::uint32_t id, std::string_view text) override { m_model.on_string(id, text); }
    void on_event(const traces::event& e) override {
        m_model.on_event(e);
        m_count.fetch_add(1, std::memory_order_relaxed);
    }

private:
    inspector::model& m_model;
    std::atomic<std::uint64_t>& m_count;
};

struct file_closer {
    void operator()(std::FILE* f) const { std::fclose(f); }
};

} // namespace

trace_loader::trace_loader(std::string path) : m_path(std::move(path)), m_thread([this] { run(); }) {}

trace_loader::~trace_loader() {
    m_cancel.store(true, std::memory_order_relaxed);
    if (m_thread.joinable()) m_thread.join();
}

float trace_loader::fraction() const {
    std::uint64_t total = bytes_total();
    if (total == 0) return done() ? 1.0f : 0.0f;
    return static_cast<float>(static_cast<double>(bytes_read()) / static_cast<double>(total));
}

std::optional<trace_loader::result> trace_loader::take() {
    if (!done()) return std::nullopt;
    std::optional<result> out = std::move(m_result);
    m_result.reset();
    return out;
}

void trace_loader::run() {
    result r;
    std::unique_ptr<std::FILE, file_closer> file(std::fopen(m_path.c_str(), "rb"));
    struct stat st {};
    if (!file) {
        r.report.fatal = true;
        r.report.error = std::string("cannot open file: ") + std::strerror(errno);
    } else if (::fstat(::fileno(file.get()), &st) == 0 && S_ISDIR(st.st_mode)) {
        r.report.fatal = true;
        r.report.error = "is a directory, not a trace file";
    } else {
        m_total.store(static_cast<std::uint64_t>(st.st_size), std::memory_order_relaxed);
        counting_sink sink(r.model, m_events);
        traces::decoder decoder(sink);
        // 1 MiB chunks: progress moves smoothly and a cancel is noticed within a few milliseconds.
        std::vector<char> chunk(1 << 20);
        std::uint64_t read = 0;
        while (!m_cancel.load(std::memory_order_relaxed)) {
            std::size_t n = std::fread(chunk.data(), 1, chunk.size(), file.get());
            if (n > 0) {
                decoder.feed(std::string_view(chunk.data(), n));
                read += n;
                m_read.store(read, std::memory_order_relaxed);
            }
            if (n < chunk.size()) {
                if (std::ferror(file.get())) {
                    r.report = decoder.report();
                    r.report.error = "read error after byte " + std::to_string(read) + ": " + std::strerror(errno);
                }
                break;
            }
        }
        if (r.report.error.empty()) {
            decoder.finish();
            r.report = decoder.report();
        }
    }
    m_result = std::move(r);
    m_done.store(true, std::memory_order_release);
}

// --- the session side: start a load, install its result ------------------------------------

void start_open(session& s, const std::string& path) { s.loading = std::make_unique<trace_loader>(path); }

// What the user looked at belongs to the old trace.
void reset_view(ui_state& ui) {
    ui.selected_task = 0;
    ui.table_revealed = 0;
    ui.timeline_revealed = 0;
    ui.fit_pending = true;
    ui.auto_fit = true;
    ui.follow_cursor = false;
}

bool update_loading(session& s, ui_state& ui) {
    if (!s.loading || !s.loading->done()) return false;
    std::unique_ptr<trace_loader> finished = std::move(s.loading);
    std::optional<trace_loader::result> r = finished->take();
    const std::string& path = finished->path();
    std::string problems = traces::describe_problems(path, r->report);
    if (r->report.fatal || !r->report.header_ok) {
        if (problems.empty()) problems = path + ": no trace header (an empty file?)";
        if (s.loaded) problems += " - still showing " + s.source;
        s.add(message::level::error, problems);
        return true;
    }
    s.live.reset(); // a file replaces a live program (a launched one is stopped)
    s.model = std::move(r->model);
    s.source = path;
    s.report = r->report;
    s.loaded = true;
    if (!problems.empty()) {
        if (r->report.truncated)
            problems += " - showing the " + std::to_string(s.model.trace().events.size()) + " complete events before the cut";
        s.add(message::level::warning, problems);
    }
    if (auto skipped = inspector::skipped_events_text(s.model); !skipped.empty()) s.add(message::level::warning, path + ": " + skipped);
    if (!s.model.history().ended() && !r->report.truncated)
        s.add(message::level::info, "no trace_end: the program did not finish recording");
    reset_view(ui);
    apply_presets(s, ui, ui.shell.preset_task, ui.shell.preset_seek);
    ui.shell.preset_task = ui.shell.preset_seek = -1;
    ui.shell.show_launcher = false;
    if (std::string error = ui.shell.settings.remember(path); !error.empty())
        s.add(message::level::warning, "the recent files list was not saved: " + error);
    return true;
}

} // namespace coroscope::gui
