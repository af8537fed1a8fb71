// Workload: what each task does, and the proof that every task ran exactly once.
//
// The driver wraps `run(i)` in its own small closure (with the probe's timestamps) and submits that, so a
// workload never builds Tasks itself and never allocates per task unless allocating is the point of the
// workload.
#pragma once

#include <cstddef>
#include <map>
#include <string>

#include "params.hpp"
#include "task.hpp"
#include "worker_state.hpp"

namespace poolbench {

struct WorkloadConfig {
  Params params;  // the workload's declared parameters, defaults applied
  bool strategy_has_worker_state =
      false;  // the strategy will install per-worker state from worker_state_factory()
};

class Workload {
 public:
  virtual ~Workload() = default;

  // Before the measured window opens: allocate and calibrate everything `tasks` tasks will need.
  virtual void prepare(std::size_t tasks) = 0;

  // The body of task `index`, 0 <= index < tasks; called once per index, from any thread, concurrently.
  virtual void run(std::size_t index) = 0;

  // After the window closes: empty when every accepted task ran exactly once and every rejected one never
  // (on_rejected), otherwise what went wrong (lost or duplicated tasks, wrong results). A case whose workload
  // does not verify is recorded as failed.
  virtual std::string verify() = 0;

  // The strategy refused task `index` (`overloaded`, in a non-blocking mode): it was never handed over and
  // must never run. verify() then expects it to have run zero times (ExactlyOnceLedger::mark_rejected). A
  // workload that keeps the default reports a rejected task as lost, so its case fails loudly.
  virtual void on_rejected(std::size_t index) { (void)index; }

  // The tag of every task (tags()[index], 0 <= index < tasks), valid from prepare() until the next prepare();
  // nullptr (the default) when every task is normal and of tenant 0. The driver sets each submitted task's
  // tag from it and records queue waits per priority class and tenant (queue_wait_urgent_p99_ns, ...).
  virtual const TaskTag* tags() const { return nullptr; }

  // Per-worker state for strategies that own worker state; an empty factory when the workload has none.
  virtual WorkerStateFactory worker_state_factory() { return {}; }

  // Pacing, for a workload that shapes its load over time (WorkloadInfo::paces_submissions: bursts separated
  // by idle gaps, phases): called by the producer about to submit task `index`, before that submit is timed;
  // returns when the task is due. Called from every producer thread, concurrently, in each producer's index
  // order; only in the closed loop (the plan refuses an open loop for such a workload). Never called unless
  // the workload's registration declares paces_submissions.
  virtual void before_submit(std::size_t index) { (void)index; }

  // What only the workload can measure (tasks per worker, a class of tasks' waits), by counter name: set as
  // the case's counters after verify() succeeded, beside the driver's. A built-in workload's names are in the
  // metric catalogue (src/metrics/catalogue.cpp); a plugin's are carried as they are.
  virtual std::map<std::string, double> counters() const { return {}; }

  // Facts about how the case ran that belong in its result (e.g. "state_scope=per_worker"); recorded as the
  // Google Benchmark label of the entry.
  virtual std::string label() const { return {}; }
};

}  // namespace poolbench
