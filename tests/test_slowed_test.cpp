// test_slowed, the test-only strategy that scripts/check-compare-stability uses to check that compare finds a
// known slowdown: it runs every task once and adds the slowdown to wait().
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <thread>

#include "cli_support.hpp"
#include "registry.hpp"
#include "test_slowed.hpp"

namespace poolbench {
namespace {

using testing::within;

TEST(TestSlowed, WrapsAnotherStrategyRunsEveryTaskOnceAndAddsTheSlowdownToWait) {
  within(std::chrono::seconds(60), [] {
    const StrategyInfo* info = strategy_registry().find("test_slowed");
    ASSERT_NE(info, nullptr);
    EXPECT_TRUE(info->test_only);
    EXPECT_FALSE(info->in_default_matrix);
    StrategyConfig config;
    config.workers = 2;
    config.params.apply_defaults(info->params);
    config.params.set("slowdown_percent", "50");
    ::unsetenv("POOLBENCH_TEST_SLOWDOWN_PERCENT");
    auto strategy = info->make(config);
    std::atomic<int> ran{0};
    using Clock = std::chrono::steady_clock;
    ASSERT_TRUE(strategy->submit(Task{[&] { ran.fetch_add(1); }}).ok());
    const auto after_first_submit = Clock::now();
    for (int i = 1; i < 100; ++i) ASSERT_TRUE(strategy->submit(Task{[&] { ran.fetch_add(1); }}).ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const auto wait_entry = Clock::now();
    EXPECT_EQ(strategy->wait(), nullptr);
    const auto wait_exit = Clock::now();
    EXPECT_EQ(ran.load(), 100);
    // By construction (a spin until first_submit + 1.5 x the elapsed time), not a measurement of speed.
    EXPECT_GE(wait_exit - wait_entry, (wait_entry - after_first_submit) / 2);
    strategy->shutdown();
    EXPECT_FALSE(strategy->submit(Task{[] {}}).ok());  // inline's behaviour after shutdown, forwarded
  });
}

TEST(TestSlowed, EnvironmentOverridesTheParameterAndBadValuesAreRejected) {
  ::setenv("POOLBENCH_TEST_SLOWDOWN_PERCENT", "30", 1);
  EXPECT_DOUBLE_EQ(effective_slowdown_percent("0"), 30);
  ::setenv("POOLBENCH_TEST_SLOWDOWN_PERCENT", "fast", 1);
  EXPECT_THROW(effective_slowdown_percent("0"), ParamError);
  ::setenv("POOLBENCH_TEST_SLOWDOWN_PERCENT", "-5", 1);
  EXPECT_THROW(effective_slowdown_percent("0"), ParamError);
  ::unsetenv("POOLBENCH_TEST_SLOWDOWN_PERCENT");
  EXPECT_DOUBLE_EQ(effective_slowdown_percent("12"), 12);

  const StrategyInfo* info = strategy_registry().find("test_slowed");
  ASSERT_NE(info, nullptr);
  StrategyConfig config;
  config.params.apply_defaults(info->params);
  config.params.set("wraps", "no_such_strategy");
  EXPECT_THROW(info->make(config), ParamError);
  config.params.set("wraps", "test_slowed");
  EXPECT_THROW(info->make(config), ParamError);
}

}  // namespace
}  // namespace poolbench
