#include "ref_tbb_task_group.hpp"

#include <algorithm>
#include <optional>
#include <thread>

#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>
#include <oneapi/tbb/task_group.h>

#include "registry.hpp"

namespace poolbench {
namespace {

// Which strategy instance (by a process-unique id, never reused) this thread submits to or waits on, and
// which one it was last counted as a worker of. TBB gives no reliable way to observe the workers that serve
// other threads' implicit arenas, so a worker is counted when it first runs one of this instance's tasks.
std::atomic<std::uint64_t> next_task_group_id{1};
thread_local std::uint64_t external_of = 0;
thread_local std::uint64_t counted_as_worker_of = 0;

// task_group and task_arena::enqueue store their functor as `const F` and call it const; a Task runs
// non-const.
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
  Tbb(std::size_t workers, Mode mode)
      : scheduler(oneapi::tbb::attach{}),
        // K workers besides the submitting thread, which max_allowed_parallelism counts.
        thread_limit(std::in_place, oneapi::tbb::global_control::max_allowed_parallelism, workers + 1),
        arena(static_cast<int>(workers), /*reserved_for_masters=*/0) {
    if (mode == Mode::arena_enqueue) arena.initialize();
  }
  oneapi::tbb::task_scheduler_handle scheduler;  // lets shutdown() wait for TBB's worker threads
  std::optional<oneapi::tbb::global_control> thread_limit;
  oneapi::tbb::task_group group;  // api=task_group
  oneapi::tbb::task_arena arena;  // api=arena_enqueue (never initialized in the other mode)
  const std::uint64_t id = next_task_group_id.fetch_add(1, std::memory_order_relaxed);
  std::atomic<std::uint64_t> workers_seen{0};  // distinct TBB worker threads that ran this instance's tasks
};

RefTbbTaskGroupStrategy::RefTbbTaskGroupStrategy(std::size_t workers, Mode mode)
    : mode_(mode), tbb_(std::make_unique<Tbb>(std::max<std::size_t>(workers, 1), mode)) {}

RefTbbTaskGroupStrategy::~RefTbbTaskGroupStrategy() {
  shutdown();
}

SubmitResult RefTbbTaskGroupStrategy::submit(Task task) {
  // Announce the submit before checking `closed`, so that shutdown() can wait for every submit it let
  // through.
  if (!submits_started_.try_admit()) {
    finished_.wake();  // an api=arena_enqueue wait() may have counted our increment
    return SubmitResult::closed();
  }
  external_of = tbb_->id;  // a submitting thread runs tasks only inside wait(): it is not a worker
  if (mode_ == Mode::task_group) {
    tbb_->group.run(RunTask{std::move(task), tbb_->id, &tbb_->workers_seen});
  } else {
    // noexcept: an exception leaving an enqueued task terminates the process, as oneTBB's own would.
    tbb_->arena.enqueue([this, run = RunTask{std::move(task), tbb_->id, &tbb_->workers_seen}]() noexcept {
      run();
      run.task.reset();
      finished_.task_finished();
    });
  }
  submits_done_.fetch_add(1, std::memory_order_release);
  return SubmitResult::accepted();
}

std::exception_ptr RefTbbTaskGroupStrategy::wait() {
  if (mode_ == Mode::arena_enqueue) {
    // The target is re-read: it may include a submit that is being refused after shutdown began, which takes
    // its increment back (and wakes us). A submit counted here may still be inside enqueue: its task has not
    // finished either, so the wait covers it.
    finished_.wait_until([this] { return submits_started_.admitted(); });
    return nullptr;
  }
  external_of = tbb_->id;  // the tasks this thread runs inside wait() are not a worker's
  try {
    tbb_->group.wait();
  } catch (...) {
    return std::current_exception();
  }
  return nullptr;
}

bool RefTbbTaskGroupStrategy::cancel() {
  if (mode_ != Mode::task_group) return false;
  tbb_->group.cancel();
  return true;
}

void RefTbbTaskGroupStrategy::shutdown() {
  std::call_once(shutdown_once_, [this] {
    const std::uint64_t accepted = submits_started_.close();
    while (submits_done_.load(std::memory_order_acquire) < accepted) std::this_thread::yield();
    wait();  // drains; an exception here was already reported by a wait() or is dropped with the group
    if (mode_ == Mode::arena_enqueue) tbb_->arena.terminate();
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
const StrategyRegistrar ref_tbb_task_group_registrar{StrategyInfo{
    .name = "ref_tbb_task_group",
    .description =
        "baseline: oneTBB with K workers: task_group::run (work stealing), or task_arena(K)::enqueue "
        "with api=arena_enqueue",
    .traits = {.queue_order = QueueOrder::unordered,
               .worker_lifecycle = WorkerLifecycle::fixed_workers,
               .when_full = WhenFull::never_full,
               .on_exception = OnException::first_error_from_wait,
               .returns_results = false,
               .cancellation = true,
               .synchronous_submit = false,
               .worker_state = false},
    .params = {{.name = "api",
                .default_value = "task_group",
                .description = "task_group: task_group::run from the producer, K TBB workers steal; "
                               "arena_enqueue: task_arena(K, 0 reserved)::enqueue, the producer stays out",
                .kind = ParamKind::choice,
                .choices = {"task_group", "arena_enqueue"}}},
    .make =
        [](const StrategyConfig& config) {
          return std::make_unique<RefTbbTaskGroupStrategy>(config.workers,
                                                           config.params.text("api") == "arena_enqueue"
                                                               ? RefTbbTaskGroupStrategy::Mode::arena_enqueue
                                                               : RefTbbTaskGroupStrategy::Mode::task_group);
        },
    .nominal_overhead_ns = 150,
    .adjust_for_mode =
        [](const Params& params, StrategyTraits& traits, double&) {
          if (params.text("api") != "arena_enqueue") return;
          // enqueue has no completion or error channel: nothing to cancel, a throwing task terminates.
          traits.on_exception = OnException::terminates_process;
          traits.cancellation = false;
        },
    .in_default_matrix = false,
    .models =
        {
            {.mode = "",
             .library = "oneTBB 2021.8 (Debian libtbb-dev) task_group; a baseline, not a Go model",
             .matches =
                 "task_group.h `task_group::run()` from the producer (a task spawned into its slot, stolen "
                 "by TBB workers), `task_group::wait()` (the waiter joins in; the first exception cancels "
                 "the group and is rethrown); `global_control::max_allowed_parallelism` = K + 1, so K "
                 "workers may run while the producer submits",
             .differs =
                 "the implicit arena of an external thread holds at most hardware_concurrency - 1 workers, "
                 "so with K at or above the core count fewer than K steal; an explicit arena would need "
                 "`task_arena::execute()` per submit, which cost more than twice `run()`"},
            {.mode = "api=arena_enqueue",
             .library = "oneTBB 2021.8 (Debian libtbb-dev) task_arena; a baseline, not a Go model",
             .matches =
                 "task_arena.h `task_arena(K, 0)` and `enqueue()`: the producer never joins the arena, K "
                 "TBB workers take the tasks from its shared stream; an exception leaving a task "
                 "terminates the process (`enqueue_task::cancel`)",
             .differs =
                 "enqueue has no completion channel: the wrapper counts finished tasks for wait() (one "
                 "shared fetch_add per task)"},
        },
}};
}  // namespace

}  // namespace poolbench
