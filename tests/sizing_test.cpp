// Sizing K: Little's law and "enough" on known schedules. The throughputs are made, not measured (a timing is
// never an assertion): a pool whose worker holds a task W = 1 ms and that reaches at most 4 tasks in service
// carries min(K, 4) / W tasks per second, so λ = 4,000/s, W = 1 ms, λ·W = 4 workers, and K = 4 is enough.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "report/report_render.hpp"
#include "report/report_sizing.hpp"

namespace poolbench::report {
namespace {

Spread exactly(double value) {
  return Spread{value, value, value, 3};
}
Spread ranging(double median, double min, double max) {
  return Spread{median, min, max, 3};
}

std::vector<SizingPoint> fixed_service_schedule(double service_seconds, std::size_t in_service_limit) {
  std::vector<SizingPoint> points;
  for (const std::size_t k : {8, 1, 16, 2, 4}) {  // any order
    const double rate = static_cast<double>(std::min(k, in_service_limit)) / service_seconds;
    points.push_back(SizingPoint{k, exactly(rate), exactly(service_seconds * 1e9)});
  }
  return points;
}

TEST(Sizing, LittlesLawOnAFixedServiceSchedule) {
  const SizingCurve curve = sizing_curve("fixed", fixed_service_schedule(0.001, 4));
  ASSERT_EQ(curve.points.size(), 5u);
  EXPECT_EQ(curve.points.front().workers, 1u);  // sorted by K
  EXPECT_EQ(curve.points.back().workers, 16u);
  ASSERT_TRUE(curve.service_ns);
  EXPECT_DOUBLE_EQ(*curve.service_ns, 1e6);  // W = 1 / (1,000 tasks/s at K = 1)
  EXPECT_DOUBLE_EQ(curve.best_rate, 4000);
  EXPECT_EQ(curve.best_workers, 4u);  // the first K that reaches it
  ASSERT_TRUE(curve.little_workers);
  EXPECT_DOUBLE_EQ(*curve.little_workers, 4);  // λ·W = 4,000/s × 1 ms
  EXPECT_EQ(curve.enough_workers, 4u);
}

TEST(Sizing, EnoughIsTheSmallestKWithinTheNoiseOfTheBest) {
  // K = 4 reaches 96% of the best median: within enough_fraction.
  std::vector<SizingPoint> points = {
      {1, exactly(1000), {}}, {2, exactly(2000), {}}, {4, exactly(3840), {}}, {8, exactly(4000), {}}};
  EXPECT_EQ(sizing_curve("a", points).enough_workers, 4u);
  // 90% of the best median, but its range reaches the best's slowest repetition: indistinguishable.
  points[2].tasks_per_second = ranging(3600, 3300, 3900);
  points[3].tasks_per_second = ranging(4000, 3850, 4100);
  EXPECT_EQ(sizing_curve("b", points).enough_workers, 4u);
  // 90%, ranges apart: K = 8 is needed.
  points[2].tasks_per_second = ranging(3600, 3500, 3700);
  EXPECT_EQ(sizing_curve("c", points).enough_workers, 8u);
  // The best K is always enough for itself; without K = 1 there is no W and no Little's K.
  const SizingCurve no_one = sizing_curve("d", {{2, exactly(10), {}}, {4, exactly(5), {}}});
  EXPECT_EQ(no_one.enough_workers, 2u);
  EXPECT_FALSE(no_one.service_ns);
  EXPECT_FALSE(no_one.little_workers);
}

WorkloadTable table_at(std::size_t workers, double rate, const std::map<std::string, std::string>& params) {
  WorkloadTable table;
  table.workload = "cpu_burst";
  table.workload_params = params;
  table.tasks = 1000;
  table.workers = workers;
  table.producers = 1;
  StrategyRow row;
  row.strategy = row.label = "fifo_ring";
  row.successful_repetitions = 3;
  row.metrics[metric::items_per_second] = exactly(rate);
  row.metrics[metric::e2e_p99_ns] = exactly(1e6);
  table.rows.push_back(row);
  return table;
}

TEST(Sizing, TheReportGroupsConfigurationsByEverythingButK) {
  Report report;
  for (const std::size_t k : {1, 2, 4, 8})
    report.tables.push_back(
        table_at(k, static_cast<double>(std::min<std::size_t>(k, 2)) * 10000, {{"duration_us", "100"}}));
  // One K only: no curve. An open loop: left out.
  report.tables.push_back(table_at(2, 1000, {{"duration_us", "1"}}));
  report.tables.push_back(table_at(1, 1000, {{"duration_us", "100"}, {"arrival", "poisson"}, {"rate", "9"}}));
  report.tables.push_back(table_at(2, 1000, {{"duration_us", "100"}, {"arrival", "poisson"}, {"rate", "9"}}));
  const auto groups = sizing_groups(report);
  ASSERT_EQ(groups.size(), 1u);
  ASSERT_EQ(groups[0].curves.size(), 1u);
  EXPECT_EQ(groups[0].curves[0].enough_workers, 2u);
  EXPECT_DOUBLE_EQ(*groups[0].curves[0].little_workers, 2);  // 20,000/s × 100 µs

  const std::string section = render_sizing_section(report);
  EXPECT_NE(section.find("### cpu_burst (duration_us=100) — 1000 tasks, 1 producer"), std::string::npos)
      << section;
  EXPECT_NE(section.find("For this workload K = 2 is enough (`fifo_ring`"), std::string::npos) << section;
  EXPECT_NE(section.find("Little's law predicts K ≈ λ·W = 2"), std::string::npos) << section;
  const auto json = sizing_to_json(report);
  ASSERT_EQ(json.size(), 1u);
  EXPECT_EQ(json[0]["curves"][0]["enough_workers"], 2);
  EXPECT_EQ(json[0]["curves"][0]["points"].size(), 4u);

  EXPECT_NE(render_sizing_section(Report{}).find("Not measured in this run"), std::string::npos);
}

}  // namespace
}  // namespace poolbench::report
