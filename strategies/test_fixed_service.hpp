// test_fixed_service — test-only: one worker that takes a fixed time per task, fed through a one-task slot.
//
// The server of the open-loop truth tests (tests/truth_open_loop_test.cpp): an M/D/1 queue's D, and a pool
// that stalls once. submit() blocks while the slot holds a task the worker has not taken yet, so at most one
// task waits inside the strategy and the rest of a backlog waits in the producer, where only latency measured
// from a task's intended submit time sees it (a closed loop, or latency from the actual submit, misses it:
// coordinated omission). The slot lets the worker take its next task the moment it finishes one, so the
// producer's wake-up is not added to the service time; the worker waiting for a task and a producer waiting
// for the slot poll for up to 20 ms before they sleep, so that a task arriving at an idle server is not late
// by the OS's wake-up either. The worker runs each task, then holds (sleeping, then
// spinning the last 100 µs) until `service_us` have passed since it started it, so the service time is fixed
// whatever the task costs, and a preemption inside the hold does not lengthen it. Once, before its
// `stall_after_tasks`-th task (0: never), it stalls for `stall_ms`.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>

#include "strategy.hpp"
#include "support/worker_threads.hpp"

namespace poolbench {

class TestFixedServiceStrategy final : public Strategy {
 public:
  TestFixedServiceStrategy(std::chrono::nanoseconds service, std::size_t stall_after_tasks,
                           std::chrono::nanoseconds stall);
  ~TestFixedServiceStrategy() override;

  SubmitResult submit(Task task) override;
  std::exception_ptr wait() override;
  void shutdown() override;
  StrategyCounters counters() const override;

 private:
  void serve();

  const std::chrono::nanoseconds service_;
  const std::size_t stall_after_tasks_;
  const std::chrono::nanoseconds stall_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  Task slot_;          // the task handed over, not yet taken by the worker
  bool busy_ = false;  // the worker holds a task (running it or holding to its service time)
  bool closed_ = false;
  std::size_t taken_ = 0;
  support::WorkerThreads worker_;
};

}  // namespace poolbench
