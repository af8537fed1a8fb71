// Arrival schedule of an open-loop case: when each producer is meant to submit its next task.
//
// An open-loop case offers tasks at a fixed rate whatever the strategy does (as wrk2 does for HTTP), instead
// of submitting the next task when submit() returns (a closed loop, where a pool that blocks its callers also
// slows the arrivals and hides its own backlog: coordinated omission). Each of the P producers follows its
// own share of the schedule, so no shared counter sits on the submit path:
//  - uniform: the tasks are evenly spaced at 1/rate; producer p of P takes the slots p, p + P, p + 2P, ...
//  - poisson: each producer draws exponential gaps at rate/P from its own seeded generator; P independent
//    Poisson processes at rate/P together are one Poisson process at the full rate.
// Offsets are nanoseconds from the window's start. Everything is decided by (process, rate, seed, p, P):
// rerunning a case replays the same schedule.
//
// A producer waits for a due time by sleeping until `spin_window_ns` before it (with its timer slack set to
// 1 ns, so that the kernel does not defer the wake-up by its default 50 µs), then spinning on the clock: the
// sleep leaves the CPU to the pool's workers for all but the last few microseconds. A producer that is
// already late submits at once; its lateness (actual submit start minus intended time) is the schedule lag.
#pragma once

#include <cstddef>
#include <cstdint>

#include "result/case_info.hpp"

namespace poolbench {

class ArrivalSchedule {
 public:
  // `rate_per_second` > 0: the offered rate of all producers together; `producer` < `producers`.
  ArrivalSchedule(ArrivalProcess process, double rate_per_second, std::uint64_t seed, std::size_t producer,
                  std::size_t producers);

  // The intended submit time of this producer's next task, in ns from the window's start (non-decreasing).
  double next_offset_ns();

 private:
  double uniform_01();  // in [0, 1), from the generator's top 53 bits

  ArrivalProcess process_;
  double mean_gap_ns_;  // between this producer's tasks
  double offset_ns_;
  std::uint64_t state_;  // splitmix64: small, fast, and the same sequence on every platform
};

// How long before a due time a waiting producer stops sleeping and spins.
inline constexpr std::uint64_t spin_window_ns = 20'000;

// Sets the calling thread's timer slack to 1 ns (Linux): its sleeps then end when asked, not up to 50 µs
// late.
void use_precise_sleeps() noexcept;

// Returns at `due_ticks` (now_ticks()) or at once when that has passed: sleeps until spin_window_ns before
// it, then spins.
void wait_until_ticks(std::uint64_t due_ticks, double ns_per_tick) noexcept;

}  // namespace poolbench
