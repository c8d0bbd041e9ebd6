#pragma once
// Who waits on whom at one point of a trace: the wait-for graph of a snapshot, and deadlock cycles.
//
// Edges come from each waiting task's wait reason and target (scheduler/README.md, "Awaitables"):
// join -> the joined task; mutex, semaphore, channel, event -> the object; io -> the resource;
// sleep -> the timer. Objects a task holds add "held by" edges object -> task, so a waiter reaches
// the holder(s) in two edges: task -> mutex -> holder.
//
// Holders come from the `acquire` / `release` events of format 1.2 (exact: every lock, permit and
// hand-over). Traces without them (1.0, 1.1) get holders inferred from hand-overs: a task that
// waited on a mutex (semaphore) and was made ready with cause mutex (semaphore) was handed it and
// holds it until it hands it on, waits on it again, or exits; a lock taken without waiting is
// unknown there. See inspector/README.md, "Limits".
#include <coroscope/inspector/snapshot.hpp>
#include <coroscope/traces/event.hpp>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace coroscope::inspector {

class model;

// Mutex and semaphore holders. Fold it alongside a snapshot: apply(e, s) must see the snapshot
// *before* e is applied to it.
class lock_tracker {
public:
    void apply(const traces::event& e, const snapshot& before);
    // The task holding mutex `object`, 0 when free or unknown.
    std::uint32_t mutex_holder(std::uint32_t object) const;
    // Tasks holding a permit of semaphore `object` (maybe empty). A task that took permits and
    // ended without releasing them still holds them (the permits are gone with it).
    const std::set<std::uint32_t>& semaphore_holders(std::uint32_t object) const;
    // True once an acquire or release event was seen: holders are exact, not inferred.
    bool exact() const { return m_exact; }

private:
    void infer(const traces::event& e, const snapshot& before);

    bool m_exact = false;
    std::map<std::uint32_t, std::uint32_t> m_mutex;                // object -> holder
    std::map<std::uint32_t, std::set<std::uint32_t>> m_semaphore;  // object -> holders
    std::map<std::pair<std::uint32_t, std::uint32_t>, std::uint64_t> m_permits; // (object, task) -> permits held
};

enum class node_kind : std::uint8_t { task, object, resource, timer };
std::string_view to_string(node_kind k);

struct wait_node {
    node_kind kind = node_kind::task;
    std::uint32_t id = 0;
    bool operator==(const wait_node&) const = default;
};

struct wait_edge {
    wait_node from;
    wait_node to;
    traces::wait_reason reason = traces::wait_reason::none;
    bool held_by = false;  // object -> task: the task holds the object
    bool inferred = false; // held_by only: from a hand-over in a trace without acquire/release events
};

// One await of a cycle: `task` waits (reason, target); the next task of the cycle is `next`
// (the joined task, the holder of the mutex, or the only holder of the semaphore).
struct cycle_await {
    std::uint32_t task = 0;
    traces::wait_reason reason = traces::wait_reason::none;
    std::uint32_t target = 0;
    std::uint32_t next = 0;
};

struct wait_cycle {
    std::vector<cycle_await> awaits; // in cycle order, starting at the smallest task id
    std::vector<std::uint32_t> tasks() const;
};

struct wait_graph {
    std::vector<wait_edge> edges;          // waits (task -> node), then held-by (object -> task)
    std::vector<wait_cycle> cycles;        // cycles among tasks through joins, mutex and semaphore holders
    std::vector<std::uint32_t> run_queue;  // the snapshot's run queue, in run order
    std::uint32_t running = 0;
};

// The task `task` waits for through a join, a mutex with a known holder, or a semaphore with
// exactly one holder that has not ended (0 if none). A semaphore with several holders is freed by
// whichever releases first, so it is not one link of a chain.
std::uint32_t next_in_wait_chain(const snapshot& s, const lock_tracker& locks, std::uint32_t task);
// The cycle through `task` (following next_in_wait_chain), empty when `task` is not on one.
wait_cycle cycle_through(const snapshot& s, const lock_tracker& locks, std::uint32_t task);

wait_graph build_wait_graph(const snapshot& s, const lock_tracker& locks);
// The graph at the model's cursor (folds the events before the cursor for holders).
wait_graph wait_graph_at(const model& m);

// "mutex 12 (held by task 3)", "task 4 'worker'", ... one await in words.
std::string describe_await(const model& m, traces::wait_reason reason, std::uint32_t target);

} // namespace coroscope::inspector
