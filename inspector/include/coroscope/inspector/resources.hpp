#pragma once
// Per resource (TCP/pipe stream, listener, process): the lane of io_wait -> io_ready -> the resume
// that followed, with readiness-to-resume latency. And per failed task: its exception text and the
// stack it was thrown from.
#include <coroscope/inspector/snapshot.hpp>
#include <coroscope/inspector/stats.hpp>
#include <coroscope/traces/event.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace coroscope::inspector {

class model;

// One wait of one task on a resource.
struct io_episode {
    std::uint32_t task = 0;
    traces::io_direction direction = traces::io_direction::read;
    std::uint64_t wait_ts = 0, wait_step = 0;   // io_wait
    bool ready = false;                          // an io_ready for this waiter was seen
    std::uint64_t ready_ts = 0;
    std::int64_t result = 0;                     // io_ready b: bytes, exit code or negative libuv status
    bool resumed = false;                        // the task's next resume was seen
    std::uint64_t resume_ts = 0, resume_step = 0;
};

struct resource_lane {
    std::uint32_t id = 0;
    traces::resource_kind kind = traces::resource_kind::tcp;
    std::uint32_t label = 0;                     // string id (0 = never opened in the trace)
    std::uint64_t open_ts = 0, close_ts = 0;     // close_ts 0 = still open at the end
    // In io_wait order. A deque: a busy lane gains millions of episodes live, and a vector's growth
    // would copy them all at once (milliseconds inside one frame's fold); a deque never copies.
    std::deque<io_episode> episodes;
    std::uint64_t unwaited_ready = 0;            // io_ready with nobody waiting (task 0)
    latency_summary ready_to_resume;             // io_ready ts -> the waiter's next resume ts
};

std::vector<resource_lane> resource_lanes(const model& m);

// resource_lanes as a fold that can be resumed: feed() takes the events the trace gained since the
// last call (live: a slice per frame), result() gives the lanes of what was fed so far. Once every
// event of m was fed, result() == resource_lanes(m) exactly (resource_lanes is this builder fed
// everything).
class resource_builder {
public:
    // Folds events [next(), end) of m.trace().events (end <= their count).
    void feed(const model& m, std::uint64_t end);
    std::uint64_t next() const { return m_next; } // the first event not fed yet
    // A copy of the lanes with their latency summaries (sorts them, hence not const).
    std::vector<resource_lane> result();
    // result() written into `out` in place: new lanes inserted, and in the lanes that changed since
    // the last publish only what changed: episodes appended, the episodes an io_ready or a resume
    // completed rewritten, the latency summary redone. Its cost follows what changed, not the
    // trace. `out` must be what the last publish left, else it is rebuilt whole.
    // Live, in pieces: once `deadline` passed it returns false (after one piece at least: a lane, or
    // 4096 of a lane's new episodes); call again (without feeding in between) until it returns
    // true, then out == result().
    bool publish(std::vector<resource_lane>& out,
                 std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max());
    bool publishing() const { return m_publishing; } // a publish() returned false and is not finished

private:
    void touch(std::uint32_t lane, std::size_t episode); // an episode changed (publish() rewrites it)

    std::map<std::uint32_t, resource_lane> m_lanes;
    std::map<std::uint32_t, duration_set> m_latencies; // per lane: io_ready -> resume of its waits
    // The open episode of each waiting task: (resource, index in its lane).
    std::map<std::uint32_t, std::pair<std::uint32_t, std::size_t>> m_open;
    std::uint64_t m_next = 0;
    // Since the last publish: the lanes that changed, and the episodes changed that it had
    // published (lane, index); the lanes it left.
    std::set<std::uint32_t> m_dirty;
    std::vector<std::pair<std::uint32_t, std::size_t>> m_changed;
    std::map<std::uint32_t, std::size_t> m_published_episodes; // per lane
    std::size_t m_published_lanes = 0;
    bool m_publishing = false; // a publish() stopped at its deadline: m_dirty holds the lanes left
};

struct task_failure {
    std::uint32_t task = 0;
    std::uint64_t step = 0;                      // the step in which it exited
    std::uint32_t error = 0;                     // exception text string id
    std::vector<frame_info> thrown_stack;        // outermost first, innermost (the thrower) last
};

// Every task that exited failed, with where its exception was thrown (from the end-of-trace state).
std::vector<task_failure> task_failures(const model& m);

std::string resources_text(const model& m, const std::vector<resource_lane>& lanes);
std::string failures_text(const model& m, const std::vector<task_failure>& failures);
nlohmann::json resources_json(const model& m, const std::vector<resource_lane>& lanes);
nlohmann::json failures_json(const model& m, const std::vector<task_failure>& failures);

} // namespace coroscope::inspector
