// The clock and the sleep of the workloads that shape time (burst, phased): CLOCK_MONOTONIC nanoseconds, and
// a wait until such a deadline through the SDK's sleep (src/sdk/sleep.hpp: a task on a fiber runtime parks
// its fiber, any other thread sleeps) with 1 ns of timer slack on the calling thread, so that the kernel does
// not add its default 50 µs to every task and every interval.
#pragma once

#include <sys/prctl.h>
#include <time.h>

#include <chrono>
#include <cstdint>

#include "sleep.hpp"

namespace poolbench::workload_clock {

inline std::int64_t now_ns() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

inline void sleep_until_ns(std::int64_t deadline) {
  thread_local bool precise = false;
  if (!precise) {
    ::prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    precise = true;
  }
  sleep_until(std::chrono::steady_clock::time_point(std::chrono::nanoseconds(deadline)));
}

}  // namespace poolbench::workload_clock
