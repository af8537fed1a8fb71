#include "ref_tbb_task_group.hpp"

#include <algorithm>
#include <optional>

#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_group.h>

#include "registry.hpp"

namespace poolbench {
namespace {

// Which strategy instance (by a process-unique id, never reused) this thread submits to or waits on, and
// which one it was last counted as a worker of. TBB gives no reliable way to observe the workers that serve
// other threads' implicit arenas, so a worker is counted when it first runs one of this instance's tasks.
std::atomic<std::uint64_t> next_instance_id{1};
thread_local std::uint64_t external_of = 0;
thread_local std::uint64_t counted_as_worker_of = 0;

// task_group stores its functor as `const F` and calls it const; a Task runs non-const.
struct RunTask {
  mutable Task task;
  std::uint64_t owner;
  std::atomic<std::uint64_t>* workers_seen;
  void operator()() const {
    if (counted_as_worker_of != owner && external_of != owner) {
      counted_as_worker_of = owner;
      workers_seen->fetch_add(1, std::memory_order_relaxed);
    }
    task();
  }
};

}  // namespace

struct RefTbbTaskGroupStrategy::Tbb {
  explicit Tbb(std::size_t concurrency)
      : scheduler(oneapi::tbb::attach{}),
        thread_limit(std::in_place, oneapi::tbb::global_control::max_allowed_parallelism, concurrency) {}
  oneapi::tbb::task_scheduler_handle scheduler;  // lets shutdown() wait for TBB's worker threads
  std::optional<oneapi::tbb::global_control> thread_limit;
  oneapi::tbb::task_group group;
  const std::uint64_t id = next_instance_id.fetch_add(1, std::memory_order_relaxed);
  std::atomic<std::uint64_t> workers_seen{0};  // distinct TBB worker threads that ran this instance's tasks
};

RefTbbTaskGroupStrategy::RefTbbTaskGroupStrategy(std::size_t workers)
    : tbb_(std::make_unique<Tbb>(std::max<std::size_t>(workers, 1))) {}

RefTbbTaskGroupStrategy::~RefTbbTaskGroupStrategy() {
  shutdown();
}

SubmitResult RefTbbTaskGroupStrategy::submit(Task task) {
  // Announce the submit before checking `closed`, so that shutdown() can wait for every run() it let through.
  if (!submits_started_.try_admit()) return SubmitResult::closed();
  external_of = tbb_->id;  // a submitting thread runs tasks only inside wait(): it is not a worker
  tbb_->group.run(RunTask{std::move(task), tbb_->id, &tbb_->workers_seen});
  submits_done_.fetch_add(1, std::memory_order_release);
  return SubmitResult::accepted();
}

std::exception_ptr RefTbbTaskGroupStrategy::wait() {
  external_of = tbb_->id;  // the tasks this thread runs inside wait() are not a worker's
  try {
    tbb_->group.wait();
  } catch (...) {
    return std::current_exception();
  }
  return nullptr;
}

void RefTbbTaskGroupStrategy::shutdown() {
  std::call_once(shutdown_once_, [this] {
    const std::uint64_t accepted = submits_started_.close();
    while (submits_done_.load(std::memory_order_acquire) < accepted) std::this_thread::yield();
    wait();  // drains; an exception here was already reported by a wait() or is dropped with the group
    tbb_->thread_limit.reset();
    finalized_.store(oneapi::tbb::finalize(tbb_->scheduler, std::nothrow), std::memory_order_release);
  });
}

StrategyCounters RefTbbTaskGroupStrategy::counters() const {
  StrategyCounters counters;
  counters.threads_created = tbb_->workers_seen.load(std::memory_order_relaxed);
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
    .models =
        {
            {.mode = "",
             .library = "oneTBB 2021.8 task_group (Debian libtbb-dev); a baseline, not a Go model",
             .matches =
                 "`task_group::run()` from the producer, `task_group::wait()`; work stealing; the first "
                 "exception cancels the group",
             .differs =
                 "parallelism limited to K with `global_control`, so K-1 TBB workers run tasks while the "
                 "producer submits"},
        },
}};
}  // namespace

}  // namespace poolbench
