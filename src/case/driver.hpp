// Driver: runs one case inside the child process, as the body of one Google Benchmark benchmark.
//
// Builds the workload and the strategy, starts the producer threads parked, then opens the measured window
// (Google Benchmark's timed loop, one iteration): producers submit `tasks` tasks between them, the strategy runs
// them, wait() returns, the window closes. The workload then verifies exactly-once execution; a case that lost or
// duplicated a task, or whose submit failed, is recorded with SkipWithError and never as a timing.
#pragma once

#include <benchmark/benchmark.h>

#include "plan.hpp"

namespace poolbench {

void run_case_benchmark(benchmark::State& state, const CaseSpec& spec);

}  // namespace poolbench
