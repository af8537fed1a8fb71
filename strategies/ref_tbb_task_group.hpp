// ref_tbb_task_group — a third-party baseline, not a Go model: oneTBB's task_group (Debian libtbb-dev)
// running in a task_arena of K worker threads.
//
// How it works. Submit enters the arena (task_arena::execute) and calls task_group::run, which allocates one
// task object from TBB's small-object allocator and spawns it into the submitting thread's deque in that
// arena; TBB's worker threads steal it (work stealing: no global order — QueueOrder::unordered). A
// global_control raises TBB's thread limit to K + 1 so that the arena really gets K workers on any machine
// (by default TBB allows one fewer than the cores), and one slot is reserved for the submitting thread, which
// never runs tasks except inside wait(). Idle TBB workers spin briefly and then sleep: no CPU when idle.
//
// Submit costs two extra atomic increments (submits started / done) so that shutdown() can close submission
// without racing a run() in progress.
//
// Exceptions: the first exception a task throws cancels the group (tasks not yet started are skipped, as
// task_group does) and task_group::wait() rethrows it; wait() here returns it
// (OnException::first_error_from_wait, cancellation = true), after which the group is reset and usable again.
//
// Threads. TBB starts its worker threads lazily and shares them process-wide; threads_created counts the
// distinct worker threads seen entering this strategy's arena (a task_scheduler_observer). shutdown() waits
// for the group, releases the arena and the thread limit, and calls tbb::finalize, which joins TBB's worker
// threads when no other TBB user in the process holds them (counter `tbb_finalized` says whether it could).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "strategy.hpp"

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

  static constexpr std::uint64_t closed_bit = std::uint64_t{1} << 63;

  std::unique_ptr<Tbb> tbb_;
  std::atomic<std::uint64_t> submits_started_{0};  // top bit: closed
  std::atomic<std::uint64_t> submits_done_{0};
  std::atomic<bool> finalized_{false};
  std::once_flag shutdown_once_;
};

}  // namespace poolbench
