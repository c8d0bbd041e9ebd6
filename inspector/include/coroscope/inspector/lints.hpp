#pragma once
// Lints: the classic cooperative-scheduling bugs, found in a trace. Each finding names its kind,
// the step where it shows, the task, and one line of why. Definitions: inspector/README.md, "Lints".
#include <coroscope/inspector/wait_graph.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace coroscope::inspector {

class model;

enum class lint_kind : std::uint8_t {
    long_step,           // one step ran longer than long_step_ns (it blocked the loop)
    starvation,          // ready but not resumed for more than starvation_ticks ticks, or woken from a
                         // wait and kept ready while more than starvation_ns of other tasks' steps ran
    leaked_task,         // nobody joins it and it outlived its owner: alive at the end of a complete
                         // trace, or still alive when the task that spawned it ended
    swallowed_exception, // failed and nobody read the exception (unobserved_failure; heuristics for 1.0)
    deadlock,            // a cycle of joins / mutex and semaphore waits among tasks
    lost_wakeup,         // waiting on an object nobody ever signals (at the end, or until cancelled)
    never_yielding,      // ran its whole life in one step of at least never_yielding_ns while others were ready
};
inline constexpr int lint_kind_count = 7;
std::string_view to_string(lint_kind k);

struct lint_options {
    std::uint64_t long_step_ns = 10'000'000;     // --long-step-ms (default 10 ms)
    std::uint64_t starvation_ticks = 3;          // --starvation-ticks
    std::uint64_t starvation_ns = 20'000'000;    // --starvation-ms (default 20 ms)
    std::uint64_t never_yielding_ns = 1'000'000; // a single-step task shorter than this is not reported
};

struct lint_finding {
    lint_kind kind = lint_kind::long_step;
    std::uint64_t step = 0;
    std::uint32_t task = 0;
    std::string why;
    wait_cycle cycle; // deadlock only
};

std::vector<lint_finding> run_lints(const model& m, const lint_options& options = {});

// run_lints as a fold that can be resumed: feed() takes the events the trace gained since the last
// call (live: a slice per frame), result() gives the findings of what was fed so far plus those
// judged at the end (leaked tasks, lost wake-ups, swallowed exceptions: from m's history and header
// as they are when result() runs). Findings name tasks as m names them when they are made. Once
// every event of m was fed, result(m) == run_lints(m) exactly (run_lints is this builder fed
// everything).
class lint_builder {
public:
    explicit lint_builder(lint_options options = {});
    ~lint_builder();
    lint_builder(const lint_builder& other);
    lint_builder& operator=(const lint_builder& other);
    lint_builder(lint_builder&&) noexcept; // the moved-from one may only be assigned or destroyed
    lint_builder& operator=(lint_builder&&) noexcept;
    // Folds events [next(), end) of m.trace().events (end <= their count).
    void feed(const model& m, std::uint64_t end);
    std::uint64_t next() const; // the first event not fed yet
    std::vector<lint_finding> result(const model& m) const;
    // result(m) written into `out` in place: the findings made while folding since the last publish
    // are added (the rest stay, moved at most), those judged at the end are made again. Its cost
    // follows the new findings, the tasks and one pass of moves, never a copy of every finding.
    // `out` must be what the last publish left, else it is rebuilt whole.
    // Live, in pieces: the end's findings that changed are made a few at a time (the end of a trace
    // with 10 000 tasks alive makes as many); once `deadline` passed it returns false, `out`
    // untouched; call again (without feeding in between) until it returns true, then out ==
    // result(m) and `out` changed in that last call only.
    bool publish(const model& m, std::vector<lint_finding>& out,
                 std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max());
    bool publishing() const; // a publish() returned false and is not finished
    // The wait-for graph after the events fed so far (the fold keeps the state and the lock holders
    // it needs anyway): once every event of m was fed, == wait_graph_at(m) with the cursor at the end.
    wait_graph graph() const;

private:
    void end_findings(const model& m, std::vector<lint_finding>& out) const; // appends those judged at the end
    struct state; // the fold's state (lints.cpp)
    std::unique_ptr<state> m_state;
};
std::string lints_text(const model& m, const std::vector<lint_finding>& findings);
nlohmann::json lints_json(const model& m, const std::vector<lint_finding>& findings);

} // namespace coroscope::inspector
