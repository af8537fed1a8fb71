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
// A producer waits for a due time (DueTimeWaiter) by sleeping until a margin before it (with its timer slack
// set to 1 ns, so that the kernel does not defer the wake-up by its default 50 µs), then spinning on the
// clock: the sleep leaves the CPU to the pool's workers. A producer that is already late submits at once; its
// lateness (actual submit start minus intended time) is the schedule lag.
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

// How a producer waits for its next due time. A sleep on a VM can end tens to hundreds of µs late (a vCPU
// that idles wakes slowly; results/strategy-notes.md has this VM's figures), and a fixed spin of 20 µs before
// the due time left most of that lateness in every task's latency. So the margin follows the machine: it is a
// decaying maximum of the overshoots this waiter has seen, with a quarter more as slack, at least
// `min_spin_margin_ns` and at most the cap it is given. The driver caps it at a quarter of the whole
// schedule's mean gap divided among the producers, so that all producers' spinning together costs the pool's
// workers at most a quarter of a core; and the spin yields the core to any other runnable thread, so that a
// spinning producer does not keep a due one, or a worker, off it. What is still late shows as schedule lag.
inline constexpr double min_spin_margin_ns = 20'000;
inline constexpr double max_spin_margin_ns = 2'000'000;

class DueTimeWaiter {
 public:
  // `margin_cap_ns`: the most this waiter spins before a due time (clamped to [min_spin_margin_ns,
  // max_spin_margin_ns]). `expected_overshoot_ns`: where the margin starts (measure_sleep_overshoot_ns), so
  // that the first waits of the window are not the ones that learn it.
  DueTimeWaiter(double margin_cap_ns, double expected_overshoot_ns) noexcept;

  // Returns at `due_ticks` (now_ticks()), or at once when that has passed.
  void wait_until(std::uint64_t due_ticks, double ns_per_tick) noexcept;

  double margin_ns() const noexcept { return margin_ns_; }

 private:
  double cap_ns_;
  double overshoot_ns_;  // decaying maximum of the sleeps' overshoots
  double margin_ns_;
};

// The largest overshoot of a few sleeps of `sleep_ns` (at most 1 ms each; about 5 of them), slept with
// precise sleeps on a thread of its own: what a producer's first waits should expect.
double measure_sleep_overshoot_ns(double sleep_ns);

// Sets the calling thread's timer slack to 1 ns (Linux): its sleeps then end when asked, not up to 50 µs
// late.
void use_precise_sleeps() noexcept;

}  // namespace poolbench
