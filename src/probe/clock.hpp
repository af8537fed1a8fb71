// Tick clock — the timestamps taken around each timed task.
//
// The CPU's time-stamp counter where the kernel itself uses it as its clocksource (so it is invariant and
// synchronised across cores, which a queue wait measured from one core to another needs), steady_clock
// otherwise. Reading the TSC costs about 10 ns on this machine against 26 ns for steady_clock (clock_gettime
// through the vDSO), and a timed task takes four readings, so the choice is most of the probe's per-task
// cost.
#pragma once

#include <chrono>
#include <cstdint>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace poolbench::probe {

namespace detail {
extern const bool tick_source_is_tsc;  // decided once at start-up from the kernel's clocksource
}

inline std::uint64_t now_ticks() noexcept {
#if defined(__x86_64__)
  if (detail::tick_source_is_tsc) return __rdtsc();
#endif
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

// Nanoseconds per tick: 1 for steady_clock; for the TSC measured once per process against steady_clock over
// 2 ms (the first call sleeps that long).
double nanoseconds_per_tick();

// "tsc" or "steady_clock".
const char* tick_source_name() noexcept;

// A tick difference in nanoseconds; a negative difference (possible only across cores, by a few ticks) is 0.
inline std::uint64_t ticks_to_ns(std::uint64_t from, std::uint64_t to, double ns_per_tick) noexcept {
  return to > from ? static_cast<std::uint64_t>(static_cast<double>(to - from) * ns_per_tick) : 0;
}

}  // namespace poolbench::probe
