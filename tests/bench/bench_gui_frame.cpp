// bench-gui-frame: CPU time to build one frame of the inspector's window (ImGui::NewFrame, every
// panel, ImGui::Render) for a synthetic 10-million-event, 10-thousand-task trace, at three zoom
// levels of the timeline: the whole trace, a thousandth of it, and a few steps, each with every tab
// of the answers area (p50 and p99 per tab and zoom; the PASS/MISS is per tab and zoom), then the
// event log filtered to one task (its first frame filters all the events once). Nothing is drawn
// on a GPU: ImGui builds its draw lists the same way without a window (the display size is set and
// the font atlas built by hand), and that CPU work is what a frame costs before OpenGL gets it.
// Thread CPU time, so other processes on a busy machine do not count. Target (issue #7): p99 <= 8 ms.
// Then LIVE: the same kind of trace streamed into a fresh model by a program faster than the window:
// each frame folds what live_link::poll would on the frame's thread (slices of the events of a
// drain_slice_bytes piece of the binary stream while the next fits in its drain budget, with the
// same run_slices_for; counted in the frame), the answers tabs taking turns, then frames without new events until the whole-trace
// answers are complete; p50/p99/max per frame (targets p99 <= 8 ms, max <= 33 ms), the ingest rate
// that kept up with at 60 Hz, the frames and time the answers needed after the last event was
// drained, and whether they equal the batch functions'.
// `bench-gui-frame EVENTS FRAMES` for other sizes; BENCH_GUI_ONLY=live runs only the live rows.
#include "bench_common.hpp"
#include "synthetic_trace.hpp"

#include "../../gui/app.hpp"
#include "../../gui/live.hpp"
#include "../../gui/theme.hpp"

#include <imgui.h>

#include <coroscope/inspector/lints.hpp>
#include <coroscope/inspector/resources.hpp>
#include <coroscope/inspector/stats.hpp>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>

namespace {

// One frame as main.cpp builds it, minus GLFW and OpenGL.
double frame_ms(coroscope::gui::session& s, coroscope::gui::ui_state& ui) {
    ImGuiIO& io = ImGui::GetIO();
    io.DeltaTime = 1.0f / 60;
    return 1e3 * bench::cpu_seconds([&] {
        ImGui::NewFrame();
        coroscope::gui::draw_app(s, ui);
        ImGui::Render();
    });
}

// Stands for a live stream that a program fills faster than the window folds it: the generator's
// events wait here (the socket's buffered bytes) and each frame takes them as live_link::poll
// drains: slices of `slice` events (the events of a drain_slice_bytes piece of the binary stream)
// while the next fits in the drain's share of the frame's budget (gui::run_slices_for,
// gui::frame_budget), then the frame is built. The window is always behind, so the
// frames show the ingest rate that poll's budget allows.
class buffered_stream : public coroscope::traces::event_sink {
public:
    buffered_stream(coroscope::inspector::model& m, std::size_t slice, std::function<void()> frame)
        : m_model(m), m_slice(slice), m_frame(std::move(frame)) {
        m_buffer.reserve(buffered + slice);
    }
    // What a frame's poll() folds: slices until the drain budget is spent; the events it took.
    std::size_t drain(double budget_s) {
        bool stopped = false;
        return coroscope::gui::run_slices_for(budget_s, [&]() -> std::uint64_t {
            const std::size_t n = std::min(m_slice, m_buffer.size() - m_front);
            m_model.on_events(m_buffer.data() + m_front, n);
            m_front += n;
            return n;
        }, stopped);
    }
    void on_header(const coroscope::traces::header& h) override { m_model.on_header(h); }
    void on_string(std::uint32_t id, std::string_view text) override { m_model.on_string(id, text); }
    void on_event(const coroscope::traces::event& e) override {
        m_buffer.push_back(e);
        if (m_buffer.size() - m_front >= buffered) frames_while(buffered / 2);
    }
    // Frames until the stream holds at most `left` events (0: the program ended, take all).
    void frames_while(std::size_t left) {
        while (m_buffer.size() - m_front > left) m_frame();
        m_buffer.erase(m_buffer.begin(), m_buffer.begin() + static_cast<std::ptrdiff_t>(m_front));
        m_front = 0;
    }

private:
    static constexpr std::size_t buffered = 1 << 20; // events buffered before frames run (~3 MiB of stream)
    coroscope::inspector::model& m_model;
    std::size_t m_slice;
    std::function<void()> m_frame;
    std::vector<coroscope::traces::event> m_buffer;
    std::size_t m_front = 0; // the first event not drained yet
};

// The LIVE rows (see the top of the file).
void live_rows(std::uint64_t events, std::vector<bench::row>& rows) {
    namespace gui = coroscope::gui;
    namespace inspector = coroscope::inspector;
    // The events of one drain_slice_bytes piece of this trace's binary stream (~3.3 B per event).
    constexpr std::size_t slice = gui::live_link::drain_slice_bytes * 10 / 33;
    gui::session s;
    // A live session whose link carries nothing (the events come from the generator below): the
    // window draws the live bar, and the answers fold as they do live (refresh_answers(live)).
    s.live = gui::live_link::attach("bench: no address", "");
    s.loaded = true;
    s.source = "synthetic (live)";
    gui::ui_state ui;
    ImGuiIO& io = ImGui::GetIO();
    io.DeltaTime = 1.0f / 60;
    std::vector<double> times;
    int frame_index = 0;
    auto build = [&] {
        ImGui::NewFrame();
        gui::draw_app(s, ui);
        ImGui::Render();
    };
    auto next_tab = [&] { // each answers tab in turn, ten frames each
        if (frame_index++ % 10 == 0) {
            ui.panels.tab = static_cast<gui::answer_tab>((frame_index / 10) % gui::answer_tab_count);
            ui.panels.tab_requested = true;
        }
    };
    std::size_t drained_max = 0;
    // Where each frame's time went, to tell the slowest frames' causes apart (printed below).
    struct frame_split {
        double drain_ms, build_ms, answers_ms; // answers_ms: the folds' and publication's part of build_ms (wall)
        std::size_t drained;
        gui::answer_tab tab;
    };
    std::vector<frame_split> splits;
    buffered_stream* stream = nullptr;
    buffered_stream feed(s.model, slice, [&] {
        next_tab();
        frame_split split{0, 0, 0, 0, ui.panels.tab};
        times.push_back(1e3 * bench::cpu_seconds([&] {
            s.frame.begin_frame(); // as the window's loop does (main.cpp), around update_live and drawing
            const auto start = std::chrono::steady_clock::now();
            split.drain_ms = 1e3 * bench::cpu_seconds([&] { split.drained = stream->drain(gui::live_link::drain_budget(s.frame)); });
            s.frame.spend(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
            drained_max = std::max(drained_max, split.drained);
            if (ui.selected_task == 0) ui.selected_task = 1; // what update_live does with a new model
            if (ui.auto_fit) ui.fit_pending = true;
            const double before_build = s.frame.spent_s();
            split.build_ms = 1e3 * bench::cpu_seconds(build);
            split.answers_ms = 1e3 * (s.frame.spent_s() - before_build);
            s.frame.end_frame();
        }));
        splits.push_back(split);
    });
    stream = &feed;
    bench::synthetic_trace gen(feed, 9000, 7, "bench-gui-frame");
    const double stream_s = bench::seconds([&] {
        gen.run(events);
        feed.frames_while(0);
    });
    const std::size_t streamed = times.size();
    // After the last event was drained: frames until the folds took every event and the answers were published.
    const std::uint64_t total = s.model.trace().events.size();
    std::size_t after = 0;
    double after_cpu_ms = 0, after_wall_s = 0;
    const std::uint64_t backlog = ui.panels.cache.behind(s.model);
    while ((ui.panels.cache.behind(s.model) > 0 || ui.panels.cache.trace_events != total) && after < 1'000'000) {
        next_tab();
        double answers_ms = 0;
        const double ms = 1e3 * bench::cpu_seconds([&] {
            s.frame.begin_frame();
            build();
            answers_ms = 1e3 * s.frame.spent_s();
            s.frame.end_frame();
        });
        times.push_back(ms);
        splits.push_back({0, ms, answers_ms, 0, ui.panels.tab});
        after_cpu_ms += ms;
        after_wall_s += std::max(1.0 / 60, ms / 1e3); // a 60 Hz window shows a frame each 1/60 s at best
        ++after;
    }
    const double p50 = bench::percentile(times, 0.50), p99 = bench::percentile(times, 0.99);
    const double worst = *std::max_element(times.begin(), times.end());
    const double ingest = static_cast<double>(total) / (static_cast<double>(streamed) / 60);
    std::printf("bench-gui-frame live: %llu events in %zu frames (%.1f s with the generator), drained as poll does "
                "(%zu-event slices while the next fits in %.0f%% of the frame's work budget, at most %zu in a frame): %.2f M events/s at 60 Hz; %llu events not "
                "folded into the answers after the last\n",
                static_cast<unsigned long long>(total), streamed, stream_s, slice,
                100 * gui::live_link::drain_share, drained_max, ingest / 1e6, static_cast<unsigned long long>(backlog));
    // The slowest frames (the p99 is made of them): drain (poll's share) and build (answers' folds and panels).
    std::vector<std::size_t> order(times.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    const std::size_t shown = std::min<std::size_t>(8, order.size());
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(shown), order.end(),
                      [&](std::size_t x, std::size_t y) { return times[x] > times[y]; });
    std::printf("bench-gui-frame live: the %zu slowest frames (of %zu; %zu while streaming):\n", shown, times.size(), streamed);
    for (std::size_t k = 0; k < shown; ++k) {
        const frame_split& f = splits[order[k]];
        std::printf("  frame %zu: %.2f ms = drain %.2f ms (%zu events) + build %.2f ms (answers' folds %.2f), %s tab\n", order[k],
                    times[order[k]], f.drain_ms, f.drained, f.build_ms, f.answers_ms, std::string(gui::to_string(f.tab)).c_str());
    }
    const std::string name = "LIVE frames draining as poll does";
    rows.push_back({name + " p50", p50, "ms CPU", bench::fmt("%.2fx a 60 Hz frame", p50 / (1000.0 / 60)), "", bench::verdict::none});
    rows.push_back({name + " p99", p99, "ms CPU", bench::fmt("%.2fx the target", p99 / 8.0), "<= 8 ms", bench::check(p99 <= 8.0)});
    rows.push_back({name + " max", worst, "ms CPU", bench::fmt("%.2fx the bound", worst / 33.0), "<= 33 ms",
                    bench::check(worst <= 33.0)});
    rows.push_back({"LIVE ingest at 60 Hz while streaming", ingest / 1e6, "M events/s",
                    std::to_string(streamed) + " frames", "", bench::verdict::none});
    rows.push_back({"LIVE frames after the last event until the answers are complete", static_cast<double>(after),
                    "frames", bench::fmt("%.1f ms CPU each", after ? after_cpu_ms / static_cast<double>(after) : 0), "",
                    bench::verdict::none});
    rows.push_back({"LIVE answers complete after the last event (at 60 Hz)", after_wall_s, "s", "-", "", bench::verdict::none});
    // The published answers against the batch functions on the final model (one pass each).
    const gui::answers_cache& c = ui.panels.cache;
    const bool stats_equal = inspector::stats_json(s.model, c.stats) == inspector::stats_json(s.model, inspector::compute_stats(s.model));
    const bool lints_equal = inspector::lints_json(s.model, c.lints) == inspector::lints_json(s.model, inspector::run_lints(s.model));
    const bool resources_equal =
        inspector::resources_json(s.model, c.resources) == inspector::resources_json(s.model, inspector::resource_lanes(s.model));
    rows.push_back({"LIVE answers equal the batch functions' (stats, lints, resources)",
                    static_cast<double>(stats_equal + lints_equal + resources_equal), "of 3", "-", "3 of 3",
                    bench::check(stats_equal && lints_equal && resources_equal)});
}

} // namespace

int main(int argc, char** argv) {
    namespace gui = coroscope::gui;
    std::uint64_t events = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 10'000'000;
    int frames = argc > 2 ? std::atoi(argv[2]) : 300;
    if (events < 1000 || frames < 10) {
        std::fprintf(stderr, "bench-gui-frame: usage: bench-gui-frame [EVENTS >= 1000] [FRAMES >= 10]\n");
        return 2;
    }

    const char* only = std::getenv("BENCH_GUI_ONLY");
    const bool live_only = only && std::strcmp(only, "live") == 0;
    gui::session s;
    // 9000 tasks at once, and about one exit (with its replacement) per 1400 steps: ~10 000 tasks.
    bench::synthetic_trace gen(s.model, 9000, 7, "bench-gui-frame");
    double fold_s = bench::seconds([&] { gen.run(live_only ? 1000 : events); });
    s.loaded = true;
    s.source = "synthetic";
    std::printf("bench-gui-frame: %llu events, %zu tasks, %llu steps (folded in %.1f s)\n",
                static_cast<unsigned long long>(gen.count()), gen.tasks(),
                static_cast<unsigned long long>(s.model.step_count()), fold_s);

    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    gui::setup_theme(1.0f);
    ImGuiIO& io = ImGui::GetIO();
    io.DisplaySize = ImVec2(1600, 1000);
    // What the OpenGL 3 backend declares (GL >= 3.2): draw lists over 64k vertices are split by offset.
    io.BackendFlags |= ImGuiBackendFlags_RendererHasVtxOffset;
    unsigned char* pixels = nullptr;
    int w = 0, h = 0;
    io.Fonts->GetTexDataAsRGBA32(&pixels, &w, &h); // builds the atlas; no texture is uploaded
    auto print_live = [&] {
        std::vector<bench::row> live;
        live_rows(events, live);
        bench::print_table("GUI frame LIVE (10M events streamed into a fresh model, 10k tasks, 1600x1000)", live);
    };
    if (live_only) {
        print_live();
        ImGui::DestroyContext();
        return 0;
    }

    gui::ui_state ui;
    gui::apply_presets(s, ui, -1, static_cast<long long>(s.model.step_count() / 2));
    ui.selected_task = 1;
    // The first frames fit the timeline and compute the whole-trace answers (stats, lints) once.
    double first_ms = 0;
    for (int i = 0; i < 3; ++i) first_ms += frame_ms(s, ui);

    const double fit_npp = ui.ns_per_px;
    const double cursor = static_cast<double>(gui::cursor_ts(s.model));
    struct level {
        const char* name;
        double ns_per_px;
    };
    const level levels[] = {
        {"whole trace", fit_npp},
        {"1/1000 of the trace", fit_npp / 1000},
        {"a few steps", std::max(1.0, fit_npp / 1e6)},
    };
    std::vector<bench::row> rows;
    rows.push_back({"first 3 frames (fit, answers computed once)", first_ms, "ms CPU", "-", "", bench::verdict::none});
    // Frames of one arrangement, after two that settle it (a tab's first frame builds its rows).
    // A p50 row and a p99 row (against the 8 ms target, or for information) of frame times.
    auto add_rows = [&](const std::string& name, const std::vector<double>& times, bool with_target) {
        const double p50 = bench::percentile(times, 0.50), p99 = bench::percentile(times, 0.99);
        rows.push_back({name + " p50", p50, "ms CPU", bench::fmt("%.2fx a 60 Hz frame", p50 / (1000.0 / 60)), "",
                        bench::verdict::none});
        rows.push_back({name + " p99", p99, "ms CPU", bench::fmt("%.2fx the target", p99 / 8.0), with_target ? "<= 8 ms" : "-",
                        with_target ? bench::check(p99 <= 8.0) : bench::verdict::none});
    };
    auto measure = [&](const std::string& name, int count) {
        frame_ms(s, ui);
        frame_ms(s, ui);
        std::vector<double> times;
        for (int i = 0; i < count; ++i) times.push_back(frame_ms(s, ui));
        add_rows(name, times, true);
    };
    // Each tab of the answers area at each zoom level (the timeline is drawn under every tab).
    const int per_tab = std::max(10, frames / 3);
    for (const level& l : levels) {
        ui.ns_per_px = l.ns_per_px;
        ui.view_begin_ns = cursor - 700 * l.ns_per_px; // the cursor near the middle of the lanes
        ui.fit_pending = false;
        ui.auto_fit = false;
        for (int t = 0; t < gui::answer_tab_count; ++t) {
            ui.panels.tab = static_cast<gui::answer_tab>(t);
            ui.panels.tab_requested = true;
            measure(std::string(l.name) + ", " + std::string(gui::to_string(ui.panels.tab)) + " tab",
                    t == 0 ? frames : per_tab);
        }
    }
    // Stepping with the graph tab on screen: each frame moves the cursor (the step, as a key press
    // does, inside the frame), so the graph at the cursor is made again each time (from the
    // nearest fold the wait_graph_index saved); then seeks to steps all over the trace.
    ui.panels.tab = gui::answer_tab::graph;
    ui.panels.tab_requested = true;
    frame_ms(s, ui);
    frame_ms(s, ui);
    auto moving = [&](const std::string& name, bool with_target, auto&& move) {
        std::vector<double> times;
        for (int i = 0; i < per_tab; ++i) times.push_back(bench::cpu_seconds([&] { move(i); }) * 1e3 + frame_ms(s, ui));
        add_rows(name, times, with_target);
    };
    moving("graph tab, a step forward then back each frame", true,
           [&](int i) { i < per_tab / 2 ? s.model.step_forward() : s.model.step_back(); });
    const std::uint64_t steps = s.model.step_count();
    moving("graph tab, a seek anywhere each frame", false,
           [&](int i) { s.model.seek((static_cast<std::uint64_t>(i) * 7919 * 131) % (steps + 1)); });
    s.model.seek(steps / 2);

    // The event log filtered to one task: its first frame filters every event once; the frames after it
    // only draw the rows in view.
    ui.panels.tab = gui::answer_tab::events;
    ui.panels.tab_requested = true;
    frame_ms(s, ui); // the tab bar shows a requested tab from the next frame on
    frame_ms(s, ui);
    ui.panels.log_task = 1;
    rows.push_back({"events tab, filter set to one task: 1st frame", frame_ms(s, ui), "ms CPU", "-", "", bench::verdict::none});
    measure("events tab filtered to one task", per_tab);
    ui.panels.log_task = 0;
    bench::print_table("GUI frame (10M events, 10k tasks, 1600x1000; NewFrame -> panels -> Render)", rows);
    s = gui::session{}; // the replayed trace's memory back before the live one is built
    print_live();
    ImGui::DestroyContext();
    return 0;
}
