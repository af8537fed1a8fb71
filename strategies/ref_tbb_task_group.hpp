// ref_tbb_task_group — a third-party baseline, not a Go model: oneTBB's task_group (Debian libtbb-dev) used
// the way most code uses it, with TBB's parallelism limited to K.
//
// How it works. Submit calls task_group::run from the submitting thread, which allocates one task object from
// TBB's small-object allocator and spawns it into that thread's deque in TBB's implicit arena; TBB's worker
// threads steal from it (work stealing: no global order — QueueOrder::unordered). K is applied the TBB way,
// as global_control::max_allowed_parallelism = K, a concurrency that counts the calling thread: K - 1 worker
// threads run tasks while the producer submits, and the thread that calls wait() joins in (so K = 1 runs
// everything inside wait()). Idle TBB workers spin briefly and then sleep: no CPU when idle.
//
// Why not a task_arena of K workers: an external thread must enter it (task_arena::execute) on every submit,
// and in a development measurement that entry cost more than task_group::run itself, so the baseline would
// mostly have measured the arena entry.
//
// Submit costs two extra atomic increments (submits started / done) so that shutdown() can close submission
// without racing a run() in progress.
//
// Exceptions: the first exception a task throws cancels the group (tasks not yet started are skipped, as
// task_group does) and task_group::wait() rethrows it; wait() here returns it
// (OnException::first_error_from_wait, cancellation = true), after which the group is reset and usable again.
//
// Threads. TBB starts its worker threads lazily and shares them process-wide; threads_created counts the
// distinct TBB worker threads that ran this strategy's tasks (a thread that submitted or waited is not one:
// it runs tasks only inside wait()). shutdown() waits for the group, releases the thread limit, and calls
// tbb::finalize, which joins TBB's worker threads when no other TBB user in the process holds them (counter
// `tbb_finalized` says whether it could).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>

#include "strategy.hpp"
#include "support/admission_counter.hpp"

namespace poolbench {

class RefTbbTaskGroupStrategy final : public Strategy {
 public:
  explicit RefTbbTaskGroupStrategy(std::size_t workers);
  ~RefTbbTaskGroupStrategy() override;
  RefTbbTaskGroupStrategy(const RefTbbTaskGroupStrategy&) = delete;
  RefTbbTaskGroupStrategy& operator=(const RefTbbTaskGroupStrategy&) = delete;

  SubmitResult submit(Task task) override;
  std::exception_ptr wait() override;
  void shutdown() override;
  StrategyCounters counters() const override;

 private:
  struct Tbb;  // the TBB objects, kept out of this header

  std::unique_ptr<Tbb> tbb_;
  support::AdmissionCounter submits_started_;
  std::atomic<std::uint64_t> submits_done_{0};
  std::atomic<bool> finalized_{false};
  std::once_flag shutdown_once_;
};

}  // namespace poolbench
