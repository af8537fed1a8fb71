#include "cpu_burst.hpp"

#include <time.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "default_workers.hpp"
#include "probe/shared_calibration.hpp"
#include "registry.hpp"

namespace poolbench {
namespace {

std::uint64_t seed_of(std::size_t index) noexcept {
  return 0x9e3779b97f4a7c15ULL * (index + 1);
}

double measure_steps_per_ns() {
  // Warm up (frequency ramp, caches), size one trial to about 1 ms, and keep the fastest of several trials.
  std::uint64_t sink = CpuBurstWorkload::burst(1, 200000);
  std::uint64_t steps = 1 << 14;
  double seconds = 0;
  while (true) {
    const double start = probe::thread_cpu_seconds();
    sink ^= CpuBurstWorkload::burst(sink, steps);
    seconds = probe::thread_cpu_seconds() - start;
    if (seconds >= 2e-4 || steps >= (std::uint64_t{1} << 40)) break;
    steps *= 4;
  }
  steps =
      std::max<std::uint64_t>(steps, static_cast<std::uint64_t>(static_cast<double>(steps) * 1e-3 / seconds));
  double best = std::numeric_limits<double>::infinity();
  // Made once per run (probe/shared_calibration.hpp), so it can afford more trials than a process each did.
  for (int trial = 0; trial < 21; ++trial) {
    const double start = probe::thread_cpu_seconds();
    sink ^= CpuBurstWorkload::burst(sink, steps);
    best = std::min(best, probe::thread_cpu_seconds() - start);
  }
  // The sink feeds an impossible branch so that the calibration bursts cannot be optimised away either.
  if (sink == 0x5eed) best *= 1.0000001;
  return static_cast<double>(steps) / (best * 1e9);
}

}  // namespace

CpuBurstWorkload::CpuBurstWorkload(double duration_us) : duration_ns_(duration_us * 1000.0) {}

std::uint64_t CpuBurstWorkload::burst(std::uint64_t seed, std::uint64_t steps) noexcept {
  std::uint64_t x = seed;
  for (std::uint64_t i = 0; i < steps; ++i) {
    // One SplitMix64 round: each step depends on the last, so steps cannot run in parallel or be skipped.
    x += 0x9e3779b97f4a7c15ULL;
    std::uint64_t z = x;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    x = z ^ (z >> 31);
  }
  return x;
}

double CpuBurstWorkload::calibrated_steps_per_ns() {
  // Shared by every process of the run (probe/shared_calibration.hpp): the same steps for every case.
  static const double steps_per_ns =
      probe::shared_calibration("cpu_burst.steps_per_ns", measure_steps_per_ns);
  return steps_per_ns;
}

void CpuBurstWorkload::prepare(std::size_t tasks) {
  steps_ = std::max<std::uint64_t>(
      1, static_cast<std::uint64_t>(std::llround(duration_ns_ * calibrated_steps_per_ns())));
  tasks_ = tasks;
  results_ = std::make_unique<std::uint64_t[]>(tasks);
  ledger_.reset(tasks);
}

void CpuBurstWorkload::run(std::size_t index) {
  results_[index] = burst(seed_of(index), steps_);
  ledger_.record(index);
}

std::string CpuBurstWorkload::verify() {
  if (std::string failure = ledger_.verify(); !failure.empty()) return failure;
  // Recomputing every result would double the case's time; 64 evenly spread tasks show that the stored
  // results are the computation's and not stale or torn.
  const std::size_t checks = std::min<std::size_t>(tasks_, 64);
  for (std::size_t k = 0; k < checks; ++k) {
    const std::size_t i = k * tasks_ / checks;
    if (!ledger_.rejected(i) && results_[i] != burst(seed_of(i), steps_))
      return fmt::format("task {} stored a wrong result: {:#x}, expected {:#x}", i, results_[i],
                         burst(seed_of(i), steps_));
  }
  return {};
}

std::string CpuBurstWorkload::label() const {
  return fmt::format("steps_per_task={}", steps_);
}

namespace {
const WorkloadRegistrar cpu_burst_registrar{WorkloadInfo{
    .name = "cpu_burst",
    .description =
        "each task computes for a calibrated duration (duration_us): pool overhead against real work",
    .params = {ParamSpec{.name = "duration_us",
                         .default_value = "10",
                         .description = "CPU time per task in microseconds, calibrated once per process",
                         .kind = ParamKind::positive_number}},
    .make =
        [](const WorkloadConfig& config) {
          return std::make_unique<CpuBurstWorkload>(config.params.number("duration_us"));
        },
    .default_tasks = {2000},
    .quick_tasks = 500,
    .default_workers = cpu_work_workers(machine_cores()),
    .default_sweep = {{"duration_us", {"1", "10", "100"}}},
    .nominal_task_ns = [](const Params& params) { return params.number("duration_us") * 1000.0; },
    .uses_cpu = true,
}};
}  // namespace

}  // namespace poolbench
