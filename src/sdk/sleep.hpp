// Waiting inside a task: poolbench::sleep_until and sleep_for park the *task* where it runs as a fiber of a
// user-space scheduler (the no-pool baselines' spawn=fiber runtime), as Go's time.Sleep parks the goroutine
// and leaves its OS thread to the others; on any other thread they sleep the thread. A workload whose tasks
// wait (simulated I/O, a stall) calls these rather than a thread sleep, so that under spawn=fiber its waits
// overlap as they would under `go f()`, instead of each wait holding one of the scheduler's few threads.
//
// The hook: a runtime that runs tasks as fibers installs its own sleep on each of its OS threads
// (SleepHookScope, for the thread's life); a task asks the thread it is on when it sleeps (a fiber may move
// between the runtime's threads: each has the hook). A hook must return no earlier than the deadline.
//
// Header-only, and it declares no function the host must provide, so the SDK version did not change with it
// (a plugin built against it runs in a host of the same SDK version that predates it; its tasks then sleep
// their thread). The hook variable is the one thing shared: it has default visibility, so that a plugin built
// with hidden visibility (poolbench_add_plugin) binds to the copy of the host that loads it, which exports it
// (cmake/poolbench_sdk_exports.list).
#pragma once

#include <time.h>

#include <cerrno>
#include <chrono>

namespace poolbench {

// Parks the calling task until `deadline` (std::chrono::steady_clock, which is CLOCK_MONOTONIC).
using SleepHook = void (*)(std::chrono::steady_clock::time_point deadline);

// The calling thread's hook; nullptr on a thread no fiber runtime owns.
[[gnu::visibility("default")]] inline thread_local SleepHook installed_sleep_hook = nullptr;

// Returns at `deadline` or later: the task is parked where its thread has a hook, else the thread sleeps
// until the absolute deadline (clock_nanosleep, so a preemption before the call does not lengthen the wait).
inline void sleep_until(std::chrono::steady_clock::time_point deadline) {
  if (const SleepHook hook = installed_sleep_hook; hook != nullptr) {
    hook(deadline);
    return;
  }
  const auto since_epoch =
      std::chrono::duration_cast<std::chrono::nanoseconds>(deadline.time_since_epoch()).count();
  if (since_epoch <= 0) return;
  const timespec until{static_cast<time_t>(since_epoch / 1'000'000'000),
                       static_cast<long>(since_epoch % 1'000'000'000)};
  while (::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, nullptr) == EINTR) {
  }
}

inline void sleep_for(std::chrono::nanoseconds duration) {
  sleep_until(std::chrono::steady_clock::now() + duration);
}

// Installs `hook` as the calling thread's for the scope's lifetime (a runtime does so on each of its
// threads).
class SleepHookScope {
 public:
  explicit SleepHookScope(SleepHook hook) noexcept : previous_(installed_sleep_hook) {
    installed_sleep_hook = hook;
  }
  ~SleepHookScope() { installed_sleep_hook = previous_; }
  SleepHookScope(const SleepHookScope&) = delete;
  SleepHookScope& operator=(const SleepHookScope&) = delete;

 private:
  SleepHook previous_;
};

}  // namespace poolbench
