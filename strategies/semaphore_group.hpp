// semaphore_group — golang.org/x/sync/errgroup with SetLimit(K) and WithContext, plus its weighted form
// (x/sync/semaphore.Weighted) chosen with the parameter `semaphore=counting|weighted`.
//
// What it models. errgroup bounds concurrency, not threads: Go(f) first takes one of K slots (a send on a
// buffered channel of capacity K, blocking while K functions run), then starts a *new* goroutine for f, which
// gives the slot back when f returns. Nothing is reused. The first error is kept (errOnce), cancels the
// group's context, and is what Wait() returns; later functions still run (errgroup does not stop accepting)
// but can see the cancellation. TryGo takes a slot only if one is free now. With `semaphore=weighted`, each
// task acquires `task_weight` of K units from a WeightedSemaphore (FIFO waiters, no barging, cancellable
// acquire) — the guide's "semaphore" row, used as errgroup's limiter.
//
// Goroutines and channels onto threads. The slot channel becomes std::counting_semaphore (like a Go channel
// it lets a TryGo barge past blocked senders); each Go starts a std::thread (joined later, see
// thread_per_task.hpp); the WaitGroup is the live-thread count; the context is a std::stop_source whose token
// tasks get from stop_token(). A task's error is a thrown exception: the first one is kept as an
// exception_ptr and returned by wait() (OnException::first_error_from_wait).
//
// Where it deliberately differs. As Go's Wait, wait() cancels the group's context when it returns, so the
// group is single-use for cancellation (a later task sees a stopped token); the first error stays, as in Go.
// Strategy::submit is Go (blocking) by default and TryGo with `nonblocking=true`. When the OS refuses a
// thread, submit gives the slot back and returns SubmitStatus::error (Go never fails to start a goroutine).
// shutdown() refuses new tasks, cancels a weighted acquire that is blocked, waits for the running tasks and
// joins every thread.
//
// `spawn=fiber` starts a fiber per task on support::FiberRuntime instead of a thread: errgroup's `go f()` at
// a goroutine's cost. The runtime has one OS thread per core whatever K is, because SetLimit(K) bounds the
// running goroutines, not the threads: Go runs a group's goroutines on GOMAXPROCS (= cores) threads for any
// K, and with K below the core count the extra scheduler threads just sleep. The K slots become a
// FiberSemaphore (Boost.Fiber mutex and condition variable): the producer waits on it outside the runtime,
// and a fiber gives its slot back without touching an OS primitive that blocks. The weighted limiter waits on
// an OS condition variable, so `spawn=fiber` takes only `semaphore=counting` (the constructor refuses the
// pair).
//
// A blocked submit under `spawn=fiber` first polls for a slot for `submit_spin_us` (default 200 µs), then
// sleeps. Why: in Go the submitter is a goroutine, and the goroutine that frees a slot readies it on its own
// P (`goready` into `runnext`): no OS thread sleeps or wakes. Here the producer is an OS thread outside the
// runtime, so each freed slot would cost a cross-thread wake, and waking a thread whose vCPU idles costs far
// more on this VM than a short task (results/strategy-notes.md, "the blocked producer polls before it
// sleeps", has the figures). The poll spends producer CPU that Go does not; `submit_spin_us=0` blocks at
// once.
//
// Cost: a thread start per task, and at K the producer waits for a thread to finish (figures in
// results/strategy-notes.md); with `spawn=fiber`, a fiber's start and a fiber-aware hand-back of the slot.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <semaphore>
#include <stop_token>

#include "strategy.hpp"
#include "support/fiber_runtime.hpp"
#include "support/spin_lock.hpp"
#include "support/thread_per_task.hpp"
#include "weighted_semaphore.hpp"

namespace poolbench {

class SemaphoreGroup final : public Strategy {
 public:
  enum class Limiter { counting, weighted };

  struct Options {
    std::size_t limit = 1;  // K: SetLimit(K), or the weighted semaphore's size
    Limiter limiter = Limiter::counting;
    std::int64_t task_weight = 1;  // units each task acquires (weighted only); must be <= limit
    bool nonblocking = false;      // Strategy::submit uses TryGo instead of Go
    bool fibers = false;           // spawn=fiber: a fiber per task on support::FiberRuntime (counting only)
    // spawn=fiber: how long a blocked submit polls for a slot before it sleeps (see the header comment).
    std::chrono::microseconds blocked_submit_spin{0};
  };

  explicit SemaphoreGroup(Options options);
  ~SemaphoreGroup() override { shutdown(); }

  // errgroup's Go: waits for a slot, then runs `task` on a new thread.
  SubmitResult go(Task task) { return start(std::move(task), /*block=*/true); }
  // errgroup's TryGo: runs `task` only if a slot is free now; otherwise `overloaded` and the task does not
  // run.
  SubmitResult try_go(Task task) { return start(std::move(task), /*block=*/false); }
  SubmitResult try_submit(Task task) { return try_go(std::move(task)); }

  // The group's context: stopped by the first task that throws, and by wait() when it returns.
  std::stop_token stop_token() const noexcept { return group_stop_.get_token(); }

  SubmitResult submit(Task task) override { return start(std::move(task), !options_.nonblocking); }
  // Waits for every started task, cancels the group's context and returns the first error (or nullptr).
  std::exception_ptr wait() override;
  void shutdown() override;
  StrategyCounters counters() const override;

 private:
  SubmitResult start(Task task, bool block);
  bool acquire_slot(bool block);  // false: could not (non-blocking) or shutdown cancelled the wait
  void release_slot();
  void record_error(std::exception_ptr error);
  void run_task(
      Task& task) noexcept;  // on the task's own thread or fiber: run, record an error, free the slot

  const Options options_;
  std::unique_ptr<std::counting_semaphore<>> slots_;      // counting limiter
  std::unique_ptr<WeightedSemaphore> units_;              // weighted limiter
  std::unique_ptr<support::FiberSemaphore> fiber_slots_;  // counting limiter with spawn=fiber
  std::stop_source group_stop_;                           // WithContext's cancel
  std::stop_source shutdown_stop_;                        // cancels blocked weighted acquires at shutdown
  std::atomic<bool> closed_{false};

  mutable support::SpinLock error_mutex_;  // taken inside fibers too: never an OS lock that blocks
  std::exception_ptr first_error_;
  std::uint64_t task_errors_ = 0;

  std::atomic<std::uint64_t> submit_blocked_{0};
  std::atomic<std::uint64_t> submit_rejected_{0};
  std::atomic<std::uint64_t> start_failures_{0};

  support::ThreadPerTask threads_;                 // spawn=thread
  std::unique_ptr<support::FiberRuntime> fibers_;  // spawn=fiber; last members: joined first on destruction
};

}  // namespace poolbench
