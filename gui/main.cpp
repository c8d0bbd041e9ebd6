// coroscope: the inspector window. The only file that touches GLFW and OpenGL: it parses the
// command line, opens the window, runs the frame loop and takes screenshots; app.cpp draws.
#include "app.hpp"
#include "recorder.hpp"
#include "script.hpp"
#include "settings.hpp"
#include "shell.hpp"
#include "theme.hpp"

#include <CLI/CLI.hpp>
#include <GLFW/glfw3.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>
#include <imgui.h>
#include <stb_image_write.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <dlfcn.h>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace coroscope;

std::string g_glfw_error; // the last GLFW error, reported in one line if the window cannot open

void on_glfw_error(int, const char* description) { g_glfw_error = description ? description : "unknown error"; }

// One line, then exit 2: there is no window to draw into.
int no_display(const std::string& argv0) {
    const char* display = std::getenv("DISPLAY");
    std::string why = display && *display ? "cannot open a window on DISPLAY=" + std::string(display) + " (" + g_glfw_error + ")"
                                          : "no display (DISPLAY is not set)";
    std::fprintf(stderr,
                 "coroscope: %s; to render offscreen: xvfb-run -a -s \"-screen 0 1600x1000x24\" %s open FILE "
                 "--screenshot out.png\n",
                 why.c_str(), argv0.c_str());
    return 2;
}

// Reads the back buffer and writes it as a PNG (rows flipped: GL's origin is bottom-left).
bool write_screenshot(GLFWwindow* window, const std::string& path) {
    int w = 0, h = 0;
    glfwGetFramebufferSize(window, &w, &h);
    std::vector<unsigned char> pixels(static_cast<std::size_t>(w) * static_cast<std::size_t>(h) * 3);
    glReadBuffer(GL_BACK);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadPixels(0, 0, w, h, GL_RGB, GL_UNSIGNED_BYTE, pixels.data());
    stbi_flip_vertically_on_write(1);
    return stbi_write_png(path.c_str(), w, h, 3, pixels.data(), w * 3) != 0;
}

// Records samples/NAME next to this executable and opens its trace.
void record_sample(gui::session& s, const std::string& name) {
    std::string dir = gui::executable_dir();
    std::string program = (dir.empty() ? std::string(".") : dir) + "/sample-" + name;
    std::string trace = gui::make_temp_trace_path("sample-" + name);
    s.source = program;
    if (trace.empty()) {
        s.add(gui::message::level::error, "cannot create a temporary trace file for sample-" + name);
        return;
    }
    gui::record_result r = gui::record_program(program, trace);
    if (r.exit_code < 0) {
        s.add(gui::message::level::error, r.error);
        return;
    }
    gui::start_open(s, trace);
    if (!r.ok) s.add(gui::message::level::warning, r.error);
    s.add(gui::message::level::info, "recorded sample-" + name + " to " + trace);
}

// What --live-step / --live-tick / --until-exit ask of a live session, driven one frame at a time:
// each command waits for its reply before the next is sent.
struct live_script {
    std::vector<gui::breakpoint_spec> breaks;
    std::uint64_t steps = 0, ticks = 0;
    bool start_after_breaks = false; // launched held only so the breakpoints were set before step 0
    bool resume = false;       // --live-continue: continue, then wait for the next pause (or the exit)
    std::uint64_t pauses_before = 0;
    bool waiting_pause = false;
    bool until_exit = false;
    std::chrono::steady_clock::time_point deadline;
    std::uint64_t pending = 0; // command id waiting for its reply
    bool done = false;
    std::string error;         // why the script failed ("" = ok)

    // Advances; true once finished (done or failed).
    bool advance(gui::live_link& link) {
        if (done) return true;
        using ph = gui::live_link::phase;
        ph phase = link.current_phase();
        if (phase == ph::starting || phase == ph::connecting) return check_deadline();
        if (pending) {
            if (!link.answered(pending)) return check_deadline();
            if (!link.succeeded(pending)) return finish("the command failed: " + link.last_message() + " (" + link.status_text() + ")");
            pending = 0;
        }
        if (waiting_pause) {
            if (phase == ph::connected && link.pause_notices() == pauses_before) return check_deadline();
            waiting_pause = false;
        }
        if (breaks.size() + steps + ticks + (resume ? 1 : 0) + (start_after_breaks ? 1 : 0) > 0 && phase != ph::connected)
            return finish("the connection ended before the script did: " + link.status_text());
        if (!breaks.empty()) {
            pending = link.add_breakpoint(breaks.front());
            breaks.erase(breaks.begin());
        } else if (start_after_breaks) {
            // The start is the program's first continue: with --live-continue it is the one whose
            // next pause the script waits for (a second continue could run past a stop that the
            // first had already reached).
            start_after_breaks = false;
            if (resume) {
                resume = false;
                pauses_before = link.pause_notices();
                waiting_pause = true;
            }
            pending = link.resume();
        } else if (steps > 0) {
            --steps;
            pending = link.step(1);
        } else if (ticks > 0) {
            --ticks;
            pending = link.tick(1);
        } else if (resume) {
            resume = false;
            pauses_before = link.pause_notices();
            waiting_pause = true;
            pending = link.resume();
        } else if (until_exit && phase == ph::connected) {
            return check_deadline();
        } else {
            done = true;
        }
        return done;
    }
    bool check_deadline() {
        if (std::chrono::steady_clock::now() > deadline) return finish("timed out; the program is " + std::string("still running or unanswered"));
        return false;
    }
    bool finish(std::string why) {
        error = std::move(why);
        done = true;
        return true;
    }
};

// One line for scripts and tests: where the cursor is and what the connection is.
void print_state(const gui::session& s, const gui::ui_state& ui) {
    const inspector::model& m = s.model;
    std::size_t tasks = 0;
    for (const auto& t : m.history().tasks()) tasks += t.known ? 1 : 0;
    std::string line = "coroscope: state cursor_step=" + std::to_string(m.cursor()) + " steps=" + std::to_string(m.step_count()) +
                       " ticks=" + std::to_string(m.history().tick_count()) + " events=" + std::to_string(m.trace().events.size()) +
                       " tasks=" + std::to_string(tasks) + " following=" + (m.following() ? "1" : "0");
    // What the user looks at: the selected task and its stack depth at the cursor, the timeline view.
    const inspector::task_snapshot* selected = m.state().task(ui.selected_task);
    char view[96];
    std::snprintf(view, sizeof view, " ns_per_px=%.6g view_begin_ns=%.6g", ui.ns_per_px, ui.view_begin_ns);
    line += " selected_task=" + std::to_string(ui.selected_task) +
            " depth=" + (selected ? std::to_string(selected->stack.size()) : std::string("-")) + view +
            " loaded=" + (s.loaded ? "1" : "0") + " view=" + (s.live ? "live" : s.loaded ? "trace" : "launcher") +
            " samples=" + std::to_string(ui.shell.samples.size()) + " recent=" + std::to_string(ui.shell.settings.recent.size());
    // The timeline's groups: which are collapsed, and the lane (a task id) that shows the selected
    // task and the one that runs the step at the cursor: their own, or a collapsed spawner's.
    {
        gui::panels_state lanes;
        lanes.timeline_collapsed = ui.panels.timeline_collapsed;
        gui::update_timeline_lanes(m, lanes);
        auto lane_task = [&](std::uint32_t task) {
            int row = gui::visible_lane_of(m, lanes.lanes, task);
            return row < 0 ? std::string("-") : std::to_string(lanes.lanes.lanes[static_cast<std::size_t>(row)].task);
        };
        std::string collapsed;
        for (std::uint32_t id : ui.panels.timeline_collapsed) collapsed += (collapsed.empty() ? "" : ",") + std::to_string(id);
        const bool at_step = m.cursor() < m.step_count();
        line += " collapsed=" + (collapsed.empty() ? std::string("-") : collapsed) + " lanes=" + std::to_string(lanes.lanes.lanes.size()) +
                " selected_lane=" + lane_task(ui.selected_task) +
                " next_task=" + (at_step ? std::to_string(m.history().step_task(m.cursor())) : std::string("-")) +
                " cursor_lane=" + (at_step ? lane_task(m.history().step_task(m.cursor())) : std::string("-"));
    }
    if (s.live) {
        const gui::live_link& l = *s.live;
        auto code = l.exit_code();
        line += " connection=" + std::string(l.phase_name()) + " paused=" + (l.paused() ? "1" : "0") +
                " dropped=" + std::to_string(l.dropped_events()) + " disconnections=" + std::to_string(l.disconnections()) +
                " breakpoints=" + std::to_string(l.breakpoints().size()) + " last_hit=" + std::to_string(l.last_hit_breakpoint()) +
                " exit_code=" + (code ? std::to_string(*code) : "-") + " status=" + l.status_text();
        line += "\ncoroscope: last " + (l.last_message().empty() ? std::string("-") : l.last_message());
    } else {
        line += " connection=replay";
    }
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
}

// Messages added since `before` go to stderr too (scripts and tests read them there).
void echo_messages(const gui::session& s, std::size_t before) {
    for (std::size_t i = before < s.messages.size() ? before : 0; i < s.messages.size(); ++i)
        if (s.messages[i].severity != gui::message::level::info) std::fprintf(stderr, "coroscope: %s\n", s.messages[i].text.c_str());
}

// imgui.ini lives in the config directory, which is created only when there is something to save.
void save_layout(const gui::settings_store& settings, std::string& saved_ini) {
    std::size_t size = 0;
    const char* data = ImGui::SaveIniSettingsToMemory(&size);
    std::string ini(data, size);
    if (ini == saved_ini || settings.dir.empty()) return;
    std::string error = settings.write_file("imgui.ini", ini);
    if (!error.empty()) std::fprintf(stderr, "coroscope: the window layout was not saved: %s\n", error.c_str());
    saved_ini = std::move(ini);
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"coroscope: visual debugger for coroutine schedulers.\n"
                 "Without a subcommand it shows the launcher: samples, recent traces, open a file, attach."};
    app.fallthrough(true);
    std::string open_path, sample_name = "nested", screenshot, script_path;
    int frames = 3, width = 1600, height = 1000;
    float scale = 0;
    long long select_task = -1, seek_step = -1;
    auto* open = app.add_subcommand("open", "open a trace file (read in the background, with a progress bar)");
    open->add_option("trace", open_path, "trace file (JSON Lines or binary)")->required();
    auto* record = app.add_subcommand("record-sample", "run samples/NAME (bin/sample-NAME) with tracing and open its trace");
    record->add_option("name", sample_name, "sample name, e.g. nested")->required();
    std::string launch_program, attach_address, attach_token, save_path;
    std::vector<std::string> launch_args;
    bool launch_paused = false, until_exit = false, print = false, live_continue = false;
    std::vector<std::string> live_breaks;
    std::uint64_t live_steps = 0, live_ticks = 0;
    double live_timeout = 30;
    auto* launch = app.add_subcommand("launch", "start PROGRAM (a sample name like nested, or a path) and debug it live");
    launch->add_option("program", launch_program, "sample name (bin/sample-NAME) or program path")->required();
    launch->add_option("args", launch_args, "arguments for the program (after --)");
    launch->add_flag("--paused", launch_paused, "stay paused before step 0 (F5 runs, F10 steps)");
    auto* attach = app.add_subcommand("attach", "debug a program already started with COROSCOPE_LISTEN=ADDR");
    attach->add_option("address", attach_address, "127.0.0.1:PORT, localhost:PORT, [::1]:PORT or unix:PATH")->required();
    attach->add_option("--token", attach_token, "the program's COROSCOPE_TOKEN");
    app.add_option("--live-step", live_steps, "live: press Step N times, each after the previous reply");
    app.add_option("--live-tick", live_ticks, "live: press Tick N times (after the steps)");
    app.add_option("--live-break", live_breaks,
                   "live: set a breakpoint first: spawn, resume:TASK, ready[:RESOURCE], exception, long_step:MS, lint[:MS]")
        ->each([](const std::string& text) {
            if (!gui::parse_breakpoint(text)) throw CLI::ValidationError("--live-break", "unknown breakpoint '" + text + "'");
        });
    app.add_flag("--live-continue", live_continue, "live: after the steps and ticks, continue and wait for the next pause or the exit");
    app.add_flag("--until-exit", until_exit, "live: wait until the program exits (before the screenshot)");
    app.add_option("--live-timeout", live_timeout, "live: seconds the script may take")->capture_default_str();
    app.add_option("--script", script_path,
                   "run the commands in FILE one per line across frames (select, step, back, tick, tick-back, seek, "
                   "seek-time, zoom, fit, wait-loaded, open, frames, screenshot), then exit");
    app.add_flag("--print-state", print, "at exit print one line: cursor_step=, steps=, selected_task=, depth=, connection=, status=...");
    app.add_option("--save", save_path, "at exit write the trace shown (.jsonl = JSON Lines, else binary)");
    app.add_option("--screenshot", screenshot, "render, save the window as this PNG and exit");
    app.add_option("--frames", frames, "frames to render before the screenshot")->capture_default_str()->check(CLI::Range(1, 10000));
    app.add_option("--select-task", select_task, "select this task id");
    app.add_option("--seek", seek_step, "put the cursor before this step (live: after the script; stops following)");
    app.add_option("--width", width, "window width")->capture_default_str()->check(CLI::Range(320, 16384));
    app.add_option("--height", height, "window height")->capture_default_str()->check(CLI::Range(240, 16384));
    app.add_option("--scale", scale, "UI scale for high-DPI screens (default: the monitor's content scale)")
        ->check(CLI::Range(0.5f, 4.0f));
    std::string panel_name;
    app.add_option("--panel", panel_name, "show this tab of the answers area: graph, spawn-tree, resources, events, stats, lints")
        ->check([](const std::string& v) {
            gui::answer_tab t;
            return gui::parse_answer_tab(v, t) ? std::string() : "unknown panel '" + v + "'";
        });
    CLI11_PARSE(app, argc, argv);

    // A bad script is a usage error: say where before opening anything.
    std::optional<gui::script_runner> runner;
    if (!script_path.empty()) {
        gui::parsed_script parsed = gui::load_script(script_path);
        if (!parsed.error.empty()) {
            std::fprintf(stderr, "coroscope: %s\n", parsed.error.c_str());
            return 2;
        }
        runner.emplace(std::move(parsed.commands));
    }

    // The display first: without one there is nothing to record or load for.
    glfwSetErrorCallback(on_glfw_error);
    if (!glfwInit()) return no_display(argv[0]);

    // ImGui's context and imgui.ini before the window: the ini says how big the window was.
    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    gui::session session;
    gui::ui_state ui;
    gui::shell_state& shell = ui.shell;
    shell.settings.dir = gui::config_dir();
    shell.settings.load();
    gui::register_shell_settings(shell);
    std::string saved_ini = shell.settings.read_file("imgui.ini");
    if (!saved_ini.empty()) ImGui::LoadIniSettingsFromMemory(saved_ini.data(), saved_ini.size());
    // Screenshots and scripts are reproducible: they use --width/--height, never a remembered size.
    bool sized = app.count("--width") + app.count("--height") > 0 || !screenshot.empty() || runner;
    if (!sized && shell.window_width > 0) {
        width = shell.window_width;
        height = shell.window_height;
    }

    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
    glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
    glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GLFW_TRUE);
    GLFWwindow* window = glfwCreateWindow(width, height, "Coroscope", nullptr, nullptr);
    if (!window) {
        ImGui::DestroyContext();
        glfwTerminate();
        return no_display(argv[0]);
    }
    glfwMakeContextCurrent(window);
#if defined(__SANITIZE_ADDRESS__)
    // Under LeakSanitizer (make asan): Mesa's software driver keeps two small allocations in its
    // globals for good, and libGLX unloads it in glfwTerminate(), so LSan reports them with their
    // frames unmapped ("<unknown module>": no suppression can name them reliably). Kept mapped, the
    // frames say swrast_dri.so, which tests/lsan.supp names. Only already-loaded drivers are touched.
    for (const char* driver : {"/usr/lib/x86_64-linux-gnu/dri/swrast_dri.so", "/usr/lib/x86_64-linux-gnu/dri/kms_swrast_dri.so"})
        ::dlopen(driver, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
#endif
    glfwSwapInterval(screenshot.empty() && !runner ? 1 : 0);
    if (scale <= 0) { // not given: follow the monitor (2 on a typical high-DPI screen, 1 under Xvfb)
        float sx = 1, sy = 1;
        glfwGetWindowContentScale(window, &sx, &sy);
        scale = std::clamp(sx, 0.5f, 4.0f);
    }

    gui::setup_theme(scale);
    ImGui_ImplGlfw_InitForOpenGL(window, true);
    ImGui_ImplOpenGL3_Init("#version 330 core");

    if (!sized) gui::apply_layout(shell.layout, ui); // the arrangement it was left in
    if (!panel_name.empty()) ui.panels.tab_requested = gui::parse_answer_tab(panel_name, ui.panels.tab);
    ui.key_f5 = GLFW_KEY_F5;
    ui.key_f10 = GLFW_KEY_F10;
    ui.key_f11 = GLFW_KEY_F11;
    shell.samples = gui::find_samples(gui::executable_dir());
    shell.preset_task = select_task;
    shell.preset_seek = seek_step;

    if (*open) {
        gui::start_open(session, open_path);
    } else if (*record) {
        record_sample(session, sample_name);
    } else if (*attach) {
        session.live = gui::live_link::attach(attach_address, attach_token);
        session.source = attach_address;
    } else if (*launch) {
        // With --live-break the program is held before step 0 until the breakpoints are in place:
        // resumed at once, its first steps (e.g. a 50 ms long step) could run before the agent
        // reads the `break` command and be missed. The live script resumes it afterwards.
        session.live = gui::live_link::launch(launch_program, launch_args, launch_paused || !live_breaks.empty());
        session.source = launch_program;
    } // else bare `coroscope`: the launcher
    echo_messages(session, 0);
    if (session.live) session.live->settle(session.model, std::chrono::seconds(6));
    if (session.live) {
        if (select_task >= 0) ui.selected_task = static_cast<std::uint32_t>(select_task);
    } else if (live_steps || live_ticks || until_exit || live_continue || !live_breaks.empty()) {
        session.add(gui::message::level::warning, "--live-* and --until-exit apply to launch and attach only");
    }
    // In live mode a screenshot waits for the connection (and the script) to settle.
    std::optional<live_script> script;
    if (session.live) {
        script.emplace();
        for (const std::string& text : live_breaks) script->breaks.push_back(*gui::parse_breakpoint(text));
        script->start_after_breaks = *launch && !launch_paused && !live_breaks.empty();
        script->resume = live_continue;
        script->steps = live_steps;
        script->ticks = live_ticks;
        script->until_exit = until_exit;
        script->deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<long long>(live_timeout * 1000));
    }
    int quiet_frames = 0; // frames drawn since loading, the live script and --script all settled

    int exit_code = 0;
    int saved = 0; // F12 screenshots taken
    gui::live_link::phase reported = gui::live_link::phase::starting;
    for (int frame = 0; !glfwWindowShouldClose(window); ++frame) {
        glfwPollEvents();
        session.frame.begin_frame();
        std::size_t messages_before = session.messages.size();
        if (gui::update_loading(session, ui)) echo_messages(session, messages_before);
        gui::update_live(session, ui);
        if (session.live && session.live->current_phase() != reported) {
            reported = session.live->current_phase();
            if (reported == gui::live_link::phase::failed || reported == gui::live_link::phase::disconnected)
                std::fprintf(stderr, "coroscope: %s\n", session.live->status_text().c_str());
        }
        bool settled = !session.loading;
        if (script && !session.live) script.reset(); // the launcher replaced the live program with a file
        if (script) {
            bool was_done = script->done;
            bool live_settled = script->advance(*session.live);
            if (live_settled && !was_done && !script->error.empty()) {
                std::fprintf(stderr, "coroscope: live script: %s\n", script->error.c_str());
                session.add(gui::message::level::error, "live script: " + script->error);
                exit_code = 1;
            }
            if (live_settled && !was_done && seek_step >= 0) { // live --seek: step back in history once the script is done
                session.model.seek(static_cast<std::uint64_t>(seek_step));
                ui.follow_cursor = true;
            }
            settled = settled && live_settled;
            if (!live_settled && (!screenshot.empty() || runner))
                std::this_thread::sleep_for(std::chrono::milliseconds(2)); // leave the CPU to the program
        }
        std::string script_shot;
        if (runner && settled) {
            std::size_t before = session.messages.size();
            script_shot = runner->advance(session, ui);
            echo_messages(session, before);
            settled = runner->finished() && !session.loading;
        }
        quiet_frames = settled ? quiet_frames + 1 : 0;
        if (!settled && !screenshot.empty() && session.loading) std::this_thread::sleep_for(std::chrono::milliseconds(2));

        ImGui_ImplOpenGL3_NewFrame();
        ImGui_ImplGlfw_NewFrame();
        ImGui::NewFrame();
        gui::draw_app(session, ui);
        bool save_requested = ImGui::IsKeyPressed(GLFW_KEY_F12, false);
        ImGui::Render();
        session.frame.end_frame();
        int fw = 0, fh = 0;
        glfwGetFramebufferSize(window, &fw, &fh);
        glViewport(0, 0, fw, fh);
        glClearColor(0.09f, 0.10f, 0.12f, 1.0f);
        glClear(GL_COLOR_BUFFER_BIT);
        ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
        if (save_requested) { // F12: keep a picture of what is on screen (bug reports, docs)
            std::string path = "coroscope-" + std::to_string(++saved) + ".png";
            if (write_screenshot(window, path)) session.add(gui::message::level::info, "saved the window to " + path);
            else session.add(gui::message::level::error, "cannot write " + path);
        }
        if (!script_shot.empty() && !write_screenshot(window, script_shot)) {
            std::fprintf(stderr, "coroscope: script: cannot write %s\n", script_shot.c_str());
            exit_code = 1;
        }
        if (!sized) {
            int ww = 0, wh = 0;
            glfwGetWindowSize(window, &ww, &wh);
            gui::remember_window_size(shell, ww, wh);
            gui::remember_layout(shell, gui::layout_of(ui));
        }
        if (ImGui::GetIO().WantSaveIniSettings) {
            save_layout(shell.settings, saved_ini);
            ImGui::GetIO().WantSaveIniSettings = false;
        }
        // A few frames after everything settled, so that the last events and the fit are drawn.
        bool finished = frame + 1 >= frames && quiet_frames >= 3;
        if (!screenshot.empty() && finished) {
            if (!write_screenshot(window, screenshot)) {
                std::fprintf(stderr, "coroscope: cannot write %s\n", screenshot.c_str());
                exit_code = 1;
            }
            break;
        }
        if (runner && finished) break; // --script: the window closes after the last command
        glfwSwapBuffers(window);
    }

    if (print) print_state(session, ui);
    // A script or screenshot run of a program that never connected fails (the picture shows why),
    // and so does one whose trace could not be read, or whose script went wrong.
    if (!screenshot.empty() && session.live && session.live->current_phase() == gui::live_link::phase::failed)
        exit_code = 1;
    if ((!screenshot.empty() || runner) && *open && !session.loaded) exit_code = 1;
    if (runner && !runner->errors().empty()) exit_code = 1;
    if (!save_path.empty()) {
        std::string error = gui::save_trace(session, save_path);
        if (error.empty()) {
            std::fprintf(stderr, "coroscope: saved %zu events to %s\n", session.model.trace().events.size(), save_path.c_str());
        } else {
            std::fprintf(stderr, "coroscope: %s\n", error.c_str());
            exit_code = 1;
        }
    }
    save_layout(shell.settings, saved_ini);
    session.loading.reset();
    session.live.reset(); // disconnect; a launched program still running is stopped

    ImGui_ImplOpenGL3_Shutdown();
    ImGui_ImplGlfw_Shutdown();
    ImGui::DestroyContext();
    glfwDestroyWindow(window);
    glfwTerminate();
    return exit_code;
}
