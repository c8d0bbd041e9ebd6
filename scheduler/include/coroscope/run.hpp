#pragma once
// run(main_task, "main"): the whole program's entry point. Creates a libuv loop and a scheduler,
// applies the COROSCOPE_* environment (COROSCOPE_TRACE=FILE records a trace), runs until every task
// is done, closes the loop and returns a process exit code:
//   0 the main task ended normally; 1 it failed (the exception is printed on stderr);
//   2 tasks were stuck waiting on something that can never happen (printed on stderr).
#include <coroscope/task.hpp>

#include <string>

namespace coroscope {

int run(task<void> main_task, std::string name = "main");
int run(task<int> main_task, std::string name = "main"); // the task's value is the exit code

} // namespace coroscope
