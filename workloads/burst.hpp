// burst — bursts of tasks separated by idle gaps: the guide's Exercise 4 ("LIFO vs FIFO under burst"), which
// claims that ants' default pool (a LIFO stack of idle workers) concentrates work on its newest workers and
// lets the old ones expire, where its FIFO loop queue (WithPreAlloc) spreads the work over all of them.
//
// The schedule. Tasks come in bursts of `burst_tasks`; within a burst they arrive at seeded exponential
// intervals of mean `spacing_us` (so the load has peaks that wake several workers and troughs that one
// handles), and each task waits `task_us` without using a CPU (so K workers overlap on any core count).
// Between bursts the pool is idle: the first task of burst b is submitted `gap` after the last task of burst
// b - 1 finished, the gap alternating short (odd b) and long (even b): `short_gap_ms` and `long_gap_ms`
// are meant to lie on either side of the pool's idle expiry (lifo_stack's `expiry_ms`). The producers pace
// themselves through before_submit(), so the schedule holds whichever producer holds a burst's tasks.
//
// What it measures (counters(), names in src/metrics/catalogue.cpp):
//  * tasks per worker, from the strategy's real threads: each task records the thread that ran it, as a
//    serial number given to a thread the first time it runs a task (never reused in the process: a
//    pthread_t is, at once, and a tid after wrap-around). A worker is an OS thread that ran a task (a fiber
//    runtime's workers are its scheduler threads; inline's are the producers).
//  * Jain's fairness index over those workers' task counts, (Σx)² / (n·Σx²): 1 when all ran equally many,
//    1/n when one ran them all; the busiest worker's share, the fewest and most tasks one worker ran.
//  * per burst, the same index over the pool's workers at that burst: the threads that ran one of its tasks
//    and those alive from earlier bursts that ran none (starved), averaged over the bursts; across the whole
//    run each new generation of threads after a long gap would count as workers of their own.
//  * churn: worker threads that exited while tasks were still to run (an expired worker, a thread per
//    task), seen by a thread-exit hook of the thread itself, and of those the ones that exited outside the
//    long gaps (during a burst or a short gap: a worker left idle while others worked); how many threads ran
//    tasks at all.
//  * the queue wait of the first task after each gap (its submit to its start, taken for every gap, not
//    sampled), the median over the short gaps and over the long ones: after a gap longer than the expiry
//    the pool has no idle worker left and the first task waits for a thread to start.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "exactly_once.hpp"
#include "workload.hpp"

namespace poolbench {

// Jain's fairness index of `amounts`: (Σx)² / (n·Σx²), from 1/n (one has everything) to 1 (all equal).
// 0 for an empty list or one that sums to zero (nothing to share).
double jain_fairness_index(std::span<const double> amounts);

struct BurstOptions {
  std::size_t burst_tasks = 200;
  double short_gap_ms = 10;
  double long_gap_ms = 120;
  double task_us = 200;     // how long each task waits (sleeps)
  double spacing_us = 150;  // mean interval between a burst's arrivals
  std::uint64_t seed = 1;
};

class BurstWorkload final : public Workload {
 public:
  explicit BurstWorkload(BurstOptions options);

  void prepare(std::size_t tasks) override;
  void before_submit(std::size_t index) override;
  void run(std::size_t index) override;
  std::string verify() override;
  void on_rejected(std::size_t index) override;
  std::map<std::string, double> counters() const override;
  std::string label() const override;

  std::size_t bursts() const noexcept { return bursts_; }
  // The gap before burst `burst` (>= 1): short for odd bursts, long for even ones.
  bool long_gap_before(std::size_t burst) const noexcept { return burst % 2 == 0; }
  // Whether every task of burst `burst` has finished (or was rejected).
  bool burst_finished(std::size_t burst) const noexcept {
    return ended_ns_[burst].load(std::memory_order_acquire) != 0;
  }
  // The worker (thread serial) that ran task `index`; 0 before it ran or when it was rejected.
  std::uint64_t worker_of(std::size_t index) const noexcept {
    return worker_of_[index].load(std::memory_order_acquire);
  }

  // Threads that exited while tasks were still to run, as their exit hooks saw: which, and when.
  struct ExitLog {
    std::atomic<bool> run_finished{false};
    std::mutex mutex;
    std::map<std::uint64_t, std::int64_t> exit_ns;  // thread serial -> CLOCK_MONOTONIC ns
  };

 private:
  std::size_t burst_size(std::size_t burst) const noexcept;
  void finished(std::size_t index);

  BurstOptions options_;
  std::size_t tasks_ = 0;
  std::size_t bursts_ = 0;
  std::vector<std::int64_t> offset_ns_;  // a task's due time after its burst's start
  std::unique_ptr<std::atomic<std::uint64_t>[]> worker_of_;
  // Per burst: its start (the first submit), when its last task finished, how many have finished; the
  // first task's submit and start (CLOCK_MONOTONIC ns; 0: not yet).
  std::unique_ptr<std::atomic<std::int64_t>[]> started_ns_;
  std::unique_ptr<std::atomic<std::int64_t>[]> ended_ns_;
  std::unique_ptr<std::atomic<std::size_t>[]> finished_;
  std::unique_ptr<std::atomic<std::int64_t>[]> first_submitted_ns_;
  std::unique_ptr<std::atomic<std::int64_t>[]> first_started_ns_;
  std::atomic<std::size_t> finished_total_{0};
  std::shared_ptr<ExitLog> exits_;
  ExactlyOnceLedger ledger_;
};

}  // namespace poolbench
