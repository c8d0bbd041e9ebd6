#include <coroscope/inspector/chrome_export.hpp>
#include <coroscope/inspector/model.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace coroscope::inspector {

namespace {

using traces::event_kind;
using json = nlohmann::json;

double to_us(std::uint64_t ns) { return static_cast<double>(ns) / 1000.0; }

struct task_info {
    std::string name;
    std::vector<std::uint32_t> frames; // function name string ids, innermost last
    bool seen = false;
};

struct open_step {
    bool open = false;
    std::uint64_t step = 0;
    std::uint32_t tick = 0;
    std::uint64_t start_ns = 0;
    std::uint32_t first_frame = 0; // innermost frame when it began, or the first one it entered
};

struct pending_flow {
    std::uint64_t id;
    const char* cat;
};

} // namespace

json chrome_trace(const traces::trace& t, const chrome_options& options) {
    const std::uint32_t pid = t.header.pid;
    json events = json::array();
    std::map<std::uint32_t, task_info> tasks; // ordered: metadata comes out by task id
    std::unordered_map<std::uint32_t, std::string> resource_labels;
    std::unordered_map<std::uint32_t, std::vector<pending_flow>> flows_to; // task -> flows ending at its next step
    open_step step;
    std::uint32_t running = 0;
    std::uint64_t next_flow = 1;
    std::uint64_t poll_start = 0;
    bool polling = false;
    const std::uint64_t last_ns = t.events.empty() ? 0 : t.events.back().ts_ns;

    auto task_of = [&](std::uint32_t id) -> task_info& {
        auto& info = tasks[id];
        info.seen = true;
        return info;
    };
    auto task_label = [&](std::uint32_t id) {
        auto it = tasks.find(id);
        if (it != tasks.end() && !it->second.name.empty()) return it->second.name;
        return "task " + std::to_string(id);
    };
    auto base = [&](const char* ph, std::uint32_t tid, std::uint64_t ts_ns) {
        return json{{"ph", ph}, {"pid", pid}, {"tid", tid}, {"ts", to_us(ts_ns)}};
    };
    auto flow = [&](const char* ph, std::uint64_t id, const char* cat, std::uint32_t tid, std::uint64_t ts_ns) {
        json e = base(ph, tid, ts_ns);
        e["id"] = id;
        e["cat"] = cat;
        e["name"] = cat;
        if (ph[0] == 'f') e["bp"] = "e";
        events.push_back(std::move(e));
    };
    auto end_step = [&](std::uint64_t end_ns, const std::string& how) {
        if (!step.open) return;
        auto& info = task_of(running);
        std::uint32_t frame = !info.frames.empty() ? info.frames.back() : step.first_frame;
        std::string name = frame != 0 ? std::string(short_function_name(t.text(frame))) : task_label(running);
        json e = base("X", running, step.start_ns);
        e["dur"] = to_us(end_ns >= step.start_ns ? end_ns - step.start_ns : 0);
        e["name"] = name;
        e["cat"] = "step";
        e["args"] = {{"step", step.step}, {"tick", step.tick}, {"task", task_label(running)}, {"end", how}};
        events.push_back(std::move(e));
        step.open = false;
        running = 0;
    };

    for (const auto& e : t.events) {
        switch (e.kind) {
        case event_kind::task_spawn: {
            auto& info = task_of(e.task);
            info.name = std::string(t.text(e.b));
            if (e.a != 0) {
                task_of(e.a);
                flows_to[e.task].push_back({next_flow, "spawn"});
                flow("s", next_flow++, "spawn", e.a, e.ts_ns);
            }
            break;
        }
        case event_kind::task_ready:
            if (e.a != 0 && e.a != e.task && static_cast<traces::wait_reason>(e.code) != traces::wait_reason::spawn) {
                task_of(e.a);
                flows_to[e.task].push_back({next_flow, "wake"});
                flow("s", next_flow++, "wake", e.a, e.ts_ns);
            }
            break;
        case event_kind::task_resume: {
            end_step(e.ts_ns, "interrupted"); // a step the trace never ended (dropped events)
            auto& info = task_of(e.task);
            running = e.task;
            step = {true, e.step, e.tick, e.ts_ns, info.frames.empty() ? 0 : info.frames.back()};
            if (auto it = flows_to.find(e.task); it != flows_to.end()) {
                for (const auto& f : it->second) flow("f", f.id, f.cat, e.task, e.ts_ns);
                flows_to.erase(it);
            }
            break;
        }
        case event_kind::task_suspend:
            if (step.open && running == e.task)
                end_step(e.ts_ns, "suspend (" +
                                      std::string(traces::to_string(static_cast<traces::wait_reason>(e.code))) + ")");
            break;
        case event_kind::task_exit:
            if (step.open && running == e.task)
                end_step(e.ts_ns,
                         "exit (" + std::string(traces::to_string(static_cast<traces::exit_status>(e.code))) + ")");
            break;
        case event_kind::frame_enter: {
            auto& info = task_of(e.task);
            info.frames.push_back(e.a);
            if (step.open && running == e.task && step.first_frame == 0) step.first_frame = e.a;
            break;
        }
        case event_kind::frame_exit: {
            auto& info = task_of(e.task);
            if (!info.frames.empty()) info.frames.pop_back();
            break;
        }
        case event_kind::resource_open: resource_labels[e.a] = std::string(t.text(e.b)); break;
        case event_kind::io_ready: {
            if (e.task != 0) task_of(e.task);
            json i = base("i", e.task, e.ts_ns);
            auto label = resource_labels.find(e.a);
            i["name"] = "io_ready " + (label != resource_labels.end() && !label->second.empty()
                                           ? label->second
                                           : "resource " + std::to_string(e.a));
            i["cat"] = "io";
            i["s"] = "t";
            i["args"] = {{"resource", e.a},
                         {"direction", traces::to_string(static_cast<traces::io_direction>(e.code))},
                         {"result", static_cast<std::int64_t>(e.b)}};
            events.push_back(std::move(i));
            break;
        }
        case event_kind::timer_fire: {
            if (e.task != 0) task_of(e.task);
            json i = base("i", e.task, e.ts_ns);
            i["name"] = "timer_fire";
            i["cat"] = "timer";
            i["s"] = "t";
            i["args"] = {{"timer", e.a}};
            events.push_back(std::move(i));
            break;
        }
        case event_kind::mark: {
            if (e.task != 0) task_of(e.task);
            json i = base("i", e.task, e.ts_ns);
            i["name"] = std::string(t.text(e.a));
            i["cat"] = "mark";
            i["s"] = "t";
            events.push_back(std::move(i));
            break;
        }
        case event_kind::poll_begin:
            polling = true;
            poll_start = e.ts_ns;
            break;
        case event_kind::poll_end:
            if (polling && options.polls) {
                json x = base("X", 0, poll_start);
                x["dur"] = to_us(e.ts_ns >= poll_start ? e.ts_ns - poll_start : 0);
                x["name"] = "poll";
                x["cat"] = "poll";
                x["args"] = {{"callbacks", e.a}};
                events.push_back(std::move(x));
            }
            polling = false;
            break;
        default: break;
        }
    }
    end_step(last_ns, "trace ended");

    // Flows whose target never ran again would dangle: drop their starts.
    if (!flows_to.empty()) {
        std::unordered_map<std::uint64_t, bool> dangling;
        for (const auto& [task, list] : flows_to)
            for (const auto& f : list) dangling[f.id] = true;
        json kept = json::array();
        for (auto& e : events)
            if (!(e["ph"] == "s" && dangling.count(e["id"].get<std::uint64_t>()))) kept.push_back(std::move(e));
        events = std::move(kept);
    }

    json meta = json::array();
    meta.push_back({{"ph", "M"},
                    {"pid", pid},
                    {"tid", 0},
                    {"name", "process_name"},
                    {"args", {{"name", t.header.producer.empty() ? "coroscope" : t.header.producer}}}});
    meta.push_back({{"ph", "M"}, {"pid", pid}, {"tid", 0}, {"name", "thread_name"}, {"args", {{"name", "scheduler loop"}}}});
    meta.push_back({{"ph", "M"}, {"pid", pid}, {"tid", 0}, {"name", "thread_sort_index"}, {"args", {{"sort_index", 0}}}});
    for (const auto& [id, info] : tasks) {
        if (id == 0) continue;
        meta.push_back(
            {{"ph", "M"}, {"pid", pid}, {"tid", id}, {"name", "thread_name"}, {"args", {{"name", task_label(id)}}}});
        meta.push_back(
            {{"ph", "M"}, {"pid", pid}, {"tid", id}, {"name", "thread_sort_index"}, {"args", {{"sort_index", id}}}});
    }
    for (auto& e : events) meta.push_back(std::move(e));

    return {{"traceEvents", std::move(meta)},
            {"displayTimeUnit", "ns"},
            {"otherData",
             {{"producer", t.header.producer},
              {"pid", t.header.pid},
              {"start_unix_ns", t.header.start_unix_ns},
              {"format", std::to_string(t.header.major) + "." + std::to_string(t.header.minor)}}}};
}

} // namespace coroscope::inspector
