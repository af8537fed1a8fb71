// compare's verdicts on result files built in memory: the rule of each metric (significance and minimum
// effect, exact, relative threshold), normalisation to a reference strategy, the CI profile, and the three
// output formats carrying the same verdicts.
#include <gtest/gtest.h>

#include <re2/re2.h>
#include <nlohmann/json.hpp>

#include "compare/compare.hpp"
#include "compare_support.hpp"
#include "errors.hpp"
#include "metrics/statistics.hpp"
#include "result/result_file.hpp"

namespace poolbench::compare {
namespace {

using namespace testing;

TEST(Verdict, SignificantAndLargeIsARegressionSmallOrInsignificantIsNot) {
  const ResultFile base =
      make_file("base.json", {{.strategy = "slow", .times = five},
                              {.strategy = "tiny", .times = five},
                              {.strategy = "noisy", .times = {1000, 1300, 900, 1250, 950}}});
  const ResultFile next =
      make_file("new.json", {{.strategy = "slow", .times = scaled(five, 1.3)},
                             {.strategy = "tiny", .times = scaled(five, 1.02)},
                             {.strategy = "noisy", .times = {1300, 940, 1250, 1000, 1280}}});
  const Comparison comparison = compare_files(base, next, Options{});

  const auto& slow = metric_of(comparison, "slow/", "time");
  EXPECT_EQ(slow.verdict, Verdict::regression);
  EXPECT_EQ(slow.decision, Decision::u_test_and_effect);
  EXPECT_NEAR(*slow.p_value, 2.0 / 252, 1e-12);
  EXPECT_NEAR(*slow.change, 0.3, 1e-12);
  EXPECT_DOUBLE_EQ(slow.base_median, 1000);
  EXPECT_DOUBLE_EQ(slow.new_median, 1300);

  const auto& tiny = metric_of(comparison, "tiny/", "time");  // significant, below the minimum effect
  EXPECT_LT(*tiny.p_value, 0.05);
  EXPECT_EQ(tiny.verdict, Verdict::unchanged);

  const auto& noisy = metric_of(comparison, "noisy/", "time");  // +25% median, not significant
  EXPECT_GT(*noisy.change, 0.05);
  EXPECT_GE(*noisy.p_value, 0.05);
  EXPECT_EQ(noisy.verdict, Verdict::unchanged);

  EXPECT_EQ(comparison.summary.regressions, 1u);
  EXPECT_EQ(comparison.summary.cases_regressed, 1u);
  EXPECT_EQ(exit_status(comparison), 1);
}

TEST(Verdict, TooFewRepetitionsAreNotJudgedUnlessStrict) {
  const ResultFile base = make_file("base.json", {{.strategy = "a", .times = {1000, 1010, 990}},
                                                  {.strategy = "b", .times = {1000, 1010, 990}},
                                                  {.strategy = "c", .times = {1000}}});
  const ResultFile next = make_file("new.json", {{.strategy = "a", .times = {1300, 1310, 1290}},
                                                 {.strategy = "b", .times = {1030, 1040, 1020}},
                                                 {.strategy = "c", .times = {1100}}});
  const Comparison comparison = compare_files(base, next, Options{});
  const auto& a = metric_of(comparison, "a/", "time");
  EXPECT_EQ(a.decision, Decision::threshold_only);
  EXPECT_EQ(a.verdict, Verdict::too_few_repetitions);  // +30%, but 3 vs 3 cannot reach p < 0.05
  EXPECT_FALSE(a.p_value.has_value());                 // no test was made: no p-value
  EXPECT_NE(a.note.find("not enough repetitions to judge"), std::string::npos) << a.note;
  EXPECT_EQ(metric_of(comparison, "b/", "time").verdict, Verdict::unchanged);  // +3% < 5%: no test needed
  const auto& c = metric_of(comparison, "c/", "time");
  EXPECT_EQ(c.verdict, Verdict::too_few_repetitions);
  EXPECT_FALSE(c.p_value.has_value());
  EXPECT_EQ(comparison.summary.regressions, 0u);
  EXPECT_EQ(comparison.summary.too_few_repetitions, 2u);
  EXPECT_EQ(comparison.summary.cases_too_few, 2u);
  EXPECT_EQ(exit_status(comparison), 0);
  const std::string text = format_text(comparison);
  EXPECT_NE(text.find("2 not enough repetitions to judge (2 cases)"), std::string::npos) << text;
  EXPECT_NE(text.find("not enough repetitions to judge: 3 vs 3 repetitions cannot give p < 0.05"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("REGRESSION"), std::string::npos) << text;

  Options strict;
  strict.strict = true;
  const Comparison decided = compare_files(base, next, strict);
  EXPECT_EQ(metric_of(decided, "a/", "time").verdict, Verdict::regression);
  EXPECT_EQ(metric_of(decided, "c/", "time").verdict, Verdict::regression);
  EXPECT_FALSE(metric_of(decided, "a/", "time").p_value.has_value());
  EXPECT_EQ(decided.summary.threshold_only, 3u);
  EXPECT_EQ(exit_status(decided), 1);
  EXPECT_NE(format_text(decided).find("U test not used: 3 vs 3 repetitions"), std::string::npos);
}

// Thirty cases of one comparison: a family of thirty U tests, adjusted (Holm by default) before they meet
// alpha, so that chance alone does not make "regressions" in a large matrix.
TEST(Verdict, TheUTestsOfAComparisonAreAdjustedForTheirNumber) {
  auto files = [](std::size_t repetitions, double slowdown_of_first, double shift_of_second) {
    std::vector<CaseValues> base_cases, new_cases;
    for (int index = 0; index < 30; ++index) {
      std::vector<double> base_times, new_times;
      for (std::size_t r = 0; r < repetitions; ++r) {
        const double value = 1000 + 30 * static_cast<double>(r);
        base_times.push_back(value);
        // The second case: overlapping but shifted, p 0.009 with a +11% median (a chance finding).
        new_times.push_back(index == 0   ? value * slowdown_of_first
                            : index == 1 ? value + shift_of_second
                                         : value + 1);
      }
      base_cases.push_back({.strategy = "s" + std::to_string(index), .times = base_times});
      new_cases.push_back({.strategy = "s" + std::to_string(index), .times = new_times});
    }
    return std::pair{make_file("base.json", base_cases), make_file("new.json", new_cases)};
  };

  // 5 against 5: the slowed case's p is 0.0079, the smallest there is; times 30 it is not below 0.05.
  auto [base5, new5] = files(5, 1.3, 0);
  const Comparison holm5 = compare_files(base5, new5, Options{});
  const auto& slowed5 = metric_of(holm5, "s0/", "time");
  EXPECT_NEAR(*slowed5.p_value, 2.0 / 252, 1e-12);
  EXPECT_EQ(slowed5.verdict, Verdict::too_few_repetitions);
  EXPECT_EQ(slowed5.decision, Decision::threshold_only);
  EXPECT_EQ(holm5.summary.tests, 30u);
  EXPECT_EQ(exit_status(holm5), 0);
  const std::string text = format_text(holm5);
  EXPECT_NE(text.find("cannot give p < 0.05 / 30 (Holm over the comparison's 30 U tests; 7 or more per side "
                      "can)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("p-values adjusted by Holm"), std::string::npos) << text;
  // Unadjusted (compare.py's way), the same data is a regression; --strict decides on the effect.
  Options unadjusted;
  unadjusted.adjustment = Adjustment::none;
  EXPECT_EQ(metric_of(compare_files(base5, new5, unadjusted), "s0/", "time").verdict, Verdict::regression);
  Options strict;
  strict.strict = true;
  EXPECT_EQ(metric_of(compare_files(base5, new5, strict), "s0/", "time").verdict, Verdict::regression);

  // 10 against 10: the slowed case stays a regression after the adjustment; a +11% shift with p 0.009 is
  // one by itself, not among thirty.
  auto [base10, new10] = files(10, 1.3, 130);
  const Comparison holm10 = compare_files(base10, new10, Options{});
  const auto& slowed10 = metric_of(holm10, "s0/", "time");
  EXPECT_EQ(slowed10.verdict, Verdict::regression);
  EXPECT_LT(*slowed10.adjusted_p_value, 0.05);
  const auto& shifted = metric_of(holm10, "s1/", "time");
  EXPECT_LT(*shifted.p_value, 0.05);
  EXPECT_GT(*shifted.change, 0.05);
  EXPECT_GE(*shifted.adjusted_p_value, 0.05);
  EXPECT_EQ(shifted.verdict, Verdict::unchanged);
  EXPECT_EQ(metric_of(compare_files(base10, new10, unadjusted), "s1/", "time").verdict, Verdict::regression);
  Options fdr;
  fdr.adjustment = Adjustment::benjamini_hochberg;
  const Comparison bh10 = compare_files(base10, new10, fdr);
  EXPECT_EQ(metric_of(bh10, "s0/", "time").verdict, Verdict::regression);
  EXPECT_EQ(metric_of(bh10, "s1/", "time").verdict, Verdict::unchanged);
  EXPECT_EQ(nlohmann::json::parse(format_json(holm10))["options"]["adjustment"], "holm");
}

TEST(Verdict, NoPValueIsPrintedWhereNoTestWasMade) {
  // 2 vs 2 (the test is computable, p = 0.33, but cannot reach alpha) and 1 vs 1: both print a dash.
  const ResultFile base = make_file(
      "base.json", {{.strategy = "two", .times = {1000, 1000}}, {.strategy = "one", .times = {1000}}});
  const ResultFile next = make_file(
      "new.json", {{.strategy = "two", .times = {1000, 1000}}, {.strategy = "one", .times = {1000}}});
  const Comparison comparison = compare_files(base, next, Options{});
  for (const char* name : {"two/", "one/"}) EXPECT_FALSE(metric_of(comparison, name, "time").p_value) << name;
  for (const std::string& output : {format_text(comparison), format_markdown(comparison)}) {
    EXPECT_EQ(output.find("1.0000"), std::string::npos) << output;
    EXPECT_EQ(output.find("0.3333"), std::string::npos) << output;
    EXPECT_NE(output.find("\u2014"), std::string::npos) << output;
  }
  EXPECT_TRUE(nlohmann::json::parse(format_json(comparison))["cases"][0]["metrics"][0]["p_value"].is_null());
}

TEST(Verdict, AlphaDecidesWhetherTheTestCanBeUsed) {
  const ResultFile base = make_file("base.json", {{.strategy = "s", .times = five}});
  const ResultFile next = make_file("new.json", {{.strategy = "s", .times = scaled(five, 1.3)}});
  Options strict;
  strict.alpha = 0.005;  // 5 vs 5 cannot go below 2/252 = 0.0079
  EXPECT_EQ(metric_of(compare_files(base, next, strict), "s/", "time").decision, Decision::threshold_only);
  Options loose;
  loose.alpha = 0.01;
  const auto comparison = compare_files(base, next, loose);
  EXPECT_EQ(metric_of(comparison, "s/", "time").decision, Decision::u_test_and_effect);
  EXPECT_EQ(metric_of(comparison, "s/", "time").verdict, Verdict::regression);
}

TEST(Verdict, ThroughputIsHigherIsBetterAndAgreesWithTime) {
  auto rate = [](const std::vector<double>& times) {
    std::vector<double> out;
    for (double t : times) out.push_back(1000 / (t * 1e-9));
    return out;
  };
  const auto slower = scaled(five, 1.3);
  const auto faster = scaled(five, 0.8);
  const auto barely = scaled(five, 1.04);
  const ResultFile base = make_file(
      "base.json", {{.strategy = "slower", .times = five, .counters = {{"items_per_second", rate(five)}}},
                    {.strategy = "faster", .times = five, .counters = {{"items_per_second", rate(five)}}},
                    {.strategy = "barely", .times = five, .counters = {{"items_per_second", rate(five)}}}});
  const ResultFile next =
      make_file("new.json",
                {{.strategy = "slower", .times = slower, .counters = {{"items_per_second", rate(slower)}}},
                 {.strategy = "faster", .times = faster, .counters = {{"items_per_second", rate(faster)}}},
                 {.strategy = "barely", .times = barely, .counters = {{"items_per_second", rate(barely)}}}});
  const Comparison comparison = compare_files(base, next, Options{});
  for (const char* name : {"slower/", "faster/", "barely/"})
    EXPECT_EQ(metric_of(comparison, name, "time").verdict,
              metric_of(comparison, name, "items_per_second").verdict)
        << name;
  EXPECT_EQ(metric_of(comparison, "slower/", "items_per_second").verdict, Verdict::regression);
  EXPECT_LT(*metric_of(comparison, "slower/", "items_per_second").change, 0);
  EXPECT_EQ(metric_of(comparison, "faster/", "items_per_second").verdict, Verdict::improvement);
  EXPECT_EQ(metric_of(comparison, "barely/", "items_per_second").verdict, Verdict::unchanged);
}

TEST(Verdict, ThroughputIsJudgedAsTimeFromTheSameMedians) {
  // An even count of repetitions: the median of the rates is not the rate at the median time. Throughput is
  // shown at each side's median time and carries time's verdict, so the case is one regression, never a
  // regression on one and an improvement on the other.
  auto rate = [](const std::vector<double>& times) {
    std::vector<double> out;
    for (double t : times) out.push_back(1000 / (t * 1e-9));
    return out;
  };
  const std::vector<double> base_times = {1000, 1000, 1010, 990, 1000, 1005};
  const std::vector<double> new_times = {1150, 1200, 1250, 1210, 1400, 4000};
  const ResultFile base = make_file(
      "base.json",
      {{.strategy = "s", .times = base_times, .counters = {{"items_per_second", rate(base_times)}}}});
  const ResultFile next =
      make_file("new.json",
                {{.strategy = "s", .times = new_times, .counters = {{"items_per_second", rate(new_times)}}}});
  const Comparison comparison = compare_files(base, next, Options{});
  const auto& time = metric_of(comparison, "s/", "time");
  const auto& throughput = metric_of(comparison, "s/", "items_per_second");
  EXPECT_EQ(time.verdict, Verdict::regression);
  EXPECT_EQ(throughput.verdict, Verdict::regression);
  EXPECT_EQ(throughput.decision, Decision::same_as_time);
  EXPECT_FALSE(throughput.p_value.has_value());
  EXPECT_NEAR(throughput.base_median, 1000 / (time.base_median * 1e-9), 1e-3);
  EXPECT_NEAR(throughput.new_median, 1000 / (time.new_median * 1e-9), 1e-3);
  EXPECT_NE(throughput.new_median, metrics::median(rate(new_times)));  // not the median of the rates
  EXPECT_NEAR(*throughput.change, time.base_median / time.new_median - 1, 1e-12);
  EXPECT_EQ(comparison.summary.regressions, 1u);  // one quantity, counted once
  EXPECT_EQ(comparison.summary.improvements, 0u);
  EXPECT_NE(format_text(comparison).find("(judged as time)"), std::string::npos);

  // --metrics items_per_second alone: still time's verdict.
  Options rate_only;
  rate_only.metrics = {"items_per_second"};
  const Comparison only = compare_files(base, next, rate_only);
  EXPECT_EQ(only.cases[0].metrics.size(), 1u);
  EXPECT_EQ(metric_of(only, "s/", "items_per_second").verdict, Verdict::regression);

  // Normalised: the reciprocal of the time ratio.
  Options normalized;
  normalized.normalize_to = "inline";
  const ResultFile base_ref =
      make_file("base.json", {{.strategy = "inline",
                               .times = std::vector<double>(6, 100),
                               .counters = {{"items_per_second", std::vector<double>(6, 1e10)}}},
                              {.strategy = "s",
                               .times = base_times,
                               .counters = {{"items_per_second", std::vector<double>(6, 1e9)}}}});
  const ResultFile next_ref =
      make_file("new.json", {{.strategy = "inline",
                              .times = std::vector<double>(6, 100),
                              .counters = {{"items_per_second", std::vector<double>(6, 1e10)}}},
                             {.strategy = "s",
                              .times = new_times,
                              .counters = {{"items_per_second", std::vector<double>(6, 1e9)}}}});
  const Comparison ratio = compare_files(base_ref, next_ref, normalized);
  EXPECT_DOUBLE_EQ(metric_of(ratio, "s/", "items_per_second").base_median,
                   1 / metric_of(ratio, "s/", "time").base_median);
  EXPECT_EQ(metric_of(ratio, "s/", "items_per_second").verdict, metric_of(ratio, "s/", "time").verdict);
}

// compare's exact rule for allocations, without the default allowances for a thread per task's allocations
// (which depend on the machine's load), and peak RSS at 10%.
Options exact_allocations() {
  Options options;
  options.alloc_tolerance = 0;
  options.alloc_growth = 0;
  options.rss_threshold = 0.10;
  return options;
}

TEST(Verdict, AllocationsAndThreadsAreExactWhereAskedPeakRssHasAThreshold) {
  auto same = [](double v) { return std::vector<double>(5, v); };
  const ResultFile base = make_file(
      "base.json", {{.strategy = "more_allocs", .times = five, .counters = {{"allocs_per_task", same(3.0)}}},
                    {.strategy = "fewer_allocs", .times = five, .counters = {{"allocs_per_task", same(3.0)}}},
                    {.strategy = "threads", .times = five, .counters = {{"threads_created", same(2)}}},
                    {.strategy = "rss_small", .times = five, .counters = {{"peak_rss_bytes", same(1e8)}}},
                    {.strategy = "rss_large", .times = five, .counters = {{"peak_rss_bytes", same(1e8)}}},
                    {.strategy = "bytes", .times = five, .counters = {{"bytes_per_task", same(64)}}}});
  const ResultFile next = make_file(
      "new.json", {{.strategy = "more_allocs", .times = five, .counters = {{"allocs_per_task", same(3.001)}}},
                   {.strategy = "fewer_allocs", .times = five, .counters = {{"allocs_per_task", same(2.0)}}},
                   {.strategy = "threads", .times = five, .counters = {{"threads_created", same(4)}}},
                   {.strategy = "rss_small", .times = five, .counters = {{"peak_rss_bytes", same(1.09e8)}}},
                   {.strategy = "rss_large", .times = five, .counters = {{"peak_rss_bytes", same(1.11e8)}}},
                   {.strategy = "bytes", .times = five, .counters = {{"bytes_per_task", same(64)}}}});
  Comparison comparison = compare_files(base, next, exact_allocations());
  EXPECT_EQ(metric_of(comparison, "more_allocs/", "allocs_per_task").verdict, Verdict::regression);
  EXPECT_EQ(metric_of(comparison, "more_allocs/", "allocs_per_task").decision, Decision::exact);
  EXPECT_EQ(metric_of(comparison, "fewer_allocs/", "allocs_per_task").verdict, Verdict::improvement);
  EXPECT_EQ(metric_of(comparison, "threads/", "threads_created").verdict, Verdict::regression);
  EXPECT_EQ(metric_of(comparison, "rss_small/", "peak_rss_bytes").verdict, Verdict::unchanged);
  EXPECT_EQ(metric_of(comparison, "rss_large/", "peak_rss_bytes").verdict, Verdict::regression);
  EXPECT_EQ(metric_of(comparison, "bytes/", "bytes_per_task").verdict, Verdict::unchanged);
  EXPECT_EQ(comparison.summary.regressions, 3u);

  Options tolerant = exact_allocations();
  tolerant.exact_tolerance = 0.01;
  comparison = compare_files(base, next, tolerant);
  EXPECT_EQ(metric_of(comparison, "more_allocs/", "allocs_per_task").verdict, Verdict::unchanged);

  // The defaults: allocations may grow by 0.05 per task or 100% (bytes by 100%), peak RSS by 25%, as A/A
  // pairs on a loaded machine need; threads created stay exact, and an allocation per task more still counts.
  comparison = compare_files(base, next, Options{});
  EXPECT_EQ(metric_of(comparison, "more_allocs/", "allocs_per_task").verdict, Verdict::unchanged);
  EXPECT_EQ(metric_of(comparison, "threads/", "threads_created").verdict, Verdict::regression);
  EXPECT_EQ(metric_of(comparison, "rss_large/", "peak_rss_bytes").verdict, Verdict::unchanged);
  const ResultFile worse = make_file(
      "worse.json", {{.strategy = "more_allocs", .times = five, .counters = {{"allocs_per_task", same(6.5)}}},
                     {.strategy = "rss_large", .times = five, .counters = {{"peak_rss_bytes", same(1.3e8)}}},
                     {.strategy = "bytes", .times = five, .counters = {{"bytes_per_task", same(200)}}}});
  comparison = compare_files(base, worse, Options{});
  EXPECT_EQ(metric_of(comparison, "more_allocs/", "allocs_per_task").verdict, Verdict::regression);
  EXPECT_EQ(metric_of(comparison, "rss_large/", "peak_rss_bytes").verdict, Verdict::regression);
  EXPECT_EQ(metric_of(comparison, "bytes/", "bytes_per_task").verdict, Verdict::regression);
  const ResultFile none = make_file(
      "none.json", {{.strategy = "zero", .times = five, .counters = {{"allocs_per_task", same(0)}}}});
  const ResultFile one = make_file(
      "one.json", {{.strategy = "zero", .times = five, .counters = {{"allocs_per_task", same(1)}}}});
  EXPECT_EQ(metric_of(compare_files(none, one, Options{}), "zero/", "allocs_per_task").verdict,
            Verdict::regression);  // a pool that allocated nothing now allocates once per task

  // A thread per task (its traits say so): four times the growth, as its glibc bookkeeping follows the load.
  StrategyTraits per_task;
  per_task.worker_lifecycle = WorkerLifecycle::thread_per_task;
  const ResultFile quiet = make_file(
      "quiet.json",
      {{.strategy = "raw", .times = five, .counters = {{"bytes_per_task", same(100)}}, .traits = per_task},
       {.strategy = "pool", .times = five, .counters = {{"bytes_per_task", same(100)}}}});
  const ResultFile loaded = make_file(
      "loaded.json",
      {{.strategy = "raw", .times = five, .counters = {{"bytes_per_task", same(445)}}, .traits = per_task},
       {.strategy = "pool", .times = five, .counters = {{"bytes_per_task", same(445)}}}});
  comparison = compare_files(quiet, loaded, Options{});
  EXPECT_EQ(metric_of(comparison, "raw/", "bytes_per_task").verdict, Verdict::unchanged);
  EXPECT_EQ(metric_of(comparison, "pool/", "bytes_per_task").verdict, Verdict::regression);
  // A fiber or a thread per task: peak RSS follows how many are alive at once, twice the threshold (50%).
  StrategyTraits per_fiber;
  per_fiber.worker_lifecycle = WorkerLifecycle::fiber_per_task;
  const ResultFile small_rss = make_file(
      "small.json", {{.strategy = "fibers",
                      .times = five,
                      .counters = {{"peak_rss_bytes", same(17.7e6)}},
                      .traits = per_fiber},
                     {.strategy = "pool", .times = five, .counters = {{"peak_rss_bytes", same(17.7e6)}}}});
  const ResultFile large_rss = make_file(
      "large.json", {{.strategy = "fibers",
                      .times = five,
                      .counters = {{"peak_rss_bytes", same(23.8e6)}},
                      .traits = per_fiber},
                     {.strategy = "pool", .times = five, .counters = {{"peak_rss_bytes", same(23.8e6)}}}});
  comparison = compare_files(small_rss, large_rss, Options{});
  EXPECT_EQ(metric_of(comparison, "fibers/", "peak_rss_bytes").verdict, Verdict::unchanged);
  EXPECT_EQ(metric_of(comparison, "pool/", "peak_rss_bytes").verdict, Verdict::regression);

  // Threads: up to K + 1 is what a pool of K may start (an on-demand one by timing); above it, any increase.
  const ResultFile fewer = make_file(
      "fewer.json",
      {{.strategy = "on_demand", .workers = 100, .times = five, .counters = {{"threads_created", same(88)}}},
       {.strategy = "leaky", .workers = 2, .times = five, .counters = {{"threads_created", same(3)}}}});
  const ResultFile more = make_file(
      "more.json",
      {{.strategy = "on_demand", .workers = 100, .times = five, .counters = {{"threads_created", same(101)}}},
       {.strategy = "leaky", .workers = 2, .times = five, .counters = {{"threads_created", same(5)}}}});
  comparison = compare_files(fewer, more, Options{});
  const auto& on_demand = metric_of(comparison, "on_demand/", "threads_created");
  EXPECT_EQ(on_demand.verdict, Verdict::unchanged);
  EXPECT_NE(on_demand.note.find("within the K + 1 = 101"), std::string::npos) << on_demand.note;
  EXPECT_EQ(metric_of(comparison, "leaky/", "threads_created").verdict, Verdict::regression);
}

// Peak RSS that varies between repetitions: a change within three times that variation is noise.
TEST(Verdict, PeakRssWithinItsVariationBetweenRepetitionsIsNoise) {
  const ResultFile base = make_file(
      "base.json",
      {{.strategy = "a", .times = five, .counters = {{"peak_rss_bytes", {1e8, 1.2e8, 1e8, 1.1e8, 1e8}}}}});
  const ResultFile next =
      make_file("new.json", {{.strategy = "a",
                              .times = five,
                              .counters = {{"peak_rss_bytes", {1.3e8, 1.3e8, 1.2e8, 1.4e8, 1.3e8}}}}});
  const Comparison comparison = compare_files(base, next, Options{});
  const auto& rss = metric_of(comparison, "a/", "peak_rss_bytes");
  EXPECT_EQ(rss.verdict, Verdict::unchanged);  // +30% median, but the repetitions span 20 MB
  EXPECT_NE(rss.note.find("varies by 19.1 MiB between repetitions"), std::string::npos) << rss.note;
  Options no_spread;
  no_spread.spread_factor = 0;
  EXPECT_EQ(metric_of(compare_files(base, next, no_spread), "a/", "peak_rss_bytes").verdict,
            Verdict::regression);
}

TEST(Verdict, FailedOnlyInNewIsARegressionOtherFailuresAreReported) {
  const ResultFile base = make_file("base.json", {{.strategy = "breaks", .times = five},
                                                  {.strategy = "fixed", .times = five, .failed = true},
                                                  {.strategy = "broken", .times = five, .failed = true}});
  const ResultFile next = make_file("new.json", {{.strategy = "breaks", .times = five, .failed = true},
                                                 {.strategy = "fixed", .times = five},
                                                 {.strategy = "broken", .times = five, .failed = true}});
  const Comparison comparison = compare_files(base, next, Options{});
  ASSERT_EQ(comparison.cases.size(), 3u);
  EXPECT_EQ(comparison.cases[0].status, CaseStatus::failed_in_new);
  EXPECT_EQ(comparison.cases[0].error, "crashed");
  EXPECT_TRUE(comparison.cases[0].regressed());
  EXPECT_EQ(comparison.cases[1].status, CaseStatus::failed_in_base);
  EXPECT_FALSE(comparison.cases[1].regressed());
  EXPECT_EQ(comparison.cases[2].status, CaseStatus::failed_in_both);
  EXPECT_EQ(comparison.summary.regressions, 1u);
  EXPECT_EQ(exit_status(comparison), 1);
}

TEST(Verdict, CasesInOneFileOnlyAreListedNotErrors) {
  const ResultFile base =
      make_file("base.json", {{.strategy = "both", .times = five}, {.strategy = "gone", .times = five}});
  const ResultFile next =
      make_file("new.json", {{.strategy = "added", .times = five}, {.strategy = "both", .times = five}});
  const Comparison comparison = compare_files(base, next, Options{});
  ASSERT_EQ(comparison.cases.size(), 1u);
  EXPECT_EQ(comparison.only_in_base, std::vector<std::string>{name_of({.strategy = "gone"})});
  EXPECT_EQ(comparison.only_in_new, std::vector<std::string>{name_of({.strategy = "added"})});
  EXPECT_EQ(exit_status(comparison), 0);
}

TEST(Verdict, MetricsMissingFromOneFileAreNotComparedAndMetricsOptionSelects) {
  const ResultFile base =
      make_file("base.json", {{.strategy = "s", .times = five, .counters = {{"e2e_p99_ns", five}}}});
  const ResultFile next = make_file("new.json", {{.strategy = "s", .times = five}});
  Comparison comparison = compare_files(base, next, Options{});
  EXPECT_EQ(metric_of(comparison, "s/", "e2e_p99_ns").verdict, Verdict::not_compared);
  EXPECT_EQ(comparison.cases[0].metrics.size(), 2u);  // time and e2e_p99_ns; nothing for metrics neither has
  Options only_time;
  only_time.metrics = {"time"};
  comparison = compare_files(base, next, only_time);
  ASSERT_EQ(comparison.cases[0].metrics.size(), 1u);
  EXPECT_EQ(comparison.cases[0].metrics[0].metric, "time");
}

// ---- normalisation ----

TEST(Normalize, SlowerMachineIsNoRegressionRelativeToTheReference) {
  // Every repetition of the new run drifts by its own factor, the same for every case (repetitions
  // interleave), and the whole machine is twice as slow.
  const std::vector<double> drift = {1.0, 1.2, 0.9, 1.1, 1.3};
  std::vector<double> inline_new, pool_new;
  for (std::size_t i = 0; i < 5; ++i) {
    inline_new.push_back(100 * 2 * drift[i]);
    pool_new.push_back(1000 * 2 * drift[i]);
  }
  const ResultFile base =
      make_file("base.json", {{.strategy = "inline", .times = std::vector<double>(5, 100)},
                              {.strategy = "pool", .times = std::vector<double>(5, 1000)}});
  const ResultFile next = make_file(
      "new.json", {{.strategy = "inline", .times = inline_new}, {.strategy = "pool", .times = pool_new}});

  EXPECT_EQ(metric_of(compare_files(base, next, Options{}), "pool/", "time").verdict, Verdict::regression);

  Options normalized;
  normalized.normalize_to = "inline";
  const Comparison comparison = compare_files(base, next, normalized);
  const auto& pool = metric_of(comparison, "pool/", "time");
  EXPECT_TRUE(pool.normalized);
  EXPECT_DOUBLE_EQ(pool.base_median, 10);  // pool / inline, repetition by repetition
  EXPECT_DOUBLE_EQ(pool.new_median, 10);
  EXPECT_EQ(pool.verdict, Verdict::unchanged);
  // The reference divided by itself is 1 in every repetition: no test, no p-value of 1.
  const auto& reference = metric_of(comparison, "inline/", "time");
  EXPECT_EQ(reference.verdict, Verdict::not_compared);
  EXPECT_FALSE(reference.p_value.has_value());
  EXPECT_NE(reference.note.find("reference itself"), std::string::npos) << reference.note;
  EXPECT_EQ(exit_status(comparison), 0);
}

TEST(Normalize, FindsTheReferenceAcrossWorkerCountsAndStrategyParameters) {
  // inline ran at workers:1 only; the pools at workers:2. The file records `wraps` as the strategy's
  // parameter, not the workload's, so it does not stop the case finding inline's: no registry is consulted
  // (the strategy is not one this build has).
  const ResultFile base = make_file(
      "base.json", {{.strategy = "inline", .workers = 1, .times = std::vector<double>(5, 100)},
                    {.strategy = "gone_pool",
                     .times = std::vector<double>(5, 300),
                     .strategy_params = {{"wraps", "inline"}}},
                    {.strategy = "pool", .workload = "other", .times = std::vector<double>(5, 1000)}});
  const ResultFile next = make_file(
      "new.json", {{.strategy = "inline", .workers = 1, .times = std::vector<double>(5, 100)},
                   {.strategy = "gone_pool",
                    .times = std::vector<double>(5, 900),
                    .strategy_params = {{"wraps", "inline"}}},
                   {.strategy = "pool", .workload = "other", .times = std::vector<double>(5, 1000)}});
  Options options;
  options.normalize_to = "inline";
  const Comparison comparison = compare_files(base, next, options);
  const auto& slowed = metric_of(comparison, "gone_pool/", "time");
  EXPECT_DOUBLE_EQ(slowed.base_median, 3);
  EXPECT_DOUBLE_EQ(slowed.new_median, 9);
  EXPECT_EQ(slowed.verdict, Verdict::regression);
  // No inline case of workload "other": its times are not compared, and the output says why.
  const auto& other = metric_of(comparison, "pool/other", "time");
  EXPECT_EQ(other.verdict, Verdict::not_compared);
  EXPECT_NE(comparison.cases[2].note.find("no inline case"), std::string::npos);
}

TEST(Normalize, UnknownReferenceStrategyIsUnusableInput) {
  const ResultFile file = make_file("base.json", {{.strategy = "pool", .times = five}});
  Options options;
  options.normalize_to = "inline";
  EXPECT_THROW(compare_files(file, file, options), UsageError);
}

TEST(Verdict, ExactMetricsThatVaryBetweenRepetitionsAllowThreeTimesTheirSpread) {
  // A pool that creates workers on demand: its allocations per task differ between repetitions of one run.
  const ResultFile base =
      make_file("base.json", {{.strategy = "on_demand",
                               .times = five,
                               .counters = {{"allocs_per_task", {0.0011, 0.0012, 0.0011, 0.0019, 0.0014}}}},
                              {.strategy = "leaks",
                               .times = five,
                               .counters = {{"allocs_per_task", {0.0011, 0.0012, 0.0011, 0.0019, 0.0014}}}},
                              {.strategy = "fixed",
                               .times = five,
                               .counters = {{"allocs_per_task", std::vector<double>(5, 0.0005)}}}});
  const ResultFile next =
      make_file("new.json", {{.strategy = "on_demand",
                              .times = five,
                              .counters = {{"allocs_per_task", {0.0023, 0.0010, 0.0012, 0.0013, 0.0030}}}},
                             {.strategy = "leaks",
                              .times = five,
                              .counters = {{"allocs_per_task", {1.0012, 1.0011, 1.0013, 1.0012, 1.0011}}}},
                             {.strategy = "fixed",
                              .times = five,
                              .counters = {{"allocs_per_task", std::vector<double>(5, 0.00055)}}}});
  const Comparison comparison = compare_files(base, next, exact_allocations());
  const auto& on_demand = metric_of(comparison, "on_demand/", "allocs_per_task");
  EXPECT_DOUBLE_EQ(on_demand.spread, 0.0030 - 0.0010);
  EXPECT_EQ(on_demand.verdict, Verdict::unchanged);
  EXPECT_NE(on_demand.note.find("varies by"), std::string::npos);
  EXPECT_EQ(metric_of(comparison, "leaks/", "allocs_per_task").verdict, Verdict::regression);
  // Identical repetitions: any increase counts.
  EXPECT_EQ(metric_of(comparison, "fixed/", "allocs_per_task").spread, 0);
  EXPECT_EQ(metric_of(comparison, "fixed/", "allocs_per_task").verdict, Verdict::regression);
  Options no_spread = exact_allocations();
  no_spread.spread_factor = 0;
  EXPECT_EQ(metric_of(compare_files(base, next, no_spread), "on_demand/", "allocs_per_task").verdict,
            Verdict::regression);
}

TEST(CiProfile, ToleratesNoiseAndMachinesButNotThreeTimesSlowerOrMoreAllocations) {
  const Options ci = ci_profile();
  auto same = [](double v) { return std::vector<double>(3, v); };
  const ResultFile base =
      make_file("base.json", {{.strategy = "inline",
                               .times = same(20e6),
                               .counters = {{"allocs_per_task", same(0)}, {"threads_created", same(0)}}},
                              {.strategy = "noisy",
                               .times = same(200e6),
                               .counters = {{"allocs_per_task", same(1)}, {"threads_created", same(2)}}},
                              {.strategy = "tripled",
                               .times = same(200e6),
                               .counters = {{"allocs_per_task", same(1)}, {"threads_created", same(2)}}},
                              {.strategy = "allocates",
                               .times = same(200e6),
                               .counters = {{"allocs_per_task", same(1)}, {"threads_created", same(2)}}},
                              {.strategy = "loaded",
                               .times = same(200e6),
                               .counters = {{"allocs_per_task", same(1)}, {"threads_created", same(2)}}}});
  // Another machine: inline 1.5x slower; the noisy pool 2.7x slower in absolute terms (1.8x relative to
  // inline).
  const ResultFile next =
      make_file("new.json", {{.strategy = "inline",
                              .times = same(30e6),
                              .counters = {{"allocs_per_task", same(0)}, {"threads_created", same(0)}}},
                             {.strategy = "noisy",
                              .times = same(540e6),
                              .counters = {{"allocs_per_task", same(1)}, {"threads_created", same(2)}}},
                             {.strategy = "tripled",
                              .times = same(900e6),
                              .counters = {{"allocs_per_task", same(1)}, {"threads_created", same(2)}}},
                             {.strategy = "allocates",
                              .times = same(300e6),
                              .counters = {{"allocs_per_task", same(2.2)}, {"threads_created", same(2)}}},
                             {.strategy = "loaded",
                              .times = same(300e6),
                              .counters = {{"allocs_per_task", same(1.9)}, {"threads_created", same(2)}}}});
  const Comparison comparison = compare_files(base, next, ci);
  EXPECT_EQ(metric_of(comparison, "noisy/", "time").verdict, Verdict::unchanged);
  EXPECT_EQ(metric_of(comparison, "tripled/", "time").verdict, Verdict::regression);
  EXPECT_EQ(metric_of(comparison, "allocates/", "allocs_per_task").verdict, Verdict::regression);
  EXPECT_EQ(metric_of(comparison, "allocates/", "time").verdict, Verdict::unchanged);
  // Less than double: what a thread per task shows when the machine is busier (more threads live at once).
  EXPECT_EQ(metric_of(comparison, "loaded/", "allocs_per_task").verdict, Verdict::unchanged);
  EXPECT_EQ(comparison.summary.regressions, 2u);
  for (const auto& result : comparison.cases)
    for (const auto& metric : result.metrics)
      EXPECT_TRUE(metric.metric == "time" || metric.metric == "allocs_per_task" ||
                  metric.metric == "threads_created");
}

TEST(CiProfile, ShortCasesAreNotTimedAndOneOffAllocationsAreTolerated) {
  const Options ci = ci_profile();
  auto same = [](double v) { return std::vector<double>(3, v); };
  // A 1 ms case: 5x slower is not judged (one preemption is that much on a shared machine). A pool that
  // restarts a worker adds an allocation to the case (0.002 per task): tolerated; one allocation per task is
  // not.
  const ResultFile base =
      make_file("base.json",
                {{.strategy = "inline", .times = same(1e6), .counters = {{"allocs_per_task", same(0)}}},
                 {.strategy = "short", .times = same(1e6), .counters = {{"allocs_per_task", same(0.034)}}},
                 {.strategy = "leaky", .times = same(1e6), .counters = {{"allocs_per_task", same(0.034)}}}});
  const ResultFile next =
      make_file("new.json",
                {{.strategy = "inline", .times = same(1e6), .counters = {{"allocs_per_task", same(0)}}},
                 {.strategy = "short", .times = same(5e6), .counters = {{"allocs_per_task", same(0.036)}}},
                 {.strategy = "leaky", .times = same(1e6), .counters = {{"allocs_per_task", same(1.034)}}}});
  const Comparison comparison = compare_files(base, next, ci);
  const auto& short_time = metric_of(comparison, "short/", "time");
  EXPECT_EQ(short_time.verdict, Verdict::not_compared);
  EXPECT_NE(short_time.note.find("under --min-time 10 ms"), std::string::npos) << short_time.note;
  EXPECT_EQ(metric_of(comparison, "short/", "allocs_per_task").verdict, Verdict::unchanged);
  EXPECT_EQ(metric_of(comparison, "leaky/", "allocs_per_task").verdict, Verdict::regression);
  EXPECT_EQ(comparison.summary.regressions, 1u);
}

TEST(CiProfile, TheReferencesVariationCountsForTheWorkloadsOwnAllocations) {
  // A workload whose own allocations depend on a per-process calibration: inline shows the spread; a pool
  // whose three repetitions happened to agree must not be called a regression when the next run draws
  // differently. (Growth tolerance off: the spread alone decides here.)
  Options options = ci_profile();
  options.alloc_growth = 0;
  const ResultFile base =
      make_file("base.json", {{.strategy = "inline",
                               .times = {20e6, 20e6, 20e6},
                               .counters = {{"allocs_per_task", {76528, 129865, 81166}}}},
                              {.strategy = "pool",
                               .times = {40e6, 40e6, 40e6},
                               .counters = {{"allocs_per_task", {81169, 81169, 81169}}}}});
  const ResultFile next =
      make_file("new.json", {{.strategy = "inline",
                              .times = {20e6, 20e6, 20e6},
                              .counters = {{"allocs_per_task", {83485, 78847, 129865}}}},
                             {.strategy = "pool",
                              .times = {40e6, 40e6, 40e6},
                              .counters = {{"allocs_per_task", {132187, 132187, 134506}}}}});
  const auto comparison = compare_files(base, next, options);
  const auto& pool = metric_of(comparison, "pool/", "allocs_per_task");
  EXPECT_DOUBLE_EQ(pool.spread, 129865 - 76528);
  EXPECT_EQ(pool.verdict, Verdict::unchanged);
  options.normalize_to.reset();  // without a reference, the pool's own repetitions are all there is
  EXPECT_EQ(metric_of(compare_files(base, next, options), "pool/", "allocs_per_task").verdict,
            Verdict::regression);
}

// ---- output ----

TEST(Output, TextMarkdownAndJsonCarryTheSameVerdicts) {
  const ResultFile base = make_file("base.json", {{.strategy = "slow", .times = five},
                                                  {.strategy = "gone", .times = five},
                                                  {.strategy = "fast", .times = five},
                                                  {.strategy = "same", .times = five}});
  const ResultFile next = make_file("new.json", {{.strategy = "slow", .times = scaled(five, 1.5)},
                                                 {.strategy = "fast", .times = scaled(five, 0.5)},
                                                 {.strategy = "same", .times = five}});
  const Comparison comparison = compare_files(base, next, Options{});

  const std::string text = format_text(comparison);
  EXPECT_NE(text.find("REGRESSION"), std::string::npos);
  EXPECT_NE(text.find("improved"), std::string::npos);
  EXPECT_NE(text.find("Only in base (1):"), std::string::npos);
  EXPECT_NE(text.find("+50.0%"), std::string::npos);
  EXPECT_NE(
      text.find("Summary: 1 regression (1 case), 1 improvement (1 case), 1 unchanged in 3 cases compared; "
                "1 only in base, 0 only in new"),
      std::string::npos)
      << text;

  const std::string markdown = format_markdown(comparison);
  EXPECT_EQ(markdown.rfind("### poolbench compare: :red_circle: regression", 0), 0u);
  EXPECT_NE(markdown.find("| Case | Metric | Base median | New median | Change | p-value | Verdict |"),
            std::string::npos);
  EXPECT_NE(markdown.find("#### Regressions"), std::string::npos);
  EXPECT_NE(markdown.find("#### Improvements"), std::string::npos);
  EXPECT_NE(markdown.find("<details>"), std::string::npos);
  EXPECT_NE(markdown.find("only in base: `gone/"), std::string::npos);

  const auto json = nlohmann::json::parse(format_json(comparison));
  EXPECT_EQ(json["summary"]["regressions"], 1);
  EXPECT_EQ(json["summary"]["improvements"], 1);
  EXPECT_EQ(json["summary"]["exit_status"], 1);
  ASSERT_EQ(json["cases"].size(), 3u);
  EXPECT_EQ(json["cases"][0]["metrics"][0]["metric"], "time");
  EXPECT_EQ(json["cases"][0]["metrics"][0]["verdict"], "regression");
  EXPECT_DOUBLE_EQ(json["cases"][0]["metrics"][0]["change"].get<double>(), 0.5);
  EXPECT_NEAR(json["cases"][0]["metrics"][0]["p_value"].get<double>(), 2.0 / 252, 1e-12);
  EXPECT_EQ(json["cases"][1]["metrics"][0]["verdict"], "improvement");
  EXPECT_EQ(json["only_in_base"].size(), 1u);
}

TEST(Output, SummaryComesFirstInEveryFormat) {
  const ResultFile base = make_file("base.json", {{.strategy = "aaa_same", .times = five},
                                                  {.strategy = "slow", .times = five},
                                                  {.strategy = "zzz_same", .times = five}});
  const ResultFile next = make_file("new.json", {{.strategy = "aaa_same", .times = five},
                                                 {.strategy = "slow", .times = scaled(five, 1.5)},
                                                 {.strategy = "zzz_same", .times = five}});
  const Comparison comparison = compare_files(base, next, Options{});
  const std::string text = format_text(comparison);
  const auto summary = text.find("Summary: 1 regression");
  const auto regressed = text.find("Regressed cases (1):\n  slow/");
  const auto first_table = text.find("aaa_same/");
  ASSERT_NE(summary, std::string::npos) << text;
  ASSERT_NE(regressed, std::string::npos) << text;
  EXPECT_LT(summary, regressed);
  EXPECT_LT(regressed, first_table);
  const std::string brief = format_text(comparison, true);
  EXPECT_NE(brief.find("Regressed cases (1)"), std::string::npos);
  EXPECT_EQ(brief.find("aaa_same/"), std::string::npos) << brief;  // no per-case tables

  const std::string markdown = format_markdown(comparison);
  const auto md_summary = markdown.find("**Summary:** 1 regression");
  const auto md_regressed = markdown.find("**Regressed cases (1):**");
  ASSERT_NE(md_summary, std::string::npos);
  ASSERT_NE(md_regressed, std::string::npos);
  EXPECT_LT(md_summary, md_regressed);
  EXPECT_LT(md_regressed, markdown.find("| Case |"));

  const std::string json = format_json(comparison);
  EXPECT_LT(json.find("\"summary\""), json.find("\"cases\""));
  EXPECT_EQ(nlohmann::json::parse(json)["summary"]["regressed_cases"].size(), 1u);
}

TEST(Output, MarkdownSummaryFitsAPullRequestCommentForAnyMatrix) {
  // Thousands of cases with long names: a third slower, a third missing from NEW, a third unchanged, plus
  // cases only in NEW.
  std::vector<CaseValues> base_cases, new_cases;
  const std::map<std::string, std::string> long_params = {
      {"a_rather_long_parameter_name", "some_value_1234567"}};
  for (int i = 0; i < 3000; ++i) {
    CaseValues values{
        .strategy = "strategy_" + std::to_string(i), .times = five, .strategy_params = long_params};
    base_cases.push_back(values);
    if (i % 3 == 1) continue;  // only in base
    if (i % 3 == 0) values.times = scaled(five, 1.5);
    new_cases.push_back(values);
  }
  for (int i = 0; i < 1000; ++i)
    new_cases.push_back(
        {.strategy = "new_strategy_" + std::to_string(i), .times = five, .strategy_params = long_params});
  // Unadjusted: 2,000 U tests of 5 against 5 cannot reach alpha after Holm's adjustment, and the point here
  // is a thousand regressed cases to list.
  const Comparison comparison =
      compare_files(make_file("base.json", base_cases), make_file("new.json", new_cases),
                    Options{.adjustment = Adjustment::none});
  ASSERT_EQ(comparison.summary.cases_regressed, 1000u);

  const std::string full = format_markdown(comparison);
  EXPECT_GT(full.size(), markdown_summary_limit);  // the point of --summary
  const std::string summary = format_markdown(comparison, true);
  EXPECT_LE(summary.size(), markdown_summary_limit);
  EXPECT_NE(summary.find("**Summary:** 1000 regressions (1000 cases)"), std::string::npos);
  EXPECT_NE(summary.find("more not shown"), std::string::npos);
  EXPECT_NE(summary.find("left out in all to fit a pull-request comment"), std::string::npos);
  EXPECT_NE(summary.find("`strategy_0/"), std::string::npos);  // the first regressed case is listed
  // Balanced <details> blocks: what is folded stays folded.
  std::size_t opened = 0, closed = 0;
  for (auto at = summary.find("<details>"); at != std::string::npos; at = summary.find("<details>", at + 1))
    ++opened;
  for (auto at = summary.find("</details>"); at != std::string::npos; at = summary.find("</details>", at + 1))
    ++closed;
  EXPECT_EQ(opened, closed);

  // A small comparison is shown whole, the unchanged rows folded away.
  const ResultFile small_base =
      make_file("base.json", {{.strategy = "slow", .times = five}, {.strategy = "same", .times = five}});
  const ResultFile small_new = make_file(
      "new.json", {{.strategy = "slow", .times = scaled(five, 1.5)}, {.strategy = "same", .times = five}});
  const std::string small = format_markdown(compare_files(small_base, small_new, Options{}), true);
  EXPECT_EQ(small.find("not shown"), std::string::npos) << small;
  EXPECT_NE(small.find("<details><summary>Unchanged, not judged and not compared</summary>"),
            std::string::npos);
  EXPECT_NE(small.find("`same/"), std::string::npos);
}

TEST(Verdict, AnInterruptedRunIsShownAndFailsTheGateUnderFailOnMissing) {
  const ResultFile base =
      make_file("base.json", {{.strategy = "a", .times = five}, {.strategy = "b", .times = five}});
  ResultFile cut =
      make_file("new.json", {{.strategy = "a", .times = five}, {.strategy = "b", .times = {1000, 1010}}});
  cut.context["poolbench"]["complete"] = false;  // interrupted during b's third repetition
  Options options;
  const Comparison lenient = compare_files(base, cut, options);
  EXPECT_EQ(exit_status(lenient), 0);
  EXPECT_EQ(lenient.new_complete, false);
  const std::string text = format_text(lenient);
  EXPECT_NE(text.find("note: new.json is an interrupted run (complete: false)"), std::string::npos) << text;
  // base.json has no mark: said, not assumed either way.
  EXPECT_NE(text.find("whether base.json ran to the end is not recorded"), std::string::npos) << text;
  EXPECT_NE(format_markdown(lenient, true).find("new.json is an interrupted run"), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(format_json(lenient))["new_complete"], false);
  EXPECT_TRUE(nlohmann::json::parse(format_json(lenient))["base_complete"].is_null());

  options.fail_on_missing = true;
  const Comparison gated = compare_files(base, cut, options);
  EXPECT_EQ(exit_status(gated), 1);
  EXPECT_EQ(gated.gate_failure, "new.json is an interrupted run (complete: false) (--fail-on-missing)");
  ResultFile finished = cut;
  finished.context["poolbench"]["complete"] = true;
  EXPECT_EQ(exit_status(compare_files(base, finished, options)), 0);
  EXPECT_EQ(format_text(compare_files(finished, finished, options)).find("note:"), std::string::npos);
}

TEST(Confirmation, OnlyRegressionsTheSecondRunRepeatsFail) {
  auto file = [](const char* path, double a_factor, double b_factor) {
    return make_file(path, {{.strategy = "inline", .times = five},
                            {.strategy = "a", .times = scaled(five, a_factor)},
                            {.strategy = "b", .times = scaled(five, b_factor)}});
  };
  const Options options{.normalize_to = "inline"};
  const ResultFile base = file("base.json", 1, 1);
  const Comparison first = compare_files(base, file("new.json", 1.5, 1.5), options);
  ASSERT_EQ(first.summary.cases_regressed, 2u);
  const std::vector<std::string> rerun = cases_to_confirm(first);
  ASSERT_EQ(rerun.size(), 3u);  // the reference first, then the regressed cases, once each
  EXPECT_EQ(rerun[0].rfind("inline/", 0), 0u);

  Comparison noise = compare_files(base, file("new.json", 1.5, 1.5), options);
  // The second run: a slower again, b back to normal.
  confirm_regressions(noise, base, file("second.json", 1.5, 1), "rerun {filter} {out}");
  ASSERT_TRUE(noise.confirmation);
  EXPECT_EQ(noise.confirmation->confirmed, std::vector<std::string>{first.cases[1].name});
  EXPECT_EQ(noise.confirmation->not_confirmed, std::vector<std::string>{first.cases[2].name});
  EXPECT_EQ(exit_status(noise), 1);
  EXPECT_NE(
      format_text(noise).find("Confirmation: a second run of 3 cases (rerun {filter} {out}) confirmed 1 "
                              "regressed case: a/"),
      std::string::npos)
      << format_text(noise);
  // The summary and the list of regressed cases say which of them the second run confirmed.
  const std::string text = format_text(noise, true);
  EXPECT_NE(text.find("a second run confirmed 1 of the 2 regressed cases"), std::string::npos) << text;
  EXPECT_NE(text.find("Regressed cases (2; 1 confirmed by a second run):"), std::string::npos) << text;
  EXPECT_NE(text.find(first.cases[1].name + ": time +50.0%"), std::string::npos) << text;
  EXPECT_NE(text.find("(confirmed by the second run)"), std::string::npos) << text;
  EXPECT_NE(text.find("(not confirmed by the second run: noise)"), std::string::npos) << text;
  EXPECT_NE(format_markdown(noise, true).find("1 confirmed by a second run"), std::string::npos);

  Comparison cleared = compare_files(base, file("new.json", 1.5, 1.5), options);
  confirm_regressions(cleared, base, file("second.json", 1, 1), "rerun");
  EXPECT_TRUE(cleared.confirmation->confirmed.empty());
  EXPECT_EQ(exit_status(cleared), 0);
  EXPECT_NE(format_markdown(cleared, true).find("no regression confirmed by a second run"),
            std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(format_json(cleared))["summary"]["exit_status"], 0);

  Comparison not_rerun = compare_files(base, file("new.json", 1.5, 1.5),
                                       options);  // a second run that lacks a case cannot clear it
  confirm_regressions(
      not_rerun, base,
      make_file("second.json", {{.strategy = "inline", .times = five}, {.strategy = "a", .times = five}}),
      "rerun");
  EXPECT_EQ(not_rerun.confirmation->confirmed, std::vector<std::string>{first.cases[2].name});
}

TEST(Confirmation, TheFilterMatchesExactlyTheNamesGiven) {
  const std::vector<std::string> names = {
      "inline/cpu_burst/duration_us:10/tasks:500/workers:2/producers:1",
      "sharded/cpu_burst/duration_us:10/shards=4/tasks:500/workers:2/producers:1"};
  const RE2 pattern(exact_names_pattern(names));
  ASSERT_TRUE(pattern.ok()) << pattern.error();
  for (const auto& name : names) EXPECT_TRUE(RE2::FullMatch(name, pattern)) << name;
  for (const char* other : {"inline/cpu_burst/duration_us:100/tasks:500/workers:2/producers:1",
                            "xinline/cpu_burst/duration_us:10/tasks:500/workers:2/producers:1",
                            "inline/cpu_burst/duration_us:10/tasks:500/workers:2/producers:1/extra"})
    EXPECT_FALSE(RE2::PartialMatch(other, pattern)) << other;
}

TEST(Verdict, FailOnMissingFailsAnEmptyPartialOrDisjointNew) {
  const ResultFile base = make_file(
      "base.json",
      {{.strategy = "a", .times = five}, {.strategy = "b", .times = five}, {.strategy = "c", .times = five}});
  Options options;
  options.fail_on_missing = true;
  struct Case {
    const char* what;
    ResultFile next;
    const char* reason;
  };
  const std::vector<Case> cases = {
      {"empty", make_file("new.json", {}), "new.json has no case at all"},
      {"partial", make_file("new.json", {{.strategy = "a", .times = five}}),
       "new.json is missing 2 of the 3 cases of base.json"},
      {"disjoint", make_file("new.json", {{.strategy = "x", .times = five}}),
       "new.json is missing 3 of the 3 cases of base.json"},
  };
  for (const auto& item : cases) {
    const Comparison failed = compare_files(base, item.next, options);
    EXPECT_EQ(exit_status(failed), 1) << item.what;
    EXPECT_EQ(failed.summary.regressions, 0u) << item.what;
    EXPECT_NE(failed.gate_failure.find(item.reason), std::string::npos) << failed.gate_failure;
    EXPECT_NE(format_text(failed).find("FAIL: " + failed.gate_failure), std::string::npos);
    EXPECT_NE(format_markdown(failed, true).find("**Failed:**"), std::string::npos);
    EXPECT_EQ(nlohmann::json::parse(format_json(failed))["summary"]["gate_failure"], failed.gate_failure);
    // Without the flag, missing cases are listed, not a failure; but nothing compared at all never passes.
    const Comparison plain = compare_files(base, item.next, Options{});
    EXPECT_EQ(exit_status(plain), std::string(item.what) == "partial" ? 0 : 1) << item.what;
    if (std::string(item.what) == "empty") {
      EXPECT_EQ(plain.gate_failure, "new.json has no case at all: nothing was compared");
    }
    if (std::string(item.what) == "disjoint") {
      EXPECT_EQ(plain.gate_failure, "base.json and new.json have no case in common: nothing was compared");
    }
  }
  EXPECT_TRUE(ci_profile().fail_on_missing);
  EXPECT_EQ(exit_status(compare_files(base, base, options)), 0);
}

}  // namespace
}  // namespace poolbench::compare
