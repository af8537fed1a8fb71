#include "simulated_io.hpp"

#include <sys/prctl.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <random>

#include <fmt/format.h>

#include "default_workers.hpp"
#include "params.hpp"
#include "registry.hpp"
#include "sleep.hpp"
#include "workload_clock.hpp"

namespace poolbench {
namespace {

constexpr double z_p99 = 2.3263478740408408;  // the standard normal's 99th percentile

// The standard normal's quantile function (Acklam's rational approximation, relative error < 1.2e-9).
double inverse_normal_cdf(double p) {
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,  -2.759285104469687e+02,
                                 1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                                 6.680131188771972e+01, -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                                 -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                                 3.754408661907416e+00};
  constexpr double low = 0.02425;
  if (p < low) {
    const double q = std::sqrt(-2 * std::log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - low) {
    const double q = std::sqrt(-2 * std::log(1 - p));
    return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  const double q = p - 0.5;
  const double r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
         (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

// A uniform double in [0, 1) from 53 bits of the generator (specified, unlike uniform_real_distribution).
double uniform01(std::mt19937_64& generator) {
  return static_cast<double>(generator() >> 11) * 0x1.0p-53;
}

thread_local bool timer_slack_set = false;

using workload_clock::now_ns;

}  // namespace

SimulatedIoWorkload::SimulatedIoWorkload(double median_ms, double p99_ms, std::uint64_t seed)
    : median_ns_(median_ms * 1e6), sigma_(0), seed_(seed) {
  if (p99_ms < median_ms)
    throw ParamError(fmt::format("p99_ms ({}) must be at least median_ms ({})", p99_ms, median_ms));
  sigma_ = std::log(p99_ms / median_ms) / z_p99;
}

void SimulatedIoWorkload::prepare(std::size_t tasks) {
  tasks_ = tasks;
  std::mt19937_64 generator(seed_);
  // A seeded Fisher-Yates shuffle of the strata (spelled out: std::shuffle's algorithm is unspecified).
  std::vector<std::size_t> stratum(tasks);
  std::iota(stratum.begin(), stratum.end(), std::size_t{0});
  for (std::size_t i = tasks; i > 1; --i) std::swap(stratum[i - 1], stratum[generator() % i]);
  waits_ns_.resize(tasks);
  for (std::size_t i = 0; i < tasks; ++i) {
    double u = (static_cast<double>(stratum[i]) + uniform01(generator)) / static_cast<double>(tasks);
    u = std::clamp(u, 1e-12, 1 - 1e-12);
    waits_ns_[i] = std::llround(median_ns_ * std::exp(sigma_ * inverse_normal_cdf(u)));
  }
  ledger_.reset(tasks);
  woke_early_.store(0);
}

void SimulatedIoWorkload::run(std::size_t index) {
  if (!timer_slack_set) {
    ::prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    timer_slack_set = true;
  }
  const std::int64_t deadline = now_ns() + waits_ns_[index];
  sleep_until(std::chrono::steady_clock::time_point(std::chrono::nanoseconds(deadline)));
  if (now_ns() < deadline) woke_early_.fetch_add(1, std::memory_order_relaxed);
  ledger_.record(index);
}

std::string SimulatedIoWorkload::verify() {
  if (std::string failure = ledger_.verify(); !failure.empty()) return failure;
  if (const auto early = woke_early_.load(); early != 0)
    return fmt::format("{} tasks woke before their deadline", early);
  return {};
}

namespace {
const WorkloadRegistrar simulated_io_registrar{WorkloadInfo{
    .name = "simulated_io",
    .description =
        "each task waits without CPU for a seeded log-normal time (median 5 ms, p99 20 ms), like an "
        "HTTP call to a local server",
    .params = {ParamSpec{.name = "median_ms",
                         .default_value = "5",
                         .description = "median wait in milliseconds",
                         .kind = ParamKind::positive_number},
               ParamSpec{.name = "p99_ms",
                         .default_value = "20",
                         .description = "99th-percentile wait in milliseconds (at least median_ms)",
                         .kind = ParamKind::positive_number},
               ParamSpec{
                   .name = "seed",
                   .default_value = "1",
                   .description = "seed of the waits: the same seed gives the same waits in the same order",
                   .kind = ParamKind::non_negative_integer}},
    .make =
        [](const WorkloadConfig& config) {
          return std::make_unique<SimulatedIoWorkload>(
              config.params.number("median_ms"), config.params.number("p99_ms"),
              static_cast<std::uint64_t>(config.params.integer("seed")));
        },
    .default_tasks = {200},
    .quick_tasks = 100,
    .default_workers = io_workers(machine_cores()),
    .default_sweep = {},
    .nominal_task_ns =
        [](const Params& params) {
          // The log-normal's mean: median * exp(sigma^2 / 2).
          const double median = params.number("median_ms");
          const double sigma = std::log(std::max(params.number("p99_ms"), median) / median) / z_p99;
          return median * 1e6 * std::exp(sigma * sigma / 2);
        },
    .uses_cpu = false,
}};
}  // namespace

}  // namespace poolbench
