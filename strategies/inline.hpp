// inline — no pool at all: submit() runs the task in the submitting thread before it returns.
//
// The lower bound every pool is measured against: no hand-off, no thread, no queue. A throwing task's
// exception leaves submit(), as a plain function call would.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>

#include "strategy.hpp"

namespace poolbench {

class InlineStrategy final : public Strategy {
 public:
  SubmitResult submit(Task task) override;
  std::exception_ptr wait() override { return nullptr; }
  void shutdown() override { closed_.store(true, std::memory_order_relaxed); }
  StrategyCounters counters() const override { return {}; }

 private:
  std::atomic<bool> closed_{false};
};

}  // namespace poolbench
