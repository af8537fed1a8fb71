// raw_threads — Go's `go f()` plus a sync.WaitGroup: every task gets a new OS thread of its own, without
// bound.
//
// What it models. The guide's baseline "no pool at all" for goroutines: spawn per task, wait for all. A
// goroutine costs about 1 µs and 2 KB to start; an OS thread costs tens of microseconds, a stack mapping (8
// MiB reserved) and a kernel task, which is the point of measuring it.
//
// Goroutines onto threads. `go f()` becomes a std::thread; the WaitGroup becomes a live-thread count that
// wait() blocks on. A goroutine needs no joining; a thread does, so each finished thread is joined by the
// next submit (or by wait()/shutdown()), which keeps finished-but-unjoined threads few (see
// support/thread_per_task.hpp).
//
// Where it deliberately differs. The Go runtime never refuses a goroutine (it grows memory until the process
// dies); the OS does refuse threads (EAGAIN from pthread_create at the thread, pid or memory limits). Then
// submit returns SubmitStatus::error with the OS's reason and how many of this strategy's threads were live,
// the task is not run (the caller is told), and nothing crashes. A task that throws terminates the process,
// as an unrecovered panic in a goroutine crashes a Go program (OnException::terminates_process).
//
// shutdown() refuses new tasks, waits for the running ones and joins every thread.
//
// `spawn=fiber` runs each task as a fiber of its own on support::FiberRuntime instead (an M:N scheduler with
// one OS thread per core and work stealing, a small pooled stack per task): `go f()` at a goroutine's cost
// rather than an OS thread's. The WaitGroup becomes the runtime's count of unfinished fibers; no OS thread is
// started per task, so threads_created is the runtime's scheduler threads and thread_per_task does not
// describe this mode (its lifecycle is fixed scheduler threads, with a new fiber per task). A task that
// throws still terminates the process.
//
// Cost: a thread start and join per task, which dominate whatever the task does (figures in
// results/strategy-notes.md); with `spawn=fiber`, a fiber's creation, scheduling and end.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <memory>

#include "strategy.hpp"
#include "support/fiber_runtime.hpp"
#include "support/thread_per_task.hpp"

namespace poolbench {

class RawThreadsStrategy final : public Strategy {
 public:
  enum class Spawn { thread, fiber };

  explicit RawThreadsStrategy(Spawn spawn = Spawn::thread);
  ~RawThreadsStrategy() override { shutdown(); }

  SubmitResult submit(Task task) override;
  std::exception_ptr wait() override;
  void shutdown() override;
  StrategyCounters counters() const override;

  std::size_t live_threads() const { return threads_.live(); }

 private:
  support::ThreadPerTask threads_;
  std::unique_ptr<support::FiberRuntime> fibers_;  // spawn=fiber only
  std::atomic<std::uint64_t> start_failures_{0};
};

}  // namespace poolbench
