// coroscope: the inspector window. The only file that touches GLFW and OpenGL: it parses the
// command line, opens the window, runs the frame loop and takes screenshots; app.cpp draws.
#include "app.hpp"
#include "recorder.hpp"
#include "theme.hpp"

#include <CLI/CLI.hpp>
#include <GLFW/glfw3.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>
#include <imgui.h>
#include <stb_image_write.h>

#include <cstdio>
#include <cstdlib>
#include <string>
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
    gui::open_trace(s, trace);
    if (!r.ok) s.add(gui::message::level::warning, r.error);
    s.add(gui::message::level::info, "recorded sample-" + name + " to " + trace);
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"coroscope: visual debugger for coroutine schedulers.\n"
                 "Without a subcommand it records and shows the sample-nested program."};
    app.fallthrough(true);
    std::string open_path, sample_name = "nested", screenshot;
    int frames = 3, width = 1600, height = 1000;
    long long select_task = -1, seek_step = -1;
    auto* open = app.add_subcommand("open", "open a trace file");
    open->add_option("trace", open_path, "trace file (JSON Lines or binary)")->required();
    auto* record = app.add_subcommand("record-sample", "run samples/NAME (bin/sample-NAME) with tracing and open its trace");
    record->add_option("name", sample_name, "sample name, e.g. nested")->required();
    app.add_option("--screenshot", screenshot, "render, save the window as this PNG and exit");
    app.add_option("--frames", frames, "frames to render before the screenshot")->capture_default_str()->check(CLI::Range(1, 10000));
    app.add_option("--select-task", select_task, "select this task id");
    app.add_option("--seek", seek_step, "put the cursor before this step");
    app.add_option("--width", width, "window width")->capture_default_str()->check(CLI::Range(320, 16384));
    app.add_option("--height", height, "window height")->capture_default_str()->check(CLI::Range(240, 16384));
    CLI11_PARSE(app, argc, argv);

    // The window first: without a display there is nothing to record or load for.
    glfwSetErrorCallback(on_glfw_error);
    if (!glfwInit()) return no_display(argv[0]);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
    glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
    glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GLFW_TRUE);
    GLFWwindow* window = glfwCreateWindow(width, height, "Coroscope", nullptr, nullptr);
    if (!window) {
        glfwTerminate();
        return no_display(argv[0]);
    }
    glfwMakeContextCurrent(window);
    glfwSwapInterval(screenshot.empty() ? 1 : 0);

    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    gui::setup_theme(16.0f);
    ImGui_ImplGlfw_InitForOpenGL(window, true);
    ImGui_ImplOpenGL3_Init("#version 330 core");

    gui::session session;
    if (*open) gui::open_trace(session, open_path);
    else record_sample(session, sample_name);
    for (const gui::message& msg : session.messages)
        if (msg.severity != gui::message::level::info) std::fprintf(stderr, "coroscope: %s\n", msg.text.c_str());
    gui::ui_state ui;
    gui::apply_presets(session, ui, select_task, seek_step);

    int exit_code = 0;
    int saved = 0; // F12 screenshots taken
    for (int frame = 0; !glfwWindowShouldClose(window); ++frame) {
        glfwPollEvents();
        ImGui_ImplOpenGL3_NewFrame();
        ImGui_ImplGlfw_NewFrame();
        ImGui::NewFrame();
        gui::draw_app(session, ui);
        bool save_requested = ImGui::IsKeyPressed(GLFW_KEY_F12, false);
        ImGui::Render();
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
        if (!screenshot.empty() && frame + 1 >= frames) {
            if (!write_screenshot(window, screenshot)) {
                std::fprintf(stderr, "coroscope: cannot write %s\n", screenshot.c_str());
                exit_code = 1;
            }
            break;
        }
        glfwSwapBuffers(window);
    }

    ImGui_ImplOpenGL3_Shutdown();
    ImGui_ImplGlfw_Shutdown();
    ImGui::DestroyContext();
    glfwDestroyWindow(window);
    glfwTerminate();
    return exit_code;
}
