// test_known_allocations (test only) — each task makes a known number of heap allocations of a known size, so
// that the probe's allocs_per_task and bytes_per_task can be checked for exactness, on whatever thread the
// strategy runs the task (worker threads included).
//
// `allocations` blocks of `bytes` bytes each, through `via`: operator new (an explicit ::operator new call,
// which the compiler may not elide, unlike a new-expression), malloc, or both alternately. Each block is
// written and its address escapes to the optimiser before it is freed. The label records how many tasks ran
// on a thread that is not a producer, so a test can show that worker threads' allocations were counted.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "exactly_once.hpp"
#include "workload.hpp"

namespace poolbench {

class KnownAllocationsWorkload final : public Workload {
 public:
  enum class Via { operator_new, malloc, alternate };

  KnownAllocationsWorkload(std::size_t allocations, std::size_t bytes, Via via);

  void prepare(std::size_t tasks) override;
  void run(std::size_t index) override;
  std::string verify() override;
  void on_rejected(std::size_t index) override { ledger_.mark_rejected(index); }
  std::string label() const override;

 private:
  std::size_t allocations_;
  std::size_t bytes_;
  Via via_;
  ExactlyOnceLedger ledger_;
  std::atomic<std::size_t> tasks_on_worker_threads_{0};
  std::atomic<std::size_t> failed_allocations_{0};
};

}  // namespace poolbench
