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
// average cost per task is instrumentation_ns_per_task / timing_sample_every, and `probe_share` is its total
// against the window's wall time (an upper bound: as if every timing had run on one thread). With the probe
// off (CaseSpec::probe_enabled false) nothing is timed and no latency counter is written.
//
// Equal windows: `setup_ns` is the strategy's construction (starting fixed workers, building per-worker
// state), `shutdown_ns` its shutdown after the window. With CaseSpec::warmup_tasks W > 0, W untimed tasks of
// the same workload run through the strategy (by the same producers) between setup and the window, then the
// workload is prepared afresh for the window's tasks: on-demand pools have started their workers too.
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

// The probe's budget: what timing may cost, as a share of the measured window. The sampling rule aims at half
// of it, so that the noise between the cost's calibration and the window leaves the probe within it.
inline constexpr double probe_budget_share = 0.05;
inline constexpr double probe_target_share = probe_budget_share / 2;
// Percentiles beyond the 99th need this many samples; with fewer, p99.9 is not reported.
inline constexpr std::size_t min_samples_for_p999 = 10000;

// S: time one task in S, so that the probe's cost per window is probe_target_share. A task is
// expected to take `expected_task_ns` (the workload's declared time per task; never less than an untimed
// inline atomic_increment task) and `parallelism` of them to run side by side; timing one costs
// `cost.timed_task_ns`. Fewer tasks timed is the price: the case records how many (`timed_tasks`). In an open
// loop (`offered_rate_per_second` > 0) a task's share of the window is at least the gap between arrivals, so
// a rate well below capacity times every task: the stalls and tails an open loop exists to show are then seen
// by every task they delay, not by one in S.
std::size_t choose_timing_sample_every(const InstrumentationCost& cost, double expected_task_ns,
                                       std::size_t parallelism, double offered_rate_per_second = 0);

// Tasks of the case that can run side by side: its workers (its producers where tasks run on the callers),
// at most the machine's hardware threads.
std::size_t case_parallelism(const CaseInfo& info, std::size_t hardware_threads);

}  // namespace poolbench
