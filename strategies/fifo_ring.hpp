// fifo_ring — a Vyukov bounded multi-producer/multi-consumer *task* ring feeding K fixed worker threads: the
// pool-guide's "ants (loopq)" row as the guide describes it ("atomic CAS + ring buffer, mostly
// contention-free ... FIFO ring buffer, any worker"). It is not ants' loop queue, and no Go pool is built
// this way.
//
// What it is. Dmitry Vyukov's bounded MPMC queue: every slot carries a sequence number, so a producer claims
// a slot with one CAS on the enqueue position and a consumer with one CAS on the dequeue position; no lock
// anywhere. K worker threads, started up front, pop from it. Tasks start in submission order (one producer,
// one worker: strictly; several workers take consecutive tasks, so their *start* order is FIFO up to who gets
// scheduled first). When the ring is full, submit parks until a slot frees (the blocking mode).
// `nonblocking=true` rejects with `overloaded` by ants' rule (retrieveWorker: no idle worker and no capacity
// to start one — fixed workers never have any), that is when K accepted tasks have not finished; the ring
// then holds at most K tasks and never buffers beyond the workers (ErrPoolOverload).
//
// What it is not. ants' real loop queue (worker_loop_queue.go, selected by WithPreAlloc; read at v2.11.4) is
// not a task queue: it is a preallocated FIFO ring of idle *workers*, each with its own one-task channel,
// guarded by the pool's single lock, the same lock as the default stack — all WithPreAlloc changes is that
// the longest idle worker is reused instead of the most recently idle one. That is `lifo_stack
// --param prealloc=true`. The guide's row credits the loop queue with a lock-free CAS ring, which ants does
// not have; this strategy keeps the guide's design so that the claim can be measured, under a name that says
// what it is.
//
// Goroutines and channels onto threads. ants starts worker goroutines on demand and expires idle ones;
// goroutines are so cheap that this costs nothing. OS threads are not (tens of microseconds to start), so
// this pool starts its K threads up front and keeps them (WorkerLifecycle::fixed_workers). A goroutine
// blocked on a full pool sleeps on a sync.Cond; here a blocked submitter and an idle worker first spin
// briefly (`spin` pause rounds, then a few yields: the next slot usually frees within nanoseconds) and then
// park on a futex (support::ParkingLot), so an idle pool uses no CPU. A parked submitter is woken when the
// ring has drained to half, not on every pop.
//
// Exceptions. A throwing task is caught by its worker, counted (`exceptions_handled`) and handed to the
// exception handler (ants' PanicHandler); the worker goes on with the next task. Without a handler set, the
// first exception is kept for inspection (first_exception()), never rethrown: a pool that recovers is what
// the guide's ants-with-PanicHandler row describes.
//
// Shutdown stops accepting (closed), lets the workers drain every accepted task, and joins them.
//
// Why spin = 32 by default: with three threads on two cores a long spin takes the core the producer needs,
// and none at all parks workers that a yield would have kept; 32 gave the narrowest spread of the three
// values tried (0, 32, 256). The measurements are in results/strategy-notes.md.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>

#include "strategy.hpp"
#include "support/bounded_task_ring.hpp"
#include "support/parking_lot.hpp"
#include "support/quiescence.hpp"
#include "support/worker_threads.hpp"

namespace poolbench {

class FifoRingStrategy final : public Strategy {
 public:
  struct Options {
    std::size_t workers = 2;
    std::size_t capacity = 1024;
    bool nonblocking = false;
    // Pause-and-retry rounds before a worker or blocked submitter yields, then parks.
    std::uint32_t spin = 32;
  };

  explicit FifoRingStrategy(const Options& options);
  ~FifoRingStrategy() override;
  FifoRingStrategy(const FifoRingStrategy&) = delete;
  FifoRingStrategy& operator=(const FifoRingStrategy&) = delete;

  SubmitResult submit(Task task) override;
  std::exception_ptr wait() override;
  void shutdown() override;
  StrategyCounters counters() const override;

  // ants' PanicHandler: called on the worker thread with each exception a task throws. Set it before
  // submitting.
  void set_exception_handler(std::function<void(std::exception_ptr)> handler);
  // The first exception a task threw while no handler was set (nullptr if none).
  std::exception_ptr first_exception() const;
  std::size_t capacity() const noexcept { return ring_.capacity(); }

 private:
  struct alignas(64) WorkerSlot {
    std::atomic<std::uint64_t> finished{0};  // written only by its worker: no contended counter per task
    std::atomic<std::uint64_t> exceptions{0};
  };

  static Options normalized(Options options);
  SubmitResult submit_unless_all_busy(Task& task);
  bool below_half() const noexcept { return ring_.size_approx() <= ring_.capacity() / 2; }
  void work(WorkerSlot& slot) noexcept;
  void close() noexcept;  // refuses further pushes and wakes every parked worker and submitter
  void handle_exception(WorkerSlot& slot, std::exception_ptr error) noexcept;
  std::uint64_t finished_total() const noexcept;

  const Options options_;
  support::BoundedTaskRing ring_;
  support::ParkingLot not_empty_;  // idle workers
  support::ParkingLot not_full_;   // submitters blocked on a full ring
  support::Quiescence quiescent_;  // wait() callers
  std::atomic<std::uint64_t> rejected_{0};
  // Accepted tasks not yet finished, kept only with `nonblocking` (ants' rule needs it; the blocking mode
  // does not pay for it).
  alignas(64) std::atomic<std::size_t> unfinished_{0};
  std::unique_ptr<WorkerSlot[]> slots_;
  std::uint64_t threads_created_ = 0;

  mutable std::mutex handler_mutex_;
  std::function<void(std::exception_ptr)> handler_;
  std::exception_ptr first_exception_;

  std::once_flag shutdown_once_;
  support::WorkerThreads workers_;  // last: started after everything they use exists
};

}  // namespace poolbench
