#pragma once
// Lints: the classic cooperative-scheduling bugs, found in a trace. Each finding names its kind,
// the step where it shows, the task, and one line of why. Definitions: inspector/README.md, "Lints".
#include <coroscope/inspector/wait_graph.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
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
std::string lints_text(const model& m, const std::vector<lint_finding>& findings);
nlohmann::json lints_json(const model& m, const std::vector<lint_finding>& findings);

} // namespace coroscope::inspector
