#include <coroscope/introspect.hpp>

#include <coroscope/scheduler.hpp>
#include <coroscope/task.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>

namespace coroscope {

// The scheduler's friend: the only code outside the scheduler that reads its task table and run queue.
struct introspection {
    static scheduler_view read(const scheduler& s) {
        scheduler_view v;
        v.step = s.m_step;
        v.tick = s.m_tick;
        for (const detail::task_record* t : s.m_ready) v.run_queue.push_back(t->id);
        // The running task, if the view is taken inside a step of `s` (see task_state).
        const detail::task_record* running = detail::current.sched == &s ? detail::current.task : nullptr;
        for (const auto& [id, record] : s.m_tasks) v.tasks.push_back(describe(*record, record.get() == running));
        std::sort(v.tasks.begin(), v.tasks.end(), [](const task_view& a, const task_view& b) { return a.id < b.id; });
        return v;
    }

    static task_view describe(const detail::task_record& t, bool running) {
        task_view v;
        v.id = t.id;
        v.parent = t.parent;
        v.name = t.name;
        switch (t.state) {
        case detail::task_state::ready: v.state = running ? "running" : "ready"; break;
        case detail::task_state::waiting: v.state = "waiting"; break;
        case detail::task_state::done: v.state = "done"; break;
        }
        if (t.state == detail::task_state::waiting) {
            v.reason = t.reason;
            v.target = t.target;
        }
        // A task's frames are task<T> coroutines whose promises derive from promise_base first,
        // so the innermost frame's handle reaches each caller through m_continuation. The root
        // frame is entered when the task first runs; before that the stack is empty. A running
        // task's resume_point is stale (see task_record) and its frames are the ones running.
        if (t.started && !t.finished && !running) {
            for (std::coroutine_handle<> h = t.resume_point; h;) {
                auto& frame = std::coroutine_handle<promise_base>::from_address(h.address()).promise();
                v.frames.push_back({frame.m_friendly_name ? frame.m_friendly_name : frame.m_location.function_name(),
                                    std::string(frame.m_location.file_name()) + ":" +
                                        std::to_string(frame.m_location.line())});
                h = frame.m_continuation;
            }
            std::reverse(v.frames.begin(), v.frames.end());
        }
        return v;
    }
};

scheduler_view introspect(const scheduler& s) { return introspection::read(s); }

std::string to_json_line(const scheduler_view& v) {
    nlohmann::json tasks = nlohmann::json::array();
    for (const task_view& t : v.tasks) {
        nlohmann::json frames = nlohmann::json::array();
        for (const frame_view& f : t.frames) frames.push_back({{"function", f.function}, {"location", f.location}});
        tasks.push_back({{"id", t.id},
                         {"parent", t.parent},
                         {"name", t.name},
                         {"state", t.state},
                         {"reason", traces::to_string(t.reason)},
                         {"target", t.target},
                         {"frames", std::move(frames)}});
    }
    nlohmann::json line = {{"step", v.step}, {"tick", v.tick}, {"run_queue", v.run_queue}, {"tasks", std::move(tasks)}};
    return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace coroscope
