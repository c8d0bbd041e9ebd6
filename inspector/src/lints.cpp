#include <coroscope/inspector/lints.hpp>
#include <coroscope/inspector/model.hpp>
#include <coroscope/inspector/stats.hpp>

#include <algorithm>
#include <array>
#include <map>
#include <set>

namespace coroscope::inspector {

using traces::event_kind;
using traces::wait_reason;

std::string_view to_string(lint_kind k) {
    constexpr std::array<std::string_view, lint_kind_count> names{
        "long-step", "starvation", "leaked-task", "swallowed-exception", "deadlock", "lost-wakeup", "never-yielding"};
    auto i = static_cast<std::size_t>(k);
    return i < names.size() ? names[i] : "unknown";
}

namespace {

bool is_object_wait(wait_reason r) {
    return r == wait_reason::channel || r == wait_reason::event || r == wait_reason::semaphore || r == wait_reason::mutex;
}

struct task_track {
    bool running = false;
    std::uint64_t resume_ts = 0, resume_step = 0;
    bool others_ready = false;        // another task was ready during the current step
    bool spawned_process = false;     // the current step started a child process (uv_spawn blocks)
    bool ready = false;
    std::uint32_t ready_tick = 0;
    std::uint64_t ready_step = 0;
    bool starvation_reported = false;
    bool joined = false;              // somebody joined it (suspend join on it, or woken by its end)
    bool in_deadlock = false;         // its current wait is part of a reported cycle
    std::uint64_t wait_ts = 0, wait_step = 0;
    std::uint32_t failed_error = 0;   // exception text of its failure (0 = none / observed)
    std::uint64_t failed_step = 0, failed_ts = 0;
    bool failed = false;
};

std::string task_ref(const model& m, std::uint32_t id) { return "task " + std::to_string(id) + " '" + m.task_name(id) + "'"; }

bool bounded_by_timeout(const model& m, std::uint32_t task) {
    // with_timeout runs the operation in a child task named "with_timeout": its waits end by the
    // timeout's cancellation by design.
    return m.task_name(task) == "with_timeout";
}

} // namespace

std::vector<lint_finding> run_lints(const model& m, const lint_options& opt) {
    std::vector<lint_finding> out;
    snapshot s;
    lock_tracker locks;
    std::vector<task_track> tr;
    std::map<std::uint32_t, std::uint64_t> last_signal_ts; // object -> last time a waiter was woken by it
    std::set<std::vector<std::uint32_t>> cycles_reported;
    // exception text id -> (task, ts) of every frame or task that ended by an exception with that text
    std::map<std::uint32_t, std::vector<std::pair<std::uint32_t, std::uint64_t>>> thrown;
    auto track = [&](std::uint32_t id) -> task_track& {
        if (id >= tr.size()) tr.resize(id + 1);
        return tr[id];
    };
    std::uint32_t running = 0;
    for (const traces::event& e : m.trace().events) {
        if (e.task != 0) track(e.task);
        switch (e.kind) {
        case event_kind::task_ready: {
            task_track& t = tr[e.task];
            auto cause = static_cast<wait_reason>(e.code);
            const task_snapshot* before = s.task(e.task);
            if (before && before->state == task_state::waiting && is_object_wait(before->reason)) {
                if (cause == before->reason) {
                    last_signal_ts[before->target] = e.ts_ns;
                } else if (cause == wait_reason::cancel && !t.in_deadlock && !bounded_by_timeout(m, e.task)) {
                    auto it = last_signal_ts.find(before->target);
                    bool signaled = it != last_signal_ts.end() && it->second >= t.wait_ts;
                    if (!signaled)
                        out.push_back({lint_kind::lost_wakeup, e.step, e.task,
                                       task_ref(m, e.task) + " waited (" + describe_await(m, before->reason, before->target) +
                                           ") from step " + std::to_string(t.wait_step) +
                                           (before->reason == wait_reason::mutex
                                                ? " and the mutex was never handed over (its holder is unknown: no "
                                                  "lock events); it only ended by cancellation"
                                                : " and nobody signaled it; it only ended by cancellation") +
                                           (e.a ? " from " + task_ref(m, e.a) : std::string()),
                                       {}});
                }
            }
            if (cause == wait_reason::join && e.a != 0) track(e.a).joined = true;
            if (!t.ready) {
                t.ready = true;
                t.ready_tick = e.tick;
                t.ready_step = e.step;
            }
            t.in_deadlock = false;
            if (running != 0 && running != e.task) tr[running].others_ready = true;
            break;
        }
        case event_kind::task_resume: {
            task_track& t = tr[e.task];
            if (t.ready && e.tick > t.ready_tick + opt.starvation_ticks && !t.starvation_reported) {
                t.starvation_reported = true;
                out.push_back({lint_kind::starvation, e.step, e.task,
                               task_ref(m, e.task) + " was ready from tick " + std::to_string(t.ready_tick) +
                                   " (step " + std::to_string(t.ready_step) + ") and ran only in tick " +
                                   std::to_string(e.tick) + ": " + std::to_string(e.tick - t.ready_tick) +
                                   " ticks > " + std::to_string(opt.starvation_ticks),
                               {}});
            }
            t.ready = false;
            t.running = true;
            t.resume_ts = e.ts_ns;
            t.resume_step = e.step;
            t.spawned_process = false;
            running = e.task;
            break;
        }
        case event_kind::task_suspend:
        case event_kind::task_exit: {
            task_track& t = tr[e.task];
            if (t.running && e.ts_ns - t.resume_ts > opt.long_step_ns && !t.spawned_process) {
                out.push_back({lint_kind::long_step, t.resume_step, e.task,
                               "step " + std::to_string(t.resume_step) + " of " + task_ref(m, e.task) + " ran " +
                                   format_duration(e.ts_ns - t.resume_ts) + " without yielding (limit " +
                                   format_duration(opt.long_step_ns) + "): every other task waited",
                               {}});
            }
            if (e.kind == event_kind::task_exit) {
                const task_snapshot* before = s.task(e.task);
                bool first_step = before && before->steps == 1;
                std::uint64_t d = e.ts_ns - t.resume_ts;
                if (t.running && first_step && d >= opt.never_yielding_ns && t.others_ready &&
                    d <= opt.long_step_ns) { // longer ones are long steps already
                    out.push_back({lint_kind::never_yielding, t.resume_step, e.task,
                                   task_ref(m, e.task) + " ran its whole life in one step of " + format_duration(d) +
                                       " and never yielded while other tasks were ready",
                                   {}});
                }
                auto status = static_cast<traces::exit_status>(e.code);
                if (status == traces::exit_status::failed) {
                    t.failed = true;
                    t.failed_error = e.a;
                    t.failed_step = e.step;
                    t.failed_ts = e.ts_ns;
                    if (e.a != 0) thrown[e.a].push_back({e.task, e.ts_ns});
                }
            } else if (static_cast<wait_reason>(e.code) == wait_reason::join) {
                track(e.a).joined = true;
            }
            t.running = false;
            t.others_ready = false;
            t.ready = false;
            t.wait_ts = e.ts_ns;
            t.wait_step = e.step;
            if (running == e.task) running = 0;
            break;
        }
        case event_kind::resource_open:
            if (static_cast<traces::resource_kind>(e.code) == traces::resource_kind::process && running != 0)
                tr[running].spawned_process = true;
            break;
        case event_kind::frame_exit:
            if (e.code != 0 && e.a != 0) thrown[e.a].push_back({e.task, e.ts_ns});
            break;
        default: break;
        }
        locks.apply(e, s);
        s.apply(e);
        if (e.kind == event_kind::task_resume && s.run_queue().size() > 0) tr[e.task].others_ready = true;
        if (e.kind == event_kind::task_suspend) {
            auto r = static_cast<wait_reason>(e.code);
            if (r == wait_reason::join || r == wait_reason::mutex) {
                wait_cycle c = cycle_through(s, locks, e.task);
                if (!c.awaits.empty()) {
                    std::vector<std::uint32_t> key = c.tasks();
                    std::sort(key.begin(), key.end());
                    for (std::uint32_t id : key) tr[id].in_deadlock = true;
                    if (cycles_reported.insert(key).second) {
                        std::string why = "deadlock: " + std::to_string(key.size()) + " tasks wait on each other: ";
                        for (std::size_t i = 0; i < c.awaits.size(); ++i) {
                            const cycle_await& a = c.awaits[i];
                            if (i) why += "; ";
                            why += task_ref(m, a.task) + " waits (" + describe_await(m, a.reason, a.target) + ")";
                            if (a.reason == wait_reason::mutex) why += " held by task " + std::to_string(a.next);
                        }
                        out.push_back({lint_kind::deadlock, e.step, e.task, why, c});
                    }
                }
            }
        }
    }

    const history& h = m.history();
    if (h.ended()) {
        // Swallowed exceptions: a failure is observed when somebody joined the task, or when the same
        // exception text later left a frame of another task (a joiner rethrowing it).
        for (std::uint32_t id = 1; id < tr.size(); ++id) {
            const task_track& t = tr[id];
            if (!t.failed || t.joined) continue;
            bool rethrown = false;
            if (auto it = thrown.find(t.failed_error); it != thrown.end())
                for (const auto& [task, ts] : it->second) rethrown = rethrown || (task != id && ts >= t.failed_ts);
            if (rethrown) continue;
            out.push_back({lint_kind::swallowed_exception, t.failed_step, id,
                           task_ref(m, id) + " failed (" +
                               (t.failed_error ? std::string(m.text(t.failed_error)) : std::string("no text")) +
                               ") and nobody joined it: the exception was never observed",
                           {}});
        }
        std::set<std::uint32_t> joined_at_end;
        for (const task_snapshot& t : s.tasks())
            if (t.known && t.state == task_state::waiting && t.reason == wait_reason::join) joined_at_end.insert(t.target);
        for (const task_snapshot& t : s.tasks()) {
            if (!t.known || t.state == task_state::done) continue;
            task_track& tt = tr[t.id];
            if (tt.in_deadlock) continue;
            if (t.state == task_state::waiting && is_object_wait(t.reason)) {
                out.push_back({lint_kind::lost_wakeup, m.step_count(), t.id,
                               task_ref(m, t.id) + " still waits (" + describe_await(m, t.reason, t.target) +
                                   ") at the end of the trace, since step " + std::to_string(tt.wait_step) +
                                   ": nothing is left to signal it",
                               {}});
                continue;
            }
            if (!joined_at_end.count(t.id))
                out.push_back({lint_kind::leaked_task, m.step_count(), t.id,
                               task_ref(m, t.id) + " is still " +
                                   (t.state == task_state::waiting ? describe_await(m, t.reason, t.target)
                                                                   : std::string(to_string(t.state))) +
                                   " at the end of the trace and nobody joins it",
                               {}});
        }
    }
    std::stable_sort(out.begin(), out.end(), [](const lint_finding& a, const lint_finding& b) { return a.step < b.step; });
    return out;
}

} // namespace coroscope::inspector

namespace coroscope::inspector {

std::string lints_text(const model& m, const std::vector<lint_finding>& findings) {
    (void)m;
    std::string out;
    for (const lint_finding& f : findings)
        out += std::string(to_string(f.kind)) + "  step " + std::to_string(f.step) + "  task " + std::to_string(f.task) +
               "  " + f.why + "\n";
    out += std::to_string(findings.size()) + (findings.size() == 1 ? " finding\n" : " findings\n");
    return out;
}

nlohmann::json lints_json(const model& m, const std::vector<lint_finding>& findings) {
    nlohmann::json out = nlohmann::json::array();
    for (const lint_finding& f : findings) {
        nlohmann::json j = {{"kind", std::string(to_string(f.kind))}, {"step", f.step}, {"task", f.task},
                            {"name", m.task_name(f.task)}, {"why", f.why}};
        if (!f.cycle.awaits.empty()) {
            nlohmann::json cycle = nlohmann::json::array();
            for (const cycle_await& a : f.cycle.awaits)
                cycle.push_back({{"task", a.task}, {"name", m.task_name(a.task)},
                                 {"reason", std::string(traces::to_string(a.reason))}, {"target", a.target}, {"next", a.next}});
            j["cycle"] = cycle;
        }
        out.push_back(std::move(j));
    }
    return {{"findings", out}, {"count", findings.size()}};
}

} // namespace coroscope::inspector
