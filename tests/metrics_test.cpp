// The shared building blocks of every stage's numbers: the metric catalogue, the statistics (against scipy's
// and Google Benchmark's definitions), the one units formatter and the Markdown escaper.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "compare/compare.hpp"
#include "format/markdown.hpp"
#include "format/units.hpp"
#include "metrics/catalogue.hpp"
#include "metrics/statistics.hpp"

namespace poolbench::metrics {
namespace {

// ---- the catalogue ----

TEST(Catalogue, NamesAreUniqueAndEveryNameConstantHasAnEntry) {
  std::set<std::string_view> seen;
  for (const Metric& metric : catalogue()) {
    EXPECT_TRUE(seen.insert(metric.name).second) << metric.name;
    EXPECT_FALSE(metric.description.empty()) << metric.name;
  }
  for (const char* constant : {name::time,
                               name::items_per_second,
                               name::cpu_cores,
                               name::submit_p50_ns,
                               name::submit_p99_ns,
                               name::e2e_p50_ns,
                               name::e2e_p99_ns,
                               name::e2e_p999_ns,
                               name::e2e_max_ns,
                               name::queue_wait_p50_ns,
                               name::queue_wait_p99_ns,
                               name::queue_wait_p999_ns,
                               name::allocs_per_task,
                               name::bytes_per_task,
                               name::threads_created,
                               name::peak_rss_bytes,
                               name::empty_case_peak_rss_bytes,
                               name::voluntary_ctx_switches,
                               name::involuntary_ctx_switches,
                               name::producers_used,
                               name::instrumentation_ns_per_task,
                               name::timing_sample_every,
                               name::timed_tasks,
                               name::total_time_ns,
                               name::time_per_task_ns,
                               name::allocs_per_million_tasks,
                               name::peak_rss_above_empty_bytes})
    EXPECT_NE(find(constant), nullptr) << constant;
  EXPECT_EQ(find("no_such_metric"), nullptr);
  EXPECT_THROW(get("no_such_metric"), std::logic_error);
}

TEST(Catalogue, CompareJudgesExactlyTheMetricsWithARuleInCatalogueOrder) {
  std::vector<std::string> compared;
  for (const Metric* metric : compare::compared_metrics()) compared.emplace_back(metric->name);
  EXPECT_EQ(compared, (std::vector<std::string>{"time", "items_per_second", "e2e_p99_ns", "queue_wait_p99_ns",
                                                "allocs_per_task", "bytes_per_task", "threads_created",
                                                "peak_rss_bytes"}));
  EXPECT_EQ(get(name::items_per_second).direction, Direction::higher_is_better);
  EXPECT_EQ(get(name::allocs_per_task).rule, Rule::any_increase);
  EXPECT_EQ(get(name::peak_rss_bytes).rule, Rule::relative_threshold);
  EXPECT_TRUE(get(name::e2e_p99_ns).normalizable());
  EXPECT_FALSE(get(name::threads_created).normalizable());
  EXPECT_EQ(compare::find_metric("cpu_cores"), nullptr);  // catalogued, not judged
}

TEST(Catalogue, JsonFormCarriesVersionAndEveryEntry) {
  const auto json = catalogue_to_json();
  EXPECT_EQ(json.at("version"), catalogue_version);
  ASSERT_EQ(json.at("entries").size(), catalogue().size());
  const auto& first = json.at("entries").at(0);
  EXPECT_EQ(first.at("name"), "time");
  EXPECT_EQ(first.at("unit"), "ns");
  EXPECT_EQ(first.at("direction"), "lower_is_better");
  EXPECT_EQ(first.at("kind"), "timed");
  EXPECT_EQ(first.at("rule"), "significance_and_min_effect");
}

// README's counter table lists every counter the driver writes, and nothing else.
TEST(Catalogue, ReadmeCounterTableListsEveryCounter) {
  std::ifstream in(std::string(POOLBENCH_SOURCE_DIR) + "/README.md");
  std::stringstream text;
  text << in.rdbuf();
  const std::string readme = text.str();
  const auto begin = readme.find("| counter | meaning |");
  ASSERT_NE(begin, std::string::npos);
  const std::string table = readme.substr(begin, readme.find("\n\n", begin) - begin);
  std::set<std::string> listed;
  for (std::size_t at = table.find('`'); at != std::string::npos; at = table.find('`', at + 1)) {
    const std::size_t end = table.find('`', at + 1);
    listed.insert(table.substr(at + 1, end - at - 1));
    at = end;
  }
  std::set<std::string> counters;
  for (const Metric& metric : catalogue())
    if (metric.source == Source::counter) counters.emplace(metric.name);
  EXPECT_EQ(listed, counters);
}

// ---- statistics ----

TEST(Statistics, AggregatesAsGoogleBenchmarkDefinesThem) {
  EXPECT_DOUBLE_EQ(median({3, 1, 2}), 2);
  EXPECT_DOUBLE_EQ(median({4, 1, 3, 2}), 2.5);  // the mean of the two middle values
  EXPECT_DOUBLE_EQ(median({7}), 7);
  EXPECT_DOUBLE_EQ(mean({1, 2, 3, 4}), 2.5);
  EXPECT_DOUBLE_EQ(stddev({1, 2, 3, 4}), std::sqrt(5.0 / 3));  // sample standard deviation (n - 1)
  EXPECT_DOUBLE_EQ(stddev({5}), 0);
  EXPECT_DOUBLE_EQ(cv({1, 2, 3, 4}), std::sqrt(5.0 / 3) / 2.5);
  EXPECT_DOUBLE_EQ(cv({0, 0}), 0);
  EXPECT_DOUBLE_EQ(range({4, 9, 1}), 8);
  EXPECT_DOUBLE_EQ(range({}), 0);
}

TEST(Statistics, SpreadIsMedianMinMaxAndCount) {
  const auto spread = spread_of({45, 44, 46, 50});
  ASSERT_TRUE(spread);
  EXPECT_DOUBLE_EQ(spread->median, 45.5);
  EXPECT_DOUBLE_EQ(spread->min, 44);
  EXPECT_DOUBLE_EQ(spread->max, 50);
  EXPECT_EQ(spread->samples, 4u);
  EXPECT_FALSE(spread_of({}));
}

TEST(MannWhitneyU, MatchesScipyExactAndAsymptotic) {
  // Reference values: scipy 1.10.1, scipy.stats.mannwhitneyu(x, y, alternative="two-sided"), the call Google
  // Benchmark's compare.py makes.
  struct Reference {
    std::vector<double> x, y;
    double u, p;
    bool exact;
  };
  const std::vector<Reference> references = {
      {{1, 2, 3}, {4, 5, 6}, 0.0, 0.1, true},
      {{1, 2, 3, 4}, {5, 6, 7, 8}, 0.0, 0.02857142857142857, true},
      {{1.1, 2.3, 3.5, 0.7, 5.2}, {4.4, 6.1, 7.7, 3.9, 8.8, 9.0}, 2.0, 0.017316017316017316, true},
      {{1, 2, 2, 3}, {2, 3, 4, 5}, 2.5, 0.1366582477381475, false},
      {{10.2, 11.5, 9.8, 10.9, 12.1, 10.4, 11.0, 9.9, 10.7, 11.3},
       {11.8, 12.5, 10.6, 12.9, 13.1, 11.9, 12.2, 13.4, 10.8, 12.7, 11.6, 12.0},
       15.0,
       0.0033436220846027958,
       false},
      {{5, 5, 5}, {5, 5, 5}, 4.5, 1.0, false},
      {{0.25, 1.75, 3.25, 4.75, 6.25, 7.75, 9.25, 10.75},
       {0.1,  1.1,  2.1,  3.1,  4.1,  5.1,  6.1,  7.1,  8.1,  9.1,
        10.1, 11.1, 12.1, 13.1, 14.1, 15.1, 16.1, 17.1, 18.1, 19.1},
       48.0,
       0.11034440599657991,
       true},
      {{3.3}, {1, 2, 4, 5, 6}, 2.0, 1.0, true},
      {{1, 2, 3, 4, 5}, {1, 2, 3, 4, 5}, 12.5, 1.0, false},
  };
  for (const auto& reference : references) {
    const MannWhitney result = mann_whitney_u(reference.x, reference.y);
    EXPECT_DOUBLE_EQ(result.u, reference.u);
    EXPECT_NEAR(result.p_value, reference.p, 1e-12 * std::max(1.0, reference.p)) << "u=" << reference.u;
    EXPECT_EQ(result.exact, reference.exact) << "u=" << reference.u;
    // The test is symmetric: swapping the samples changes U to n1*n2 - U, not p.
    EXPECT_NEAR(mann_whitney_u(reference.y, reference.x).p_value, reference.p, 1e-12);
  }
}

TEST(MannWhitneyU, SmallestPValueSaysWhenTheTestCannotDecide) {
  EXPECT_DOUBLE_EQ(smallest_p_value(3, 3), 0.1);         // 2 / C(6,3): never below 0.05
  EXPECT_NEAR(smallest_p_value(4, 4), 2.0 / 70, 1e-12);  // 0.0286
  EXPECT_NEAR(smallest_p_value(3, 4), 2.0 / 35, 1e-12);  // 0.057: still not below 0.05
  EXPECT_NEAR(smallest_p_value(5, 5), 2.0 / 252, 1e-12);
  EXPECT_NEAR(smallest_p_value(1, 5), 1.0 / 3, 1e-12);
  EXPECT_DOUBLE_EQ(smallest_p_value(0, 5), 1.0);
  // Complete separation reaches exactly the smallest p.
  EXPECT_NEAR(mann_whitney_u({1, 2, 3, 4, 5}, {6, 7, 8, 9, 10}).p_value, smallest_p_value(5, 5), 1e-12);
  // Beyond 8 against 8 the test is the normal approximation, whose smallest p is larger than the exact
  // 2 / C(18, 9) = 4.1e-5: what separated samples really give.
  std::vector<double> low(9), high(9), lower(8), higher(8);
  for (int i = 0; i < 9; ++i) low[i] = i, high[i] = 100 + i;
  for (int i = 0; i < 8; ++i) lower[i] = i, higher[i] = 100 + i;
  EXPECT_NEAR(smallest_p_value(9, 9), mann_whitney_u(low, high).p_value, 1e-12);
  EXPECT_NEAR(smallest_p_value(9, 9), 0.000412, 0.000001);
  EXPECT_NEAR(smallest_p_value(8, 8), mann_whitney_u(lower, higher).p_value, 1e-12);
  EXPECT_NEAR(smallest_p_value(8, 8), 2.0 / 12870, 1e-12);
}

// ---- verdicts ----

// ---- the units formatter and the Markdown escaper ----

TEST(Units, OneRenderingPerUnit) {
  EXPECT_EQ(format_quantity(850, Unit::nanoseconds), "850 ns");
  EXPECT_EQ(format_quantity(1234567, Unit::nanoseconds), "1.23 ms");
  EXPECT_EQ(format_quantity(12345, Unit::nanoseconds), "12.3 µs");
  EXPECT_EQ(format_quantity(2.5e6, Unit::per_second), "2.50 M/s");
  EXPECT_EQ(format_quantity(64.0 * 1024 * 1024, Unit::bytes), "64.0 MiB");
  EXPECT_EQ(format_quantity(2000000, Unit::count), "2,000,000");
  EXPECT_EQ(format_quantity(1.0833, Unit::count), "1.08");
  EXPECT_EQ(format_quantity(1.95, Unit::cores), "1.95");
  // compare prints a metric as the report does.
  EXPECT_EQ(compare::format_value(get(name::items_per_second), 2.5e6, false), format_rate(2.5e6));
  EXPECT_EQ(compare::format_value(get(name::time), 12345, false), format_duration_ns(12345));
  EXPECT_EQ(compare::format_value(get(name::time), 2.5, true), "2.50x");
  EXPECT_EQ(compare::format_change(0.123), "+12.3%");
  EXPECT_EQ(compare::format_change(std::nullopt), "n/a");
}

TEST(Markdown, CellsStayOnOneLineAndAwayFromPipes) {
  EXPECT_EQ(markdown::cell("a|b\nc\rd"), "a\\|b c d");
  EXPECT_EQ(markdown::code("x|y"), "`x\\|y`");
  EXPECT_EQ(markdown::cell("fifo_ring/atomic_increment/tasks:1000"), "fifo_ring/atomic_increment/tasks:1000");
}

}  // namespace
}  // namespace poolbench::metrics
