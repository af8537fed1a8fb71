#include "ref_tbb_task_group.hpp"

#include <algorithm>
#include <optional>

#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_group.h>
#include <oneapi/tbb/task_scheduler_observer.h>

#include "registry.hpp"

namespace poolbench {
namespace {

// task_group stores its functor as `const F` and calls it const; a Task runs non-const.
struct RunTask {
  mutable Task task;
  void operator()() const { task(); }
};

// Counts the distinct TBB worker threads that enter any arena (this strategy is the process's only TBB user).
class WorkerCounter final : public oneapi::tbb::task_scheduler_observer {
 public:
  WorkerCounter() { observe(true); }
  ~WorkerCounter() override { observe(false); }
  void on_scheduler_entry(bool is_worker) override {
    if (!is_worker) return;
    std::scoped_lock lock(mutex_);
    seen_.insert(std::this_thread::get_id());
  }
  std::size_t count() const {
    std::scoped_lock lock(mutex_);
    return seen_.size();
  }

 private:
  mutable std::mutex mutex_;
  std::set<std::thread::id> seen_;
};

}  // namespace

struct RefTbbTaskGroupStrategy::Tbb {
  explicit Tbb(std::size_t concurrency)
      : scheduler(oneapi::tbb::attach{}),
        thread_limit(std::in_place, oneapi::tbb::global_control::max_allowed_parallelism, concurrency) {
    observer.emplace();
  }
  oneapi::tbb::task_scheduler_handle scheduler;  // lets shutdown() wait for TBB's worker threads
  std::optional<oneapi::tbb::global_control> thread_limit;
  std::optional<WorkerCounter> observer;
  oneapi::tbb::task_group group;
  std::atomic<std::size_t> workers_seen{0};  // kept after the observer is gone
};

RefTbbTaskGroupStrategy::RefTbbTaskGroupStrategy(std::size_t workers)
    : tbb_(std::make_unique<Tbb>(std::max<std::size_t>(workers, 1))) {}

RefTbbTaskGroupStrategy::~RefTbbTaskGroupStrategy() {
  shutdown();
}

SubmitResult RefTbbTaskGroupStrategy::submit(Task task) {
  // Announce the submit before checking `closed`, so that shutdown() can wait for every run() it let through.
  if ((submits_started_.fetch_add(1, std::memory_order_seq_cst) & closed_bit) != 0) {
    submits_started_.fetch_sub(1, std::memory_order_seq_cst);
    return SubmitResult::closed();
  }
  tbb_->group.run(RunTask{std::move(task)});
  submits_done_.fetch_add(1, std::memory_order_release);
  return SubmitResult::accepted();
}

std::exception_ptr RefTbbTaskGroupStrategy::wait() {
  try {
    tbb_->group.wait();
  } catch (...) {
    return std::current_exception();
  }
  return nullptr;
}

void RefTbbTaskGroupStrategy::shutdown() {
  std::call_once(shutdown_once_, [this] {
    const std::uint64_t accepted =
        submits_started_.fetch_or(closed_bit, std::memory_order_seq_cst) & ~closed_bit;
    while (submits_done_.load(std::memory_order_acquire) < accepted) std::this_thread::yield();
    wait();  // drains; an exception here was already reported by a wait() or is dropped with the group
    tbb_->workers_seen.store(tbb_->observer->count(), std::memory_order_release);
    tbb_->observer.reset();
    tbb_->thread_limit.reset();
    finalized_.store(oneapi::tbb::finalize(tbb_->scheduler, std::nothrow), std::memory_order_release);
  });
}

StrategyCounters RefTbbTaskGroupStrategy::counters() const {
  StrategyCounters counters;
  counters.threads_created = tbb_->observer ? tbb_->observer->count() : tbb_->workers_seen.load();
  counters.extra["tbb_finalized"] = finalized_.load(std::memory_order_acquire) ? 1.0 : 0.0;
  return counters;
}

namespace {
const StrategyRegistrar registrar{StrategyInfo{
    .name = "ref_tbb_task_group",
    .description = "baseline: oneTBB task_group, TBB's parallelism limited to K (work stealing)",
    .traits = {.queue_order = QueueOrder::unordered,
               .worker_lifecycle = WorkerLifecycle::fixed_workers,
               .when_full = WhenFull::never_full,
               .on_exception = OnException::first_error_from_wait,
               .returns_results = false,
               .cancellation = true,
               .synchronous_submit = false,
               .worker_state = false},
    .params = {},
    .make =
        [](const StrategyConfig& config) {
          return std::make_unique<RefTbbTaskGroupStrategy>(config.workers);
        },
    .nominal_overhead_ns = 150,
    .in_default_matrix = false,
}};
}  // namespace

}  // namespace poolbench
