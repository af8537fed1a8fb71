// CoarseClock: a monotonic clock that reads the kernel's last tick instead of the TSC (Linux's
// CLOCK_MONOTONIC_COARSE).
//
// Guarantees: monotonic (is_steady), a few nanoseconds per read, resolution of one scheduler tick (1-4 ms);
// steady_clock where the coarse clock does not exist. For idle-since stamps, where a hand-off should not pay
// for precision nobody uses.
#pragma once

#include <chrono>

#include <time.h>

namespace poolbench::support {

struct CoarseClock {
  using duration = std::chrono::nanoseconds;
  using rep = duration::rep;
  using period = duration::period;
  using time_point = std::chrono::time_point<CoarseClock>;
  static constexpr bool is_steady = true;
  static time_point now() noexcept {
#ifdef CLOCK_MONOTONIC_COARSE
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
    return time_point(std::chrono::seconds(now.tv_sec) + std::chrono::nanoseconds(now.tv_nsec));
#else
    return time_point(
        std::chrono::duration_cast<duration>(std::chrono::steady_clock::now().time_since_epoch()));
#endif
  }
};

}  // namespace poolbench::support
