#include "probe/clock.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <limits>
#include <thread>

namespace poolbench::probe {
namespace {

bool kernel_clocksource_is_tsc() {
#if defined(__x86_64__)
  const int fd =
      ::open("/sys/devices/system/clocksource/clocksource0/current_clocksource", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char text[32] = {};
  const ssize_t length = ::read(fd, text, sizeof(text) - 1);
  ::close(fd);
  return length >= 3 && std::strncmp(text, "tsc", 3) == 0 && (length == 3 || text[3] == '\n');
#else
  return false;
#endif
}

#if defined(__x86_64__)
struct ClockPair {
  std::uint64_t ticks = 0;
  std::int64_t steady_ns = 0;
};

// A (TSC, steady_clock) pair read as close together as a few tries allow: the TSC readings that bracket the
// steady_clock reading tightest, so that a preemption between them does not skew the rate.
ClockPair read_pair() {
  ClockPair best;
  std::uint64_t best_bracket = std::numeric_limits<std::uint64_t>::max();
  for (int attempt = 0; attempt < 8; ++attempt) {
    const std::uint64_t before = __rdtsc();
    const auto steady = std::chrono::steady_clock::now();
    const std::uint64_t after = __rdtsc();
    if (after - before < best_bracket) {
      best_bracket = after - before;
      best.ticks = before + (after - before) / 2;
      best.steady_ns =
          std::chrono::duration_cast<std::chrono::nanoseconds>(steady.time_since_epoch()).count();
    }
  }
  return best;
}
#endif

double measure_nanoseconds_per_tick() {
#if defined(__x86_64__)
  if (!detail::tick_source_is_tsc) return 1.0;
  const ClockPair first = read_pair();
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  const ClockPair second = read_pair();
  if (second.ticks <= first.ticks || second.steady_ns <= first.steady_ns) return 1.0;
  return static_cast<double>(second.steady_ns - first.steady_ns) /
         static_cast<double>(second.ticks - first.ticks);
#else
  return 1.0;
#endif
}

}  // namespace

namespace detail {
const bool tick_source_is_tsc = kernel_clocksource_is_tsc();
}

double nanoseconds_per_tick() {
  static const double value = measure_nanoseconds_per_tick();
  return value;
}

const char* tick_source_name() noexcept {
  return detail::tick_source_is_tsc ? "tsc" : "steady_clock";
}

}  // namespace poolbench::probe
