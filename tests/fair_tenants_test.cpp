// fair_tenants (the guide's Exercise 5) and the tenants workload: the deficit round-robin order of a known
// queue, computed by hand, the workload's tags, and the driver's queue waits per tenant.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <functional>
#include <latch>
#include <mutex>
#include <string>
#include <vector>

#include "fair_tenants.hpp"
#include "registry.hpp"
#include "strategy_test_support.hpp"
#include "truth_support.hpp"

namespace poolbench {
namespace {

using test_support::Gate;
using test_support::with_time_limit;

Task of_tenant(std::uint32_t tenant, std::function<void()> body) {
  Task task{std::move(body)};
  task.set_tag(TaskTag{.tenant = tenant, .priority = TaskPriority::normal});
  return task;
}

// One worker held by a first task of tenant A; behind it A's `a_tasks`, then B's `b_tasks` (submitted after
// all of A's). Returns the order the queued tasks ran in ("a0", "b0", ...).
std::vector<std::string> drr_order(double weight_a, double weight_b, int a_tasks, int b_tasks) {
  std::vector<std::string> order;
  with_time_limit([&] {
    FairTenantsStrategy strategy({.workers = 1, .weight_a = weight_a, .weight_b = weight_b});
    std::mutex order_mutex;
    auto record = [&](std::string name) {
      return [&, name] {
        std::scoped_lock lock(order_mutex);
        order.push_back(name);
      };
    };
    Gate gate;
    std::latch running(1);
    ASSERT_TRUE(strategy
                    .submit(of_tenant(0,
                                      [&] {
                                        running.count_down();
                                        gate.pass();
                                      }))
                    .ok());
    running.wait();  // the worker holds A's first task: everything below queues
    for (int i = 0; i < a_tasks; ++i)
      ASSERT_TRUE(strategy.submit(of_tenant(0, record(fmt::format("a{}", i)))).ok());
    for (int i = 0; i < b_tasks; ++i)
      ASSERT_TRUE(strategy.submit(of_tenant(1, record(fmt::format("b{}", i)))).ok());
    gate.open();
    EXPECT_FALSE(strategy.wait());
    strategy.shutdown();
  });
  return order;
}

// Each turn adds the tenant's weight to its deficit and gives one task per unit. The first task emptied A's
// queue, so A rejoined the round with no credit, ahead of B.
TEST(FairTenants, EqualWeightsAlternateAndBRunsInTheFirstRound) {
  const std::vector<std::string> expected = {"a0", "b0", "a1", "a2", "a3", "a4", "a5"};
  EXPECT_EQ(drr_order(1, 1, 6, 1), expected);
}

TEST(FairTenants, AsWeightIsItsQuantumBeforeBsTurn) {
  const std::vector<std::string> expected = {"a0", "a1", "a2", "b0", "a3", "a4", "a5", "b1"};
  EXPECT_EQ(drr_order(3, 1, 6, 2), expected);
}

TEST(FairTenants, BsWeightGivesItTwoTasksPerTurn) {
  const std::vector<std::string> expected = {"a0", "b0", "b1", "a1", "b2", "a2", "a3"};
  EXPECT_EQ(drr_order(1, 2, 4, 3), expected);
}

// A fractional weight saves its credit across turns while the tenant stays queued: with weight 0.5, A gives
// one task every second turn of its own.
TEST(FairTenants, AFractionalWeightCarriesItsDeficitAcrossTurns) {
  const std::vector<std::string> expected = {"b0", "a0", "b1", "b2", "a1", "b3", "a2"};
  EXPECT_EQ(drr_order(0.5, 1, 3, 4), expected);
}

// A's 1000 queued, then B's one: B runs second, not after A's backlog.
TEST(FairTenants, BsOneTaskDoesNotWaitForAsThousand) {
  const auto order = drr_order(1, 1, 1000, 1);
  ASSERT_EQ(order.size(), 1001u);
  EXPECT_EQ(order[1], "b0");
}

TEST(FairTenants, IsRegisteredAsAScenarioStrategyWithPerTenantOrder) {
  const StrategyInfo* info = strategy_registry().find("fair_tenants");
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->traits.queue_order, QueueOrder::fair_per_tenant);
  EXPECT_FALSE(info->in_default_matrix);
  const WorkloadInfo* workload = workload_registry().find("tenants");
  ASSERT_NE(workload, nullptr);
  EXPECT_FALSE(workload->in_default_matrix);
}

TEST(TenantsWorkload, TheLastBTasksAreTenantBs) {
  const WorkloadInfo* info = workload_registry().find("tenants");
  Params params({{"b_tasks", "3"}, {"duration_us", "1"}});
  params.apply_defaults(info->params);
  auto workload = info->make(WorkloadConfig{params, false});
  workload->prepare(10);
  const TaskTag* tags = workload->tags();
  ASSERT_NE(tags, nullptr);
  for (std::size_t i = 0; i < 10; ++i) {
    EXPECT_EQ(tags[i].tenant, i < 7 ? 0u : 1u) << i;
    EXPECT_EQ(tags[i].priority, TaskPriority::normal);
  }
}

// The driver times B's one task whatever the sampling, and writes A's and B's queue waits.
TEST(TenantsWorkload, CasesRecordBothTenantsQueueWaits) {
  for (const char* strategy : {"fair_tenants", "fifo_ring"}) {
    const auto outcome =
        testing::run_in_process(testing::make_case(strategy, "tenants", 201, 1, 1, {{"duration_us", "5"}}));
    ASSERT_FALSE(outcome.error) << strategy << ": " << outcome.error_message;
    for (const char* metric : {"queue_wait_tenant_a_p50_ns", "queue_wait_tenant_a_max_ns",
                               "queue_wait_tenant_b_p50_ns", "queue_wait_tenant_b_max_ns"})
      EXPECT_EQ(outcome.counters.count(metric), 1u) << strategy << " " << metric;
    EXPECT_EQ(outcome.counters.count("queue_wait_urgent_p99_ns"), 0u) << strategy;
  }
}

}  // namespace
}  // namespace poolbench
