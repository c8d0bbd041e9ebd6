#pragma once
// Recording a program's trace: run it as a child with COROSCOPE_TRACE set and wait for it.
// (Live mode will connect to the child instead; this is the file-based first half.)
#include <string>
#include <vector>

namespace coroscope::gui {

// The directory holding the running executable (from /proc/self/exe), "" if unknown.
std::string executable_dir();

// A fresh, empty file in $TMPDIR (or /tmp) named coroscope-<stem>-XXXXXX.jsonl; "" on failure.
std::string make_temp_trace_path(const std::string& stem);

struct record_result {
    bool ok = false;        // the program ran and exited with status 0
    int exit_code = -1;     // its exit status (or -1 when it did not run / died by a signal)
    std::string error;      // why it failed, one line; "" when ok
};

// Runs program (argv[0] = program) with COROSCOPE_TRACE=trace_path added to the environment
// and waits for it to exit. Its stdout and stderr go to ours.
record_result record_program(const std::string& program, const std::string& trace_path);

} // namespace coroscope::gui
