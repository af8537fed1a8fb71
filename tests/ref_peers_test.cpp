// The third-party baselines at their best (issue 12): what their wrappers add beyond what the conformance
// suite checks of every strategy. moodycamel's producer tokens are owned by the strategy, never outlive its
// queue and are never followed after it is gone (ASan turns a mistake into a failure); every worker stops
// whatever its bulk dequeue took; each parameter value runs every task once.
#include <gtest/gtest.h>

#include <cstddef>
#include <latch>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "exactly_once.hpp"
#include "registry.hpp"
#include "strategy_test_support.hpp"

namespace poolbench {
namespace {

using test_support::with_time_limit;

std::unique_ptr<Strategy> make(const std::string& name, std::size_t workers,
                               std::map<std::string, std::string> overrides = {}) {
  const StrategyInfo* info = strategy_registry().find(name);
  if (info == nullptr) throw std::logic_error(name + " is not registered");
  Params params(std::move(overrides));
  params.apply_defaults(info->params);
  return info->make(StrategyConfig{workers, params, {}});
}

// Submits `tasks` tasks from `producers` threads and checks each ran once, after wait() and after shutdown().
void expect_every_task_once(Strategy& strategy, std::size_t tasks, std::size_t producers) {
  ExactlyOnceLedger counts(tasks);
  {
    std::latch start(1);
    std::vector<std::jthread> threads;
    for (std::size_t p = 0; p < producers; ++p)
      threads.emplace_back([&, p] {
        start.wait();
        for (std::size_t i = tasks * p / producers; i < tasks * (p + 1) / producers; ++i)
          ASSERT_TRUE(strategy.submit(Task{[&counts, i] { counts.record(i); }}).ok());
      });
    start.count_down();
  }
  EXPECT_FALSE(strategy.wait());
  EXPECT_EQ(counts.verify(), "");
  strategy.shutdown();
  EXPECT_EQ(counts.verify(), "") << "after shutdown()";
}

// One thread submits to strategy after strategy, each built where the last one was freed: its cached token
// must never be the destroyed strategy's.
TEST(RefMoodycamel, AThreadSubmittingToSuccessiveStrategiesNeverUsesADestroyedOnesToken) {
  with_time_limit([] {
    for (int round = 0; round < 50; ++round) {
      auto strategy = make("ref_moodycamel", 2);
      expect_every_task_once(*strategy, 100, 1);
    }
  });
}

// One thread alternating between two live strategies: each submit must go through that strategy's own token.
TEST(RefMoodycamel, AThreadAlternatingBetweenTwoStrategiesUsesEachOnesToken) {
  with_time_limit([] {
    auto first = make("ref_moodycamel", 2);
    auto second = make("ref_moodycamel", 2);
    constexpr std::size_t tasks = 2000;
    ExactlyOnceLedger first_counts(tasks);
    ExactlyOnceLedger second_counts(tasks);
    for (std::size_t i = 0; i < tasks; ++i) {
      ASSERT_TRUE(first->submit(Task{[&first_counts, i] { first_counts.record(i); }}).ok());
      ASSERT_TRUE(second->submit(Task{[&second_counts, i] { second_counts.record(i); }}).ok());
    }
    EXPECT_FALSE(first->wait());
    EXPECT_FALSE(second->wait());
    first.reset();  // destroys its tokens and queue while the second strategy still runs
    EXPECT_EQ(first_counts.verify(), "");
    EXPECT_EQ(second_counts.verify(), "");
    for (std::size_t i = 0; i < 10; ++i) ASSERT_TRUE(second->submit(Task{[] {}}).ok());
    EXPECT_FALSE(second->wait());
  });
}

// Shutdown sends one stop signal per worker; a bulk dequeue can take several at once. Every worker must still
// stop (the test's time limit turns a worker left waiting into a failure).
TEST(RefMoodycamel, EveryWorkerStopsWhenOneBulkTakesSeveralStopSignals) {
  with_time_limit([] {
    for (int round = 0; round < 20; ++round) {
      auto idle = make("ref_moodycamel", 8, {{"bulk", "64"}});
      idle->shutdown();
    }
    auto busy = make("ref_moodycamel", 8, {{"bulk", "64"}});
    expect_every_task_once(*busy, 10000, 2);
  });
}

TEST(RefMoodycamel, EveryBulkSizeRunsEveryTaskOnce) {
  with_time_limit([] {
    for (const char* bulk : {"1", "7", "32"}) {
      SCOPED_TRACE(std::string("bulk=") + bulk);
      auto strategy = make("ref_moodycamel", 3, {{"bulk", bulk}});
      expect_every_task_once(*strategy, test_support::under_sanitizer ? 20000 : 200000, 3);
    }
  });
}

// Both oneTBB APIs, one strategy instance after another in one process (TBB's threads are process-wide).
TEST(RefTbb, BothApisRunEveryTaskOnceOneAfterTheOther) {
  with_time_limit([] {
    for (const char* api : {"task_group", "arena_enqueue", "task_group"}) {
      SCOPED_TRACE(std::string("api=") + api);
      auto strategy = make("ref_tbb_task_group", 2, {{"api", api}});
      expect_every_task_once(*strategy, 20000, 2);
    }
  });
}

TEST(RefBsThreadPool, WaitCoversEveryDetachedTaskTheStrategyIsReusableAfterItAndWaitOutlivesThePool) {
  with_time_limit([] {
    auto strategy = make("ref_bs_thread_pool", 2);
    for (int round = 0; round < 3; ++round) {
      constexpr std::size_t tasks = 5000;
      ExactlyOnceLedger counts(tasks);
      for (std::size_t i = 0; i < tasks; ++i)
        ASSERT_TRUE(strategy->submit(Task{[&counts, i] { counts.record(i); }}).ok());
      EXPECT_FALSE(strategy->wait());
      EXPECT_EQ(counts.verify(), "") << "round " << round;
    }
    strategy->shutdown();
    EXPECT_EQ(strategy->submit(Task{[] {}}).status, SubmitStatus::closed);
    EXPECT_FALSE(strategy->wait()) << "wait() after shutdown(), when the pool is gone";
  });
}

}  // namespace
}  // namespace poolbench
