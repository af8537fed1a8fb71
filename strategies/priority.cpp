#include "priority.hpp"

#include <algorithm>
#include <memory>
#include <utility>

#include "registry.hpp"

namespace poolbench {

PriorityStrategy::PriorityStrategy(std::size_t workers) : workers_count_(std::max<std::size_t>(1, workers)) {
  workers_.start(
      workers_count_, "priority", [this](std::size_t) { work(); }, [this] { close(); });
}

PriorityStrategy::~PriorityStrategy() {
  shutdown();
}

SubmitResult PriorityStrategy::submit(Task task) {
  {
    std::scoped_lock lock(mutex_);
    if (closed_) return SubmitResult::closed();
    if (task.tag().priority == TaskPriority::urgent) {
      urgent_.push_back(std::move(task));
      ++urgent_accepted_;
    } else {
      normal_.push_back(std::move(task));
      ++normal_accepted_;
    }
    ++unfinished_;
  }
  task_queued_.notify_one();
  return SubmitResult::accepted();
}

void PriorityStrategy::work() noexcept {
  std::unique_lock lock(mutex_);
  for (;;) {
    task_queued_.wait(lock, [this] { return closed_ || !urgent_.empty() || !normal_.empty(); });
    if (urgent_.empty() && normal_.empty()) return;  // closed, and every accepted task taken
    // The exercise's rule: urgent before normal whenever both are queued.
    std::deque<Task>& queue = urgent_.empty() ? normal_ : urgent_;
    Task task = std::move(queue.front());
    queue.pop_front();
    lock.unlock();
    task();  // a throwing task ends the process here (noexcept): terminates_process
    task.reset();
    lock.lock();
    if (--unfinished_ == 0) all_done_.notify_all();
  }
}

std::exception_ptr PriorityStrategy::wait() {
  std::unique_lock lock(mutex_);
  all_done_.wait(lock, [this] { return unfinished_ == 0; });
  return nullptr;
}

void PriorityStrategy::close() noexcept {
  {
    std::scoped_lock lock(mutex_);
    closed_ = true;
  }
  task_queued_.notify_all();
}

void PriorityStrategy::shutdown() {
  std::call_once(shutdown_once_, [this] {
    close();
    workers_.join();  // the workers drain both queues before they return
  });
}

StrategyCounters PriorityStrategy::counters() const {
  StrategyCounters counters;
  counters.threads_created = workers_count_;
  std::scoped_lock lock(mutex_);
  counters.extra["urgent_accepted"] = static_cast<double>(urgent_accepted_);
  counters.extra["normal_accepted"] = static_cast<double>(normal_accepted_);
  return counters;
}

namespace {
const StrategyRegistrar priority_registrar{StrategyInfo{
    .name = "priority",
    .description = "K fixed workers, two FIFO queues (urgent, normal) under one lock, urgent first: the "
                   "guide's Exercise 2; no Go pool it covers has priorities",
    .traits = {.queue_order = QueueOrder::urgent_first,
               .worker_lifecycle = WorkerLifecycle::fixed_workers,
               .when_full = WhenFull::never_full,
               .on_exception = OnException::terminates_process},
    .make = [](const StrategyConfig& config) { return std::make_unique<PriorityStrategy>(config.workers); },
    .nominal_overhead_ns = 2000,
    // A scenario strategy (run by name, `--scenario priority`): the default matrix compares the Go designs.
    .in_default_matrix = false,
    .models = {{.mode = "",
                .library = "none: the pool guide's Exercise 2 (a two-level priority pool); none of the Go "
                           "pools it covers has priorities",
                .matches = "the exercise's rule: with urgent and normal tasks queued, a worker always takes "
                           "an urgent one; FIFO within a class",
                .differs =
                    "not a library's design: one lock, two unbounded deques, K fixed threads; no aging "
                    "(urgent tasks can starve normal ones), no preemption of a running task"}},
}};
}  // namespace

}  // namespace poolbench
