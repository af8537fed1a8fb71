// FiberRuntime: the C++ counterpart of the Go runtime behind `go f()`, for the no-pool baselines'
// `spawn=fiber` mode (raw_threads, semaphore_group): every task runs as a fiber of its own (Boost.Fiber) on
// an M:N scheduler with one OS thread per core and work stealing, a small stack per task, and no OS thread
// per task.
//
// Guarantees: spawn() from any thread that is not one of the runtime's own (the harness's producers, which
// have no fiber scheduler of theirs in the runtime) accepts the body, which then runs exactly once on one of
// the runtime's threads; false after close(). wait_idle() returns once every accepted body has returned and
// been destroyed. shutdown() refuses further bodies, waits for every accepted one, then stops and joins every
// thread; idempotent, and the destructor calls it. No OS primitive that blocks a thread is used inside a
// fiber: fibers wait only on Boost.Fiber's mutex and condition variable, which suspend the fiber.
//
// How `go f()` maps onto it (Go runtime: runtime/proc.go `newproc`, `runqput`, `findrunnable`, `wakep`):
//  * Ps and Ms: one scheduler thread per core the process may run on (sched_getaffinity, as GOMAXPROCS),
//    started at construction and kept until shutdown.
//  * Run queues and stealing: each thread has a FIFO ready queue of fibers; a thread with nothing ready
//  steals
//    from a random other thread, spins a little, then sleeps on its own condition variable; a thread that
//    makes a fiber ready wakes one sleeping thread (Go's wakep()). Boost's own algo::work_stealing does the
//    same but keeps its threads in *static* members (one set per process, sized once, never reset), so a
//    second runtime in one process (each strategy instance has its own, as each joins its threads) would
//    index past them; the algorithm here is that one with its peers owned by the runtime (fiber_runtime.cpp).
//  * `go f()` from a thread outside the runtime: Boost.Fiber cannot create a fiber in another thread's
//    scheduler, so spawn() appends the body to an injection list (a spin lock and a vector swap, Go's global
//    run queue) and, only if a launcher is idle, notifies it through a Boost.Fiber condition variable, the
//    one way Boost.Fiber lets a foreign thread make a fiber of a scheduler ready (the notified context is
//    scheduled remotely and that scheduler's algorithm is notified). Each scheduler thread's main fiber is a
//    launcher: it takes the whole list, creates one fiber per body in chunks, and yields after each chunk so
//    that the fibers it created run (and are stolen) before it creates more: fibers alive at once stay a few
//    chunks per thread however far the producers run ahead.
//  * Stacks: a goroutine starts on a 2 KiB stack that grows; a fiber's stack cannot grow, so each fiber gets
//  a
//    fixed 64 KiB stack (256 KiB under sanitizers) with a guard page below it, from a pool that maps stacks
//    on demand and reuses them (StackPool in fiber_runtime.cpp). Why pooled and guarded rather than Boost's:
//    fixedsize_stack (malloc) has no guard page, so an overflow would silently corrupt the heap;
//    protected_fixedsize_stack maps and unmaps a stack per fiber (two system calls and page faults per task,
//    a cost `go f()` does not have); pooled_fixedsize_stack (boost::pool) is not thread-safe, and with work
//    stealing a fiber created on one thread often ends on another.
//
//  * Sleeping: each scheduler thread installs a sleep hook (src/sdk/sleep.hpp), so a task that waits with
//    poolbench::sleep_until/sleep_for (every workload that waits does) parks its fiber, as time.Sleep parks a
//    goroutine, and the thread runs other fibers meanwhile.
//
// Where it differs from Go, and why: a task that blocks its OS thread otherwise (std::this_thread::sleep_for,
// a std::mutex, a blocking read) blocks one scheduler thread and every fiber queued behind it, where Go parks
// the goroutine (or hands the P to another M during a system call): only the SDK's sleep knows the fiber. Go
// never refuses a goroutine; if a stack cannot be mapped here, the launcher runs that body itself on its own
// thread stack (it still runs exactly once) and counts it in `stack_failures`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "task.hpp"

namespace poolbench::support {

class FiberRuntime {
 public:
  // Runs one task inside its fiber; must not throw (the strategy decides what a task's exception means) and
  // must leave `task` destroyed or destroyable.
  using Runner = std::function<void(Task&)>;

  // `threads` 0: one per core the process may run on. Throws std::system_error ("out of threads: ...") when
  // the OS refuses one of its threads, having stopped and joined those it started.
  explicit FiberRuntime(Runner runner, std::size_t threads = 0);
  ~FiberRuntime();
  FiberRuntime(const FiberRuntime&) = delete;
  FiberRuntime& operator=(const FiberRuntime&) = delete;

  bool spawn(Task task);  // false after shutdown() began: the task is not run
  void wait_idle();       // until every accepted task has run and been destroyed
  void shutdown();

  std::size_t threads() const noexcept;  // scheduler threads started (the only OS threads it starts)
  std::uint64_t fibers_started() const noexcept;
  std::uint64_t stacks_mapped() const noexcept;   // stacks mapped so far: the most fibers alive at once
  std::uint64_t stack_failures() const noexcept;  // bodies run on a launcher's own stack (no stack mappable)

  // One per core the process may run on (its affinity mask), at least 1.
  static std::size_t cores();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A counting semaphore for fibers and for the threads that feed them: acquire() suspends a fiber (or blocks a
// thread outside the runtime) on Boost.Fiber's mutex and condition variable, so release() from a fiber never
// touches an OS primitive that blocks. errgroup's channel of K slots: a try_acquire() may barge past blocked
// acquirers, as a send on a Go channel with free room does.
class FiberSemaphore {
 public:
  explicit FiberSemaphore(std::size_t count);
  ~FiberSemaphore();
  FiberSemaphore(const FiberSemaphore&) = delete;
  FiberSemaphore& operator=(const FiberSemaphore&) = delete;

  void acquire();
  bool try_acquire();
  void release();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace poolbench::support
