// Test-only workloads that misbehave on purpose, so the tests can prove that the runner records a crash, a
// hang and a lost task for that case alone while the run goes on. Hidden from the default matrix and from
// `list`.
//
//   test_crash     — task `at` dereferences null (SIGSEGV) or aborts, as `how` says
//   test_hang      — task `at` blocks forever (until the runner's --timeout kills the child)
//   test_lose_task — task `at` is skipped: the workload's exactly-once check must fail the case
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "exactly_once.hpp"
#include "workload.hpp"

namespace poolbench {

class MisbehavingWorkload final : public Workload {
 public:
  enum class Failure { crash, hang, lose_task };
  MisbehavingWorkload(Failure failure, std::size_t at, std::string how)
      : failure_(failure), at_(at), how_(std::move(how)) {}

  void prepare(std::size_t tasks) override;
  void run(std::size_t index) override;
  std::string verify() override;
  void on_rejected(std::size_t index) override { ledger_.mark_rejected(index); }

 private:
  Failure failure_;
  std::size_t at_;
  std::string how_;
  std::size_t tasks_ = 0;
  ExactlyOnceLedger ledger_;
};

}  // namespace poolbench
