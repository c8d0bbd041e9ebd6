#pragma once
// Scripted sessions (--script FILE): one command per line, run across frames so that each one is
// drawn before the next (tests, docs, reproducible screenshots). No ImGui here: commands change the
// model's cursor and ui_state exactly as the keyboard and the panels do.
//
//   select TASK      select a task                 step [N]        N steps forward (default 1)
//   back [N]         N steps back                  tick [N]        N tick boundaries forward
//   tick-back [N]    N tick boundaries back        seek STEP       the cursor before STEP
//   seek-time NS     the step running at NS        zoom F          zoom the timeline by F around the cursor
//   fit              fit the whole trace           wait-loaded     wait for a background load to finish
//   open FILE        load a trace (background)     frames N        draw N frames
//   screenshot FILE  save the window as a PNG      # ...           a comment; blank lines are skipped
//   collapse TASK    hide the lanes of the tasks TASK spawned (the timeline's group toggle)
//   expand TASK      show them again
#include <cstdint>
#include <string>
#include <vector>

namespace coroscope::gui {

struct session;
struct ui_state;

struct script_command {
    enum class verb { select, step, back, tick, tick_back, seek, seek_time, zoom, fit, wait_loaded, open, frames, screenshot, collapse, expand };
    verb what = verb::step;
    double number = 1;  // count, step, ns, factor or frames
    std::string text;   // file for open / screenshot
    int line = 0;       // in the script file, for messages
};

struct parsed_script {
    std::vector<script_command> commands;
    std::string error; // "FILE:LINE: why" for the first bad line; "" if none
};
parsed_script parse_script(const std::string& text, const std::string& name);
parsed_script load_script(const std::string& path);

class script_runner {
public:
    explicit script_runner(std::vector<script_command> commands) : m_commands(std::move(commands)) {}

    // Once per frame before drawing: runs commands until one must wait for a later frame.
    // Returns a PNG path when this frame must be saved after it is drawn, else "".
    std::string advance(session& s, ui_state& ui);
    bool finished() const { return m_next >= m_commands.size() && m_wait_frames == 0; }
    // Problems while running ("script line 3: select 99: no such task"), also added to the session.
    const std::vector<std::string>& errors() const { return m_errors; }

private:
    bool run(const script_command& c, session& s, ui_state& ui); // false = wait, run it again next frame
    void fail(session& s, const script_command& c, const std::string& why);

    std::vector<script_command> m_commands;
    std::size_t m_next = 0;
    int m_wait_frames = 0;          // frames to draw before the next command
    bool m_screenshot_armed = false; // a screenshot waits one frame so that the change is drawn first
    std::vector<std::string> m_errors;
};

} // namespace coroscope::gui
