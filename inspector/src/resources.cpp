#include <coroscope/inspector/model.hpp>
#include <coroscope/inspector/resources.hpp>

#include <algorithm>
#include <map>

namespace coroscope::inspector {

using traces::event_kind;

void resource_builder::feed(const model& m, std::uint64_t end) {
    const auto& events = m.trace().events;
    end = std::min<std::uint64_t>(end, events.size());
    if (m_next >= end) return;
    auto lane = [&](std::uint32_t id) -> resource_lane& {
        resource_lane& l = m_lanes[id];
        l.id = id;
        m_dirty.insert(id);
        return l;
    };
    for (auto it = decltype(events.begin())(&events, m_next); m_next < end; ++it, ++m_next) {
        const traces::event& e = *it;
        switch (e.kind) {
        case event_kind::resource_open: {
            if (static_cast<traces::resource_kind>(e.code) == traces::resource_kind::timer) break;
            resource_lane& l = lane(e.a);
            l.kind = static_cast<traces::resource_kind>(e.code);
            l.label = static_cast<std::uint32_t>(e.b);
            l.open_ts = e.ts_ns;
            break;
        }
        case event_kind::resource_close:
            if (auto l = m_lanes.find(e.a); l != m_lanes.end()) {
                l->second.close_ts = e.ts_ns;
                m_dirty.insert(e.a);
            }
            break;
        case event_kind::io_wait: {
            resource_lane& l = lane(e.a);
            io_episode ep;
            ep.task = e.task;
            ep.direction = static_cast<traces::io_direction>(e.code);
            ep.wait_ts = e.ts_ns;
            ep.wait_step = e.step;
            l.episodes.push_back(ep);
            m_open[e.task] = {e.a, l.episodes.size() - 1};
            break;
        }
        case event_kind::io_ready: {
            if (e.task == 0) {
                ++lane(e.a).unwaited_ready;
                break;
            }
            auto o = m_open.find(e.task);
            if (o == m_open.end() || o->second.first != e.a) break;
            io_episode& ep = m_lanes[e.a].episodes[o->second.second];
            touch(e.a, o->second.second);
            ep.ready = true;
            ep.ready_ts = e.ts_ns;
            ep.result = static_cast<std::int64_t>(e.b);
            break;
        }
        case event_kind::task_resume: {
            auto o = m_open.find(e.task);
            if (o == m_open.end()) break;
            io_episode& ep = m_lanes[o->second.first].episodes[o->second.second];
            touch(o->second.first, o->second.second);
            ep.resumed = true;
            ep.resume_ts = e.ts_ns;
            ep.resume_step = e.step;
            // An episode is resumed once (its entry in m_open goes) and is ready before that if at
            // all (io_ready finds it through m_open): its latency is final here.
            if (ep.ready && ep.resume_ts >= ep.ready_ts) m_latencies[o->second.first].add(ep.resume_ts - ep.ready_ts);
            m_open.erase(o);
            break;
        }
        default: break;
        }
    }
}

std::vector<resource_lane> resource_builder::result() {
    std::vector<resource_lane> out;
    out.reserve(m_lanes.size());
    for (const auto& [id, l] : m_lanes) {
        out.push_back(l);
        auto lat = m_latencies.find(id);
        out.back().ready_to_resume = lat == m_latencies.end() ? latency_summary{} : lat->second.summary();
    }
    return out;
}

void resource_builder::touch(std::uint32_t lane, std::size_t episode) {
    m_dirty.insert(lane);
    auto published = m_published_episodes.find(lane);
    if (published != m_published_episodes.end() && episode < published->second) m_changed.emplace_back(lane, episode);
}

bool resource_builder::publish(std::vector<resource_lane>& out, std::chrono::steady_clock::time_point deadline) {
    auto row = [&](std::uint32_t id) {
        return std::lower_bound(out.begin(), out.end(), id, [](const resource_lane& l, std::uint32_t i) { return l.id < i; });
    };
    if (!m_publishing) {
        if (out.size() != m_published_lanes) { // not what the last publish left: every lane again
            out.clear();
            m_published_episodes.clear();
            m_changed.clear();
            for (const auto& [id, l] : m_lanes) m_dirty.insert(id);
        }
        // The episodes rewritten first: each belongs to a lane the last publish left in `out`.
        for (const auto& [id, index] : m_changed) row(id)->episodes[index] = m_lanes.at(id).episodes[index];
        m_changed.clear();
        m_publishing = true;
    }
    // Then the changed lanes in id order until the deadline (at least one piece per call). A lane's
    // new episodes go over in pieces too: a busy lane can gain tens of thousands between two
    // publications while the folds catch up (milliseconds to copy).
    constexpr std::size_t episodes_per_look = 4096;
    auto next = m_dirty.begin();
    bool stopped = false;
    for (std::size_t n = 1; next != m_dirty.end(); ++n) {
        if (n > 1 && std::chrono::steady_clock::now() >= deadline) break; // a lane can cost ~0.2 ms
        const std::uint32_t id = *next;
        const resource_lane& l = m_lanes.at(id);
        auto r = row(id);
        if (r == out.end() || r->id != id) r = out.insert(r, resource_lane{});
        std::size_t& published = m_published_episodes[id];
        r->id = l.id;
        r->kind = l.kind;
        r->label = l.label;
        r->open_ts = l.open_ts;
        r->close_ts = l.close_ts;
        r->unwaited_ready = l.unwaited_ready;
        while (published < l.episodes.size()) {
            const std::size_t to = std::min(l.episodes.size(), published + episodes_per_look);
            r->episodes.insert(r->episodes.end(), l.episodes.begin() + static_cast<std::ptrdiff_t>(published),
                               l.episodes.begin() + static_cast<std::ptrdiff_t>(to));
            published = to;
            if (published < l.episodes.size() && std::chrono::steady_clock::now() >= deadline) {
                stopped = true; // this lane stays dirty: the next call goes on from `published`
                break;
            }
        }
        if (stopped) break;
        auto lat = m_latencies.find(id);
        r->ready_to_resume = lat == m_latencies.end() ? latency_summary{} : lat->second.summary();
        ++next;
    }
    m_dirty.erase(m_dirty.begin(), next);
    m_published_lanes = out.size();
    if (!m_dirty.empty()) return false;
    m_publishing = false;
    return true;
}

std::vector<resource_lane> resource_lanes(const model& m) {
    resource_builder b;
    b.feed(m, m.trace().events.size());
    return b.result();
}

std::vector<task_failure> task_failures(const model& m) {
    snapshot s;
    std::vector<task_failure> out;
    for (const traces::event& e : m.trace().events) {
        s.apply(e);
        if (e.kind != event_kind::task_exit || static_cast<traces::exit_status>(e.code) != traces::exit_status::failed)
            continue;
        const task_snapshot* t = s.task(e.task);
        out.push_back({e.task, e.step, e.a, t ? t->thrown_stack : std::vector<frame_info>{}});
    }
    return out;
}

namespace {

std::string result_text(const io_episode& ep) {
    if (!ep.ready) return "not ready";
    if (ep.result < 0) return "status " + std::to_string(ep.result);
    if (ep.direction == traces::io_direction::exit) return "exit code " + std::to_string(ep.result);
    return std::to_string(ep.result) + " bytes";
}

nlohmann::json frames_json(const model& m, const std::vector<frame_info>& stack) {
    nlohmann::json out = nlohmann::json::array();
    for (const frame_info& f : stack)
        out.push_back({{"function", std::string(m.text(f.function))}, {"location", std::string(m.text(f.location))}});
    return out;
}

} // namespace

std::string resources_text(const model& m, const std::vector<resource_lane>& lanes) {
    std::string out;
    for (const resource_lane& l : lanes) {
        out += "resource " + std::to_string(l.id) + " " + std::string(traces::to_string(l.kind));
        if (l.label) out += " '" + std::string(m.text(l.label)) + "'";
        out += ": " + std::to_string(l.episodes.size()) + " waits";
        if (l.ready_to_resume.count)
            out += ", ready -> resume p50 " + format_duration(l.ready_to_resume.p50) + " max " +
                   format_duration(l.ready_to_resume.max);
        if (l.unwaited_ready) out += ", " + std::to_string(l.unwaited_ready) + " ready with nobody waiting";
        out += "\n";
        for (const io_episode& ep : l.episodes) {
            out += "  step " + std::to_string(ep.wait_step) + " task " + std::to_string(ep.task) + " '" +
                   m.task_name(ep.task) + "' " + std::string(traces::to_string(ep.direction)) + ": " + result_text(ep);
            if (ep.ready && ep.resumed)
                out += ", resumed at step " + std::to_string(ep.resume_step) + " after " +
                       format_duration(ep.resume_ts - ep.ready_ts);
            else if (ep.resumed)
                out += ", resumed at step " + std::to_string(ep.resume_step) + " without readiness (cancelled?)";
            out += "\n";
        }
    }
    return out;
}

std::string failures_text(const model& m, const std::vector<task_failure>& failures) {
    std::string out;
    for (const task_failure& f : failures) {
        out += "task " + std::to_string(f.task) + " '" + m.task_name(f.task) + "' failed at step " +
               std::to_string(f.step) + ": " + (f.error ? std::string(m.text(f.error)) : "(no text)") + "\n";
        for (std::size_t i = 0; i < f.thrown_stack.size(); ++i) {
            const frame_info& fr = f.thrown_stack[i];
            out += "    #" + std::to_string(f.thrown_stack.size() - 1 - i) + " " +
                   std::string(short_function_name(m.text(fr.function))) + "  " + std::string(m.text(fr.location)) + "\n";
        }
    }
    return out;
}

nlohmann::json resources_json(const model& m, const std::vector<resource_lane>& lanes) {
    nlohmann::json out = nlohmann::json::array();
    for (const resource_lane& l : lanes) {
        nlohmann::json eps = nlohmann::json::array();
        for (const io_episode& ep : l.episodes) {
            nlohmann::json j = {{"task", ep.task}, {"direction", std::string(traces::to_string(ep.direction))},
                                {"wait_ts", ep.wait_ts}, {"wait_step", ep.wait_step}, {"ready", ep.ready}};
            if (ep.ready) {
                j["ready_ts"] = ep.ready_ts;
                j["result"] = ep.result;
            }
            if (ep.resumed) {
                j["resume_ts"] = ep.resume_ts;
                j["resume_step"] = ep.resume_step;
                if (ep.ready) j["ready_to_resume_ns"] = ep.resume_ts - ep.ready_ts;
            }
            eps.push_back(std::move(j));
        }
        out.push_back({{"id", l.id},
                       {"kind", std::string(traces::to_string(l.kind))},
                       {"label", l.label ? std::string(m.text(l.label)) : std::string()},
                       {"waits", eps},
                       {"unwaited_ready", l.unwaited_ready},
                       {"ready_to_resume", {{"count", l.ready_to_resume.count}, {"p50_ns", l.ready_to_resume.p50},
                                            {"p90_ns", l.ready_to_resume.p90}, {"p99_ns", l.ready_to_resume.p99},
                                            {"max_ns", l.ready_to_resume.max}}}});
    }
    return out;
}

nlohmann::json failures_json(const model& m, const std::vector<task_failure>& failures) {
    nlohmann::json out = nlohmann::json::array();
    for (const task_failure& f : failures)
        out.push_back({{"task", f.task}, {"name", m.task_name(f.task)}, {"step", f.step},
                       {"error", f.error ? std::string(m.text(f.error)) : std::string()},
                       {"thrown_stack", frames_json(m, f.thrown_stack)}});
    return out;
}

} // namespace coroscope::inspector
