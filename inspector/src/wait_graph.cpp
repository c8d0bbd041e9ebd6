#include <coroscope/inspector/model.hpp>
#include <coroscope/inspector/wait_graph.hpp>

#include <algorithm>
#include <array>
#include <iterator>

namespace coroscope::inspector {

using traces::event_kind;
using traces::wait_reason;

std::string_view to_string(node_kind k) {
    constexpr std::array<std::string_view, 4> names{"task", "object", "resource", "timer"};
    auto i = static_cast<std::size_t>(k);
    return i < names.size() ? names[i] : "unknown";
}

void lock_tracker::apply(const traces::event& e, const snapshot& before) {
    if (e.kind == event_kind::acquire || e.kind == event_kind::release) {
        if (!m_exact) {
            // From here on the events say who holds what: forget anything inferred.
            m_exact = true;
            m_mutex.clear();
            m_semaphore.clear();
            m_permits.clear();
        }
        auto what = static_cast<wait_reason>(e.code);
        if (what == wait_reason::mutex) {
            if (e.kind == event_kind::acquire) m_mutex[e.a] = e.task;
            else m_mutex.erase(e.a); // whoever held it (a guard may have been moved to another task)
        } else if (what == wait_reason::semaphore) {
            auto key = std::make_pair(e.a, e.task);
            if (e.kind == event_kind::acquire) {
                ++m_permits[key];
                m_semaphore[e.a].insert(e.task);
            } else if (auto it = m_permits.find(key); it != m_permits.end()) {
                // A release by a task holding no permit is a signal (producer/consumer): it frees
                // nobody's permit.
                if (it->second > e.b) {
                    it->second -= e.b;
                } else {
                    m_permits.erase(it);
                    m_semaphore[e.a].erase(e.task);
                }
            }
        }
        return;
    }
    if (!m_exact) infer(e, before);
}

void lock_tracker::infer(const traces::event& e, const snapshot& before) {
    if (e.task == 0) return;
    if (e.kind == event_kind::task_exit) {
        // Guards live in the task's frames: they are released when it ends.
        for (auto it = m_mutex.begin(); it != m_mutex.end();) {
            if (it->second == e.task) it = m_mutex.erase(it);
            else ++it;
        }
        for (auto& [object, holders] : m_semaphore) holders.erase(e.task);
        return;
    }
    if (e.kind == event_kind::task_suspend && static_cast<wait_reason>(e.code) == wait_reason::mutex) {
        // Waiting on a mutex it was last handed: it released it without a waiter (no event) and
        // locks it again. (A real re-lock of a held mutex looks the same and is not reported.)
        auto it = m_mutex.find(e.a);
        if (it != m_mutex.end() && it->second == e.task) m_mutex.erase(it);
        return;
    }
    if (e.kind != event_kind::task_ready) return;
    auto cause = static_cast<wait_reason>(e.code);
    if (cause != wait_reason::mutex && cause != wait_reason::semaphore) return;
    const task_snapshot* t = before.task(e.task);
    if (!t || t->state != task_state::waiting || t->reason != cause) return;
    if (cause == wait_reason::mutex) {
        m_mutex[t->target] = e.task; // handed over by the waker, which no longer holds it
    } else {
        auto& holders = m_semaphore[t->target];
        if (e.a != 0) holders.erase(e.a); // the waker released a permit
        holders.insert(e.task);
    }
}

std::uint32_t lock_tracker::mutex_holder(std::uint32_t object) const {
    auto it = m_mutex.find(object);
    return it == m_mutex.end() ? 0 : it->second;
}

const std::set<std::uint32_t>& lock_tracker::semaphore_holders(std::uint32_t object) const {
    static const std::set<std::uint32_t> none;
    auto it = m_semaphore.find(object);
    return it == m_semaphore.end() ? none : it->second;
}

std::vector<std::uint32_t> wait_cycle::tasks() const {
    std::vector<std::uint32_t> out;
    for (const cycle_await& a : awaits) out.push_back(a.task);
    return out;
}

std::uint32_t next_in_wait_chain(const snapshot& s, const lock_tracker& locks, std::uint32_t task) {
    const task_snapshot* t = s.task(task);
    if (!t || t->state != task_state::waiting) return 0;
    if (t->reason == wait_reason::join) {
        const task_snapshot* target = s.task(t->target);
        return target && target->state != task_state::done ? t->target : 0;
    }
    if (t->reason == wait_reason::mutex) return locks.mutex_holder(t->target);
    if (t->reason == wait_reason::semaphore) {
        const auto& holders = locks.semaphore_holders(t->target);
        if (holders.size() != 1) return 0;
        const task_snapshot* holder = s.task(*holders.begin());
        return holder && holder->state != task_state::done ? holder->id : 0;
    }
    return 0;
}

wait_cycle cycle_through(const snapshot& s, const lock_tracker& locks, std::uint32_t task) {
    wait_cycle cycle;
    // Each waiting task has at most one successor: walk until we return to `task` or stop.
    std::vector<std::uint32_t> seen;
    std::uint32_t at = task;
    for (;;) {
        std::uint32_t next = next_in_wait_chain(s, locks, at);
        if (next == 0) return {};
        if (std::find(seen.begin(), seen.end(), at) != seen.end()) return {}; // a cycle not through `task`
        seen.push_back(at);
        const task_snapshot* t = s.task(at);
        cycle.awaits.push_back({at, t->reason, t->target, next});
        if (next == task) break;
        at = next;
    }
    auto smallest = std::min_element(cycle.awaits.begin(), cycle.awaits.end(),
                                     [](const cycle_await& a, const cycle_await& b) { return a.task < b.task; });
    std::rotate(cycle.awaits.begin(), smallest, cycle.awaits.end());
    return cycle;
}

wait_graph build_wait_graph(const snapshot& s, const lock_tracker& locks) {
    wait_graph g;
    g.run_queue.assign(s.run_queue().begin(), s.run_queue().end());
    g.running = s.running();
    std::set<std::uint32_t> mutexes, semaphores;
    for (const task_snapshot& t : s.tasks()) {
        if (!t.known || t.state != task_state::waiting) continue;
        wait_node from{node_kind::task, t.id};
        switch (t.reason) {
        case wait_reason::join: g.edges.push_back({from, {node_kind::task, t.target}, t.reason}); break;
        case wait_reason::mutex:
            mutexes.insert(t.target);
            g.edges.push_back({from, {node_kind::object, t.target}, t.reason, false});
            break;
        case wait_reason::semaphore:
            semaphores.insert(t.target);
            g.edges.push_back({from, {node_kind::object, t.target}, t.reason, false});
            break;
        case wait_reason::channel:
        case wait_reason::event: g.edges.push_back({from, {node_kind::object, t.target}, t.reason, false}); break;
        case wait_reason::io: g.edges.push_back({from, {node_kind::resource, t.target}, t.reason, false}); break;
        case wait_reason::sleep: g.edges.push_back({from, {node_kind::timer, t.target}, t.reason, false}); break;
        default: break; // yield, none: not waiting on anything
        }
    }
    for (std::uint32_t m : mutexes) {
        if (std::uint32_t h = locks.mutex_holder(m))
            g.edges.push_back({{node_kind::object, m}, {node_kind::task, h}, wait_reason::mutex, true, !locks.exact()});
    }
    for (std::uint32_t sem : semaphores) {
        for (std::uint32_t h : locks.semaphore_holders(sem))
            g.edges.push_back({{node_kind::object, sem}, {node_kind::task, h}, wait_reason::semaphore, true, !locks.exact()});
    }
    // Cycles: a task has at most one successor in a wait chain, so one walk from each task not
    // walked yet finds every cycle once, in O(tasks) (10k waiting tasks are rebuilt live every
    // 0.5 s; a walk per task through its whole chain cost milliseconds). A walk meeting a task of
    // its own path closed a cycle there; meeting an earlier walk's task finds nothing new. Each
    // cycle as cycle_through gives it (from its smallest task id), in the order of those ids.
    std::vector<std::uint32_t> walk_of(s.tasks().size() + 1, 0); // by task id: the walk that met it
    std::vector<std::uint32_t> path;
    std::uint32_t walks = 0;
    for (const task_snapshot& t : s.tasks()) {
        if (!t.known || walk_of[t.id] != 0) continue;
        ++walks;
        path.clear();
        for (std::uint32_t at = t.id; at != 0; at = next_in_wait_chain(s, locks, at)) {
            if (at >= walk_of.size()) walk_of.resize(at + 1, 0);
            if (walk_of[at] == walks) { // back on this walk's path: the cycle runs from `at` on
                auto first = std::find(path.begin(), path.end(), at);
                wait_cycle c;
                for (auto it = first; it != path.end(); ++it) {
                    const task_snapshot* w = s.task(*it);
                    c.awaits.push_back({*it, w->reason, w->target, std::next(it) != path.end() ? *std::next(it) : at});
                }
                auto smallest = std::min_element(c.awaits.begin(), c.awaits.end(),
                                                 [](const cycle_await& a, const cycle_await& b) { return a.task < b.task; });
                std::rotate(c.awaits.begin(), smallest, c.awaits.end());
                g.cycles.push_back(std::move(c));
                break;
            }
            if (walk_of[at] != 0) break; // an earlier walk went on from here
            walk_of[at] = walks;
            path.push_back(at);
        }
    }
    std::sort(g.cycles.begin(), g.cycles.end(),
              [](const wait_cycle& a, const wait_cycle& b) { return a.awaits.front().task < b.awaits.front().task; });
    return g;
}

wait_graph wait_graph_at(const model& m) {
    snapshot s;
    lock_tracker locks;
    const auto& events = m.trace().events;
    std::uint64_t end = m.cursor_event();
    for (std::uint64_t i = 0; i < end; ++i) {
        locks.apply(events[i], s);
        s.apply(events[i]);
    }
    return build_wait_graph(s, locks);
}

std::string describe_await(const model& m, wait_reason reason, std::uint32_t target) {
    std::string r(traces::to_string(reason));
    switch (reason) {
    case wait_reason::join: return "join on task " + std::to_string(target) + " '" + m.task_name(target) + "'";
    case wait_reason::sleep: return "sleep on timer " + std::to_string(target);
    case wait_reason::io: return "io on resource " + std::to_string(target);
    case wait_reason::yield:
    case wait_reason::none: return r;
    default: return r + " on object " + std::to_string(target);
    }
}

} // namespace coroscope::inspector
