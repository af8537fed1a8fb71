// cpu_burst — each task does a fixed amount of real computation: the guide's "100 us CPU task".
//
// The work is a chain of dependent integer mixing steps (a SplitMix64 round per step), seeded by the task's
// index, whose result is stored for the exactly-once check, so the compiler can neither drop nor shorten it.
// How many steps make the target duration (`duration_us`, default 10; the default matrix also runs 1 and 100)
// is calibrated once per process against the thread's CPU time (so another process taking the core does not
// shorten the bursts), taking the fastest of several trials. Unlike a clock spin, a task that is preempted
// takes longer, as real computation would.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "exactly_once.hpp"
#include "workload.hpp"

namespace poolbench {

class CpuBurstWorkload final : public Workload {
 public:
  explicit CpuBurstWorkload(double duration_us);

  void prepare(std::size_t tasks) override;
  void run(std::size_t index) override;
  std::string verify() override;
  void on_rejected(std::size_t index) override { ledger_.mark_rejected(index); }
  std::string label() const override;

  // The computation itself: `steps` dependent rounds from `seed`.
  static std::uint64_t burst(std::uint64_t seed, std::uint64_t steps) noexcept;
  // Steps per nanosecond on this machine, measured on the first call in the process.
  static double calibrated_steps_per_ns();
  std::uint64_t steps_per_task() const noexcept { return steps_; }

 private:
  double duration_ns_;
  std::uint64_t steps_ = 1;
  std::size_t tasks_ = 0;
  std::unique_ptr<std::uint64_t[]> results_;
  ExactlyOnceLedger ledger_;
};

}  // namespace poolbench
