// test_slowed — test-only: another registered strategy, made slower on purpose by a calibrated amount.
//
// Exists so that `poolbench compare` can be shown to report a known slowdown as a regression on the slowed
// strategy's cases only. It forwards every call to the strategy named by its `wraps` parameter; wait() then
// busy-spins for `slowdown_percent` of the time since the first submit, so the case's measured window (which
// ends when wait() returns) grows by that fraction in wall and CPU time alike, whatever the workload. The
// environment variable POOLBENCH_TEST_SLOWDOWN_PERCENT, when set, replaces the parameter: two runs can then
// differ only in speed while their case names (which include parameters given on the command line) stay the
// same.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>

#include "strategy.hpp"

namespace poolbench {

class TestSlowedStrategy final : public Strategy {
 public:
  TestSlowedStrategy(std::unique_ptr<Strategy> wrapped, double slowdown_fraction);

  SubmitResult submit(Task task) override;
  std::exception_ptr wait() override;
  void shutdown() override { wrapped_->shutdown(); }
  StrategyCounters counters() const override { return wrapped_->counters(); }

  double slowdown_fraction() const { return slowdown_fraction_; }

 private:
  using Clock = std::chrono::steady_clock;

  std::unique_ptr<Strategy> wrapped_;
  const double slowdown_fraction_;
  std::atomic<bool> started_{false};
  std::atomic<Clock::rep> first_submit_{0};  // Clock ticks; written once, by the first submit
};

// The slowdown in percent: POOLBENCH_TEST_SLOWDOWN_PERCENT when set, else `parameter`. Throws ParamError for
// a value that is not a non-negative number.
double effective_slowdown_percent(const std::string& parameter);

// The test-only knob `poolbench ab` is checked with. When POOLBENCH_TEST_SLOW_STRATEGY is NAME:PERCENT and
// `strategy_name` is NAME: PERCENT / 100, else 0. The case driver then stretches the measured window of that
// strategy's cases by exactly that fraction (stretch_window). Unlike the test_slowed strategy, nothing sits
// between the producers and the strategy (a wrapper's own per-submit cost would slow an inline case by far
// more than asked), and the case keeps the real strategy's name, parameters and traits, so that one build run
// twice, once with the variable, produces the same case names. Throws ParamError for a malformed value.
double test_slowdown_fraction(const std::string& strategy_name);

// Busy-spins (CPU time grows with wall time, as for a strategy that did more work) until the time since
// `window_started` is (1 + fraction) times what it was at the call.
void stretch_window(std::chrono::steady_clock::time_point window_started, double fraction);

}  // namespace poolbench
