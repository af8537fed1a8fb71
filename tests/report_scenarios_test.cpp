// The report's class scenario sections (report_scenarios.cpp): per class queue waits beside fifo_ring's, and
// "not measured" where the run has none.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "report/report_model.hpp"
#include "report/report_render.hpp"

namespace poolbench::report {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

StrategyRow row(const std::string& strategy, std::map<std::string, double> medians) {
  StrategyRow out;
  out.strategy = strategy;
  out.label = strategy;
  for (const auto& [key, median] : medians) out.metrics[key] = Spread{median, median, median, 1};
  return out;
}

TEST(ReportScenarios, NotMeasuredWithoutTaggedTasks) {
  const std::string text = render_guide_tables(Report{});
  EXPECT_THAT(text, HasSubstr("## Urgent before normal\n\nNot measured in this run"));
  EXPECT_THAT(text, HasSubstr("## Tenant B behind tenant A\n\nNot measured in this run"));
}

TEST(ReportScenarios, UrgentP99AndTenantBsWaitBesideFifoRings) {
  Report report;
  WorkloadTable priorities;
  priorities.title = "mixed_priority table";
  priorities.rows = {row("priority", {{metric::queue_wait_urgent_p50_ns, 1e5},
                                      {metric::queue_wait_urgent_p99_ns, 2e5},
                                      {metric::queue_wait_normal_p50_ns, 3e5},
                                      {metric::queue_wait_normal_p99_ns, 4e6}}),
                     row("fifo_ring", {{metric::queue_wait_urgent_p99_ns, 2e6}})};
  WorkloadTable tenants;
  tenants.title = "tenants table";
  tenants.rows = {row("fair_tenants", {{metric::queue_wait_tenant_b_max_ns, 5e5},
                                       {metric::queue_wait_tenant_a_p50_ns, 2e7},
                                       {metric::queue_wait_tenant_a_max_ns, 5e7}}),
                  row("fifo_ring", {{metric::queue_wait_tenant_b_max_ns, 5e7}})};
  report.tables = {priorities, tenants};
  const std::string text = render_guide_tables(report);
  EXPECT_THAT(text, HasSubstr("### mixed_priority table"));
  EXPECT_THAT(text, HasSubstr("| `priority` | 100 µs | 200 µs | 300 µs | 4.00 ms | 0.100x |"));
  EXPECT_THAT(text, HasSubstr("| `fifo_ring` | — | 2.00 ms | — | — | 1.00x |"));
  EXPECT_THAT(text, HasSubstr("### tenants table"));
  EXPECT_THAT(text, HasSubstr("| `fair_tenants` | 500 µs | 20.0 ms | 50.0 ms | 0.0100x |"));
  EXPECT_THAT(text, Not(HasSubstr("Not measured in this run: no workload had a tenant B")));
}

}  // namespace
}  // namespace poolbench::report
