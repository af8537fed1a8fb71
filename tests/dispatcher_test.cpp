// dispatcher (gammazero/workerpool): workers start on demand up to K, each task is handed to one idle worker,
// submit never blocks, the waiting queue holds exactly what no worker has taken, and idle workers are stopped
// one per idle period. The conformance suite covers the Strategy
// contract.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <latch>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "dispatcher.hpp"
#include "dispatcher_batching.hpp"
#include "registry.hpp"
#include "strategy_test_support.hpp"
#include "support/task_deque.hpp"

namespace poolbench {
namespace {

using namespace std::chrono_literals;
using namespace test_support;

DispatcherStrategy::Options options(std::size_t workers, std::chrono::milliseconds idle_timeout = 2s) {
  DispatcherStrategy::Options result;
  result.workers = workers;
  result.idle_timeout = idle_timeout;
  return result;
}

TEST(Dispatcher, StartsWorkersOnlyWhenTasksNeedThemAndNeverMoreThanK) {
  with_time_limit([] {
    DispatcherStrategy pool(options(2));
    EXPECT_EQ(pool.live_workers(), 0u);
    EXPECT_EQ(pool.counters().threads_created, 1u) << "only the dispatcher thread before any task";
    Gate gate;
    std::atomic<int> started{0};
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(pool.submit(Task{[&] {
                        started.fetch_add(1);
                        gate.pass();
                      }})
                      .ok());
    }
    ASSERT_TRUE(eventually([&] { return started.load() == 2; }));
    std::this_thread::sleep_for(50ms);  // sequencing only: the third task must still be waiting for a worker
    EXPECT_EQ(started.load(), 2) << "K = 2: the third task cannot start while two are running";
    EXPECT_EQ(pool.live_workers(), 2u);
    EXPECT_EQ(pool.counters().threads_created, 3u);
    gate.open();
    EXPECT_FALSE(pool.wait());
    EXPECT_EQ(started.load(), 3);
    EXPECT_EQ(pool.counters().threads_created, 3u) << "the third task reused a worker";
  });
}

TEST(Dispatcher, SubmitNeverBlocksAndTheWaitingDequeGrows) {
  with_time_limit([] {
    DispatcherStrategy pool(options(1));
    Gate gate;
    std::atomic<int> ran{0};
    ASSERT_TRUE(pool.submit(Task{[&gate] { gate.pass(); }}).ok());
    constexpr int queued = 50'000;  // far beyond the hand-off ring: the rest waits in the deque
    for (int i = 0; i < queued; ++i) ASSERT_TRUE(pool.submit(Task{[&ran] { ran.fetch_add(1); }}).ok());
    EXPECT_TRUE(eventually([&] { return pool.waiting_queue_size() > 0; }));
    gate.open();
    EXPECT_FALSE(pool.wait());
    EXPECT_EQ(ran.load(), queued);
    EXPECT_TRUE(eventually([&] { return pool.waiting_queue_size() == 0; }));
  });
}

TEST(Dispatcher, IdleWorkersAreStoppedOnePerIdlePeriodAndJoined) {
  with_time_limit([] {
    const std::size_t threads_before = live_threads();
    DispatcherStrategy pool(options(2, 200ms));
    std::latch both_running(2);
    Gate gate;
    for (int i = 0; i < 2; ++i) {
      ASSERT_TRUE(pool.submit(Task{[&] {
                        both_running.count_down();
                        gate.pass();
                      }})
                      .ok());
    }
    both_running.wait();
    gate.open();
    EXPECT_FALSE(pool.wait());
    EXPECT_EQ(pool.live_workers(), 2u);
    // One worker per period, not all at once: the pool passes through one live worker.
    bool saw_one = false;
    ASSERT_TRUE(eventually(
        [&] {
          saw_one = saw_one || pool.live_workers() == 1;
          return pool.live_workers() == 0;
        },
        20s));
    EXPECT_TRUE(saw_one) << "both idle workers were stopped in the same period";
    EXPECT_EQ(pool.counters().extra.at("idle_workers_stopped"), 2.0);
    // Stopped workers are joined, leaving only the dispatcher thread.
    EXPECT_TRUE(eventually([&] { return live_threads() == threads_before + 1; }))
        << live_threads() << " threads, expected " << threads_before + 1;

    // And the pool starts workers again for new work.
    std::atomic<int> ran{0};
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(pool.submit(Task{[&ran] { ran.fetch_add(1); }}).ok());
    EXPECT_FALSE(pool.wait());
    EXPECT_EQ(ran.load(), 100);
    // At least one new worker: how many the dispatcher needs for 100 tiny tasks depends on scheduling.
    EXPECT_GE(pool.counters().threads_created, 3u);
  });
}

TEST(Dispatcher, BusyWorkersAreNotStoppedByTheIdleTimer) {
  with_time_limit([] {
    DispatcherStrategy pool(options(1, 20ms));
    Gate gate;
    ASSERT_TRUE(pool.submit(Task{[&gate] { gate.pass(); }}).ok());
    ASSERT_TRUE(eventually([&] { return pool.live_workers() == 1; }));
    std::this_thread::sleep_for(150ms);  // several idle periods with no new task, but the worker is busy
    EXPECT_EQ(pool.live_workers(), 1u);
    EXPECT_EQ(pool.counters().extra.at("idle_workers_stopped"), 0.0);
    gate.open();
    EXPECT_FALSE(pool.wait());
  });
}

// workerpool hands each task to one receiving worker and queues only what no worker can take, so
// WaitingQueueSize is exactly the number of tasks no worker has yet (a batching pool would hide them in its
// hand-off ring and report 0).
TEST(Dispatcher, WaitingQueueSizeCountsExactlyTheTasksNoWorkerHasTaken) {
  with_time_limit([] {
    DispatcherStrategy pool(options(2));
    Gate first_two;
    Gate the_rest;
    std::atomic<int> started{0};
    for (int i = 0; i < 2; ++i) {
      ASSERT_TRUE(pool.submit(Task{[&] {
                        started.fetch_add(1);
                        first_two.pass();
                      }})
                      .ok());
    }
    ASSERT_TRUE(eventually([&] { return started.load() == 2; }));
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(pool.submit(Task{[&] {
                        started.fetch_add(1);
                        the_rest.pass();
                      }})
                      .ok());
    }
    ASSERT_TRUE(eventually([&] { return pool.waiting_queue_size() == 5; }))
        << "waiting: " << pool.waiting_queue_size();
    std::this_thread::sleep_for(
        50ms);  // sequencing only: nothing may leave the queue while both workers block
    EXPECT_EQ(pool.waiting_queue_size(), 5u);
    EXPECT_EQ(started.load(), 2);
    EXPECT_EQ(pool.counters().extra.at("waiting"), 5.0);

    first_two.open();  // each worker takes one task, one at a time, and blocks on it
    ASSERT_TRUE(eventually([&] { return started.load() == 4; }));
    ASSERT_TRUE(eventually([&] { return pool.waiting_queue_size() == 3; }))
        << "waiting: " << pool.waiting_queue_size();
    std::this_thread::sleep_for(50ms);
    EXPECT_EQ(started.load(), 4) << "a worker took more than one task at a time";
    EXPECT_EQ(pool.waiting_queue_size(), 3u);
    the_rest.open();
    EXPECT_FALSE(pool.wait());
    EXPECT_EQ(started.load(), 7);
    EXPECT_TRUE(eventually([&] { return pool.waiting_queue_size() == 0; }));
  });
}

// An idle (receiving) worker gets the next task at once, while the other worker is blocked: no batch to fill,
// no new thread.
TEST(Dispatcher, AnIdleWorkerStartsTheNextTaskWhileTheOtherIsBlocked) {
  with_time_limit([] {
    DispatcherStrategy pool(options(2));
    std::latch both_running(2);
    Gate warm_up;
    for (int i = 0; i < 2; ++i) {
      ASSERT_TRUE(pool.submit(Task{[&] {
                        both_running.count_down();
                        warm_up.pass();
                      }})
                      .ok());
    }
    both_running.wait();
    warm_up.open();
    EXPECT_FALSE(pool.wait());  // both workers are now idle, receiving
    const auto threads_created = pool.counters().threads_created;

    Gate blocker;
    std::atomic<bool> blocked_started{false};
    ASSERT_TRUE(pool.submit(Task{[&] {
                      blocked_started.store(true);
                      blocker.pass();
                    }})
                    .ok());
    ASSERT_TRUE(eventually([&] { return blocked_started.load(); }));
    for (int i = 0; i < 20; ++i) {
      std::atomic<bool> ran{false};
      ASSERT_TRUE(pool.submit(Task{[&ran] { ran.store(true); }}).ok());
      ASSERT_TRUE(eventually([&] { return ran.load(); })) << "task " << i << " waited for the blocked worker";
    }
    EXPECT_EQ(pool.counters().threads_created, threads_created) << "idle workers are reused, not replaced";
    blocker.open();
    EXPECT_FALSE(pool.wait());
  });
}

TEST(Dispatcher, BatchingIsANamedParameterOffByDefault) {
  const StrategyInfo* info = strategy_registry().find("dispatcher");
  ASSERT_NE(info, nullptr);
  auto make = [&](std::map<std::string, std::string> overrides) {
    Params params(std::move(overrides));
    params.apply_defaults(info->params);
    return info->make(StrategyConfig{2, params, {}});
  };
  EXPECT_NE(dynamic_cast<DispatcherStrategy*>(make({}).get()), nullptr);
  EXPECT_NE(dynamic_cast<BatchingDispatcherStrategy*>(make({{"batching", "true"}}).get()), nullptr);
}

// The waiting queue: FIFO through growth, wrap-around and shrinking (gammazero/deque's rule).
TEST(TaskDeque, KeepsPushOrderThroughGrowthWrapAroundAndShrinking) {
  support::TaskDeque deque;
  std::vector<int> popped;
  int next = 0;
  auto push = [&](int count) {
    for (int i = 0; i < count; ++i)
      deque.push_back(Task{[&popped, value = next++] { popped.push_back(value); }});
  };
  auto pop = [&](int count) {
    for (int i = 0; i < count; ++i) deque.pop_front()();
  };
  push(10);
  pop(7);  // the head moves, so the next growth copies a wrapped ring
  push(100);
  pop(90);  // shrinks more than once
  push(3);
  EXPECT_EQ(deque.size(), 16u);
  pop(16);
  EXPECT_TRUE(deque.empty());
  ASSERT_EQ(popped.size(), 113u);
  for (int i = 0; i < 113; ++i) EXPECT_EQ(popped[static_cast<std::size_t>(i)], i);
}

TEST(Dispatcher, RejectsAnEmptyTask) {
  DispatcherStrategy pool(options(1));
  EXPECT_EQ(pool.submit(Task{}).status, SubmitStatus::error);
}

TEST(Dispatcher, RegisteredWithWorkerpoolsDefaults) {
  const StrategyInfo* info = strategy_registry().find("dispatcher");
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->traits.worker_lifecycle, WorkerLifecycle::on_demand_with_expiry);
  EXPECT_EQ(info->traits.when_full, WhenFull::never_full);
  EXPECT_EQ(info->traits.queue_order, QueueOrder::fifo);
  bool found = false;
  for (const auto& spec : info->params) {
    if (spec.name == "idle_timeout_ms") {
      found = true;
      EXPECT_EQ(spec.default_value, "2000");
    }
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace poolbench
