// fair_tenants — K fixed workers serving a FIFO queue per tenant by deficit round-robin: the pool guide's
// Exercise 5 ("a pool that maintains separate queues per tenant, with weighted fair queueing. Tenant A
// submits 1000 tasks; tenant B submits 1. Show B's task runs within a bounded delay"), and its advice for
// multi-tenant systems ("per-tenant queues — neither LIFO nor FIFO of a single queue"). It models no library:
// none of the Go pools the guide covers (ants, tunny, workerpool, pond, errgroup, x/sync/semaphore) has
// per-tenant queues; each serves one queue (or its submitters) in one order.
//
// What it is. One mutex guards a queue per tenant (TaskTag::tenant; untagged tasks are all tenant 0) and the
// round: the tenants with queued tasks in round-robin order. Deficit round-robin (Shreedhar and Varghese,
// 1995) with every task costing one unit: when a tenant's turn comes, its deficit grows by its weight
// (`weight_a` for tenant 0, `weight_b` for tenant 1, 1 for any other); it gives one task per unit while it
// has both, and then the turn passes to the next tenant. A tenant whose queue empties leaves the round and
// its deficit is reset (DRR's rule: no credit saved while idle). So a tenant that arrives behind another's
// backlog waits at most for the current tenant's remaining quantum (weight_a tasks of A with B's weight 1),
// spread over the K workers: about weight_a / K task service times, whatever A's backlog
// (tests/fair_tenants_test.cpp checks the exact order on one worker).
//
// How it differs from a production fair scheduler. Task costs are not known in advance, so each counts one
// unit (DRR by packets, not bytes): a tenant with longer tasks gets more time at equal weights. The queues
// are unbounded (submit never blocks and never rejects: no per-tenant back-pressure or token bucket), and one
// lock serialises every submit and take. A task that throws terminates the process (a Go panic that nothing
// recovers).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <unordered_map>

#include "strategy.hpp"
#include "support/worker_threads.hpp"

namespace poolbench {

class FairTenantsStrategy final : public Strategy {
 public:
  struct Options {
    std::size_t workers = 2;
    double weight_a = 1;  // tenant 0's quantum per turn, in tasks
    double weight_b = 1;  // tenant 1's
  };

  explicit FairTenantsStrategy(const Options& options);
  ~FairTenantsStrategy() override;
  FairTenantsStrategy(const FairTenantsStrategy&) = delete;
  FairTenantsStrategy& operator=(const FairTenantsStrategy&) = delete;

  SubmitResult submit(Task task) override;
  std::exception_ptr wait() override;
  void shutdown() override;
  StrategyCounters counters() const override;

 private:
  struct TenantQueue {
    std::deque<Task> tasks;
    double deficit = 0;
    bool in_round = false;
  };

  void work() noexcept;
  Task take_next();  // under the lock, with at least one task queued
  double weight_of(std::uint32_t tenant) const noexcept;
  void close() noexcept;

  const Options options_;
  mutable std::mutex mutex_;
  std::condition_variable task_queued_;  // idle workers
  std::condition_variable all_done_;     // wait() callers
  std::unordered_map<std::uint32_t, TenantQueue> tenants_;
  std::deque<std::uint32_t> round_;  // tenants with queued tasks; the front one's turn is on
  bool turn_started_ = false;        // the front tenant's quantum was added for its current turn
  std::size_t queued_ = 0;
  std::uint64_t unfinished_ = 0;  // accepted, not finished
  std::uint64_t turns_ = 0;
  bool closed_ = false;
  std::once_flag shutdown_once_;
  support::WorkerThreads workers_;  // last: started after everything they use exists
};

}  // namespace poolbench
