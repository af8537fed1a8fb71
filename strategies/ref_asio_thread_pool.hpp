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
// submission, waits until every accepted task has finished, and then joins.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <mutex>

#include <boost/asio/thread_pool.hpp>

#include "fifo_ring.hpp"  // ParkingLot
#include "strategy.hpp"

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
  static constexpr std::uint64_t closed_bit = std::uint64_t{1} << 63;

  template <class Target>
  void wait_until(Target target);  // until finished_ reaches target(), re-read on every wake-up

  const std::size_t worker_count_;
  alignas(64) std::atomic<std::uint64_t> submitted_{0};  // top bit: closed
  static constexpr std::uint64_t no_target = ~std::uint64_t{0};

  alignas(64) std::atomic<std::uint64_t> finished_{0};
  std::atomic<std::uint64_t> wait_target_{no_target};  // what a parked wait() needs finished_ to reach
  ParkingLot quiescent_;
  boost::asio::thread_pool pool_;
  std::once_flag shutdown_once_;
};

}  // namespace poolbench
