// sharded (the guide's sharded pond): task handles, groups, the built-in counters, shard picking and
// per-shard FIFO order; mode=pond (pond v2 as it is): a thread per submit up to K, exit when the queue is
// empty, drops only with a queue size. The conformance suite covers the Strategy contract in both modes.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "registry.hpp"
#include "sharded.hpp"
#include "strategy_test_support.hpp"
#include "support/thread_start.hpp"

namespace poolbench {
namespace {

using namespace std::chrono_literals;
using namespace test_support;

ShardedStrategy::Options options(std::size_t workers, std::size_t shards, std::size_t queue_size = 1024) {
  ShardedStrategy::Options result;
  result.workers = workers;
  result.shards = shards;
  result.queue_size = queue_size;
  return result;
}

TEST(Sharded, AHandleDeliversTheResult) {
  with_time_limit([] {
    ShardedStrategy pool(options(2, 2));
    auto answer = pool.submit_with_handle([] { return 6 * 7; });
    auto text = pool.submit_with_handle([] { return std::string("pond"); });
    std::atomic<bool> ran{false};
    auto nothing = pool.submit_with_handle([&ran] { ran.store(true); });
    EXPECT_EQ(answer.get(), 42);
    EXPECT_EQ(text.get(), "pond");
    nothing.get();
    EXPECT_TRUE(ran.load());
    EXPECT_TRUE(answer.ready());
    EXPECT_FALSE(nothing.error());
  });
}

TEST(Sharded, AHandleDeliversTheExceptionAndTheTaskCountsAsFailed) {
  with_time_limit([] {
    ShardedStrategy pool(options(2, 2));
    auto failing = pool.submit_with_handle([]() -> int { throw std::runtime_error("task failed"); });
    try {
      (void)failing.get();
      ADD_FAILURE() << "get() returned for a task that threw";
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "task failed");
    }
    EXPECT_TRUE(failing.error());
    EXPECT_FALSE(pool.wait()) << "the error belongs to the handle, not to wait()";
    const StrategyCounters counters = pool.counters();
    EXPECT_EQ(counters.extra.at("failed"), 1.0);
    EXPECT_EQ(counters.extra.at("completed"), 1.0);
  });
}

TEST(Sharded, NonBlockingModeDropsCountsAndResolvesTheHandleWithTheRejection) {
  with_time_limit([] {
    auto opts = options(1, 1, 2);
    opts.nonblocking = true;
    ShardedStrategy pool(opts);
    Gate gate;
    std::atomic<int> ran{0};
    ASSERT_TRUE(pool.submit(Task{[&] { gate.pass(); }}).ok());
    ASSERT_TRUE(eventually([&] { return pool.counters().extra.at("running") == 1.0; }));
    for (int i = 0; i < 2; ++i) ASSERT_TRUE(pool.submit(Task{[&] { ran.fetch_add(1); }}).ok());
    const SubmitResult dropped = pool.submit(Task{[&] { ran.fetch_add(100); }});
    EXPECT_EQ(dropped.status, SubmitStatus::overloaded);
    auto handle = pool.submit_with_handle([] { return 1; });
    EXPECT_TRUE(handle.ready());
    try {
      (void)handle.get();
      ADD_FAILURE() << "a dropped task's handle returned a value";
    } catch (const SubmitRejected& e) {
      EXPECT_EQ(e.status(), SubmitStatus::overloaded);
    }
    StrategyCounters counters = pool.counters();
    EXPECT_EQ(counters.extra.at("dropped"), 2.0);
    EXPECT_EQ(counters.extra.at("waiting"), 2.0);
    EXPECT_EQ(counters.extra.at("submitted"), 3.0);
    gate.open();
    EXPECT_FALSE(pool.wait());
    EXPECT_EQ(ran.load(), 2);
    counters = pool.counters();
    EXPECT_EQ(counters.extra.at("completed"), 3.0);
    EXPECT_EQ(counters.extra.at("running"), 0.0);
    EXPECT_EQ(counters.extra.at("waiting"), 0.0);
  });
}

TEST(Sharded, CountersTrackRunningWaitingSubmittedCompleted) {
  with_time_limit([] {
    ShardedStrategy pool(options(2, 2));
    Gate gate;
    for (int i = 0; i < 8; ++i) ASSERT_TRUE(pool.submit(Task{[&gate] { gate.pass(); }}).ok());
    ASSERT_TRUE(eventually([&] { return pool.counters().extra.at("running") == 2.0; }));
    StrategyCounters counters = pool.counters();
    EXPECT_EQ(counters.extra.at("waiting"), 6.0);
    EXPECT_EQ(counters.extra.at("submitted"), 8.0);
    EXPECT_EQ(counters.extra.at("completed"), 0.0);
    EXPECT_EQ(counters.extra.at("dropped"), 0.0);
    gate.open();
    EXPECT_FALSE(pool.wait());
    counters = pool.counters();
    EXPECT_EQ(counters.extra.at("running"), 0.0);
    EXPECT_EQ(counters.extra.at("waiting"), 0.0);
    EXPECT_EQ(counters.extra.at("completed"), 8.0);
    EXPECT_EQ(counters.extra.at("failed"), 0.0);
    EXPECT_EQ(counters.threads_created, 2u);
  });
}

TEST(Sharded, AGroupWaitsForAllItsTasks) {
  with_time_limit([] {
    ShardedStrategy pool(options(2, 2));
    auto group = pool.group();
    std::atomic<int> ran{0};
    for (int i = 0; i < 1000; ++i)
      ASSERT_TRUE(group
                      .submit([&ran] {
                        std::this_thread::yield();
                        ran.fetch_add(1);
                      })
                      .ok());
    EXPECT_FALSE(group.wait());
    EXPECT_EQ(ran.load(), 1000);
    EXPECT_EQ(group.skipped(), 0u);
  });
}

TEST(Sharded, AGroupReturnsTheFirstErrorAndSkipsTasksThatHaveNotStarted) {
  with_time_limit([] {
    ShardedStrategy pool(options(1, 1));  // one worker: the tasks run strictly one after another
    auto group = pool.group();
    std::atomic<int> ran{0};
    ASSERT_TRUE(group.submit([&ran] { ran.fetch_add(1); }).ok());
    ASSERT_TRUE(group.submit([] { throw std::runtime_error("first"); }).ok());
    ASSERT_TRUE(group.submit([] { throw std::runtime_error("second"); }).ok());
    for (int i = 0; i < 50; ++i) ASSERT_TRUE(group.submit([&ran] { ran.fetch_add(1); }).ok());
    const std::exception_ptr error = group.wait();
    ASSERT_TRUE(error);
    try {
      std::rethrow_exception(error);
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "first");
    }
    EXPECT_EQ(ran.load(), 1);
    EXPECT_EQ(group.skipped(), 51u);
    EXPECT_FALSE(pool.wait());
    EXPECT_EQ(pool.counters().extra.at("failed"), 1.0);
  });
}

TEST(Sharded, CancellingAGroupSkipsItsQueuedTasks) {
  with_time_limit([] {
    ShardedStrategy pool(options(1, 1));
    Gate gate;
    auto group = pool.group();
    std::atomic<int> ran{0};
    ASSERT_TRUE(group.submit([&gate] { gate.pass(); }).ok());
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(group.submit([&ran] { ran.fetch_add(1); }).ok());
    ASSERT_TRUE(eventually([&] { return pool.counters().extra.at("running") == 1.0; }));
    group.cancel();
    gate.open();
    EXPECT_FALSE(group.wait());
    EXPECT_EQ(ran.load(), 0);
    EXPECT_EQ(group.skipped(), 20u);
  });
}

TEST(Sharded, AGroupRecordsARejectedSubmitAsItsError) {
  with_time_limit([] {
    auto opts = options(1, 1, 1);
    opts.nonblocking = true;
    ShardedStrategy pool(opts);
    Gate gate;
    auto group = pool.group();
    ASSERT_TRUE(group.submit([&gate] { gate.pass(); }).ok());
    ASSERT_TRUE(eventually([&] { return pool.counters().extra.at("running") == 1.0; }));
    ASSERT_TRUE(group.submit([] {}).ok());
    EXPECT_EQ(group.submit([] {}).status, SubmitStatus::overloaded);
    gate.open();
    const std::exception_ptr error = group.wait();
    ASSERT_TRUE(error);
    EXPECT_THROW(std::rethrow_exception(error), SubmitRejected);
  });
}

TEST(Sharded, AfterShutdownHandlesAndSubmitsReportClosed) {
  with_time_limit([] {
    ShardedStrategy pool(options(2, 2));
    pool.shutdown();
    EXPECT_EQ(pool.submit(Task{[] {}}).status, SubmitStatus::closed);
    auto handle = pool.submit_with_handle([] { return 1; });
    try {
      (void)handle.get();
      ADD_FAILURE() << "a handle submitted after shutdown returned a value";
    } catch (const SubmitRejected& e) {
      EXPECT_EQ(e.status(), SubmitStatus::closed);
    }
  });
}

TEST(Sharded, ShardsAreClampedToTheWorkerCount) {
  ShardedStrategy pool(options(2, 8));
  EXPECT_EQ(pool.shard_count(), 2u);
  EXPECT_EQ(pool.counters().extra.at("shards"), 2.0);
}

// Records which worker thread ran each task, in start order per thread.
struct StartLog {
  std::mutex mutex;
  std::map<std::thread::id, std::vector<int>> by_thread;
  void started(int task) {
    std::scoped_lock lock(mutex);
    by_thread[std::this_thread::get_id()].push_back(task);
  }
};

TEST(Sharded, RoundRobinUsesEveryShardAndKeepsFifoWithinEach) {
  with_time_limit([] {
    ShardedStrategy pool(options(2, 2));  // one worker per shard
    StartLog log;
    for (int i = 0; i < 2000; ++i) ASSERT_TRUE(pool.submit(Task{[&log, i] { log.started(i); }}).ok());
    EXPECT_FALSE(pool.wait());
    ASSERT_EQ(log.by_thread.size(), 2u) << "round-robin over two shards must use both shards' workers";
    for (const auto& [thread, tasks] : log.by_thread) {
      EXPECT_EQ(tasks.size(), 1000u);
      EXPECT_TRUE(std::is_sorted(tasks.begin(), tasks.end())) << "start order within a shard must be FIFO";
      const int parity = tasks.front() % 2;
      for (int task : tasks) ASSERT_EQ(task % 2, parity) << "round-robin alternates shards";
    }
  });
}

TEST(Sharded, ThreadHashSendsOneProducersTasksToOneShard) {
  with_time_limit([] {
    auto opts = options(2, 2);
    opts.pick = ShardedStrategy::Pick::thread_hash;
    ShardedStrategy pool(opts);
    StartLog log;
    for (int i = 0; i < 500; ++i) ASSERT_TRUE(pool.submit(Task{[&log, i] { log.started(i); }}).ok());
    EXPECT_FALSE(pool.wait());
    ASSERT_EQ(log.by_thread.size(), 1u) << "one producer, one hash: one shard, one worker";
    const auto& tasks = log.by_thread.begin()->second;
    EXPECT_EQ(tasks.size(), 500u);
    EXPECT_TRUE(std::is_sorted(tasks.begin(), tasks.end()));
  });
}

TEST(Sharded, RegisteredParametersReachTheStrategy) {
  const StrategyInfo* info = strategy_registry().find("sharded");
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->traits.on_exception, OnException::stored_in_task_handle);
  EXPECT_TRUE(info->traits.returns_results);
  Params params({{"shards", "3"}, {"pick", "thread_hash"}});
  params.apply_defaults(info->params);
  auto strategy = info->make(StrategyConfig{4, params, {}});
  EXPECT_EQ(strategy->counters().extra.at("shards"), 3.0);
  EXPECT_EQ(strategy->counters().threads_created, 4u);
}

// ---------------------------------------------------------------------------------------------------------------
// mode=pond: pond v2 as it is.

ShardedStrategy::Options pond_options(std::size_t workers, std::size_t queue_size = 0) {
  ShardedStrategy::Options result;
  result.workers = workers;
  result.mode = ShardedStrategy::Mode::pond;
  result.pond_queue_size = queue_size;
  return result;
}

// pond's trySubmit starts a worker per submit while fewer than maxConcurrency run; a worker exits when it
// finds the queue empty, so the thread count rises to K under load and falls back to none when idle.
TEST(ShardedPond, StartsAThreadPerSubmitUpToKAndEachExitsWhenTheQueueIsEmpty) {
  with_time_limit([] {
    const std::size_t threads_before = live_threads();
    ShardedStrategy pool(pond_options(3));
    EXPECT_EQ(pool.shard_count(), 0u);
    EXPECT_EQ(pool.counters().threads_created, 0u) << "no thread before the first submit";
    Gate gate;
    std::atomic<int> started{0};
    for (int i = 0; i < 2; ++i) {
      ASSERT_TRUE(pool.submit(Task{[&] {
                        started.fetch_add(1);
                        gate.pass();
                      }})
                      .ok());
      EXPECT_EQ(pool.counters().threads_created, static_cast<std::uint64_t>(i + 1))
          << "one thread per submit";
    }
    for (int i = 0; i < 4; ++i) {
      ASSERT_TRUE(pool.submit(Task{[&] {
                        started.fetch_add(1);
                        gate.pass();
                      }})
                      .ok());
    }
    ASSERT_TRUE(eventually([&] { return started.load() == 3; }));
    EXPECT_EQ(pool.pond_running_workers(), 3u);
    EXPECT_EQ(pool.counters().threads_created, 3u) << "at most K threads";
    EXPECT_EQ(pool.counters().extra.at("waiting"), 3.0);
    EXPECT_EQ(live_threads(), threads_before + 3);
    gate.open();
    EXPECT_FALSE(pool.wait());
    EXPECT_EQ(started.load(), 6);
    EXPECT_EQ(pool.pond_running_workers(), 0u) << "workers exit once the queue is empty";
    EXPECT_EQ(live_threads_settled(threads_before), threads_before) << "an idle pond pool has no thread";
    EXPECT_EQ(pool.counters().extra.at("completed"), 6.0);

    // Work after idle starts new threads: nothing was kept.
    std::atomic<bool> ran{false};
    ASSERT_TRUE(pool.submit(Task{[&ran] { ran.store(true); }}).ok());
    EXPECT_FALSE(pool.wait());
    EXPECT_TRUE(ran.load());
    EXPECT_EQ(pool.counters().threads_created, 4u);
  });
}

// pond's default queue is unbounded: non-blocking mode never drops there.
TEST(ShardedPond, AnUnboundedQueueNeverDropsEvenInNonBlockingMode) {
  with_time_limit([] {
    auto opts = pond_options(1);
    opts.nonblocking = true;
    ShardedStrategy pool(opts);
    Gate gate;
    ASSERT_TRUE(pool.submit(Task{[&] { gate.pass(); }}).ok());
    std::atomic<int> ran{0};
    for (int i = 0; i < 5000; ++i) ASSERT_TRUE(pool.submit(Task{[&ran] { ran.fetch_add(1); }}).ok());
    EXPECT_EQ(pool.counters().extra.at("waiting"), 5000.0);
    EXPECT_EQ(pool.counters().extra.at("dropped"), 0.0);
    gate.open();
    EXPECT_FALSE(pool.wait());
    EXPECT_EQ(ran.load(), 5000);
  });
}

// With WithQueueSize, non-blocking mode fails a submit on a full queue (ErrQueueFull) and counts it.
TEST(ShardedPond, NonBlockingModeWithAQueueSizeDropsAndCounts) {
  with_time_limit([] {
    auto opts = pond_options(1, 2);
    opts.nonblocking = true;
    ShardedStrategy pool(opts);
    Gate gate;
    std::atomic<int> ran{0};
    ASSERT_TRUE(pool.submit(Task{[&] { gate.pass(); }}).ok());
    for (int i = 0; i < 2; ++i) ASSERT_TRUE(pool.submit(Task{[&] { ran.fetch_add(1); }}).ok());
    EXPECT_EQ(pool.submit(Task{[&] { ran.fetch_add(100); }}).status, SubmitStatus::overloaded);
    auto handle = pool.submit_with_handle([] { return 1; });
    EXPECT_THROW((void)handle.get(), SubmitRejected);
    EXPECT_EQ(pool.counters().extra.at("dropped"), 2.0);
    EXPECT_EQ(pool.counters().extra.at("waiting"), 2.0);
    gate.open();
    EXPECT_FALSE(pool.wait());
    EXPECT_EQ(ran.load(), 2);
    EXPECT_EQ(pool.counters().extra.at("completed"), 3.0);
  });
}

TEST(ShardedPond, HandlesAndGroupsWorkAndAThrowingTaskCountsAsFailed) {
  with_time_limit([] {
    ShardedStrategy pool(pond_options(2));
    EXPECT_EQ(pool.submit_with_handle([] { return 42; }).get(), 42);
    auto failing = pool.submit_with_handle([]() -> int { throw std::runtime_error("pond-boom"); });
    EXPECT_THROW((void)failing.get(), std::runtime_error);
    auto group = pool.group();
    std::atomic<int> ran{0};
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(group.submit([&ran] { ran.fetch_add(1); }).ok());
    EXPECT_FALSE(group.wait());
    EXPECT_EQ(ran.load(), 10);
    EXPECT_FALSE(pool.wait());
    EXPECT_EQ(pool.counters().extra.at("failed"), 1.0);
  });
}

// A refused thread start fails the submit fast when no worker runs, and leaves the task to a running worker
// otherwise; nothing is lost either way.
TEST(ShardedPond, ARefusedThreadFailsTheSubmitOnlyWhenNoWorkerRuns) {
  with_time_limit([] {
    ShardedStrategy pool(pond_options(2));
    struct RefuseThreads {
      RefuseThreads() {
        support::thread_start_hook.store(+[] { throw std::system_error(EAGAIN, std::generic_category()); });
      }
      ~RefuseThreads() { support::thread_start_hook.store(nullptr); }
    };
    std::atomic<int> ran{0};
    {
      RefuseThreads refuse;
      const SubmitResult refused = pool.submit(Task{[&ran] { ran.fetch_add(1); }});
      EXPECT_EQ(refused.status, SubmitStatus::error);
      EXPECT_NE(refused.message.find("out of threads"), std::string::npos) << refused.message;
    }
    Gate gate;
    ASSERT_TRUE(pool.submit(Task{[&gate] { gate.pass(); }}).ok());  // one worker runs, blocked
    {
      RefuseThreads refuse;
      EXPECT_TRUE(pool.submit(Task{[&ran] { ran.fetch_add(1); }}).ok()) << "left to the running worker";
    }
    EXPECT_EQ(pool.counters().extra.at("thread_starts_refused"), 2.0);
    gate.open();
    EXPECT_FALSE(pool.wait());
    EXPECT_EQ(ran.load(), 1);
  });
}

TEST(ShardedPond, SelectedByTheModeParameter) {
  const StrategyInfo* info = strategy_registry().find("sharded");
  ASSERT_NE(info, nullptr);
  Params params(std::map<std::string, std::string>{{"mode", "pond"}});
  params.apply_defaults(info->params);
  auto strategy = info->make(StrategyConfig{4, params, {}});
  EXPECT_EQ(strategy->counters().threads_created, 0u) << "pond starts no thread up front";
  EXPECT_EQ(strategy->counters().extra.count("shards"), 0u);
}

}  // namespace
}  // namespace poolbench
