// ref_asio_thread_pool — a third-party baseline, not a Go model: boost::asio::thread_pool with K threads
// (header-only Boost.Asio, Debian libboost-dev), the pool most C++ code bases already have.
//
// How it works. Submit posts the Task to the pool's scheduler: one mutex-guarded FIFO of handler operations,
// each operation allocated through Asio's per-thread recycling allocator (the submitting thread allocates, a
// pool thread frees, so in a one-producer stream the cache rarely hits). Idle threads sleep on the
// scheduler's condition variable: no CPU when idle. FIFO for tasks posted from outside the pool; unbounded
// (never_full). A handler that throws leaves io_context::run in the pool thread, whose thread function does
// not catch: the process terminates.
//
// What this wrapper adds, so that it fits the Strategy contract: thread_pool::wait() joins the threads (the
// pool cannot be used afterwards), so wait() here counts finished tasks instead — one shared fetch_add per
// task in the handler wrapper, which wakes a parked wait() only once its target is reached. Shutdown closes
// submission, waits until every accepted task has finished, and then stops the pool and joins its threads.
//
// Threads. With K = 1, thread_pool(1) starts its thread (and runs its scheduler in single-thread mode). With
// K > 1 the pool is built with no thread of its own and K threads of this strategy attach to it
// (thread_pool::attach runs the same thread function that thread_pool(K) would start): thread_pool(K)
// itself, when the OS refuses one of its threads, throws from a constructor whose unwinding joins the threads
// already started, which never stop — a deadlock.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <mutex>

#include <boost/asio/thread_pool.hpp>

#include "strategy.hpp"
#include "support/admission_counter.hpp"
#include "support/finish_line.hpp"
#include "support/worker_threads.hpp"

namespace poolbench {

class RefAsioThreadPoolStrategy final : public Strategy {
 public:
  explicit RefAsioThreadPoolStrategy(std::size_t workers);
  ~RefAsioThreadPoolStrategy() override;
  RefAsioThreadPoolStrategy(const RefAsioThreadPoolStrategy&) = delete;
  RefAsioThreadPoolStrategy& operator=(const RefAsioThreadPoolStrategy&) = delete;

  SubmitResult submit(Task task) override;
  std::exception_ptr wait() override;
  void shutdown() override;
  StrategyCounters counters() const override;

 private:
  const std::size_t worker_count_;
  alignas(64) support::AdmissionCounter submitted_;
  support::FinishLine finished_;
  // One thread: asio's own (its single-thread scheduler). More: threads of ours that attach to it, so that a
  // refused thread start can stop and join the others (asio's constructor would join them unstopped).
  boost::asio::thread_pool pool_;
  std::once_flag shutdown_once_;
  support::WorkerThreads attached_;  // last: started after everything they use exists
};

}  // namespace poolbench
