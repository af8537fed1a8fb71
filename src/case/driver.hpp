// Driver: runs one case inside the child process, as the body of one Google Benchmark benchmark.
//
// Order of events, so that the numbers mean what they say:
//  1. The probe's structures are allocated, then an empty case is measured: peak RSS with nothing built, the
//     harness's baseline (`empty_case_peak_rss_bytes`).
//  2. The probe's own cost per timed task is measured on inline + atomic_increment (timed against untimed);
//     it decides S, the one-in-S task sampling (`timing_sample_every`).
//  3. The workload is prepared, the strategy built, the producer threads started and parked.
//  4. Peak RSS is reset and the measured window opens (Google Benchmark's timed loop, one iteration): the
//     allocation and CPU counts start, the producers submit `tasks` tasks between them, the strategy runs
//     them, wait() returns, the window closes.
//  5. The workload verifies exactly-once execution. A case that lost or duplicated a task, or whose submit or
//     wait failed, is recorded with SkipWithError, never as a timing; otherwise the counters are set.
// Nothing the harness does inside the window allocates: its task closures fit Task's inline storage.
//
// Latency counters (submit_*, queue_wait_*, e2e_*) are over the timed tasks only (`timed_tasks` of them, one
// in `timing_sample_every`); `instrumentation_ns_per_task` is what timing one task adds, so the probe's
// average cost per task is instrumentation_ns_per_task / timing_sample_every.
#pragma once

#include <benchmark/benchmark.h>

#include <cstddef>

#include "run/plan.hpp"

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
