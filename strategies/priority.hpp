// priority — K fixed workers taking tasks from two FIFO queues, the urgent one first: the pool guide's
// Exercise 2 ("a pool that supports two priority levels: urgent and normal. Urgent tasks always run before
// normal when both are queued"). It models no library: none of the Go pools the guide covers (ants, tunny,
// workerpool, pond, errgroup, x/sync/semaphore) has priorities; each takes tasks in one order for all.
//
// What it is. One mutex guards both queues (std::deque of Tasks, by TaskTag::priority) and the count of
// accepted, unfinished tasks; idle workers sleep on a condition variable. A worker that comes for a task
// takes the front of the urgent queue whenever it holds one, else the front of the normal queue, so no
// normal task starts while an urgent one is queued (tests/priority_test.cpp checks the exact order). Within
// a class, tasks start in submission order; untagged tasks are all normal, so for them this is a FIFO pool
// (the conformance suite checks that too).
//
// How it differs from a real priority pool. Two levels only, no aging: a steady stream of urgent tasks
// starves the normal ones, as the exercise's rule says it may. A task already running is not preempted: an
// urgent task that arrives while all K workers are busy waits for the first of them to finish. The queues are
// unbounded (submit never blocks), so that the order, not back-pressure, decides what an urgent task waits
// for. A task that throws terminates the process (a Go panic that nothing recovers).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>

#include "strategy.hpp"
#include "support/worker_threads.hpp"

namespace poolbench {

class PriorityStrategy final : public Strategy {
 public:
  explicit PriorityStrategy(std::size_t workers);
  ~PriorityStrategy() override;
  PriorityStrategy(const PriorityStrategy&) = delete;
  PriorityStrategy& operator=(const PriorityStrategy&) = delete;

  SubmitResult submit(Task task) override;
  std::exception_ptr wait() override;
  void shutdown() override;
  StrategyCounters counters() const override;

 private:
  void work() noexcept;
  void close() noexcept;

  const std::size_t workers_count_;
  mutable std::mutex mutex_;
  std::condition_variable task_queued_;  // idle workers
  std::condition_variable all_done_;     // wait() callers
  std::deque<Task> urgent_;
  std::deque<Task> normal_;
  std::uint64_t unfinished_ = 0;  // accepted, not finished
  std::uint64_t urgent_accepted_ = 0;
  std::uint64_t normal_accepted_ = 0;
  bool closed_ = false;
  std::once_flag shutdown_once_;
  support::WorkerThreads workers_;  // last: started after everything they use exists
};

}  // namespace poolbench
