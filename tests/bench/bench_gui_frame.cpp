// bench-gui-frame: CPU time to build one frame of the inspector's window (ImGui::NewFrame, every
// panel, ImGui::Render) for a synthetic 10-million-event, 10-thousand-task trace, at three zoom
// levels of the timeline: the whole trace, a thousandth of it, and a few steps, each with every tab
// of the answers area (p50 and p99 per tab and zoom; the PASS/MISS is per tab and zoom), then the
// event log filtered to one task (its first frame filters all the events once). Nothing is drawn
// on a GPU: ImGui builds its draw lists the same way without a window (the display size is set and
// the font atlas built by hand), and that CPU work is what a frame costs before OpenGL gets it.
// Thread CPU time, so other processes on a busy machine do not count. Target (issue #7): p99 <= 8 ms.
// `bench-gui-frame EVENTS FRAMES` for other sizes.
#include "bench_common.hpp"
#include "synthetic_trace.hpp"

#include "../../gui/app.hpp"
#include "../../gui/theme.hpp"

#include <imgui.h>

#include <cstdlib>

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
    // Frames of one arrangement, after two that settle it (a tab's first frame builds its rows).
    auto measure = [&](const std::string& name, int count) {
        frame_ms(s, ui);
        frame_ms(s, ui);
        std::vector<double> times;
        for (int i = 0; i < count; ++i) times.push_back(frame_ms(s, ui));
        double p50 = bench::percentile(times, 0.50), p99 = bench::percentile(times, 0.99);
        rows.push_back({name + " p50", p50, "ms CPU", bench::fmt("%.2fx a 60 Hz frame", p50 / (1000.0 / 60)), "",
                        bench::verdict::none});
        rows.push_back({name + " p99", p99, "ms CPU", bench::fmt("%.2fx the target", p99 / 8.0), "<= 8 ms",
                        bench::check(p99 <= 8.0)});
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
    ImGui::DestroyContext();
    return 0;
}
