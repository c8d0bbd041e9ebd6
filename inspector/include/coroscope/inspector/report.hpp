#pragma once
// Text and JSON views of a model, shared by the CLI (coroscope-trace) and tests.
#include <coroscope/inspector/model.hpp>
#include <coroscope/traces/reader.hpp>

#include <nlohmann/json.hpp>

#include <string>

namespace coroscope::inspector {

// `coroscope-trace info`: header, counts by event kind, tasks, steps, ticks, duration.
std::string info_text(const model& m, const traces::read_report& report);
// "" when the model kept every event, else one line: how many events named a task id past
// model::max_task_id (damage) and were not kept, and where the first would have been.
std::string skipped_events_text(const model& m);

// `coroscope-trace dump --at STEP`: every task known at the cursor with its state, wait reason and
// nested stack (innermost last). The model's cursor says which step.
std::string dump_text(const model& m);
nlohmann::json dump_json(const model& m);

// The wait-for graph and run queue at the cursor (wait_graph.hpp): part of dump_text / dump_json.
struct wait_graph;
std::string wait_graph_text(const model& m, const wait_graph& g);
nlohmann::json wait_graph_json(const wait_graph& g);

// "waiting (sleep on timer 12)", "done (failed: text)", "ready", ...
std::string describe_state(const model& m, const task_snapshot& t);

} // namespace coroscope::inspector
