#include "semaphore_group.hpp"

#include <chrono>
#include <new>
#include <stdexcept>
#include <system_error>

#include <fmt/format.h>

#include "registry.hpp"
#include "support/cpu_relax.hpp"

namespace poolbench {

SemaphoreGroup::SemaphoreGroup(Options options) : options_(options) {
  if (options_.limit == 0) throw std::invalid_argument("semaphore_group: the limit must be at least 1");
  if (options_.fibers) {
    if (options_.limiter != Limiter::counting)
      throw std::invalid_argument(
          "semaphore_group: spawn=fiber takes semaphore=counting only (the weighted semaphore waits on an OS "
          "condition variable, which would block a fiber's thread)");
    fiber_slots_ = std::make_unique<support::FiberSemaphore>(options_.limit);
    fibers_ = std::make_unique<support::FiberRuntime>([this](Task& task) noexcept { run_task(task); });
  } else if (options_.limiter == Limiter::counting) {
    slots_ = std::make_unique<std::counting_semaphore<>>(static_cast<std::ptrdiff_t>(options_.limit));
  } else {
    if (options_.task_weight < 1 || options_.task_weight > static_cast<std::int64_t>(options_.limit))
      throw std::invalid_argument(fmt::format(
          "semaphore_group: task_weight={} must be between 1 and the limit {} (a larger request never fits)",
          options_.task_weight, options_.limit));
    units_ = std::make_unique<WeightedSemaphore>(static_cast<std::int64_t>(options_.limit));
  }
}

bool SemaphoreGroup::acquire_slot(bool block) {
  if (fiber_slots_) {
    if (fiber_slots_->try_acquire()) return true;
    if (!block) return false;
    submit_blocked_.fetch_add(1, std::memory_order_relaxed);
    // Poll before sleeping: a freed slot then reaches this thread without a cross-thread wake (header).
    const auto until = std::chrono::steady_clock::now() + options_.blocked_submit_spin;
    while (std::chrono::steady_clock::now() < until) {
      support::cpu_relax();
      if (fiber_slots_->try_acquire()) return true;
    }
    fiber_slots_->acquire();
    return true;
  }
  if (slots_) {
    if (slots_->try_acquire()) return true;
    if (!block) return false;
    submit_blocked_.fetch_add(1, std::memory_order_relaxed);
    slots_->acquire();  // like a send on a full channel: not cancellable; running tasks free a slot
    return true;
  }
  if (units_->try_acquire(options_.task_weight)) return true;
  if (!block) return false;
  submit_blocked_.fetch_add(1, std::memory_order_relaxed);
  return units_->acquire(options_.task_weight, shutdown_stop_.get_token());
}

void SemaphoreGroup::release_slot() {
  if (fiber_slots_) {
    fiber_slots_->release();
  } else if (slots_) {
    slots_->release();
  } else {
    units_->release(options_.task_weight);
  }
}

void SemaphoreGroup::record_error(std::exception_ptr error) {
  {
    std::lock_guard lock(error_mutex_);
    ++task_errors_;
    if (first_error_) return;
    first_error_ = std::move(error);
  }
  group_stop_.request_stop();
}

SubmitResult SemaphoreGroup::start(Task task, bool block) {
  if (closed_.load(std::memory_order_acquire)) return SubmitResult::closed();
  if (!acquire_slot(block)) {
    if (closed_.load(std::memory_order_acquire)) return SubmitResult::closed();
    submit_rejected_.fetch_add(1, std::memory_order_relaxed);
    return SubmitResult::overloaded(
        fmt::format("semaphore_group: all {} slots are taken (TryGo)", options_.limit));
  }
  if (fibers_) {
    if (fibers_->spawn(std::move(task))) return SubmitResult::accepted();
    release_slot();
    return SubmitResult::closed();
  }
  try {
    const auto started =
        threads_.start([this, task = std::move(task)]() mutable noexcept { run_task(task); });
    if (started == support::ThreadPerTask::Started::yes) return SubmitResult::accepted();
    release_slot();
    return SubmitResult::closed();
  } catch (const std::system_error& e) {
    release_slot();
    start_failures_.fetch_add(1, std::memory_order_relaxed);
    return SubmitResult::failed(fmt::format(
        "out of threads: the OS refused a new thread ({}) while {} semaphore_group threads were live",
        e.code().message(), threads_.live()));
  } catch (const std::bad_alloc&) {
    release_slot();
    start_failures_.fetch_add(1, std::memory_order_relaxed);
    return SubmitResult::failed(fmt::format(
        "out of memory starting a new thread while {} semaphore_group threads were live", threads_.live()));
  }
}

void SemaphoreGroup::run_task(Task& task) noexcept {
  try {
    task();
  } catch (...) {
    record_error(std::current_exception());
  }
  task.reset();  // the closure's destructor is part of the task: before the slot is given back
  release_slot();
}

std::exception_ptr SemaphoreGroup::wait() {
  if (fibers_) fibers_->wait_idle();
  threads_.wait_all_exited();
  group_stop_.request_stop();  // Go's Wait cancels the context when it returns
  std::lock_guard lock(error_mutex_);
  return first_error_;
}

void SemaphoreGroup::shutdown() {
  closed_.store(true, std::memory_order_release);
  shutdown_stop_.request_stop();
  if (fibers_) fibers_->shutdown();
  threads_.close();
  threads_.join_all();
}

StrategyCounters SemaphoreGroup::counters() const {
  StrategyCounters counters;
  if (fibers_) {
    counters.threads_created = fibers_->threads();
    counters.extra["fibers_started"] = static_cast<double>(fibers_->fibers_started());
    counters.extra["fiber_stacks_mapped"] = static_cast<double>(fibers_->stacks_mapped());
    counters.extra["fiber_stack_failures"] = static_cast<double>(fibers_->stack_failures());
  } else {
    counters.threads_created = threads_.created();
    counters.extra["peak_live_threads"] = static_cast<double>(threads_.peak_live());
  }
  counters.extra["submit_blocked"] = static_cast<double>(submit_blocked_.load(std::memory_order_relaxed));
  counters.extra["rejected"] = static_cast<double>(submit_rejected_.load(std::memory_order_relaxed));
  counters.extra["thread_start_failures"] =
      static_cast<double>(start_failures_.load(std::memory_order_relaxed));
  std::lock_guard lock(error_mutex_);
  counters.extra["failed"] = static_cast<double>(task_errors_);
  return counters;
}

namespace {
std::vector<ParamSpec> semaphore_group_params() {
  return {
      {.name = "semaphore",
       .default_value = "counting",
       .description = "the limiter: counting (errgroup's channel of K slots) or weighted "
                      "(x/sync/semaphore.Weighted of K units, FIFO, no barging)",
       .kind = ParamKind::choice,
       .choices = {"counting", "weighted"}},
      {.name = "task_weight",
       .default_value = "1",
       .description = "units of the weighted semaphore each task acquires (at most K)",
       .kind = ParamKind::positive_integer},
      {.name = "nonblocking",
       .default_value = "false",
       .description = "submit as TryGo: fail with overloaded instead of waiting for a slot",
       .kind = ParamKind::boolean},
      {.name = "submit_spin_us",
       .default_value = "200",
       .description = "spawn=fiber: microseconds a blocked submit polls for a slot before it sleeps (0: "
                      "sleep at once; see the header for why)",
       .kind = ParamKind::non_negative_integer},
      {.name = "spawn",
       .default_value = "thread",
       .description = "what runs each task: thread (a new OS thread) or fiber (a new fiber on an M:N "
                      "work-stealing scheduler, one OS thread per core: a goroutine's cost; counting only)",
       .kind = ParamKind::choice,
       .choices = {"thread", "fiber"}}};
}

const StrategyRegistrar semaphore_group_registrar{StrategyInfo{
    .name = "semaphore_group",
    .description =
        "errgroup with SetLimit(K): take a slot, start a new thread per task; first error cancels the group; "
        "spawn=fiber: a fiber per task on an M:N work-stealing scheduler, a goroutine's cost",
    .traits = {.queue_order = QueueOrder::unordered,
               .worker_lifecycle = WorkerLifecycle::thread_per_task,
               .when_full = WhenFull::blocks_or_rejects,
               .on_exception = OnException::first_error_from_wait,
               .returns_results = false,
               .cancellation = false,
               .synchronous_submit = false,
               .worker_state = false},
    .params = semaphore_group_params(),
    .make =
        [](const StrategyConfig& config) {
          Params params = config.params;
          params.apply_defaults(semaphore_group_params());
          SemaphoreGroup::Options options;
          options.limit = config.workers;
          options.limiter = params.text("semaphore") == "weighted" ? SemaphoreGroup::Limiter::weighted
                                                                   : SemaphoreGroup::Limiter::counting;
          options.task_weight = params.integer("task_weight");
          options.nonblocking = params.boolean("nonblocking");
          options.fibers = params.text("spawn") == "fiber";
          options.blocked_submit_spin = std::chrono::microseconds(params.integer("submit_spin_us"));
          return std::make_unique<SemaphoreGroup>(options);
        },
    .nominal_overhead_ns = 50000,
    .adjust_for_mode =
        [](const Params& params, StrategyTraits& traits, double& nominal_overhead_ns) {
          if (params.text("spawn") != "fiber") return;
          traits.worker_lifecycle = WorkerLifecycle::fiber_per_task;
          nominal_overhead_ns = 3000;  // a fiber's start, the fiber-aware slot, the hand-off
        },
    .default_sweep = {{"spawn", {"thread", "fiber"}}},  // both no-pool baselines in every table
    .models =
        {
            {.mode = "",
             .library =
                 "golang.org/x/sync v0.19.0 (ec11c4a): errgroup with SetLimit(K); semaphore.Weighted with "
                 "`semaphore=weighted`",
             .matches =
                 "errgroup.go `Go()`: take one of K slots (`g.sem <- token{}`), then a new goroutine per "
                 "task; `TryGo()` with `nonblocking=true`; `errOnce` keeps the first error, cancels the "
                 "context, `Wait()` returns it; semaphore.go `Acquire()`: FIFO waiters, no barging",
             .differs =
                 "each goroutine is an OS thread per task (tens of µs to start; a refused start fails the "
                 "submit with `error`); the slot channel is a std::counting_semaphore; a task reports its "
                 "error by throwing; `cancellation` is not declared: the context is cancelled on the "
                 "first error but a harness Task takes no context to see it (stop_token() is the C++ "
                 "API), and errgroup holds no accepted task that has not started"},
            {.mode = "spawn=fiber",
             .library = "golang.org/x/sync v0.19.0 (ec11c4a): errgroup with SetLimit(K), on Boost.Fiber 1.74",
             .matches =
                 "errgroup.go `Go()`: take one of K slots, then a new goroutine per task, here a fiber "
                 "on the M:N scheduler of `raw_threads --param spawn=fiber` (one OS thread per core "
                 "whatever K is, as Go runs any group on GOMAXPROCS threads); `TryGo()`, `errOnce` and "
                 "the context as in the default mode",
             .differs = "the K slots are a fiber-aware semaphore (Boost.Fiber mutex and condition variable) "
                        "that the producer, an OS thread outside the runtime, polls for `submit_spin_us` "
                        "(200 µs) before it sleeps on it, where Go readies the blocked submitter goroutine "
                        "on the freeing goroutine's own P; counting only: "
                        "`semaphore=weighted` "
                        "is refused (its semaphore waits on an OS condition variable); a fiber's stack is a "
                        "fixed 64 KiB (a goroutine's grows from 2 KiB)"},
        },
}};
}  // namespace

}  // namespace poolbench
