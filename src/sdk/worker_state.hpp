// Per-worker state: the seam between a strategy that owns worker state (tunny's constructor-per-worker) and a
// workload that can use it (warm_state). Such a strategy builds one WorkerState per worker with the factory
// it is given, and installs it with a WorkerStateScope on that worker's thread; the running task finds it
// through current_worker_state(). Every other strategy leaves it unset and the workload decides its own
// scope.
#pragma once

#include <functional>
#include <memory>

namespace poolbench {

struct WorkerState {
  virtual ~WorkerState() = default;
};

using WorkerStateFactory = std::function<std::unique_ptr<WorkerState>()>;

// The state installed on the calling thread, or nullptr.
WorkerState* current_worker_state() noexcept;

// Installs `state` as the calling thread's worker state for the scope's lifetime.
class WorkerStateScope {
 public:
  explicit WorkerStateScope(WorkerState* state) noexcept;
  ~WorkerStateScope();
  WorkerStateScope(const WorkerStateScope&) = delete;
  WorkerStateScope& operator=(const WorkerStateScope&) = delete;

 private:
  WorkerState* previous_;
};

}  // namespace poolbench
