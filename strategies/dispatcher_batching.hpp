// dispatcher --param batching=true: a batching pool built on workerpool's structure; NOT
// gammazero/workerpool. One dispatcher thread swaps out every pending submission at once and moves them into
// a lock-free hand-off ring that up to K on-demand workers pop from, so it runs up to `handoff` tasks ahead
// of the workers instead of handing each task to one idle worker; WaitingQueueSize leaves out the tasks in
// the ring. Kept, off by default, because it shows what batching buys over workerpool's per-task hand-off
// (dispatcher.hpp).
//
// The design notes below predate the per-task model; "what it models" describes workerpool itself.
//
// Formerly `dispatcher` — gammazero/workerpool: one dispatcher thread moves tasks from an unbounded waiting
// deque to at most K workers it starts on demand; submit never blocks; strict FIFO; idle workers time out one
// per period.
//
// What it models (workerpool.go, v1.1): Submit sends the task to the dispatcher goroutine and returns. The
// dispatcher gives each task to a ready worker if one is waiting; otherwise it starts a new worker while
// fewer than maxWorkers run, and otherwise appends the task to its waiting deque, from which it feeds workers
// in order for as long as the deque is non-empty. Every idleTimeout (2 s) the dispatcher checks whether a
// whole period passed with no task arriving and, if so, stops one *ready* worker; so after a burst the pool
// shrinks by one worker per period, down to zero. A panicking task crashes the program (no recover in
// workerpool): here a throwing task calls std::terminate (OnException::terminates_process). StopWait() runs
// every queued task and then stops; shutdown() does that (Stop(), which abandons queued tasks, would break
// SubmitResult::ok's "will run exactly once").
//
// Goroutines and channels onto threads:
//   taskQueue, the unbuffered channel Submit sends on: a mutex-guarded vector that the dispatcher swaps out
//     whole, taking every pending submission in one critical section. A submitter wakes the dispatcher only
//     when it is parked (a condition variable, which also gives the dispatcher its idle-timeout wait).
//   waitingQueue (gammazero/deque, a ring buffer that doubles): the swapped-out batches themselves, kept in
//     order and consumed from the front, so each task is moved once on its way through the dispatcher;
//     emptied batches go back to the submitters with their capacity, so a steady stream allocates nothing.
//   workerQueue, the unbuffered channel workers receive from: a bounded lock-free ring (fifo_ring's Vyukov
//     ring, `handoff` slots) that workers pop from. Deliberate difference: an unbuffered channel is a
//     rendezvous, one goroutine switch per task; between threads that is a futex round trip (microseconds)
//     per task, so the dispatcher may run up to `handoff` tasks ahead. A worker "ready" in workerpool's
//     sense is one spinning or parked on an empty hand-off: the dispatcher starts a new worker when the
//     hand-off holds more tasks than there are ready workers, and stops an idle worker by handing it an
//     empty Task (workerpool sends nil).
//   worker goroutines: std::jthreads in K reusable slots; the dispatcher joins each one it stops, and
//     threads_created counts the dispatcher thread and every worker start.
//
// Cost. Each task crosses two queues and three threads (submitter, dispatcher, worker), so on a 2-core
// machine the dispatcher thread is the bottleneck. What keeps it under a microsecond per task: the dispatcher
// takes submissions a whole batch at a time and moves each task once; it waits for the hand-off to drain to
// half (not for one slot) and yields rather than spins while the workers catch up; exactly one signaller
// wakes a parked dispatcher; a parked wait() is woken at most once per 1,024 tasks per worker while work is
// queued, not after every task. The hand-off holds 1024 tasks by default because a smaller one (256) was
// slower with both spin settings tried; on a quiet machine the batching beat the direct designs (fifo_ring,
// sharded, ref_moodycamel), on a busy one it did not. The measurements are in results/strategy-notes.md.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "strategy.hpp"
#include "support/bounded_task_ring.hpp"
#include "support/parking_lot.hpp"
#include "support/quiescence.hpp"
#include "support/thread_start.hpp"

namespace poolbench {

class BatchingDispatcherStrategy final : public Strategy {
 public:
  struct Options {
    std::size_t workers = 2;
    std::chrono::microseconds idle_timeout = std::chrono::seconds(2);  // at least 1 ms
    std::size_t handoff = 1024;  // hand-off ring slots between the dispatcher and the workers
    std::uint32_t spin = 256;    // rounds an idle worker (or the idle dispatcher) polls before parking
  };

  explicit BatchingDispatcherStrategy(const Options& options);
  ~BatchingDispatcherStrategy() override;
  BatchingDispatcherStrategy(const BatchingDispatcherStrategy&) = delete;
  BatchingDispatcherStrategy& operator=(const BatchingDispatcherStrategy&) = delete;

  SubmitResult submit(Task task) override;
  std::exception_ptr wait() override;
  void shutdown() override;
  StrategyCounters counters() const override;

  // Workers running now (started and not yet stopped), as the dispatcher last published it.
  std::size_t live_workers() const noexcept { return live_workers_.load(std::memory_order_acquire); }
  // Tasks in the dispatcher's waiting deque, as it last published it (workerpool's WaitingQueueSize).
  std::size_t waiting_queue_size() const noexcept { return waiting_.load(std::memory_order_acquire); }

 private:
  struct alignas(64) WorkerSlot {
    std::atomic<std::uint64_t> finished{0};  // written only by the slot's current worker; survives restarts
    std::atomic<bool> exited{false};
    bool running = false;  // dispatcher thread only
    std::jthread thread;
  };

  void dispatch() noexcept;
  void work(WorkerSlot& slot) noexcept;
  bool start_worker() noexcept;
  void start_workers_as_needed() noexcept;
  void reap_exited_workers() noexcept;
  void wait_for_handoff_room();
  void signal_dispatcher();
  std::uint64_t finished_total() const noexcept;

  const Options options_;

  // Submitters -> dispatcher.
  std::mutex input_mutex_;
  std::vector<Task> input_;
  std::uint64_t submitted_ = 0;             // guarded by input_mutex_
  bool closed_ = false;                     // guarded by input_mutex_
  std::atomic<std::size_t> input_size_{0};  // hint for the spinning dispatcher

  // Parking of the dispatcher (a condition variable: it needs a timed wait for the idle timeout).
  std::mutex dispatcher_mutex_;
  std::condition_variable dispatcher_cv_;
  std::atomic<bool> dispatcher_awaits_input_{false};  // parked with nothing queued: submitters wake it
  std::atomic<bool> dispatcher_awaits_room_{false};   // parked on a full hand-off: workers wake it

  // Dispatcher -> workers.
  support::BoundedTaskRing handoff_;
  support::ParkingLot handoff_not_empty_;
  std::atomic<std::uint32_t> ready_workers_{0};
  std::unique_ptr<WorkerSlot[]> slots_;

  support::Quiescence quiescent_;  // wait() callers

  std::atomic<std::size_t> live_workers_{0};
  std::atomic<std::size_t> waiting_{0};
  std::atomic<std::uint64_t> threads_created_{0};
  std::atomic<std::uint64_t> idle_workers_stopped_{0};

  std::once_flag shutdown_once_;
  std::jthread dispatcher_;  // last: started after everything it uses exists
};

}  // namespace poolbench
