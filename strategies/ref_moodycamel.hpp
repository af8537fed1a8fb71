// ref_moodycamel — a third-party baseline, not a Go model: K fixed threads popping from
// moodycamel::BlockingConcurrentQueue (Debian libconcurrentqueue-dev), the "small pool over a fast lock-free
// queue" every hand-rolled pool should be compared with.
//
// How it works. Submit enqueues the Task (moodycamel gives every producer thread its own sub-queue, found
// through a thread-local hash, so producers never contend with each other; blocks of 32 slots are recycled,
// so a steady stream allocates nothing). Workers call wait_dequeue, which spins (10,000 rounds) on a
// lightweight semaphore and then sleeps on it: an idle pool uses no CPU.
//
// Order: FIFO per producer; the queue scans the producers' sub-queues, so there is no order across producers
// (QueueOrder::fifo_per_shard, a "shard" being a producer). Unbounded (never_full). A throwing task
// terminates the process: a minimal pool has no recovery. Shutdown closes submission, waits until every
// accepted task has finished and then sends each worker an empty Task as its stop signal (the signal cannot
// overtake a task, because the queue's cross-producer order would otherwise allow it), and joins the workers.
// Counting what was submitted costs one shared fetch_add per submit (wait() needs the number); what finished
// is counted per worker.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>

#include <concurrentqueue/blockingconcurrentqueue.h>

#include "strategy.hpp"
#include "support/admission_counter.hpp"
#include "support/quiescence.hpp"
#include "support/worker_threads.hpp"

namespace poolbench {

class RefMoodycamelStrategy final : public Strategy {
 public:
  explicit RefMoodycamelStrategy(std::size_t workers);
  ~RefMoodycamelStrategy() override;
  RefMoodycamelStrategy(const RefMoodycamelStrategy&) = delete;
  RefMoodycamelStrategy& operator=(const RefMoodycamelStrategy&) = delete;

  SubmitResult submit(Task task) override;
  std::exception_ptr wait() override;
  void shutdown() override;
  StrategyCounters counters() const override;

 private:
  struct alignas(64) WorkerSlot {
    std::atomic<std::uint64_t> finished{0};
  };

  void work(WorkerSlot& slot) noexcept;
  void send_stop_signals() noexcept;  // one empty Task per worker
  std::uint64_t finished_total() const noexcept;

  const std::size_t worker_count_;
  moodycamel::BlockingConcurrentQueue<Task> queue_;
  alignas(64) support::AdmissionCounter submitted_;
  support::Quiescence quiescent_;
  std::unique_ptr<WorkerSlot[]> slots_;
  std::once_flag shutdown_once_;
  support::WorkerThreads workers_;  // last: started after everything they use exists
};

}  // namespace poolbench
