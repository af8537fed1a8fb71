#include "raw_threads.hpp"

#include <cstdio>
#include <new>
#include <system_error>

#include <fmt/format.h>

#include "registry.hpp"

namespace poolbench {
namespace {

// A panic in a goroutine that nobody recovers ends the program; a task that throws here does the same, after
// saying why.
[[noreturn]] void terminate_after_task_exception() noexcept {
  try {
    throw;
  } catch (const std::exception& e) {
    std::fprintf(stderr,
                 "raw_threads: a task threw (%s); terminating, as an unrecovered panic in a goroutine\n",
                 e.what());
  } catch (...) {
    std::fprintf(stderr, "raw_threads: a task threw; terminating, as an unrecovered panic in a goroutine\n");
  }
  std::terminate();
}

}  // namespace

RawThreadsStrategy::RawThreadsStrategy(Spawn spawn) {
  if (spawn == Spawn::fiber) {
    fibers_ = std::make_unique<support::FiberRuntime>([](Task& task) noexcept {
      try {
        task();
      } catch (...) {
        terminate_after_task_exception();
      }
    });
  }
}

SubmitResult RawThreadsStrategy::submit(Task task) {
  if (fibers_) return fibers_->spawn(std::move(task)) ? SubmitResult::accepted() : SubmitResult::closed();
  try {
    const auto started = threads_.start([task = std::move(task)]() mutable noexcept {
      try {
        task();
      } catch (...) {
        terminate_after_task_exception();
      }
    });
    if (started == support::ThreadPerTask::Started::closed) return SubmitResult::closed();
    return SubmitResult::accepted();
  } catch (const std::system_error& e) {
    start_failures_.fetch_add(1, std::memory_order_relaxed);
    return SubmitResult::failed(
        fmt::format("out of threads: the OS refused a new thread ({}) while {} raw_threads threads were live",
                    e.code().message(), threads_.live()));
  } catch (const std::bad_alloc&) {
    start_failures_.fetch_add(1, std::memory_order_relaxed);
    return SubmitResult::failed(fmt::format(
        "out of memory starting a new thread while {} raw_threads threads were live", threads_.live()));
  }
}

std::exception_ptr RawThreadsStrategy::wait() {
  if (fibers_) fibers_->wait_idle();
  threads_.wait_all_exited();
  return nullptr;
}

void RawThreadsStrategy::shutdown() {
  if (fibers_) fibers_->shutdown();
  threads_.close();
  threads_.join_all();
}

StrategyCounters RawThreadsStrategy::counters() const {
  StrategyCounters counters;
  if (fibers_) {
    counters.threads_created = fibers_->threads();
    counters.extra["fibers_started"] = static_cast<double>(fibers_->fibers_started());
    counters.extra["fiber_stacks_mapped"] = static_cast<double>(fibers_->stacks_mapped());
    counters.extra["fiber_stack_failures"] = static_cast<double>(fibers_->stack_failures());
    return counters;
  }
  counters.threads_created = threads_.created();
  counters.extra["peak_live_threads"] = static_cast<double>(threads_.peak_live());
  counters.extra["thread_start_failures"] =
      static_cast<double>(start_failures_.load(std::memory_order_relaxed));
  return counters;
}

namespace {
std::vector<ParamSpec> raw_threads_params() {
  return {{.name = "spawn",
           .default_value = "thread",
           .description = "what runs each task: thread (a new OS thread) or fiber (a new fiber on an M:N "
                          "work-stealing scheduler, one OS thread per core: a goroutine's cost)",
           .kind = ParamKind::choice,
           .choices = {"thread", "fiber"}}};
}

const StrategyRegistrar raw_threads_registrar{StrategyInfo{
    .name = "raw_threads",
    .description = "a new std::thread per task, unbounded (Go's go f() + WaitGroup): the no-pool baseline; "
                   "spawn=fiber: a fiber per task on an M:N work-stealing scheduler, a goroutine's cost",
    .traits = {.queue_order = QueueOrder::unordered,
               .worker_lifecycle = WorkerLifecycle::thread_per_task,
               .when_full = WhenFull::never_full,
               .on_exception = OnException::terminates_process,
               .returns_results = false,
               .cancellation = false,
               .synchronous_submit = false,
               .worker_state = false},
    .params = raw_threads_params(),
    .make =
        [](const StrategyConfig& config) {
          Params params = config.params;
          params.apply_defaults(raw_threads_params());
          return std::make_unique<RawThreadsStrategy>(params.text("spawn") == "fiber"
                                                          ? RawThreadsStrategy::Spawn::fiber
                                                          : RawThreadsStrategy::Spawn::thread);
        },
    .nominal_overhead_ns = 45000,
    .adjust_for_mode =
        [](const Params& params, StrategyTraits& traits, double& nominal_overhead_ns) {
          if (params.text("spawn") != "fiber") return;
          traits.worker_lifecycle = WorkerLifecycle::fiber_per_task;
          nominal_overhead_ns = 2000;  // a fiber's start and its hand-off to a scheduler thread
        },
    .default_sweep = {{"spawn", {"thread", "fiber"}}},  // both no-pool baselines in every table
    .models =
        {
            {.mode = "",
             .library = "Go's `go f()` + sync.WaitGroup (the Go runtime)",
             .matches =
                 "a new unit of execution per task, unbounded; wait() is WaitGroup.Wait (a live-thread "
                 "count); a throwing task terminates the process, as an unrecovered panic does",
             .differs =
                 "a goroutine becomes an OS thread (std::thread: tens of µs to start and a stack mapping, "
                 "where a goroutine costs under 1 µs and 2 KB); the OS can refuse a thread, and submit "
                 "then fails with `error` (Go never refuses a goroutine)"},
            {.mode = "spawn=fiber",
             .library = "Go's `go f()` + sync.WaitGroup (the Go runtime), on Boost.Fiber 1.74",
             .matches = "runtime/proc.go: a goroutine per task becomes a fiber on an M:N scheduler; one OS "
                        "thread per core (GOMAXPROCS), a run queue per thread, an idle thread steals from "
                        "another (`findRunnable()`) and then sleeps, a thread that readies a fiber wakes a "
                        "sleeping one (`wakep()`); no OS thread per task",
             .differs =
                 "a fiber's stack is a fixed 64 KiB with a guard page, reused from a pool (a "
                 "goroutine's starts at 2 KiB and grows); a producer outside the runtime hands tasks "
                 "to the scheduler threads through one injection list (Go's global run queue), where "
                 "`go f()` in a goroutine queues on its own P; a task that waits with the SDK's sleep "
                 "(src/sdk/sleep.hpp, which every workload uses) parks its fiber as time.Sleep does; one "
                 "that blocks its OS thread otherwise blocks one scheduler thread, where Go parks only "
                 "the goroutine"},
        },
}};
}  // namespace

}  // namespace poolbench
