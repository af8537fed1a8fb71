// my_pool: the simplest pool there is, as a poolbench plugin. K threads started with the pool take tasks from
// one std::deque under one mutex; a condition variable wakes an idle worker per submit, another wakes wait()
// when the last task finishes. The queue is unbounded (submit never blocks or rejects), tasks start in
// submission order, and a throwing task ends the process (nothing catches it), as an uncaught exception in a
// std::thread does. What it shows against the built-in designs: the cost of one lock and one condition
// variable shared by every producer and every worker.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <poolbench/plugin.hpp>

namespace {

using namespace poolbench;

class MyPool final : public Strategy {
 public:
  explicit MyPool(std::size_t workers) {
    threads_.reserve(workers);
    for (std::size_t i = 0; i < workers; ++i) threads_.emplace_back([this] { work(); });
  }
  ~MyPool() override { shutdown(); }

  SubmitResult submit(Task task) override {
    {
      std::scoped_lock lock(mutex_);
      if (stopping_) return SubmitResult::closed();
      queue_.push_back(std::move(task));
      ++unfinished_;
    }
    work_ready_.notify_one();
    return SubmitResult::accepted();
  }

  std::exception_ptr wait() override {
    std::unique_lock lock(mutex_);
    all_done_.wait(lock, [this] { return unfinished_ == 0; });
    return nullptr;
  }

  // Accepts nothing more, lets the workers drain the queue, joins them. Idempotent.
  void shutdown() override {
    {
      std::scoped_lock lock(mutex_);
      stopping_ = true;
    }
    work_ready_.notify_all();
    for (std::thread& thread : threads_)
      if (thread.joinable()) thread.join();
  }

  StrategyCounters counters() const override { return {.threads_created = threads_.size(), .extra = {}}; }

 private:
  void work() {
    std::unique_lock lock(mutex_);
    while (true) {
      work_ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left to drain
      Task task = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      task();
      task.reset();  // the task's captures die before wait() can return
      lock.lock();
      if (--unfinished_ == 0) all_done_.notify_all();
    }
  }

  std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable all_done_;
  std::deque<Task> queue_;
  std::size_t unfinished_ = 0;  // accepted and not yet finished
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace

POOLBENCH_PLUGIN("my_pool", registry) {
  registry.add_strategy(StrategyInfo{
      .name = "my_pool",
      .description = "K threads, one std::deque, one mutex and condition variable: the simplest pool",
      .traits = {.queue_order = QueueOrder::fifo,
                 .worker_lifecycle = WorkerLifecycle::fixed_workers,
                 .when_full = WhenFull::never_full,
                 .on_exception = OnException::terminates_process},
      .params = {},
      .make = [](const StrategyConfig& config) { return std::make_unique<MyPool>(config.workers); },
      .nominal_overhead_ns = 2000,
      .models = {{.mode = "",
                  .library = "none: a textbook pool (an example plugin)",
                  .matches = "a fixed set of workers sharing one locked FIFO queue",
                  .differs = "not a model of a Go library"}},
  });
}
