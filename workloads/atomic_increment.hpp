// atomic_increment — overhead-dominated: each task increments one shared counter.
//
// The work is a single atomic add, so what a case measures is almost entirely the strategy's own cost per
// task (the guide's "100k atomic-increment tasks"). Exactly-once is checked with a per-task flag as well as
// the counter, so a lost task and a duplicated one cannot cancel each other out.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "exactly_once.hpp"
#include "workload.hpp"

namespace poolbench {

class AtomicIncrementWorkload final : public Workload {
 public:
  void prepare(std::size_t tasks) override;
  void run(std::size_t index) override;
  std::string verify() override;
  void on_rejected(std::size_t index) override { ledger_.mark_rejected(index); }

 private:
  std::size_t tasks_ = 0;
  alignas(64) std::atomic<std::uint64_t> counter_{0};
  ExactlyOnceLedger ledger_;
};

}  // namespace poolbench
