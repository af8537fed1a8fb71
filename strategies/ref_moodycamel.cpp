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
namespace {

std::atomic<std::uint64_t> next_moodycamel_id{1};

// The calling thread's producer token for the strategy instance it last submitted to.
struct CachedProducerToken {
  std::uint64_t instance_id = 0;
  void* token = nullptr;  // a Queue::producer_token_t owned by that instance
};
thread_local CachedProducerToken cached_producer_token;

}  // namespace

RefMoodycamelStrategy::RefMoodycamelStrategy(std::size_t workers, std::size_t bulk)
    : worker_count_(std::max<std::size_t>(workers, 1)),
      bulk_(std::max<std::size_t>(bulk, 1)),
      instance_id_(next_moodycamel_id.fetch_add(1, std::memory_order_relaxed)),
      slots_(std::make_unique<WorkerSlot[]>(worker_count_)) {
  workers_.start(
      worker_count_, "ref_moodycamel", [this](std::size_t i) { work(slots_[i]); },
      [this] { send_stop_signals(worker_count_); });
}

RefMoodycamelStrategy::~RefMoodycamelStrategy() {
  shutdown();
}

RefMoodycamelStrategy::Queue::producer_token_t& RefMoodycamelStrategy::producer_token() {
  CachedProducerToken& cached = cached_producer_token;
  if (cached.instance_id == instance_id_) return *static_cast<Queue::producer_token_t*>(cached.token);
  std::scoped_lock lock(producer_tokens_mutex_);
  auto& token = producer_tokens_[std::this_thread::get_id()];
  if (!token) token = std::make_unique<Queue::producer_token_t>(queue_);
  cached = {instance_id_, token.get()};
  return *token;
}

SubmitResult RefMoodycamelStrategy::submit(Task task) {
  if (!task) return SubmitResult::failed("empty task");  // an empty Task is the workers' stop signal
  if (!submitted_.try_admit()) {
    quiescent_.wake();  // a wait() may have counted our increment
    return SubmitResult::closed();
  }
  queue_.enqueue(producer_token(), std::move(task));
  return SubmitResult::accepted();
}

void RefMoodycamelStrategy::work(WorkerSlot& slot) noexcept {
  Queue::consumer_token_t consumer_token(queue_);
  const auto tasks = std::make_unique<Task[]>(bulk_);
  std::uint64_t finished = 0;
  for (;;) {
    std::size_t taken = queue_.try_dequeue_bulk(consumer_token, tasks.get(), bulk_);
    if (taken == 0) {
      quiescent_.publish_and_wake(slot.finished);
      taken = queue_.wait_dequeue_bulk(consumer_token, tasks.get(), bulk_);
    }
    std::size_t stop_signals = 0;
    for (std::size_t i = 0; i < taken; ++i) {
      if (!tasks[i]) {
        ++stop_signals;
        continue;
      }
      tasks[i]();  // noexcept function: a throwing task terminates the process
      tasks[i].reset();
      quiescent_.task_finished(slot.finished, ++finished);
    }
    if (stop_signals > 0) {
      // Every worker needs one signal: the ones this bulk took beyond its own go back.
      send_stop_signals(stop_signals - 1);
      return;
    }
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
    send_stop_signals(worker_count_);
    workers_.join();
  });
}

void RefMoodycamelStrategy::send_stop_signals(std::size_t count) noexcept {
  // Without a token: the workers and a failed start send these, and shutdown needs no order against tasks
  // (every accepted task has finished by then).
  for (std::size_t i = 0; i < count; ++i) queue_.enqueue(Task{});
}

StrategyCounters RefMoodycamelStrategy::counters() const {
  StrategyCounters counters;
  counters.threads_created = worker_count_;
  return counters;
}

namespace {
const StrategyRegistrar ref_moodycamel_registrar{StrategyInfo{
    .name = "ref_moodycamel",
    .description = "baseline: K fixed threads over moodycamel::BlockingConcurrentQueue, a producer token per "
                   "producer thread, a consumer token and bulk dequeue per worker",
    .traits = {.queue_order = QueueOrder::fifo_per_shard,
               .worker_lifecycle = WorkerLifecycle::fixed_workers,
               .when_full = WhenFull::never_full,
               .on_exception = OnException::terminates_process,
               .returns_results = false,
               .cancellation = false,
               .synchronous_submit = false,
               .worker_state = false},
    .params = {{.name = "bulk",
                .default_value = "32",
                .description = "tasks a worker takes per wait_dequeue_bulk (1: one at a time, with tokens)",
                .kind = ParamKind::positive_integer}},
    .make =
        [](const StrategyConfig& config) {
          return std::make_unique<RefMoodycamelStrategy>(
              config.workers, static_cast<std::size_t>(config.params.integer("bulk")));
        },
    .nominal_overhead_ns = 100,
    .in_default_matrix = false,
    .models =
        {
            {.mode = "",
             .library =
                 "moodycamel::BlockingConcurrentQueue 1.0.3 (Debian libconcurrentqueue-dev); a baseline, "
                 "not a Go model",
             .matches =
                 "the library's documented fast path (concurrentqueue.h, above `struct ProducerToken`): a "
                 "ProducerToken per producer thread for `enqueue()`, a ConsumerToken and "
                 "`wait_dequeue_bulk()` of up to `bulk` tasks per worker; K fixed threads sleep on the "
                 "queue's semaphore",
             .differs =
                 "the pool around the queue is ours (a minimal one: no recovery from a throwing task); "
                 "tokens live in a per-instance map so none outlives its queue; `submitted` is one shared "
                 "counter, which wait() needs"},
        },
}};
}  // namespace

}  // namespace poolbench
