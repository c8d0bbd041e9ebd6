#pragma once
// Whether the scheduler's instrumentation (events and the debugger hooks) is compiled in.
//
// CMake's COROSCOPE_INSTRUMENTATION option (default ON) defines COROSCOPE_INSTRUMENTATION to 1 or
// 0 for the scheduler library and everything that links it. With 0, every emit is gone at compile
// time, tracing() is always false and the debugger is never consulted; the API stays the same (a
// program still compiles and runs, it just cannot be recorded or debugged). It exists so that the
// cost of instrumentation compiled in but switched off can be measured against none at all
// (tests/bench/bench_tracing.cpp).
#ifndef COROSCOPE_INSTRUMENTATION
#define COROSCOPE_INSTRUMENTATION 1
#endif

namespace coroscope::detail {
inline constexpr bool instrumented = COROSCOPE_INSTRUMENTATION != 0;
} // namespace coroscope::detail
