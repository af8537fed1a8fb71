// dispatcher — gammazero/workerpool (v1.2.1-5-g22a7e8d, workerpool.go): one dispatcher thread hands each task
// to one idle worker, starts a worker while fewer than K run, and otherwise appends the task to an unbounded
// waiting queue; submit never blocks; strict FIFO; idle workers are stopped one per idle period.
//
// What it models, function by function (workerpool.go):
//   dispatch(): with an empty waiting queue, a task received from taskQueue is sent on workerQueue if a
//   worker
//     is receiving there (`select { case p.workerQueue <- task: default: }`); otherwise `go worker(task,
//     ...)` while workerCount < maxWorkers; otherwise waitingQueue.PushBack(task). Each task is handed to one
//     worker; nothing runs ahead of the workers.
//   processWaitingQueue(): while the waiting queue is non-empty, incoming tasks are appended to it and its
//     front goes to the next worker that is receiving, so order stays FIFO. `waiting` (WaitingQueueSize) is
//     stored after every change: here waiting_queue_size() counts every task the dispatcher holds and has not
//     handed to a worker, exactly.
//     The dispatcher blocked in that select is a sender waiting on workerQueue with the queue's front; a
//     worker that comes to receive completes that rendezvous itself, as Go's chanrecv takes the value of a
//     blocked sender without the sender running: here a worker that finds the waiting queue non-empty takes
//     its front (under the lock that also orders the receiving workers). The one difference: Go's dispatcher
//     offers the next front only once it runs again, here the next front is on offer at once (as if the
//     dispatcher were always back in its select); the order, and what WaitingQueueSize counts, are the same.
//   worker(): runs its first task, then receives the next one from workerQueue; a nil task ends it.
//   killIdleWorker(): when the dispatcher's idle timer (idleTimeout, default 2 s) fires after a whole period
//     with no task received, it sends nil to one receiving worker, if any (non-blocking send), so an idle
//     pool shrinks by one worker per period, down to zero.
//   StopWait() (runQueuedTasks, then nil to every worker): shutdown(). Stop() would abandon queued tasks and
//     break SubmitResult::ok's "will run exactly once". A panicking task crashes the program (no recover):
//     a throwing task calls std::terminate (OnException::terminates_process).
//
// Goroutines and channels onto threads:
//   taskQueue (unbuffered: Submit waits for the dispatcher to receive): a mutex-guarded vector the dispatcher
//     swaps out whole and then treats task by task, in order, exactly as a run of receives; a submitter never
//     waits for the dispatcher (a rendezvous per submit would cost a futex round trip between threads). A
//     submitter wakes the dispatcher only when it is parked.
//   workerQueue (unbuffered, receivers queue FIFO): a FIFO of the workers that are receiving and, per worker,
//     a one-task mailbox with a support::ParkingFlag. With nothing waiting, the dispatcher pops the first
//     receiving worker, puts the task in its mailbox and sets its flag: one hand-off per task, which a worker
//     avoids paying in the kernel by spinning on its flag for `spin` rounds. With tasks waiting, a worker
//     takes the waiting queue's front itself (above). One mutex guards both the receiving workers and the
//     waiting queue (a support::TaskDeque, gammazero/deque's growth rule: no allocation per task), so "a
//     worker is receiving" and "a task is waiting" are never true at once, and the dispatcher hands a
//     received batch out under one lock acquisition.
//   worker goroutines: std::jthreads in K reusable slots started with support::start_thread; a refused start
//     leaves the task first in the waiting queue and the dispatcher retries every millisecond while fewer
//     than K run (a goroutine start cannot fail).
//
// The batching pool that `dispatcher` used to be is dispatcher_batching.hpp (`--param batching=true`): it is
// not workerpool.
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
#include "support/parking_flag.hpp"
#include "support/quiescence.hpp"
#include "support/task_deque.hpp"

namespace poolbench {

class DispatcherStrategy final : public Strategy {
 public:
  struct Options {
    std::size_t workers = 2;
    std::chrono::microseconds idle_timeout = std::chrono::seconds(2);  // at least 1 ms
    std::uint32_t spin = 256;  // rounds an idle worker (or the idle dispatcher) polls before parking
  };

  explicit DispatcherStrategy(const Options& options);
  ~DispatcherStrategy() override;
  DispatcherStrategy(const DispatcherStrategy&) = delete;
  DispatcherStrategy& operator=(const DispatcherStrategy&) = delete;

  SubmitResult submit(Task task) override;
  std::exception_ptr wait() override;
  void shutdown() override;
  StrategyCounters counters() const override;

  // Workers running now (started and not yet stopped), as the dispatcher last published it.
  std::size_t live_workers() const noexcept { return live_workers_.load(std::memory_order_acquire); }
  // workerpool's WaitingQueueSize: tasks the dispatcher holds for want of an idle worker, as it last
  // published it after a change.
  std::size_t waiting_queue_size() const noexcept { return waiting_.load(std::memory_order_acquire); }

 private:
  struct alignas(64) WorkerSlot {
    support::ParkingFlag handed;  // set by the dispatcher once `mailbox` holds this worker's next task
    Task mailbox;                 // an empty Task is workerpool's nil: stop
    std::atomic<std::uint64_t> finished{0};  // written only by the slot's current worker; survives restarts
    bool running = false;                    // dispatcher thread only
    std::jthread thread;                     // dispatcher thread only
  };

  // What the parked dispatcher waits for (bits of parked_for_).
  static constexpr std::uint32_t wants_input = 1;     // a submit (or shutdown)
  static constexpr std::uint32_t wants_drained = 2;   // a worker took the waiting queue's last task
  static constexpr std::uint32_t wants_receiver = 4;  // a worker came to receive (StopWait's stop signals)

  void dispatch() noexcept;
  void work(WorkerSlot& slot) noexcept;
  WorkerSlot* pop_receiving_worker() noexcept;  // exchange_mutex_ held
  bool hand_to_receiving_worker(Task& task) noexcept;
  bool start_worker(Task& task) noexcept;
  void stop_worker_and_join(WorkerSlot& slot) noexcept;
  bool park_dispatcher(std::chrono::steady_clock::time_point deadline, std::uint32_t reasons);
  void wake_dispatcher_if_parked_for(std::uint32_t reason);
  std::uint64_t finished_total() const noexcept;

  const Options options_;

  // Submitters -> dispatcher (taskQueue).
  std::mutex input_mutex_;
  std::vector<Task> input_;
  std::uint64_t submitted_ = 0;             // guarded by input_mutex_
  bool closed_ = false;                     // guarded by input_mutex_
  std::atomic<std::size_t> input_size_{0};  // written under input_mutex_; read by the parked dispatcher
  std::atomic<bool> closing_{false};

  // workerQueue: the workers that are receiving, first come first served, and the waiting queue. A worker
  // registers as receiving only when nothing waits, and takes the front itself when something does.
  std::mutex exchange_mutex_;
  support::TaskDeque waiting_queue_;    // guarded by exchange_mutex_
  std::vector<WorkerSlot*> receiving_;  // a ring of K: receiving_head_, receiving_count_
  std::size_t receiving_head_ = 0;
  std::atomic<std::size_t> receiving_count_{0};  // written under exchange_mutex_
  std::atomic<std::size_t> waiting_{0};          // waiting_queue_.size(), stored under exchange_mutex_

  // Parking of the dispatcher (a condition variable: it needs a timed wait for the idle timer).
  std::mutex dispatcher_mutex_;
  std::condition_variable dispatcher_cv_;
  std::atomic<std::uint32_t> parked_for_{0};

  std::unique_ptr<WorkerSlot[]> slots_;
  support::Quiescence quiescent_;  // wait() callers

  std::atomic<std::size_t> live_workers_{0};
  std::atomic<std::uint64_t> threads_created_{0};
  std::atomic<std::uint64_t> idle_workers_stopped_{0};
  std::atomic<std::uint64_t> thread_starts_refused_{0};

  std::once_flag shutdown_once_;
  std::jthread dispatcher_;  // last: started after everything it uses exists
};

}  // namespace poolbench
