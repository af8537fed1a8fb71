// The footprint case (-w footprint): K workers really started before the idle measurement, the tasks queued
// behind K held workers counted exactly (an unbounded queue takes them all, a bounded one its capacity, a
// pool without a queue none), strategies without persistent workers say so instead of a figure, and the
// thread-stack accounting finds a thread's stack and the pages it touched. Small K and few tasks: the K =
// 1000 figures are for measured runs, not for CI.
#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <latch>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "case/footprint_case.hpp"
#include "cli_support.hpp"
#include "metrics/catalogue.hpp"
#include "probe/process_stats.hpp"
#include "truth_support.hpp"

namespace poolbench {
namespace {

using testing::make_case;
using testing::run_in_process;
namespace metric = metrics::name;

constexpr std::size_t workers = 4;

// Through `poolbench run`, so that each case has a child process of its own, as measured runs do (in one
// process, stacks that earlier cases' threads left in glibc's cache would be reused).
TEST(Footprint, IdleWorkersAreStartedBeforeTheyAreMeasured) {
  testing::TempDir dir;
  const auto out = dir / "footprint.json";
  const auto result = testing::run_poolbench(
      "run -w footprint -s fifo_ring,lifo_stack,dispatcher,stateful,sharded -k 4 -n 200 -p 1 -r 1 "
      "--param measure=idle_workers -q --out " +
      out.string());
  ASSERT_EQ(result.exit_status, 0) << result.err;
  const auto document = nlohmann::json::parse(testing::slurp(out));
  std::set<std::string> strategies;
  for (const auto& entry : document.at("benchmarks")) {
    const std::string strategy = entry.at("case").at("strategy");
    SCOPED_TRACE(strategy);
    strategies.insert(strategy);
    EXPECT_EQ(entry.at(metric::idle_workers_started).get<double>(), workers);
    EXPECT_GE(entry.at(metric::threads_created).get<double>(), workers);
    // K started threads hold at least their touched stack pages: never nothing.
    EXPECT_GT(entry.at(metric::idle_worker_rss_bytes).get<double>(), 0);
    EXPECT_GT(entry.at(metric::idle_worker_stack_rss_bytes).get<double>(), 0);
    EXPECT_EQ(entry.at(metric::default_thread_stack_bytes).get<double>(),
              probe::default_thread_stack_bytes());
    EXPECT_FALSE(entry.contains(metric::pending_tasks_queued));
  }
  EXPECT_EQ(strategies.size(), 5u);

  // The report's footprint table has a row per strategy with its figure at K = 4.
  const auto report = testing::run_poolbench("report " + out.string());
  ASSERT_EQ(report.exit_status, 0) << report.err;
  const auto footprint_table = report.out.find("| Strategy | Idle worker, K=4 | of which stack |");
  ASSERT_NE(footprint_table, std::string::npos) << report.out;
  for (const auto& strategy : strategies) {
    const auto row = report.out.find("| `" + strategy + "` | ", footprint_table);
    ASSERT_NE(row, std::string::npos) << strategy;
    // KiB here, MiB under TSan (whose runtime maps about 1.6 MiB per started thread).
    EXPECT_NE(report.out.substr(row, report.out.find('\n', row) - row).find("iB"), std::string::npos)
        << strategy;
  }
  EXPECT_NE(report.out.find("footprint configuration measures memory"), std::string::npos);  // no verdict
}

TEST(Footprint, PendingTasksAreCountedAsTheQueueTakesThem) {
  constexpr std::size_t tasks = 600;
  // dispatcher: an unbounded waiting queue takes every task offered behind the K held ones.
  auto unbounded =
      run_in_process(make_case("dispatcher", "footprint", tasks, workers, 1, {{"measure", "pending_tasks"}}));
  ASSERT_FALSE(unbounded.error) << unbounded.error_message;
  EXPECT_EQ(unbounded.counter(metric::pending_tasks_queued), tasks - workers);
  EXPECT_GT(unbounded.counter(metric::pending_task_heap_bytes), 0);  // its deque grows
  EXPECT_TRUE(unbounded.counters.count(metric::pending_task_rss_bytes));
  EXPECT_EQ(unbounded.label, "");

  // fifo_ring: a ring of `capacity` tasks, then submit blocks.
  auto bounded = run_in_process(make_case("fifo_ring", "footprint", tasks, workers, 1,
                                          {{"measure", "pending_tasks"}, {"capacity", "64"}}));
  ASSERT_FALSE(bounded.error) << bounded.error_message;
  EXPECT_EQ(bounded.counter(metric::pending_tasks_queued), 64);
  EXPECT_EQ(bounded.counter(metric::pending_task_heap_bytes), 0);  // the ring was allocated up front
  EXPECT_EQ(bounded.label, "queue bounded: submit blocked after 64 pending tasks");

  // lifo_stack (ants' default): no task queue, submit blocks while every worker is busy.
  auto none =
      run_in_process(make_case("lifo_stack", "footprint", tasks, workers, 1, {{"measure", "pending_tasks"}}));
  ASSERT_FALSE(none.error) << none.error_message;
  EXPECT_EQ(none.counter(metric::pending_tasks_queued), 0);
  EXPECT_EQ(none.counters.count(metric::pending_task_rss_bytes), 0u);
  EXPECT_EQ(none.label, "no queue: submit blocks while every worker is busy");
}

TEST(Footprint, StrategiesWithoutPersistentWorkersSaySoInsteadOfAFigure) {
  for (const char* strategy : {"raw_threads", "semaphore_group", "inline"}) {
    SCOPED_TRACE(strategy);
    for (const char* measure : {"idle_workers", "pending_tasks"}) {
      const auto outcome =
          run_in_process(make_case(strategy, "footprint", 50, workers, 1, {{"measure", measure}}));
      ASSERT_FALSE(outcome.error) << outcome.error_message;
      EXPECT_NE(outcome.label.find("0 by construction"), std::string::npos) << outcome.label;
      for (const metrics::Metric& entry : metrics::catalogue())
        if (metrics::footprint_only(entry.name) && entry.name != metric::default_thread_stack_bytes) {
          EXPECT_EQ(outcome.counters.count(std::string(entry.name)), 0u) << entry.name;
        }
    }
  }
}

TEST(Footprint, FewerTasksThanWorkersIsRefused) {
  const auto outcome =
      run_in_process(make_case("fifo_ring", "footprint", 3, workers, 1, {{"measure", "idle_workers"}}));
  EXPECT_TRUE(outcome.error);
  EXPECT_NE(outcome.error_message.find("needs at least K = 4 tasks"), std::string::npos)
      << outcome.error_message;
}

// Threads alive at once each have a stack mapping of their own, holding at least the pages they touched.
TEST(Footprint, ThreadStackMappingsFindThreadsAndThePagesTheyTouched) {
  const std::size_t stack_bytes = probe::default_thread_stack_bytes();
  ASSERT_GT(stack_bytes, 0u);
  constexpr std::size_t threads = 3;
  constexpr std::size_t touched = 256 * 1024;
  std::latch all_touched(threads);
  std::latch measured(1);
  {
    std::vector<std::jthread> alive;
    for (std::size_t t = 0; t < threads; ++t)
      alive.emplace_back([&] {
        std::array<char, touched> buffer;
        std::memset(buffer.data(), 1, buffer.size());
        asm volatile("" : : "r"(buffer.data()) : "memory");  // keeps the writes
        all_touched.count_down();
        measured.wait();
      });
    all_touched.wait();
    const auto during = thread_stack_mappings(stack_bytes);
    measured.count_down();
    ASSERT_TRUE(during);
    EXPECT_GE(during->mappings, threads);
    EXPECT_GE(during->resident_bytes, threads * touched);
  }
  EXPECT_FALSE(thread_stack_mappings(0));
}

}  // namespace
}  // namespace poolbench
