#include <coroscope/inspector/report.hpp>
#include <coroscope/inspector/wait_graph.hpp>

#include <array>
#include <cstdio>

namespace coroscope::inspector {

namespace {

std::string format_ns(std::uint64_t ns) {
    char buf[64];
    if (ns >= 1'000'000'000) std::snprintf(buf, sizeof buf, "%.3f s", static_cast<double>(ns) / 1e9);
    else if (ns >= 1'000'000) std::snprintf(buf, sizeof buf, "%.3f ms", static_cast<double>(ns) / 1e6);
    else if (ns >= 1'000) std::snprintf(buf, sizeof buf, "%.3f us", static_cast<double>(ns) / 1e3);
    else std::snprintf(buf, sizeof buf, "%llu ns", static_cast<unsigned long long>(ns));
    return buf;
}

std::string target_text(const model& m, const task_snapshot& t) {
    using traces::wait_reason;
    switch (t.reason) {
    case wait_reason::join: return "task " + std::to_string(t.target) + " '" + m.task_name(t.target) + "'";
    case wait_reason::sleep: return "timer " + std::to_string(t.target);
    case wait_reason::none:
    case wait_reason::yield: return "";
    default: return "object " + std::to_string(t.target);
    }
}

} // namespace

std::string describe_state(const model& m, const task_snapshot& t) {
    std::string out(to_string(t.state));
    if (t.state == task_state::waiting) {
        out += " (" + std::string(traces::to_string(t.reason));
        std::string target = t.target != 0 ? target_text(m, t) : "";
        if (!target.empty()) out += " on " + target;
        out += ")";
    } else if (t.state == task_state::done) {
        out += " (" + std::string(traces::to_string(t.status));
        if (t.error != 0) out += ": " + std::string(m.text(t.error));
        out += ")";
    }
    return out;
}

std::string skipped_events_text(const model& m) {
    if (m.skipped_events() == 0) return "";
    return std::to_string(m.skipped_events()) + " event" + (m.skipped_events() == 1 ? "" : "s") +
           " named a task id over " + std::to_string(model::max_task_id) +
           " (field task, or a for a spawn or join: damaged) and " + (m.skipped_events() == 1 ? "was" : "were") +
           " not kept; the first came after event " + std::to_string(m.first_skipped_at()) + " of those kept";
}

std::string info_text(const model& m, const traces::read_report& report) {
    const stored_trace& t = m.trace();
    std::string out;
    out += "format      " + std::string(report.encoding == traces::encoding::binary ? "binary" : "jsonl") + " " +
           std::to_string(t.header.major) + "." + std::to_string(t.header.minor) + "\n";
    out += "producer    " + t.header.producer + " (pid " + std::to_string(t.header.pid) + ")\n";
    std::array<std::uint64_t, traces::event_kind_count> counts{};
    for (const traces::event& e : t.events) {
        auto k = static_cast<std::size_t>(e.kind);
        if (k < counts.size()) ++counts[k];
    }
    const history& h = m.history();
    std::size_t tasks = 0;
    for (const task_history& th : h.tasks()) tasks += th.known ? 1 : 0;
    out += "events      " + std::to_string(t.events.size()) + "\n";
    out += "strings     " + std::to_string(t.strings.size() - 1) + "\n";
    out += "tasks       " + std::to_string(tasks) + "\n";
    out += "steps       " + std::to_string(h.step_count()) + "\n";
    out += "ticks       " + std::to_string(h.tick_count()) + "\n";
    out += "duration    " + format_ns(h.last_ts() - h.first_ts()) + "\n";
    out += "complete    " + std::string(h.ended() ? "yes (trace_end seen)" : "no (no trace_end: the program did not finish recording)") + "\n";
    if (report.truncated) out += "truncated   at byte " + std::to_string(report.truncated_at) + "\n";
    if (report.unknown_records) out += "unknown     " + std::to_string(report.unknown_records) + " records skipped\n";
    if (report.bad_records) out += "damaged     " + std::to_string(report.bad_records) + " records skipped\n";
    out += "\nevents by kind\n";
    for (std::size_t k = 0; k < counts.size(); ++k) {
        if (counts[k] == 0) continue;
        char line[96];
        std::snprintf(line, sizeof line, "  %-16s %llu\n", std::string(traces::to_string(static_cast<traces::event_kind>(k))).c_str(),
                      static_cast<unsigned long long>(counts[k]));
        out += line;
    }
    out += "\ntasks\n";
    for (const task_history& th : h.tasks()) {
        if (!th.known) continue;
        char line[256];
        std::snprintf(line, sizeof line, "  %4u  %-24s parent %-4u steps %-6llu %s\n", th.id,
                      m.task_name(th.id).c_str(), th.parent, static_cast<unsigned long long>(th.steps),
                      th.ended ? std::string(traces::to_string(th.status)).c_str() : "alive at end");
        out += line;
    }
    return out;
}

std::string dump_text(const model& m) {
    const snapshot& s = m.state();
    std::string out;
    out += "at step " + std::to_string(m.cursor()) + " of " + std::to_string(m.step_count());
    if (m.cursor() < m.step_count()) {
        std::uint32_t next = m.history().step_task(m.cursor());
        out += " (next: task " + std::to_string(next) + " '" + m.task_name(next) + "')";
    } else {
        out += " (end of trace)";
    }
    out += "\n";
    for (const task_snapshot& t : s.tasks()) {
        if (!t.known) continue;
        const task_history* th = m.history().task(t.id);
        out += "task " + std::to_string(t.id) + " '" + m.task_name(t.id) + "' " + describe_state(m, t);
        out += "  parent " + std::to_string(th ? th->parent : 0) + "  steps " + std::to_string(t.steps) + "\n";
        const auto& stack = t.state == task_state::done ? t.thrown_stack : t.stack;
        if (t.state == task_state::done && !stack.empty()) out += "    thrown at:\n";
        // Innermost last, numbered like a debugger's backtrace: #0 is the innermost frame.
        for (std::size_t i = 0; i < stack.size(); ++i) {
            out += "    #" + std::to_string(stack.size() - 1 - i) + " " +
                   std::string(short_function_name(m.text(stack[i].function))) + "  " +
                   std::string(m.text(stack[i].location)) + "\n";
        }
    }
    out += wait_graph_text(m, wait_graph_at(m));
    return out;
}

std::string wait_graph_text(const model& m, const wait_graph& g) {
    std::string out = "run queue:";
    if (g.run_queue.empty()) out += " (empty)";
    for (std::uint32_t id : g.run_queue) out += " " + std::to_string(id) + " '" + m.task_name(id) + "'";
    out += "\nrunning: " + (g.running ? std::to_string(g.running) + " '" + m.task_name(g.running) + "'" : std::string("none")) + "\n";
    out += "waits for:";
    if (g.edges.empty()) out += " (nothing)";
    out += "\n";
    auto node = [&](const wait_node& n) {
        std::string t = std::string(to_string(n.kind)) + " " + std::to_string(n.id);
        if (n.kind == node_kind::task) t += " '" + m.task_name(n.id) + "'";
        return t;
    };
    for (const wait_edge& e : g.edges) {
        out += "  " + node(e.from) + (e.held_by ? " is held by " : " -> ") + node(e.to) + "  (" +
               std::string(traces::to_string(e.reason)) + (e.inferred ? ", inferred from a hand-over" : "") + ")\n";
    }
    for (const wait_cycle& c : g.cycles) {
        out += "deadlock:";
        for (const cycle_await& a : c.awaits)
            out += " task " + std::to_string(a.task) + " (" + describe_await(m, a.reason, a.target) + ") ->";
        out += " task " + std::to_string(c.awaits.front().task) + "\n";
    }
    return out;
}

nlohmann::json wait_graph_json(const wait_graph& g) {
    nlohmann::json edges = nlohmann::json::array();
    for (const wait_edge& e : g.edges)
        edges.push_back({{"from", {{"kind", std::string(to_string(e.from.kind))}, {"id", e.from.id}}},
                         {"to", {{"kind", std::string(to_string(e.to.kind))}, {"id", e.to.id}}},
                         {"reason", std::string(traces::to_string(e.reason))},
                         {"held_by", e.held_by},
                         {"inferred", e.inferred}});
    nlohmann::json cycles = nlohmann::json::array();
    for (const wait_cycle& c : g.cycles) {
        nlohmann::json awaits = nlohmann::json::array();
        for (const cycle_await& a : c.awaits)
            awaits.push_back({{"task", a.task}, {"reason", std::string(traces::to_string(a.reason))}, {"target", a.target},
                              {"next", a.next}});
        cycles.push_back(awaits);
    }
    return {{"edges", edges}, {"cycles", cycles}};
}

nlohmann::json dump_json(const model& m) {
    const snapshot& s = m.state();
    nlohmann::json tasks = nlohmann::json::array();
    for (const task_snapshot& t : s.tasks()) {
        if (!t.known) continue;
        const task_history* th = m.history().task(t.id);
        auto frames = [&](const std::vector<frame_info>& stack) {
            nlohmann::json out = nlohmann::json::array();
            for (const frame_info& f : stack)
                out.push_back({{"function", std::string(m.text(f.function))}, {"location", std::string(m.text(f.location))}});
            return out;
        };
        nlohmann::json j = {
            {"id", t.id},
            {"name", m.task_name(t.id)},
            {"parent", th ? th->parent : 0},
            {"state", std::string(to_string(t.state))},
            {"steps", t.steps},
            {"stack", frames(t.stack)},
        };
        if (t.state == task_state::waiting) {
            j["wait_reason"] = std::string(traces::to_string(t.reason));
            j["target"] = t.target;
        }
        if (t.state == task_state::done) {
            j["status"] = std::string(traces::to_string(t.status));
            if (t.error != 0) j["error"] = std::string(m.text(t.error));
            if (!t.thrown_stack.empty()) j["thrown_stack"] = frames(t.thrown_stack);
        }
        tasks.push_back(std::move(j));
    }
    nlohmann::json queue = nlohmann::json::array();
    for (std::uint32_t id : s.run_queue()) queue.push_back(id);
    return {{"step", m.cursor()}, {"steps", m.step_count()}, {"running", s.running()}, {"run_queue", queue},
            {"tasks", tasks}, {"wait_for", wait_graph_json(wait_graph_at(m))}};
}

} // namespace coroscope::inspector
