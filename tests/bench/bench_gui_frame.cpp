// bench-gui-frame: CPU time to build one frame of the inspector's window (ImGui::NewFrame, every
// panel, ImGui::Render) for a synthetic 10-million-event, 10-thousand-task trace, at three zoom
// levels of the timeline: the whole trace, a thousandth of it, and a few steps (with the default
// answers tab, the wait-for graph), then each other tab of the answers area. Nothing is drawn
// on a GPU: ImGui builds its draw lists the same way without a window (the display size is set and
// the font atlas built by hand), and that CPU work is what a frame costs before OpenGL gets it.
// Thread CPU time, so other processes on a busy machine do not count. Target (issue #7): p99 <= 8 ms.
// `bench-gui-frame EVENTS FRAMES` for other sizes.
#include "bench_common.hpp"
#include "synthetic_trace.hpp"

#include "../../gui/app.hpp"
#include "../../gui/theme.hpp"

#include <imgui.h>

#include <ctime>
#include <cstdlib>

namespace {

double thread_cpu_ms() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

double percentile(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    std::size_t rank = static_cast<std::size_t>(p * static_cast<double>(v.size()) + 0.999999); // nearest rank
    return v[std::clamp<std::size_t>(rank, 1, v.size()) - 1];
}

// One frame as main.cpp builds it, minus GLFW and OpenGL.
double frame_ms(coroscope::gui::session& s, coroscope::gui::ui_state& ui) {
    ImGuiIO& io = ImGui::GetIO();
    io.DeltaTime = 1.0f / 60;
    double start = thread_cpu_ms();
    ImGui::NewFrame();
    coroscope::gui::draw_app(s, ui);
    ImGui::Render();
    return thread_cpu_ms() - start;
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

    gui::session s;
    // 9000 tasks at once, and about one exit (with its replacement) per 1400 steps: ~10 000 tasks.
    bench::synthetic_trace gen(s.model, 9000, 7, "bench-gui-frame");
    double fold_s = bench::seconds([&] { gen.run(events); });
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
    for (const level& l : levels) {
        ui.ns_per_px = l.ns_per_px;
        ui.view_begin_ns = cursor - 700 * l.ns_per_px; // the cursor near the middle of the lanes
        ui.fit_pending = false;
        ui.auto_fit = false;
        frame_ms(s, ui); // the new view's first frame
        std::vector<double> times;
        for (int i = 0; i < frames; ++i) times.push_back(frame_ms(s, ui));
        double p50 = percentile(times, 0.50), p99 = percentile(times, 0.99);
        std::string name = std::string("frame, ") + l.name;
        rows.push_back({name + " p50", p50, "ms CPU", bench::fmt("%.2fx a 60 Hz frame", p50 / (1000.0 / 60)), "",
                        bench::verdict::none});
        rows.push_back({name + " p99", p99, "ms CPU", bench::fmt("%.2fx the target", p99 / 8.0), "<= 8 ms",
                        bench::check(p99 <= 8.0)});
    }
    // The zoom levels above show the default tab (the wait-for graph); the other tabs of the answers
    // area at the last zoom level, each after its first frame.
    for (int t = 1; t < gui::answer_tab_count; ++t) {
        ui.panels.tab = static_cast<gui::answer_tab>(t);
        ui.panels.tab_requested = true;
        frame_ms(s, ui);
        frame_ms(s, ui);
        std::vector<double> times;
        for (int i = 0; i < std::max(10, frames / 3); ++i) times.push_back(frame_ms(s, ui));
        double p99 = percentile(times, 0.99);
        rows.push_back({"frame, " + std::string(gui::to_string(ui.panels.tab)) + " tab p99", p99, "ms CPU",
                        bench::fmt("%.2fx the target", p99 / 8.0), "<= 8 ms", bench::check(p99 <= 8.0)});
    }
    bench::print_table("GUI frame (10M events, 10k tasks, 1600x1000; NewFrame -> panels -> Render)", rows);
    ImGui::DestroyContext();
    return 0;
}
