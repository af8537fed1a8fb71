// priority (the guide's Exercise 2) and the mixed_priority workload: the exact order a known queue runs in,
// the workload's tags, and the driver's queue waits per class.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <latch>
#include <mutex>
#include <string>
#include <vector>

#include "priority.hpp"
#include "registry.hpp"
#include "strategy_test_support.hpp"
#include "tagged_bursts.hpp"
#include "truth_support.hpp"

namespace poolbench {
namespace {

using test_support::Gate;
using test_support::with_time_limit;

Task tagged(TaskPriority priority, std::function<void()> body) {
  Task task{std::move(body)};
  task.set_tag(TaskTag{.tenant = 0, .priority = priority});
  return task;
}

// One worker held by a first task; behind it a known queue of normal (n) and urgent (u) tasks. Whenever the
// worker takes a task while an urgent one is queued, it must take an urgent one, in submission order within
// a class. The last urgent task of the first queue holds the worker again while a second batch arrives (two
// normal, then one urgent): that urgent one must overtake every normal task still queued.
TEST(Priority, TakesAnUrgentTaskWheneverOneIsQueued) {
  with_time_limit([] {
    PriorityStrategy strategy(1);
    std::mutex order_mutex;
    std::vector<std::string> order;
    auto record = [&](std::string name) {
      return [&, name] {
        std::scoped_lock lock(order_mutex);
        order.push_back(name);
      };
    };
    Gate first_gate;
    std::latch first_running(1);
    ASSERT_TRUE(strategy
                    .submit(Task{[&] {
                      first_running.count_down();
                      first_gate.pass();
                    }})
                    .ok());
    first_running.wait();  // the worker holds the first task: everything below queues

    const std::string queue = "nnunuunnun";  // the known queue, in submission order
    int normal = 0;
    int urgent = 0;
    Gate second_gate;
    std::latch last_urgent_running(1);
    const int urgent_total = static_cast<int>(std::count(queue.begin(), queue.end(), 'u'));
    for (char kind : queue) {
      if (kind == 'n') {
        ASSERT_TRUE(
            strategy.submit(tagged(TaskPriority::normal, record("n" + std::to_string(normal++)))).ok());
      } else if (++urgent < urgent_total) {
        ASSERT_TRUE(
            strategy.submit(tagged(TaskPriority::urgent, record("u" + std::to_string(urgent - 1)))).ok());
      } else {
        auto log = record("u" + std::to_string(urgent - 1));
        ASSERT_TRUE(strategy
                        .submit(tagged(TaskPriority::urgent,
                                       [&, log] {
                                         log();
                                         last_urgent_running.count_down();
                                         second_gate.pass();
                                       }))
                        .ok());
      }
    }
    first_gate.open();
    last_urgent_running.wait();  // the worker holds the last urgent task of the first queue
    ASSERT_TRUE(strategy.submit(tagged(TaskPriority::normal, record("n6"))).ok());
    ASSERT_TRUE(strategy.submit(tagged(TaskPriority::normal, record("n7"))).ok());
    ASSERT_TRUE(strategy.submit(tagged(TaskPriority::urgent, record("u4"))).ok());
    second_gate.open();
    EXPECT_FALSE(strategy.wait());
    strategy.shutdown();
    const std::vector<std::string> expected = {"u0", "u1", "u2", "u3", "u4", "n0", "n1",
                                               "n2", "n3", "n4", "n5", "n6", "n7"};
    EXPECT_EQ(order, expected);
  });
}

TEST(Priority, IsRegisteredAsAScenarioStrategyThatPutsUrgentFirst) {
  const StrategyInfo* info = strategy_registry().find("priority");
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->traits.queue_order, QueueOrder::urgent_first);
  EXPECT_FALSE(info->in_default_matrix);
  const WorkloadInfo* workload = workload_registry().find("mixed_priority");
  ASSERT_NE(workload, nullptr);
  EXPECT_FALSE(workload->in_default_matrix);
}

std::unique_ptr<Workload> mixed_priority(const std::string& share) {
  const WorkloadInfo* info = workload_registry().find("mixed_priority");
  Params params({{"urgent_share", share}, {"duration_us", "1"}});
  params.apply_defaults(info->params);
  return info->make(WorkloadConfig{params, false});
}

TEST(MixedPriority, TagsItsUrgentShareEvenlyOverTheSubmissionOrder) {
  auto workload = mixed_priority("0.25");
  workload->prepare(100);
  const TaskTag* tags = workload->tags();
  ASSERT_NE(tags, nullptr);
  std::vector<std::size_t> urgent;
  for (std::size_t i = 0; i < 100; ++i) {
    EXPECT_EQ(tags[i].tenant, 0u);
    if (tags[i].priority == TaskPriority::urgent) urgent.push_back(i);
  }
  ASSERT_EQ(urgent.size(), 25u);
  for (std::size_t k = 0; k < urgent.size(); ++k) EXPECT_EQ(urgent[k], 4 * k + 3);
}

TEST(MixedPriority, RefusesAShareAboveOne) {
  EXPECT_THROW(mixed_priority("1.5"), ParamError);
}

// The driver sets each task's tag from the workload and writes queue waits per class; a strategy that ignores
// the tag runs the same workload unchanged.
TEST(MixedPriority, CasesRecordQueueWaitsPerClass) {
  for (const char* strategy : {"priority", "fifo_ring"}) {
    const auto outcome = testing::run_in_process(
        testing::make_case(strategy, "mixed_priority", 400, 1, 1, {{"duration_us", "5"}}));
    ASSERT_FALSE(outcome.error) << strategy << ": " << outcome.error_message;
    for (const char* metric : {"queue_wait_urgent_p50_ns", "queue_wait_urgent_p99_ns",
                               "queue_wait_normal_p50_ns", "queue_wait_normal_p99_ns"})
      EXPECT_EQ(outcome.counters.count(metric), 1u) << strategy << " " << metric;
    EXPECT_EQ(outcome.counters.count("queue_wait_tenant_b_max_ns"), 0u) << strategy;
    if (std::string(strategy) == "priority") {
      EXPECT_EQ(outcome.counter("urgent_accepted"), 40);
      EXPECT_EQ(outcome.counter("normal_accepted"), 360);
    }
  }
}

TEST(MixedPriority, AnUntaggedWorkloadHasNoClassQueueWaits) {
  const auto outcome = testing::run_in_process(testing::make_case("priority", "atomic_increment", 200, 1, 1));
  ASSERT_FALSE(outcome.error) << outcome.error_message;
  EXPECT_EQ(outcome.counters.count("queue_wait_urgent_p99_ns"), 0u);
  EXPECT_EQ(outcome.counter("normal_accepted"), 200);
}

}  // namespace
}  // namespace poolbench
