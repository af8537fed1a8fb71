// simulated_io — each task waits without using a CPU, like the guide's "HTTP call to a local server".
//
// Wait times follow a log-normal distribution given by its median and 99th percentile (defaults 5 ms and 20
// ms), drawn in prepare() from a seeded generator (`seed`), so that a seed gives the same waits in the same
// order on any machine (mt19937_64 and the inverse normal CDF below are fully specified, unlike
// std::normal_distribution). The draws are stratified: task i's uniform variate lies in its own 1/N slice of
// (0, 1), in a seeded random order, so every case's waits have the distribution's quantiles almost exactly
// instead of a sample's noise, and strategies compare on the same waits. A task sleeps until an absolute
// deadline with poolbench::sleep_until (sleep.hpp: clock_nanosleep on a thread; on a fiber of spawn=fiber it
// parks the fiber, as a goroutine's wait parks the goroutine), with the thread's timer slack set to 1 ns once
// per thread so the kernel does not add its default 50 us.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "exactly_once.hpp"
#include "workload.hpp"

namespace poolbench {

class SimulatedIoWorkload final : public Workload {
 public:
  SimulatedIoWorkload(double median_ms, double p99_ms, std::uint64_t seed);

  void prepare(std::size_t tasks) override;
  void run(std::size_t index) override;
  std::string verify() override;
  void on_rejected(std::size_t index) override { ledger_.mark_rejected(index); }

  // The waits prepare() drew, in nanoseconds, by task index.
  const std::vector<std::int64_t>& waits_ns() const noexcept { return waits_ns_; }

 private:
  double median_ns_;
  double sigma_;  // of the underlying normal
  std::uint64_t seed_;
  std::size_t tasks_ = 0;
  std::vector<std::int64_t> waits_ns_;
  ExactlyOnceLedger ledger_;
  std::atomic<std::size_t> woke_early_{0};
};

}  // namespace poolbench
