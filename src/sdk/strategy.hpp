// Strategy: one pool design (or non-design: inline, a thread per task) behind one interface.
//
// A strategy accepts Tasks with submit(), reports completion with wait(), and stops with shutdown(). Its
// traits declare how it behaves (order, lifecycle, when full, on exceptions, ...); the conformance suite
// checks every declaration against the real behaviour, and the report prints them as the capability table.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <future>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "params.hpp"
#include "task.hpp"
#include "worker_state.hpp"

namespace poolbench {

enum class SubmitStatus {
  ok,          // accepted: it will run exactly once
  overloaded,  // rejected because the strategy is full (non-blocking mode); the task did not and will not run
  closed,      // rejected because shutdown() has begun
  error,       // rejected for another reason (e.g. the OS refused a thread); `message` says why
};

struct SubmitResult {
  SubmitStatus status = SubmitStatus::ok;
  std::string message;  // empty when ok (an empty std::string never allocates)

  static SubmitResult accepted() { return {}; }
  static SubmitResult overloaded(std::string why) { return {SubmitStatus::overloaded, std::move(why)}; }
  static SubmitResult closed(std::string why = "strategy is shut down") {
    return {SubmitStatus::closed, std::move(why)};
  }
  static SubmitResult failed(std::string why) { return {SubmitStatus::error, std::move(why)}; }
  bool ok() const noexcept { return status == SubmitStatus::ok; }
};

// In which order accepted tasks start.
enum class QueueOrder {
  caller,            // runs in the submitting thread at submit time (inline): order is program order
  fifo,              // tasks start in submission order
  lifo_idle_worker,  // no task queue: each task goes to the most recently idle worker (ants)
  fifo_per_shard,    // FIFO within a shard, no order across shards (pond with sharded queues)
  unordered,         // the OS scheduler decides (a thread per task)
  fifo_idle_worker,  // no task queue: each task goes to the longest idle worker (ants with WithPreAlloc)
  urgent_first,      // two FIFO queues by TaskTag::priority, urgent before normal (untagged tasks: fifo)
  fair_per_tenant,   // a FIFO queue per TaskTag::tenant, served by weighted round-robin (untagged: fifo)
};

// Where tasks run and how long the threads live.
enum class WorkerLifecycle {
  caller_thread,          // no threads of its own
  thread_per_task,        // a new thread for every task, never reused
  fixed_workers,          // K threads created at start, live until shutdown
  on_demand_with_expiry,  // threads created on demand up to K, idle ones expire (ants, workerpool)
  on_demand_resident,     // threads created on demand up to K, never expire (ants with WithDisablePurge)
  fiber_per_task,  // a new fiber (user-space thread) for every task on a fixed set of scheduler threads,
                   // one per core (`go f()`); the OS threads stay constant under load
};

// What submit does when the strategy cannot take more work right now.
enum class WhenFull {
  never_full,         // accepts everything (unbounded queue or unbounded threads)
  blocks,             // submit blocks until there is room
  blocks_or_rejects,  // blocks by default; rejects with `overloaded` in non-blocking mode
};

// What happens when a task throws.
enum class OnException {
  propagates_to_submitter,   // the exception leaves submit() (inline)
  terminates_process,        // like an unrecovered Go panic: std::terminate
  first_error_from_wait,     // the first exception is kept and returned by wait() (errgroup)
  handler_called_continues,  // a handler is called and the pool keeps working (ants' PanicHandler)
  stored_in_task_handle,     // the exception is delivered through the task's handle (pond, futures)
};

struct StrategyTraits {
  QueueOrder queue_order = QueueOrder::fifo;
  WorkerLifecycle worker_lifecycle = WorkerLifecycle::fixed_workers;
  WhenFull when_full = WhenFull::blocks;
  OnException on_exception = OnException::terminates_process;
  bool returns_results = false;     // Strategy::submit_for_result: a handle carries each task's outcome back
  bool cancellation = false;        // Strategy::cancel: accepted work that has not started can be cancelled
  bool synchronous_submit = false;  // submit returns only after the task ran (tunny's Process)
  bool worker_state = false;        // builds per-worker state with the WorkerStateFactory it is given

  bool operator==(const StrategyTraits&) const = default;
};

std::string_view to_string(QueueOrder value);
std::string_view to_string(WorkerLifecycle value);
std::string_view to_string(WhenFull value);
std::string_view to_string(OnException value);

struct StrategyConfig {
  std::size_t workers = 1;                  // K: the bound on concurrency (ignored by unbounded strategies)
  Params params;                            // values of the strategy's declared parameters (defaults applied)
  WorkerStateFactory worker_state_factory;  // set only for strategies with traits.worker_state
};

// Counters every strategy keeps; `extra` holds design-specific ones (pond's running, waiting, dropped, ...).
struct StrategyCounters {
  std::uint64_t threads_created = 0;  // threads this strategy started since construction
  std::map<std::string, double> extra;
};

// What Strategy::submit_for_result returns. `outcome` is valid only when `submitted` is ok; its get() returns
// once the task has run and rethrows what the task threw, or TaskCancelled for a task cancel() dropped.
struct ResultSubmission {
  SubmitResult submitted;
  std::future<void> outcome;
};

// The outcome of a task that Strategy::cancel() kept from starting (pond's ErrContextCanceled).
struct TaskCancelled : std::runtime_error {
  TaskCancelled() : std::runtime_error("the task was cancelled before it started") {}
};

// For strategies that implement submit_for_result: `task` wrapped so that running it fulfils `outcome`, as
// pond's wrappedTask.Run (task.go) does: when `*cancelled` is set by the time it starts, the task does not
// run and the outcome is TaskCancelled; otherwise it runs and the outcome is done, or the exception it threw
// (which then never reaches the strategy). One shared state is allocated per task (pond: one future).
struct TaskWithOutcome {
  Task task;
  std::future<void> outcome;
};
// Inline, as every member of Strategy: a plugin links against no poolbench library (the host exports none of
// these symbols), so nothing in this header may need an out-of-line definition or a key function.
inline TaskWithOutcome task_with_outcome(Task task, const std::atomic<bool>* cancelled = nullptr) {
  auto promise = std::make_unique<std::promise<void>>();
  std::future<void> outcome = promise->get_future();
  Task wrapped{[task = std::move(task), promise = std::move(promise), cancelled]() mutable {
    if (cancelled != nullptr && cancelled->load(std::memory_order_acquire)) {
      promise->set_exception(std::make_exception_ptr(TaskCancelled{}));
      return;
    }
    try {
      task();
    } catch (...) {
      promise->set_exception(std::current_exception());
      return;
    }
    promise->set_value();
  }};
  return {std::move(wrapped), std::move(outcome)};
}

class Strategy {
 public:
  virtual ~Strategy() = default;  // implementations shut down and join every thread they started

  // Hands one task to the strategy. `ok` means it will run exactly once.
  virtual SubmitResult submit(Task task) = 0;

  // Blocks until every accepted task has finished. Returns the first error the design keeps (errgroup's
  // Wait), or nullptr. Strategies that report errors another way (handler, handle) return nullptr.
  virtual std::exception_ptr wait() = 0;

  // Stops accepting work, then drains or abandons queued work as the traits declare, and joins every thread
  // it started. Idempotent.
  virtual void shutdown() = 0;

  virtual StrategyCounters counters() const = 0;

  // Optional capabilities, declared by traits.returns_results and traits.cancellation. The defaults say "not
  // supported"; the conformance suite checks the declared ones against behaviour and the defaults for the
  // rest, so a strategy declares a trait exactly when it overrides its method.

  // returns_results: submits `task` and hands back its outcome (pond's Submit -> Task.Wait(), tunny's Process
  // return). A value the task computes travels in its own captures; the handle says when it is there and
  // carries the exception the task threw. Default: SubmitStatus::error, the task does not run.
  virtual ResultSubmission submit_for_result(Task /*task*/) {
    return {SubmitResult::failed("this strategy returns no results (traits.returns_results is false)"), {}};
  }

  // cancellation: cancels the strategy's context (pond's pool context, oneTBB's task_group::cancel, tunny's
  // ProcessCtx for every caller). Accepted tasks that have not started never start (where the design binds
  // only handle-submitted tasks to its context, as pond's Go does not, those submitted with
  // submit_for_result), a submit blocked waiting for room or for a worker gives up (not ok: its task never
  // runs), tasks already running finish, and wait() returns once they have. What later submits get is the
  // design's. Returns false, doing nothing, where the strategy cannot cancel (the default).
  virtual bool cancel() { return false; }
};

}  // namespace poolbench
