// ref_tbb_task_group — a third-party baseline, not a Go model: oneTBB 2021.8 (Debian libtbb-dev) with K
// worker threads, used the two ways its documentation offers for work submitted from a thread outside TBB.
//
// The parameter is `api` (not `mode`, which sharded declares with other values: one run can then sweep both).
//
// api=task_group (the default, the faster of the two on atomic_increment, one producer, K = 2: the
// measurement is in results/strategy-notes.md). task_group::run from the submitting thread: one task object
// from TBB's small-object allocator, spawned into that thread's slot of its implicit arena, from which TBB's
// workers steal (no global order: QueueOrder::unordered); the thread that calls wait() joins in. That is
// oneTBB's API for a dynamic set of tasks submitted from a thread that then waits for them (task_group.h:
// run, wait), and global_control::max_allowed_parallelism is its documented way to limit the threads TBB uses
// (the oneTBB reference, global_control: it limits the worker threads to the value minus one). K is applied
// so, as max_allowed_parallelism = K + 1, a concurrency that counts the submitting thread: K workers may run
// tasks while the producer submits (K alone, as this strategy used to set, left K - 1). The implicit arena of
// an external thread holds hardware_concurrency - 1 workers at most, so on a machine with no more cores than
// K it gets fewer than K; a task_arena of K + 1 slots would lift that, but then every submit must enter it
// (task_arena::execute), which in a development measurement cost more than twice task_group::run itself.
// Exceptions: the first exception a task throws cancels the group (tasks not yet started are skipped) and
// task_group::wait() rethrows it; wait() here returns it (OnException::first_error_from_wait, cancellation),
// after which the group is reset and usable again.
//
// api=arena_enqueue: task_arena(K, 0 slots reserved for external threads)::enqueue — oneTBB's API for work
// from a thread that stays outside the arena (task_arena.h, enqueue: "Enqueues a task into the arena to
// process a functor, and immediately returns. Does not require the calling thread to join the arena"), with
// every slot for TBB's workers (reserved_for_masters = 0), so K workers run tasks: the task goes into the
// arena's shared task stream (roughly FIFO, several lanes: unordered) and K workers take it; the producer
// never runs tasks. enqueue has no completion or error channel, so this wrapper counts finished tasks (one
// shared fetch_add per task, as ref_asio_thread_pool) for wait(), and an exception leaving an enqueued task
// terminates the process, as oneTBB's enqueue_task does (task_arena.h, enqueue_task::cancel: "Unhandled
// exception from enqueue task").
//
// Both: submit costs two extra atomic increments (submits started / done) so that shutdown() can close
// submission without racing a submit in progress. Idle TBB workers spin briefly and then sleep: no CPU when
// idle. TBB starts its worker threads lazily and shares them process-wide; threads_created counts the
// distinct TBB worker threads that ran this strategy's tasks (a thread that submitted or waited is not one).
// shutdown() drains, releases the thread limit, and calls tbb::finalize, which joins TBB's worker threads
// when no other TBB user in the process holds them (counter `tbb_finalized` says whether it could).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>

#include "strategy.hpp"
#include "support/admission_counter.hpp"
#include "support/finish_line.hpp"

namespace poolbench {

class RefTbbTaskGroupStrategy final : public Strategy {
 public:
  enum class Mode { task_group, arena_enqueue };

  RefTbbTaskGroupStrategy(std::size_t workers, Mode mode);
  ~RefTbbTaskGroupStrategy() override;
  RefTbbTaskGroupStrategy(const RefTbbTaskGroupStrategy&) = delete;
  RefTbbTaskGroupStrategy& operator=(const RefTbbTaskGroupStrategy&) = delete;

  SubmitResult submit(Task task) override;
  std::exception_ptr wait() override;
  void shutdown() override;
  StrategyCounters counters() const override;
  // api=task_group: task_group::cancel() (task_group.h): the group's tasks that have not started are
  // skipped, running ones finish, wait() returns; the group is usable again after that wait(), as in oneTBB.
  // api=arena_enqueue: false (enqueue has no cancellation).
  bool cancel() override;

 private:
  struct Tbb;  // the TBB objects, kept out of this header

  const Mode mode_;
  std::unique_ptr<Tbb> tbb_;
  support::AdmissionCounter submits_started_;
  std::atomic<std::uint64_t> submits_done_{0};
  std::atomic<bool> finalized_{false};
  support::FinishLine finished_;  // arena_enqueue's tasks
  std::once_flag shutdown_once_;
};

}  // namespace poolbench
