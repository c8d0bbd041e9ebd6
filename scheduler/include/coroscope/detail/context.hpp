#pragma once
// The scheduler and task running on this thread right now (set around every step).
#include <coroscope/detail/instrumentation.hpp>

namespace coroscope {
class scheduler;
}
namespace coroscope::detail {
struct task_record;

struct context {
    scheduler* sched = nullptr;
    task_record* task = nullptr;
    bool tracing = false; // events are being recorded: instrumentation takes its slow path
};
inline thread_local context current;

} // namespace coroscope::detail
