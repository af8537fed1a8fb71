// Under -fsanitize=thread GCC rejects std::atomic_thread_fence (-Wtsan), which moodycamel's queue uses
// internally; this baseline is third-party code, so the warning is silenced for this file alone (before any
// include, so that it covers the headers).
#if defined(__SANITIZE_THREAD__)
#pragma GCC diagnostic ignored "-Wtsan"
#endif
#include "ref_moodycamel.hpp"

#include <algorithm>

#include "registry.hpp"

namespace poolbench {

RefMoodycamelStrategy::RefMoodycamelStrategy(std::size_t workers)
    : worker_count_(std::max<std::size_t>(workers, 1)),
      slots_(std::make_unique<WorkerSlot[]>(worker_count_)) {
  workers_.start(
      worker_count_, "ref_moodycamel", [this](std::size_t i) { work(slots_[i]); },
      [this] { send_stop_signals(); });
}

RefMoodycamelStrategy::~RefMoodycamelStrategy() {
  shutdown();
}

SubmitResult RefMoodycamelStrategy::submit(Task task) {
  if (!task) return SubmitResult::failed("empty task");  // an empty Task is the workers' stop signal
  if (!submitted_.try_admit()) {
    quiescent_.wake();  // a wait() may have counted our increment
    return SubmitResult::closed();
  }
  queue_.enqueue(std::move(task));
  return SubmitResult::accepted();
}

void RefMoodycamelStrategy::work(WorkerSlot& slot) noexcept {
  Task task;
  std::uint64_t finished = 0;
  for (;;) {
    if (!queue_.try_dequeue(task)) {
      quiescent_.publish_and_wake(slot.finished);
      queue_.wait_dequeue(task);
    }
    if (!task) return;  // stop signal
    task();             // noexcept function: a throwing task terminates the process
    task.reset();
    quiescent_.task_finished(slot.finished, ++finished);
  }
}

std::uint64_t RefMoodycamelStrategy::finished_total() const noexcept {
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < worker_count_; ++i) total += slots_[i].finished.load(std::memory_order_seq_cst);
  return total;
}

std::exception_ptr RefMoodycamelStrategy::wait() {
  // The target is re-read on every check: it may include a submit that is being refused after shutdown began,
  // which takes its increment back (and wakes us).
  quiescent_.wait_until([this] { return finished_total() >= submitted_.admitted(); });
  return nullptr;
}

void RefMoodycamelStrategy::shutdown() {
  std::call_once(shutdown_once_, [this] {
    const std::uint64_t accepted = submitted_.close();
    quiescent_.wait_until([&] { return finished_total() >= accepted; });
    send_stop_signals();
    workers_.join();
  });
}

void RefMoodycamelStrategy::send_stop_signals() noexcept {
  for (std::size_t i = 0; i < worker_count_; ++i) queue_.enqueue(Task{});
}

StrategyCounters RefMoodycamelStrategy::counters() const {
  StrategyCounters counters;
  counters.threads_created = worker_count_;
  return counters;
}

namespace {
const StrategyRegistrar registrar{StrategyInfo{
    .name = "ref_moodycamel",
    .description =
        "baseline: K fixed threads over moodycamel::BlockingConcurrentQueue (per-producer lock-free "
        "sub-queues)",
    .traits = {.queue_order = QueueOrder::fifo_per_shard,
               .worker_lifecycle = WorkerLifecycle::fixed_workers,
               .when_full = WhenFull::never_full,
               .on_exception = OnException::terminates_process,
               .returns_results = false,
               .cancellation = false,
               .synchronous_submit = false,
               .worker_state = false},
    .params = {},
    .make =
        [](const StrategyConfig& config) { return std::make_unique<RefMoodycamelStrategy>(config.workers); },
    .nominal_overhead_ns = 100,
    .in_default_matrix = false,
    .models =
        {
            {.mode = "",
             .library =
                 "moodycamel::BlockingConcurrentQueue 1.0.3 (Debian libconcurrentqueue-dev); a baseline, "
                 "not a Go model",
             .matches =
                 "K fixed threads over the queue's `enqueue()` / `wait_dequeue()`: per-producer lock-free "
                 "sub-queues, a lightweight semaphore for sleeping",
             .differs = "no producer or consumer tokens and no bulk dequeue yet"},
        },
}};
}  // namespace

}  // namespace poolbench
