// ref_bs_thread_pool — a third-party baseline, not a Go model: BS::thread_pool v5.1.0 (bshoshany/thread-pool,
// vendored unchanged in third_party/bs_thread_pool: Debian 12 does not package it), the single-header C++
// pool many users pick first, with K threads.
//
// Why this is the library's recommended use. Its README ("Detaching and waiting for tasks"): when no result
// is needed, "you may wish to avoid the overhead involved in assigning a future to the task, in order to
// increase performance" with detach_task(), and then use wait() to wait for every task; the feature list says
// the same ("If futures are not needed, tasks may be submitted using detach_task() [...] sacrificing
// convenience for even greater performance"). So submit is detach_task() and wait() is the pool's wait(),
// with the default options (no priority, no pause: BS::thread_pool<>), as the README's examples build it.
//
// How it works (BS_thread_pool.hpp, thread_pool): one std::queue of tasks under one mutex; detach_task()
// pushes and calls notify_one on a condition variable; worker() pops under the mutex, runs the task, and
// wakes wait() when the queue is empty and nothing runs. Idle threads sleep on the condition variable: no CPU
// when idle. Under C++20 a task is stored in the library's move_only_function polyfill, one heap allocation
// per task (C++23's std::move_only_function would not allocate for small callables). FIFO (one queue);
// unbounded (never_full); fixed workers. worker() catches every exception a detached task throws and drops it
// (`catch (...) {}`), and the pool goes on: OnException::handler_called_continues, the handler being the
// library's empty one (nothing reports it).
//
// What this wrapper adds: submit counts submits started and done (two atomic increments) so that shutdown()
// can close submission without racing a detach_task in progress; shutdown() then waits and destroys the pool,
// which joins its threads.
//
// Threads. The pool starts its K std::jthreads itself, outside support::start_thread; so that the thread
// exhaustion tests can refuse them as they refuse every other start, support::thread_start_hook is consulted
// once per thread before the pool is built. A real refusal throws std::system_error out of the pool's
// constructor, whose unwinding stops (jthread's stop token wakes worker()) and joins the threads already
// started; it is rethrown as support::out_of_threads.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <shared_mutex>

#include "strategy.hpp"
#include "support/admission_counter.hpp"

namespace poolbench {

class RefBsThreadPoolStrategy final : public Strategy {
 public:
  explicit RefBsThreadPoolStrategy(std::size_t workers);
  ~RefBsThreadPoolStrategy() override;
  RefBsThreadPoolStrategy(const RefBsThreadPoolStrategy&) = delete;
  RefBsThreadPoolStrategy& operator=(const RefBsThreadPoolStrategy&) = delete;

  SubmitResult submit(Task task) override;
  std::exception_ptr wait() override;
  void shutdown() override;
  StrategyCounters counters() const override;

 private:
  struct Pool;  // the BS::thread_pool, kept out of this header (a long header)

  const std::size_t worker_count_;
  std::shared_mutex pool_lifetime_;  // wait() shares it; shutdown() takes it alone to destroy the pool
  std::unique_ptr<Pool> pool_;
  support::AdmissionCounter submits_started_;
  std::atomic<std::uint64_t> submits_done_{0};
  std::once_flag shutdown_once_;
};

}  // namespace poolbench
