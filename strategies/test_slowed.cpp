#include "test_slowed.hpp"

#include <cstdlib>

#include <fmt/format.h>

#include "registry.hpp"

namespace poolbench {

TestSlowedStrategy::TestSlowedStrategy(std::unique_ptr<Strategy> wrapped, double slowdown_fraction)
    : wrapped_(std::move(wrapped)), slowdown_fraction_(slowdown_fraction) {}

SubmitResult TestSlowedStrategy::submit(Task task) {
  // Only the first submit since the last wait() records the start; the exchange keeps the others off the
  // clock.
  if (!started_.load(std::memory_order_relaxed) && !started_.exchange(true, std::memory_order_relaxed))
    first_submit_.store(Clock::now().time_since_epoch().count(), std::memory_order_relaxed);
  return wrapped_->submit(std::move(task));
}

std::exception_ptr TestSlowedStrategy::wait() {
  std::exception_ptr error = wrapped_->wait();
  if (started_.exchange(false, std::memory_order_relaxed)) {
    const Clock::time_point first{Clock::duration{first_submit_.load(std::memory_order_relaxed)}};
    const Clock::time_point now = Clock::now();
    const auto extra = std::chrono::duration_cast<Clock::duration>((now - first) * slowdown_fraction_);
    // A spin, not a sleep: CPU time grows with wall time, as it would for a strategy that really did more
    // work.
    const Clock::time_point deadline = now + extra;
    while (Clock::now() < deadline) {
    }
  }
  return error;
}

double effective_slowdown_percent(const std::string& parameter) {
  std::string value = parameter;
  std::string source = "parameter slowdown_percent";
  if (const char* from_environment = std::getenv("POOLBENCH_TEST_SLOWDOWN_PERCENT");
      from_environment != nullptr) {
    value = from_environment;
    source = "POOLBENCH_TEST_SLOWDOWN_PERCENT";
  }
  Params params;
  params.set("slowdown_percent", value);
  double percent = 0;
  try {
    percent = params.number("slowdown_percent");
  } catch (const ParamError&) {
    throw ParamError(fmt::format("{}: '{}' is not a non-negative number", source, value));
  }
  if (percent < 0) throw ParamError(fmt::format("{}: '{}' is not a non-negative number", source, value));
  return percent;
}

double test_slowdown_fraction(const std::string& strategy_name) {
  const char* setting = std::getenv("POOLBENCH_TEST_SLOW_STRATEGY");
  if (setting == nullptr || *setting == 0) return 0;
  const std::string text = setting;
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0)
    throw ParamError(fmt::format("POOLBENCH_TEST_SLOW_STRATEGY: '{}' is not NAME:PERCENT", text));
  if (text.substr(0, colon) != strategy_name) return 0;
  Params params;
  params.set("slowdown_percent", text.substr(colon + 1));
  double percent = -1;
  try {
    percent = params.number("slowdown_percent");
  } catch (const ParamError&) {
  }
  if (!(percent >= 0))
    throw ParamError(fmt::format("POOLBENCH_TEST_SLOW_STRATEGY: '{}' is not a non-negative number of percent",
                                 text.substr(colon + 1)));
  return percent / 100;
}

void stretch_window(std::chrono::steady_clock::time_point window_started, double fraction) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point now = Clock::now();
  const Clock::time_point deadline =
      now + std::chrono::duration_cast<Clock::duration>((now - window_started) * fraction);
  while (Clock::now() < deadline) {
  }
}

namespace {

std::unique_ptr<Strategy> make_slowed(const StrategyConfig& config) {
  const std::string wraps = config.params.text("wraps");
  const StrategyInfo* wrapped = strategy_registry().find(wraps);
  if (wrapped == nullptr || wraps == "test_slowed")
    throw ParamError(fmt::format("parameter wraps: '{}' is not a registered strategy", wraps));
  StrategyConfig inner = config;
  inner.params = Params{};
  inner.params.apply_defaults(wrapped->params);
  const double percent = effective_slowdown_percent(config.params.text("slowdown_percent"));
  return std::make_unique<TestSlowedStrategy>(wrapped->make(inner), percent / 100.0);
}

const StrategyRegistrar test_slowed_registrar{StrategyInfo{
    .name = "test_slowed",
    .description = "test only: the strategy named by `wraps`, made slowdown_percent slower on purpose",
    // The traits of the default wrapped strategy, inline; a different `wraps` keeps its own behaviour.
    .traits = {.queue_order = QueueOrder::caller,
               .worker_lifecycle = WorkerLifecycle::caller_thread,
               .when_full = WhenFull::never_full,
               .on_exception = OnException::propagates_to_submitter,
               .returns_results = false,
               .cancellation = false,
               .synchronous_submit = true,
               .worker_state = false},
    .params = {{.name = "wraps",
                .default_value = "inline",
                .description = "the registered strategy to wrap",
                .kind = ParamKind::text},
               {.name = "slowdown_percent",
                .default_value = "0",
                .description =
                    "extra time in percent of the case's own (POOLBENCH_TEST_SLOWDOWN_PERCENT overrides)",
                .kind = ParamKind::non_negative_integer}},
    .make = make_slowed,
    .nominal_overhead_ns = 5,
    .test_only = true,
    .in_default_matrix = false,
    .models =
        {
            {.mode = "",
             .library = "none: a test-only wrapper",
             .matches = "the wrapped strategy (`wraps`) unchanged, made `slowdown_percent` slower",
             .differs = "exists only to test compare's detection of a slowdown"},
        },
}};

}  // namespace
}  // namespace poolbench
