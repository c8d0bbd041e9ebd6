#include "script.hpp"

#include "app.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <iterator>
#include <sstream>

namespace coroscope::gui {

namespace {

struct verb_info {
    const char* name;
    script_command::verb what;
    enum class arg { none, count, number, text } argument;
};

constexpr verb_info verbs[] = {
    {"select", script_command::verb::select, verb_info::arg::number},
    {"step", script_command::verb::step, verb_info::arg::count},
    {"back", script_command::verb::back, verb_info::arg::count},
    {"tick", script_command::verb::tick, verb_info::arg::count},
    {"tick-back", script_command::verb::tick_back, verb_info::arg::count},
    {"seek", script_command::verb::seek, verb_info::arg::number},
    {"seek-time", script_command::verb::seek_time, verb_info::arg::number},
    {"zoom", script_command::verb::zoom, verb_info::arg::number},
    {"fit", script_command::verb::fit, verb_info::arg::none},
    {"wait-loaded", script_command::verb::wait_loaded, verb_info::arg::none},
    {"open", script_command::verb::open, verb_info::arg::text},
    {"frames", script_command::verb::frames, verb_info::arg::number},
    {"screenshot", script_command::verb::screenshot, verb_info::arg::text},
    {"collapse", script_command::verb::collapse, verb_info::arg::number},
    {"expand", script_command::verb::expand, verb_info::arg::number},
};

bool parse_number(std::string_view word, double& out) {
    const char* end = word.data() + word.size();
    auto [p, ec] = std::from_chars(word.data(), end, out);
    return ec == std::errc() && p == end && std::isfinite(out);
}

} // namespace

parsed_script parse_script(const std::string& text, const std::string& name) {
    parsed_script out;
    std::istringstream in(text);
    int line_no = 0;
    for (std::string line; std::getline(in, line);) {
        ++line_no;
        if (auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
        std::istringstream words(line);
        std::string verb, arg, extra;
        if (!(words >> verb)) continue;
        words >> std::ws;
        std::getline(words, arg); // the rest of the line: file names may contain spaces
        while (!arg.empty() && std::isspace(static_cast<unsigned char>(arg.back()))) arg.pop_back();
        auto where = [&] { return name + ":" + std::to_string(line_no) + ": "; };
        const verb_info* info = nullptr;
        for (const verb_info& v : verbs)
            if (verb == v.name) info = &v;
        if (!info) {
            out.error = where() + "unknown command '" + verb + "'";
            return out;
        }
        script_command c{info->what, 1, "", line_no};
        switch (info->argument) {
        case verb_info::arg::none:
            if (!arg.empty()) out.error = where() + verb + " takes no argument";
            break;
        case verb_info::arg::count:
            if (!arg.empty() && (!parse_number(arg, c.number) || c.number < 0 || c.number != std::floor(c.number)))
                out.error = where() + verb + ": '" + arg + "' is not a count";
            break;
        case verb_info::arg::number:
            if (!parse_number(arg, c.number) || c.number < 0)
                out.error = where() + verb + ": '" + arg + "' is not a non-negative number";
            else if (c.what == script_command::verb::zoom && c.number == 0)
                out.error = where() + "zoom: the factor must be above 0";
            break;
        case verb_info::arg::text:
            if (arg.empty()) out.error = where() + verb + ": a file name is needed";
            c.text = arg;
            break;
        }
        if (!out.error.empty()) return out;
        out.commands.push_back(std::move(c));
    }
    return out;
}

parsed_script load_script(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        parsed_script out;
        out.error = path + ": cannot open the script";
        return out;
    }
    return parse_script(std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()), path);
}

std::string script_runner::advance(session& s, ui_state& ui) {
    if (m_wait_frames > 0) {
        --m_wait_frames;
        return "";
    }
    while (m_next < m_commands.size()) {
        const script_command& c = m_commands[m_next];
        if (c.what == script_command::verb::screenshot) {
            // Drawn once with everything before it applied, then saved on the next frame.
            if (!m_screenshot_armed) {
                m_screenshot_armed = true;
                return "";
            }
            m_screenshot_armed = false;
            ++m_next;
            return c.text;
        }
        if (!run(c, s, ui)) return "";
        ++m_next;
        if (m_wait_frames > 0) return "";
    }
    return "";
}

void script_runner::fail(session& s, const script_command& c, const std::string& why) {
    std::string text = "script line " + std::to_string(c.line) + ": " + why;
    m_errors.push_back(text);
    s.add(message::level::error, text);
}

bool script_runner::run(const script_command& c, session& s, ui_state& ui) {
    using v = script_command::verb;
    inspector::model& m = s.model;
    const auto count = static_cast<std::uint64_t>(c.number);
    // Cursor commands wait for a load in progress: they mean the trace being opened.
    bool moves_cursor = c.what != v::wait_loaded && c.what != v::open && c.what != v::frames;
    if (moves_cursor && s.loading) return false;
    std::uint64_t before = m.cursor();
    switch (c.what) {
    case v::select:
        if (m.history().task(static_cast<std::uint32_t>(count))) ui.selected_task = static_cast<std::uint32_t>(count);
        else fail(s, c, "select " + std::to_string(count) + ": no such task in this trace");
        break;
    case v::step: m.seek(std::min(m.cursor() + count, m.step_count())); break;
    case v::back: m.seek(m.cursor() - std::min(m.cursor(), count)); break;
    case v::tick:
        for (std::uint64_t i = 0; i < count; ++i) m.tick_forward();
        break;
    case v::tick_back:
        for (std::uint64_t i = 0; i < count; ++i) m.tick_back();
        break;
    case v::seek:
        if (count > m.step_count())
            fail(s, c, "seek " + std::to_string(count) + " is past the last step (" + std::to_string(m.step_count()) + ")");
        m.seek(count);
        break;
    case v::seek_time: m.seek_time(count); break;
    case v::zoom: {
        // The fit needs the timeline's width, known once it has been drawn.
        if (ui.fit_pending) return false;
        double at = static_cast<double>(cursor_ts(m));
        ui.ns_per_px = std::max(0.05, ui.ns_per_px / c.number);
        ui.view_begin_ns = at - (at - ui.view_begin_ns) / c.number;
        ui.auto_fit = false;
        m_wait_frames = 1;
        break;
    }
    case v::fit:
        ui.fit_pending = true;
        ui.auto_fit = true;
        m_wait_frames = 1;
        break;
    case v::wait_loaded: return !s.loading;
    case v::open: start_open(s, c.text); break;
    case v::frames: m_wait_frames = static_cast<int>(std::min(count, std::uint64_t{100000})); break;
    case v::screenshot: break; // handled by advance()
    case v::collapse:
    case v::expand: {
        auto id = static_cast<std::uint32_t>(count);
        const inspector::task_history* th = m.history().task(id);
        const std::string what = (c.what == v::collapse ? "collapse " : "expand ") + std::to_string(count);
        if (!th) fail(s, c, what + ": no such task in this trace");
        else if (th->children.empty()) fail(s, c, what + ": task " + std::to_string(count) + " spawned no task");
        else if (c.what == v::collapse) {
            ui.panels.timeline_collapsed.insert(id);
            // As a click on the group's toggle: the selection was shown before; it stays selected,
            // and its lane is now the group's until something else is selected.
            ui.timeline_revealed = ui.selected_task;
        } else {
            ui.panels.timeline_collapsed.erase(id);
        }
        break;
    }
    }
    if (m.cursor() != before) ui.follow_cursor = true;
    return true;
}

} // namespace coroscope::gui
