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

SubmitResult RawThreadsStrategy::submit(Task task) {
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
  threads_.wait_all_exited();
  return nullptr;
}

void RawThreadsStrategy::shutdown() {
  threads_.close();
  threads_.join_all();
}

StrategyCounters RawThreadsStrategy::counters() const {
  StrategyCounters counters;
  counters.threads_created = threads_.created();
  counters.extra["peak_live_threads"] = static_cast<double>(threads_.peak_live());
  counters.extra["thread_start_failures"] =
      static_cast<double>(start_failures_.load(std::memory_order_relaxed));
  return counters;
}

namespace {
const StrategyRegistrar registrar{StrategyInfo{
    .name = "raw_threads",
    .description = "a new std::thread per task, unbounded (Go's go f() + WaitGroup): the no-pool baseline",
    .traits = {.queue_order = QueueOrder::unordered,
               .worker_lifecycle = WorkerLifecycle::thread_per_task,
               .when_full = WhenFull::never_full,
               .on_exception = OnException::terminates_process,
               .returns_results = false,
               .cancellation = false,
               .synchronous_submit = false,
               .worker_state = false},
    .params = {},
    .make = [](const StrategyConfig&) { return std::make_unique<RawThreadsStrategy>(); },
    .nominal_overhead_ns = 45000,
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
        },
}};
}  // namespace

}  // namespace poolbench
