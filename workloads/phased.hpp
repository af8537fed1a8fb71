// phased — an offered load that changes in phases, low → high → low: the schedule on which the pool guide's
// Exercise 3 ("demonstrate that under varying load, K converges to a reasonable value") can be judged, for a
// self-tuning pool (strategies/adaptive.hpp) and, for reference, for any other.
//
// The schedule. Each task waits `task_us` without using a CPU (so K workers overlap on any core count); tasks
// are due at even intervals, `low_rate` per second in the first and last phase and `high_rate` in the middle
// one, each phase `phase_ms` long at the default task count. By Little's law a phase keeps rate × task_us
// workers busy on average (the defaults: 1, then 8, then 1 again). Another task count keeps the phases'
// shares of the tasks and their rates (so their lengths scale with it). The producers pace themselves through
// before_submit(), from the first call on; a producer that a full pool blocks is late and catches up.
//
// What it measures (counters(), names in src/metrics/catalogue.cpp): the pool's live worker count over time,
// as the tasks see it — a thread counts from the first task it runs until it exits (a thread-exit hook of the
// thread itself), so the figure is the same for every strategy whose workers run the tasks — and per phase:
//  * settled: the count held longest during the phase's last quarter;
//  * time to converge: from the phase's start to the first moment after which the count stays within the
//    band (settled ± max(1, 20% of settled): a pool that starts workers
//    on demand moves by a worker or two about any steady load) to the phase's end; the phase's length when it
//    never does;
//  * overshoot: how far the count went past the settled value in the direction it moved (above it when it
//    rose from the phase's first value, below it when it fell), in workers.
// The count every `series_step` ms since the first submit, as `live_workers_at_<ms>ms` counters (the report's
// K-over-time plot), and when the high and the second low phase began.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "exactly_once.hpp"
#include "workload.hpp"

namespace poolbench {

struct PhasedOptions {
  double low_rate = 400;    // tasks per second in the first and the last phase
  double high_rate = 3200;  // in the middle phase
  double phase_ms = 1500;   // each phase's length at the default task count
  double task_us = 2500;    // how long each task waits (sleeps)
};

// A step function: from `at_ns` on, `count` workers (sorted by at_ns).
struct WorkerCountStep {
  std::int64_t at_ns = 0;
  std::int64_t count = 0;
};

struct PhaseConvergence {
  std::int64_t settled = 0;
  std::int64_t converge_ns = 0;
  std::int64_t overshoot = 0;
};

// The convergence of `steps` over [start_ns, end_ns) (end_ns > start_ns), as the header defines it.
PhaseConvergence phase_convergence(std::span<const WorkerCountStep> steps, std::int64_t start_ns,
                                   std::int64_t end_ns);

class PhasedWorkload final : public Workload {
 public:
  static constexpr std::size_t phases = 3;
  static constexpr std::int64_t series_step_ms = 50;
  static constexpr std::size_t max_series_points = 400;

  explicit PhasedWorkload(PhasedOptions options);

  void prepare(std::size_t tasks) override;
  void before_submit(std::size_t index) override;
  void run(std::size_t index) override;
  std::string verify() override;
  void on_rejected(std::size_t index) override;
  std::map<std::string, double> counters() const override;
  std::string label() const override;

  // The first task of each phase, and a task's due time after the first submit.
  std::size_t phase_first_task(std::size_t phase) const noexcept { return phase_first_[phase]; }
  std::int64_t due_ns(std::size_t index) const noexcept { return due_ns_[index]; }

  // Thread starts (+1) and exits (-1) of the threads that ran this workload's tasks, as they saw them.
  struct LiveLog {
    std::mutex mutex;
    std::vector<std::pair<std::int64_t, int>> changes;  // CLOCK_MONOTONIC ns, +1 or -1
  };

 private:
  void finished();

  PhasedOptions options_;
  std::size_t tasks_ = 0;
  std::size_t phase_first_[phases + 1] = {};
  std::vector<std::int64_t> due_ns_;
  std::atomic<std::int64_t> origin_ns_{0};  // the first before_submit, CLOCK_MONOTONIC ns
  std::atomic<std::int64_t> end_ns_{0};     // when the last task finished
  std::atomic<std::size_t> finished_{0};
  std::shared_ptr<LiveLog> live_;
  ExactlyOnceLedger ledger_;
};

}  // namespace poolbench
