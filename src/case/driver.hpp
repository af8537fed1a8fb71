// Driver: runs one case inside the child process, as the body of one Google Benchmark benchmark.
//
// Order of events, so that the numbers mean what they say:
//   1. the probe's structures are allocated, then an empty case is measured (peak RSS with nothing built: the
//      harness's baseline, `empty_case_peak_rss_bytes`);
//   2. the probe's own cost per timed task is measured on inline + atomic_increment (timed against untimed),
//   which
//      decides S, the one-in-S task sampling (`timing_sample_every`);
//   3. the workload is prepared, the strategy built, the producer threads started and parked;
//   4. peak RSS is reset and the measured window opens (Google Benchmark's timed loop, one iteration):
//   counting of
//      allocations and CPU starts, producers submit `tasks` tasks between them, the strategy runs them,
//      wait() returns, the window closes;
//   5. the workload verifies exactly-once execution; a case that lost or duplicated a task, or whose submit
//   or
//      wait failed, is recorded with SkipWithError and never as a timing; otherwise the counters are set.
// Nothing the harness does inside the window allocates: its task closures fit Task's inline storage.
#pragma once

#include <benchmark/benchmark.h>

#include <cstddef>

#include "plan.hpp"

namespace poolbench {

void run_case_benchmark(benchmark::State& state, const CaseSpec& spec);

// The probe's cost, measured on inline + atomic_increment in this process.
struct InstrumentationCost {
  double timed_task_ns = 0;    // added to a task by timing it (four timestamps, three histogram records)
  double untimed_task_ns = 0;  // one whole untimed task: submit, run, return
};
InstrumentationCost measure_instrumentation_cost();

// S: time one task in S. 1 while timing costs at most 5% of an untimed inline atomic_increment task;
// otherwise the S that brings it to 5%, but never so large that fewer than 10,000 of `tasks` tasks are timed.
std::size_t choose_timing_sample_every(const InstrumentationCost& cost, std::size_t tasks);

}  // namespace poolbench
