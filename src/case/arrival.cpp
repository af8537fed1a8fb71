#include "case/arrival.hpp"

#include <sys/prctl.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

#include "probe/clock.hpp"
#include "support/cpu_relax.hpp"

namespace poolbench {
namespace {

std::uint64_t splitmix64(std::uint64_t& state) noexcept {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

ArrivalSchedule::ArrivalSchedule(ArrivalProcess process, double rate_per_second, std::uint64_t seed,
                                 std::size_t producer, std::size_t producers)
    : process_(process),
      mean_gap_ns_(1e9 * static_cast<double>(producers) / rate_per_second),
      offset_ns_(0),
      state_(seed) {
  // Each producer's generator starts from the seed mixed with its index, so producers draw unrelated streams.
  std::uint64_t mixer = seed ^ (0x5851f42d4c957f2dULL * (producer + 1));
  state_ = splitmix64(mixer);
  if (process_ == ArrivalProcess::uniform)
    // Producer p's first slot is the p-th of the whole schedule; the next task of the case is due 1/rate
    // later.
    offset_ns_ = 1e9 * static_cast<double>(producer) / rate_per_second - mean_gap_ns_;
}

double ArrivalSchedule::uniform_01() {
  return static_cast<double>(splitmix64(state_) >> 11) * 0x1.0p-53;
}

double ArrivalSchedule::next_offset_ns() {
  if (process_ == ArrivalProcess::poisson)
    offset_ns_ += -std::log1p(-uniform_01()) * mean_gap_ns_;  // exponential gap, mean mean_gap_ns_
  else
    offset_ns_ += mean_gap_ns_;
  return offset_ns_;
}

void use_precise_sleeps() noexcept {
  (void)::prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
}

namespace {
constexpr double slack = 1.25;
constexpr double yield_above_ns = 5'000;
}  // namespace

DueTimeWaiter::DueTimeWaiter(double margin_cap_ns, double expected_overshoot_ns) noexcept
    : cap_ns_(std::clamp(margin_cap_ns, min_spin_margin_ns, max_spin_margin_ns)),
      overshoot_ns_(std::max(0.0, expected_overshoot_ns)),
      margin_ns_(std::clamp(slack * overshoot_ns_, min_spin_margin_ns, cap_ns_)) {}

void DueTimeWaiter::wait_until(std::uint64_t due_ticks, double ns_per_tick) noexcept {
  // Each sleep's overshoot raises the margin at once; it decays by 1% a sleep, so one slow wake-up widens the
  // next hundred or so waits, not the rest of the window.
  constexpr double decay = 0.99;
  while (true) {
    const std::uint64_t now = probe::now_ticks();
    if (now >= due_ticks) return;
    const double remaining_ns = static_cast<double>(due_ticks - now) * ns_per_tick;
    if (remaining_ns <= margin_ns_) {
      // Yield while there is time for another thread's turn (a producer already due, or a worker); the last
      // few µs spin on the clock alone.
      if (remaining_ns > yield_above_ns)
        std::this_thread::yield();
      else
        support::cpu_relax();
      continue;
    }
    const double sleep_ns = remaining_ns - margin_ns_;
    std::this_thread::sleep_for(std::chrono::nanoseconds(static_cast<std::int64_t>(sleep_ns)));
    const double slept_ns = static_cast<double>(probe::now_ticks() - now) * ns_per_tick;
    overshoot_ns_ = std::max(decay * overshoot_ns_, slept_ns - sleep_ns);
    margin_ns_ = std::clamp(slack * overshoot_ns_, min_spin_margin_ns, cap_ns_);
  }
}

double measure_sleep_overshoot_ns(double sleep_ns) {
  const auto sleep = std::chrono::nanoseconds(static_cast<std::int64_t>(std::clamp(sleep_ns, 1e3, 1e6)));
  double worst_ns = 0;
  std::jthread([&] {
    use_precise_sleeps();
    for (int trial = 0; trial < 5; ++trial) {
      const auto started = std::chrono::steady_clock::now();
      std::this_thread::sleep_for(sleep);
      worst_ns = std::max(worst_ns, std::chrono::duration<double, std::nano>(
                                        std::chrono::steady_clock::now() - started - sleep)
                                        .count());
    }
  }).join();
  return worst_ns;
}

}  // namespace poolbench
