#include "fair_tenants.hpp"

#include <algorithm>
#include <memory>
#include <utility>

#include "registry.hpp"

namespace poolbench {

FairTenantsStrategy::FairTenantsStrategy(const Options& options) : options_(options) {
  workers_.start(
      std::max<std::size_t>(1, options_.workers), "fair_tenants", [this](std::size_t) { work(); },
      [this] { close(); });
}

FairTenantsStrategy::~FairTenantsStrategy() {
  shutdown();
}

double FairTenantsStrategy::weight_of(std::uint32_t tenant) const noexcept {
  if (tenant == 0) return options_.weight_a;
  if (tenant == 1) return options_.weight_b;
  return 1;
}

SubmitResult FairTenantsStrategy::submit(Task task) {
  {
    std::scoped_lock lock(mutex_);
    if (closed_) return SubmitResult::closed();
    const std::uint32_t tenant = task.tag().tenant;
    TenantQueue& queue = tenants_[tenant];
    queue.tasks.push_back(std::move(task));
    if (!queue.in_round) {
      queue.in_round = true;
      round_.push_back(tenant);  // joins at the back of the round
    }
    ++queued_;
    ++unfinished_;
  }
  task_queued_.notify_one();
  return SubmitResult::accepted();
}

Task FairTenantsStrategy::take_next() {
  for (;;) {
    const std::uint32_t tenant = round_.front();
    TenantQueue& queue = tenants_[tenant];
    if (!turn_started_) {
      queue.deficit += weight_of(tenant);
      turn_started_ = true;
      ++turns_;
    }
    if (queue.deficit >= 1) {
      queue.deficit -= 1;
      Task task = std::move(queue.tasks.front());
      queue.tasks.pop_front();
      --queued_;
      if (queue.tasks.empty()) {  // leaves the round, keeping no credit
        queue.deficit = 0;
        queue.in_round = false;
        round_.pop_front();
        turn_started_ = false;
      }
      return task;
    }
    // Quantum spent: the turn passes to the next tenant.
    round_.pop_front();
    round_.push_back(tenant);
    turn_started_ = false;
  }
}

void FairTenantsStrategy::work() noexcept {
  std::unique_lock lock(mutex_);
  for (;;) {
    task_queued_.wait(lock, [this] { return closed_ || queued_ > 0; });
    if (queued_ == 0) return;  // closed, and every accepted task taken
    Task task = take_next();
    lock.unlock();
    task();  // a throwing task ends the process here (noexcept): terminates_process
    task.reset();
    lock.lock();
    if (--unfinished_ == 0) all_done_.notify_all();
  }
}

std::exception_ptr FairTenantsStrategy::wait() {
  std::unique_lock lock(mutex_);
  all_done_.wait(lock, [this] { return unfinished_ == 0; });
  return nullptr;
}

void FairTenantsStrategy::close() noexcept {
  {
    std::scoped_lock lock(mutex_);
    closed_ = true;
  }
  task_queued_.notify_all();
}

void FairTenantsStrategy::shutdown() {
  std::call_once(shutdown_once_, [this] {
    close();
    workers_.join();  // the workers drain every tenant's queue before they return
  });
}

StrategyCounters FairTenantsStrategy::counters() const {
  StrategyCounters counters;
  counters.threads_created = std::max<std::size_t>(1, options_.workers);
  std::scoped_lock lock(mutex_);
  counters.extra["tenants_seen"] = static_cast<double>(tenants_.size());
  counters.extra["round_robin_turns"] = static_cast<double>(turns_);
  return counters;
}

namespace {
const StrategyRegistrar fair_tenants_registrar{StrategyInfo{
    .name = "fair_tenants",
    .description = "K fixed workers, a FIFO queue per tenant served by deficit round-robin (weight_a, "
                   "weight_b): the guide's Exercise 5; no Go pool it covers has per-tenant queues",
    .traits = {.queue_order = QueueOrder::fair_per_tenant,
               .worker_lifecycle = WorkerLifecycle::fixed_workers,
               .when_full = WhenFull::never_full,
               .on_exception = OnException::terminates_process},
    .params = {{"weight_a", "1", "tenant A's (0) quantum per round-robin turn, in tasks",
                ParamKind::positive_number},
               {"weight_b", "1", "tenant B's (1) quantum per round-robin turn, in tasks (others: 1)",
                ParamKind::positive_number}},
    .make =
        [](const StrategyConfig& config) {
          return std::make_unique<FairTenantsStrategy>(
              FairTenantsStrategy::Options{.workers = config.workers,
                                           .weight_a = config.params.number("weight_a"),
                                           .weight_b = config.params.number("weight_b")});
        },
    .nominal_overhead_ns = 2000,
    // A scenario strategy (run by name, `--scenario tenants`): the default matrix compares the Go designs.
    .in_default_matrix = false,
    .models = {{.mode = "",
                .library = "none: the pool guide's Exercise 5 (a multi-tenant pool with weighted fair "
                           "queueing); none of the Go pools it covers has per-tenant queues",
                .matches = "the exercise's design: a queue per tenant, weighted fair queueing by deficit "
                           "round-robin (each task one unit), so tenant B's task waits for at most A's "
                           "quantum, not A's backlog",
                .differs = "not a library's design: one lock, unbounded per-tenant deques, K fixed threads; "
                           "task costs are not known, so a task counts one unit whatever it takes"}},
}};
}  // namespace

}  // namespace poolbench
