// poolbench compare: the statistics against scipy's values, the verdict rules, normalisation, the three
// output formats, and the CLI's exit status on the fixture files in tests/data (small Google Benchmark style
// documents). Where Python with scipy is installed, Google Benchmark's own compare.py reads the same fixtures
// and must agree on the p-values and on which cases changed.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "compare/compare.hpp"
#include "errors.hpp"
#include "registry.hpp"
#include "result/result_file.hpp"
#include "test_slowed.hpp"

namespace poolbench::compare {
namespace {

namespace fs = std::filesystem;

// Runs `body` on another thread and fails (aborting the executable) if it has not finished within `limit`.
template <class Body>
void within(std::chrono::seconds limit, Body body) {
  auto done = std::async(std::launch::async, body);
  if (done.wait_for(limit) != std::future_status::ready) {
    std::fprintf(stderr, "test body did not finish within %lld s\n", static_cast<long long>(limit.count()));
    std::abort();
  }
  done.get();
}

std::string data(const std::string& name) {
  return std::string(POOLBENCH_SOURCE_DIR) + "/tests/data/" + name;
}

std::string slurp(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

struct Cli {
  int status = -1;
  std::string out;
  std::string err;
};

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "compare_test.XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  fs::path operator/(const std::string& name) const { return path_ / name; }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'')
      out.append("'\\''");
    else
      out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

// Runs the real CLI under `timeout`, so a hang fails the test instead of stalling it.
Cli run_poolbench(const std::vector<std::string>& arguments, const std::string& environment = "") {
  TempDir scratch;
  std::string command = environment;
  command.append(" timeout 60 ").append(quote(POOLBENCH_BINARY));
  for (const auto& argument : arguments) command.append(" ").append(quote(argument));
  command.append(" > ").append(quote((scratch / "out").string()));
  command.append(" 2> ").append(quote((scratch / "err").string()));
  const int raw = std::system(command.c_str());
  Cli cli;
  cli.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  cli.out = slurp(scratch / "out");
  cli.err = slurp(scratch / "err");
  return cli;
}

// ---- building result files in memory ----

struct CaseValues {
  std::string strategy;
  std::string workload = "atomic_increment";
  std::size_t workers = 2;
  std::vector<double> times = {};                            // real_time in ns, one per repetition
  std::map<std::string, std::vector<double>> counters = {};  // one value per repetition
  std::map<std::string, std::string> params = {};
  bool failed = false;
};

std::string name_of(const CaseValues& values) {
  std::string name = values.strategy + "/" + values.workload;
  for (const auto& [param, value] : values.params) name += "/" + param + ":" + value;
  return name + "/tasks:1000/workers:" + std::to_string(values.workers) + "/producers:1";
}

ResultFile make_file(const std::string& path, const std::vector<CaseValues>& cases) {
  ResultFile file;
  file.path = path;
  file.context = {{"poolbench", {{"version", "test"}}}};
  for (const auto& values : cases) {
    for (std::size_t i = 0; i < values.times.size(); ++i) {
      ResultEntry entry;
      entry.name = entry.run_name = name_of(values);
      entry.repetitions = static_cast<std::int64_t>(values.times.size());
      entry.repetition_index = static_cast<std::int64_t>(i);
      entry.iterations = 1;
      entry.real_time = values.times[i];
      entry.cpu_time = values.times[i];
      entry.error_occurred = values.failed;
      if (values.failed) entry.error_message = "crashed";
      for (const auto& [counter, series] : values.counters) entry.counters[counter] = series.at(i);
      entry.case_info = CaseInfo{values.strategy, values.workload, 1000, values.workers, 1, values.params};
      file.entries.push_back(entry);
    }
  }
  return file;
}

std::vector<double> scaled(const std::vector<double>& values, double factor) {
  std::vector<double> out;
  for (double v : values) out.push_back(v * factor);
  return out;
}

const std::vector<double> five = {1000, 1010, 995, 1005, 990};

const MetricComparison& metric_of(const Comparison& comparison, const std::string& case_prefix,
                                  const std::string& metric) {
  for (const auto& result : comparison.cases)
    if (result.name.rfind(case_prefix, 0) == 0)
      for (const auto& m : result.metrics)
        if (m.metric == metric) return m;
  throw std::runtime_error("no " + metric + " for " + case_prefix);
}

// ---- statistics ----

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
}

TEST(Median, OddAndEvenCountsAsGoogleBenchmark) {
  EXPECT_DOUBLE_EQ(median({3, 1, 2}), 2);
  EXPECT_DOUBLE_EQ(median({4, 1, 3, 2}), 2.5);
  EXPECT_DOUBLE_EQ(median({7}), 7);
}

// ---- verdicts ----

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

TEST(Verdict, TooFewRepetitionsDecideOnTheThresholdAloneAndSaySo) {
  const ResultFile base = make_file("base.json", {{.strategy = "a", .times = {1000, 1010, 990}},
                                                  {.strategy = "b", .times = {1000, 1010, 990}},
                                                  {.strategy = "c", .times = {1000}}});
  const ResultFile next = make_file("new.json", {{.strategy = "a", .times = {1300, 1310, 1290}},
                                                 {.strategy = "b", .times = {1030, 1040, 1020}},
                                                 {.strategy = "c", .times = {1100}}});
  const Comparison comparison = compare_files(base, next, Options{});
  const auto& a = metric_of(comparison, "a/", "time");
  EXPECT_EQ(a.decision, Decision::threshold_only);
  EXPECT_EQ(a.verdict, Verdict::regression);
  EXPECT_DOUBLE_EQ(*a.p_value, 0.1);  // still shown: what compare.py would print
  EXPECT_NE(a.note.find("too few repetitions"), std::string::npos);
  EXPECT_EQ(metric_of(comparison, "b/", "time").verdict, Verdict::unchanged);  // +3% < 5%
  const auto& c = metric_of(comparison, "c/", "time");
  EXPECT_EQ(c.decision, Decision::threshold_only);
  EXPECT_FALSE(c.p_value.has_value());
  EXPECT_EQ(c.verdict, Verdict::regression);
  EXPECT_EQ(comparison.summary.threshold_only, 3u);
  EXPECT_NE(format_text(comparison).find("U test not used: 3 vs 3 repetitions"), std::string::npos);
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

TEST(Verdict, AllocationsAndThreadsAreExactPeakRssHasTenPercent) {
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
                   {.strategy = "threads", .times = five, .counters = {{"threads_created", same(3)}}},
                   {.strategy = "rss_small", .times = five, .counters = {{"peak_rss_bytes", same(1.09e8)}}},
                   {.strategy = "rss_large", .times = five, .counters = {{"peak_rss_bytes", same(1.11e8)}}},
                   {.strategy = "bytes", .times = five, .counters = {{"bytes_per_task", same(64)}}}});
  Comparison comparison = compare_files(base, next, Options{});
  EXPECT_EQ(metric_of(comparison, "more_allocs/", "allocs_per_task").verdict, Verdict::regression);
  EXPECT_EQ(metric_of(comparison, "more_allocs/", "allocs_per_task").decision, Decision::exact);
  EXPECT_EQ(metric_of(comparison, "fewer_allocs/", "allocs_per_task").verdict, Verdict::improvement);
  EXPECT_EQ(metric_of(comparison, "threads/", "threads_created").verdict, Verdict::regression);
  EXPECT_EQ(metric_of(comparison, "rss_small/", "peak_rss_bytes").verdict, Verdict::unchanged);
  EXPECT_EQ(metric_of(comparison, "rss_large/", "peak_rss_bytes").verdict, Verdict::regression);
  EXPECT_EQ(metric_of(comparison, "bytes/", "bytes_per_task").verdict, Verdict::unchanged);
  EXPECT_EQ(comparison.summary.regressions, 3u);

  Options tolerant;
  tolerant.exact_tolerance = 0.01;
  comparison = compare_files(base, next, tolerant);
  EXPECT_EQ(metric_of(comparison, "more_allocs/", "allocs_per_task").verdict, Verdict::unchanged);
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
  EXPECT_DOUBLE_EQ(metric_of(comparison, "inline/", "time").new_median, 1);
  EXPECT_EQ(exit_status(comparison), 0);
}

TEST(Normalize, FindsTheReferenceAcrossWorkerCountsAndStrategyParameters) {
  // inline ran at workers:1 only; the pools at workers:2. test_slowed declares `wraps` and
  // `slowdown_percent`, which are the strategy's, not the workload's, so they do not stop it finding inline's
  // case.
  const ResultFile base = make_file(
      "base.json",
      {{.strategy = "inline", .workers = 1, .times = std::vector<double>(5, 100)},
       {.strategy = "test_slowed", .times = std::vector<double>(5, 300), .params = {{"wraps", "inline"}}},
       {.strategy = "pool", .workload = "other", .times = std::vector<double>(5, 1000)}});
  const ResultFile next = make_file(
      "new.json",
      {{.strategy = "inline", .workers = 1, .times = std::vector<double>(5, 100)},
       {.strategy = "test_slowed", .times = std::vector<double>(5, 900), .params = {{"wraps", "inline"}}},
       {.strategy = "pool", .workload = "other", .times = std::vector<double>(5, 1000)}});
  Options options;
  options.normalize_to = "inline";
  const Comparison comparison = compare_files(base, next, options);
  const auto& slowed = metric_of(comparison, "test_slowed/", "time");
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
  const Comparison comparison = compare_files(base, next, Options{});
  const auto& on_demand = metric_of(comparison, "on_demand/", "allocs_per_task");
  EXPECT_DOUBLE_EQ(on_demand.spread, 0.0030 - 0.0010);
  EXPECT_EQ(on_demand.verdict, Verdict::unchanged);
  EXPECT_NE(on_demand.note.find("varies by"), std::string::npos);
  EXPECT_EQ(metric_of(comparison, "leaks/", "allocs_per_task").verdict, Verdict::regression);
  // Identical repetitions: any increase counts.
  EXPECT_EQ(metric_of(comparison, "fixed/", "allocs_per_task").spread, 0);
  EXPECT_EQ(metric_of(comparison, "fixed/", "allocs_per_task").verdict, Verdict::regression);
  Options no_spread;
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

// ---- the test-only slowdown knob ----

TEST(TestSlowed, WrapsAnotherStrategyRunsEveryTaskOnceAndAddsTheSlowdownToWait) {
  within(std::chrono::seconds(60), [] {
    const StrategyInfo* info = strategy_registry().find("test_slowed");
    ASSERT_NE(info, nullptr);
    EXPECT_TRUE(info->test_only);
    EXPECT_FALSE(info->in_default_matrix);
    StrategyConfig config;
    config.workers = 2;
    config.params.apply_defaults(info->params);
    config.params.set("slowdown_percent", "50");
    ::unsetenv("POOLBENCH_TEST_SLOWDOWN_PERCENT");
    auto strategy = info->make(config);
    std::atomic<int> ran{0};
    using Clock = std::chrono::steady_clock;
    ASSERT_TRUE(strategy->submit(Task{[&] { ran.fetch_add(1); }}).ok());
    const auto after_first_submit = Clock::now();
    for (int i = 1; i < 100; ++i) ASSERT_TRUE(strategy->submit(Task{[&] { ran.fetch_add(1); }}).ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const auto wait_entry = Clock::now();
    EXPECT_EQ(strategy->wait(), nullptr);
    const auto wait_exit = Clock::now();
    EXPECT_EQ(ran.load(), 100);
    // By construction (a spin until first_submit + 1.5 x the elapsed time), not a measurement of speed.
    EXPECT_GE(wait_exit - wait_entry, (wait_entry - after_first_submit) / 2);
    strategy->shutdown();
    EXPECT_FALSE(strategy->submit(Task{[] {}}).ok());  // inline's behaviour after shutdown, forwarded
  });
}

TEST(TestSlowed, EnvironmentOverridesTheParameterAndBadValuesAreRejected) {
  ::setenv("POOLBENCH_TEST_SLOWDOWN_PERCENT", "30", 1);
  EXPECT_DOUBLE_EQ(effective_slowdown_percent("0"), 30);
  ::setenv("POOLBENCH_TEST_SLOWDOWN_PERCENT", "fast", 1);
  EXPECT_THROW(effective_slowdown_percent("0"), ParamError);
  ::setenv("POOLBENCH_TEST_SLOWDOWN_PERCENT", "-5", 1);
  EXPECT_THROW(effective_slowdown_percent("0"), ParamError);
  ::unsetenv("POOLBENCH_TEST_SLOWDOWN_PERCENT");
  EXPECT_DOUBLE_EQ(effective_slowdown_percent("12"), 12);

  const StrategyInfo* info = strategy_registry().find("test_slowed");
  ASSERT_NE(info, nullptr);
  StrategyConfig config;
  config.params.apply_defaults(info->params);
  config.params.set("wraps", "no_such_strategy");
  EXPECT_THROW(info->make(config), ParamError);
  config.params.set("wraps", "test_slowed");
  EXPECT_THROW(info->make(config), ParamError);
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
  EXPECT_NE(markdown.find("#### Changes"), std::string::npos);
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

TEST(Output, ValuesCarryUnits) {
  EXPECT_EQ(format_value(*find_metric("time"), 1234567, false), "1.235 ms");
  EXPECT_EQ(format_value(*find_metric("time"), 850, false), "850 ns");
  EXPECT_EQ(format_value(*find_metric("items_per_second"), 2.5e6, false), "2.5M/s");
  EXPECT_EQ(format_value(*find_metric("peak_rss_bytes"), 64.0 * 1024 * 1024, false), "64 MiB");
  EXPECT_EQ(format_value(*find_metric("allocs_per_task"), 1.0002, false), "1.0002");
  EXPECT_EQ(format_value(*find_metric("time"), 2.5, true), "2.5x");
  EXPECT_EQ(format_change(0.123), "+12.3%");
  EXPECT_EQ(format_change(std::nullopt), "n/a");
}

// ---- the CLI on fixture files ----

TEST(CompareCli, SameFileIsNoRegressionAndBothFormatsOfFileAreRead) {
  within(std::chrono::seconds(120), [] {
    for (const char* file : {"gb_base.json", "pb_base.json"}) {
      const Cli cli = run_poolbench({"compare", data(file), data(file)});
      EXPECT_EQ(cli.status, 0) << cli.out << cli.err;
      EXPECT_NE(cli.out.find("Summary: 0 regressions"), std::string::npos) << cli.out;
    }
  });
}

TEST(CompareCli, GoogleBenchmarkFixturesReportTheSlowerCase) {
  within(std::chrono::seconds(120), [] {
    const Cli cli = run_poolbench({"compare", "--format", "json", data("gb_base.json"), data("gb_new.json")});
    ASSERT_EQ(cli.status, 1) << cli.err;
    const auto json = nlohmann::json::parse(cli.out);
    std::map<std::string, std::string> verdicts;
    for (const auto& item : json["cases"]) verdicts[item["name"]] = item["metrics"][0]["verdict"];
    EXPECT_EQ(verdicts["BM_slower/8"], "regression");
    EXPECT_EQ(verdicts["BM_faster/8"], "improvement");
    EXPECT_EQ(verdicts["BM_steady/8"], "unchanged");
    EXPECT_EQ(verdicts["BM_small_change/8"], "unchanged");  // significant, +2%: below the minimum effect
    EXPECT_EQ(verdicts["BM_noisy/8"], "unchanged");         // +6.9% median, p = 0.39
    EXPECT_EQ(json["only_in_base"], nlohmann::json::array({"BM_only_in_base/8"}));
    EXPECT_EQ(json["only_in_new"], nlohmann::json::array({"BM_only_in_new/8"}));
  });
}

TEST(CompareCli, PoolbenchFixturesRegressionsOnlyWhereTheyAre) {
  within(std::chrono::seconds(120), [] {
    const Cli cli =
        run_poolbench({"compare", "--format", "json", data("pb_base.json"), data("pb_new_regressed.json")});
    ASSERT_EQ(cli.status, 1) << cli.err;
    const auto json = nlohmann::json::parse(cli.out);
    std::set<std::string> regressed;
    for (const auto& item : json["cases"])
      for (const auto& metric : item["metrics"])
        if (metric["verdict"] == "regression")
          regressed.insert(item["name"].get<std::string>() + " " + metric["metric"].get<std::string>());
    const std::string fifo = "fifo_ring/atomic_increment/tasks:1000/workers:2/producers:1";
    const std::string raw = "raw_threads/atomic_increment/tasks:1000/workers:2/producers:1";
    EXPECT_EQ(regressed,
              (std::set<std::string>{fifo + " time", fifo + " items_per_second", fifo + " e2e_p99_ns",
                                     fifo + " queue_wait_p99_ns", raw + " allocs_per_task"}));
    EXPECT_EQ(json["only_in_base"].size(), 1u);
    EXPECT_EQ(json["only_in_new"].size(), 1u);
  });
}

TEST(CompareCli, SlowerMachinePassesOnlyWhenNormalised) {
  within(std::chrono::seconds(120), [] {
    EXPECT_EQ(run_poolbench({"compare", data("pb_base.json"), data("pb_new_slower_machine.json")}).status, 1);
    const Cli normalized = run_poolbench(
        {"compare", "--normalize-to", "inline", data("pb_base.json"), data("pb_new_slower_machine.json")});
    EXPECT_EQ(normalized.status, 0) << normalized.out;
    EXPECT_NE(normalized.out.find("times relative to inline"), std::string::npos);
    EXPECT_EQ(run_poolbench(
                  {"compare", "--profile", "ci", data("pb_base.json"), data("pb_new_slower_machine.json")})
                  .status,
              0);
  });
}

TEST(CompareCli, CiProfileFailsOnThreeTimesSlowerAndOnAllocations) {
  within(std::chrono::seconds(120), [] {
    TempDir dir;
    auto document = nlohmann::json::parse(slurp(data("pb_base.json")));
    for (auto& entry : document["benchmarks"])
      if (entry["case"]["strategy"] == "fifo_ring" && entry["run_type"] == "iteration")
        entry["real_time"] = entry["real_time"].get<double>() * 3;
    std::ofstream(dir / "tripled.json") << document.dump();
    const Cli tripled = run_poolbench({"compare", "--profile", "ci", "--min-time", "0", data("pb_base.json"),
                                       (dir / "tripled.json").string()});
    EXPECT_EQ(tripled.status, 1) << tripled.out;
    EXPECT_NE(tripled.out.find("REGRESSION"), std::string::npos);
    // 30% slower passes the CI profile, and so does raw_threads' 3 -> 4 allocations per task (a thread per
    // task allocates more as more threads are live at once); a pool that starts allocating per task does not.
    EXPECT_EQ(
        run_poolbench({"compare", "--profile", "ci", data("pb_base.json"), data("pb_new_regressed.json")})
            .status,
        0);
    document = nlohmann::json::parse(slurp(data("pb_base.json")));
    for (auto& entry : document["benchmarks"])
      if (entry["case"]["strategy"] == "fifo_ring" && entry["run_type"] == "iteration")
        entry["allocs_per_task"] = 1.0;
    std::ofstream(dir / "allocating.json") << document.dump();
    const Cli allocating = run_poolbench({"compare", "--profile", "ci", "--format", "json",
                                          data("pb_base.json"), (dir / "allocating.json").string()});
    EXPECT_EQ(allocating.status, 1) << allocating.out;
    EXPECT_EQ(nlohmann::json::parse(allocating.out)["summary"]["regressions"], 2);  // both fifo_ring cases
    // Explicit flags override the profile.
    EXPECT_EQ(run_poolbench({"compare", "--profile", "ci", "--alloc-growth", "0", data("pb_base.json"),
                             data("pb_new_regressed.json")})
                  .status,
              1);
    EXPECT_EQ(run_poolbench({"compare", "--profile", "ci", "--alloc-tolerance", "2", data("pb_base.json"),
                             (dir / "allocating.json").string()})
                  .status,
              0);
  });
}

TEST(CompareCli, CaseFailingInNewIsARegression) {
  within(std::chrono::seconds(120), [] {
    const Cli cli = run_poolbench({"compare", data("pb_base.json"), data("pb_new_failed.json")});
    EXPECT_EQ(cli.status, 1);
    EXPECT_NE(cli.out.find("FAILED IN NEW: child killed by signal 11"), std::string::npos) << cli.out;
  });
}

TEST(CompareCli, MarkdownAndJsonFormats) {
  within(std::chrono::seconds(120), [] {
    const Cli markdown =
        run_poolbench({"compare", "--format", "md", data("gb_base.json"), data("gb_new.json")});
    EXPECT_EQ(markdown.status, 1);
    EXPECT_EQ(markdown.out.rfind("### poolbench compare", 0), 0u);
    const Cli json =
        run_poolbench({"compare", "--format", "json", data("gb_base.json"), data("gb_base.json")});
    EXPECT_EQ(json.status, 0);
    EXPECT_NO_THROW(nlohmann::json::parse(json.out));
  });
}

TEST(CompareCli, UnusableInputExitsTwoWithOneLineNamingTheFile) {
  within(std::chrono::seconds(240), [] {
    TempDir dir;
    const std::string valid = slurp(data("pb_base.json"));
    auto write = [&](const std::string& name, const std::string& text) {
      std::ofstream(dir / name) << text;
      return (dir / name).string();
    };
    auto with = [&](auto mutate) {
      auto document = nlohmann::json::parse(valid);
      mutate(document["benchmarks"][0]);
      return document.dump(1);
    };
    struct Bad {
      std::string path;
      std::string expected;  // a fragment of the message
    };
    const std::vector<Bad> bad = {
        {(dir / "missing.json").string(), "cannot read: No such file or directory"},
        {dir.path().string(), "is a directory"},
        {write("empty.json", ""), "empty file"},
        {write("truncated.json", valid.substr(0, valid.size() / 2)), "truncated or incomplete JSON"},
        {write("invalid.json", "{\"benchmarks\": [,]}"), "invalid JSON"},
        {write("array.json", "[1, 2, 3]"), "not a result file"},
        {write("other.json", "{\"name\": \"not a benchmark\"}"), "no 'benchmarks' array"},
        {write("negative.json", with([](auto& e) { e["real_time"] = -5; })), "'real_time' is negative"},
        {write("text_metric.json", with([](auto& e) { e["allocs_per_task"] = "many"; })),
         "'allocs_per_task' is not a number"},
        {write("no_name.json", with([](auto& e) { e.erase("name"); })), "has no 'name'"},
        {write("bad_unit.json", with([](auto& e) { e["time_unit"] = "fortnights"; })),
         "time_unit 'fortnights'"},
        {write("deep.json", std::string(100000, '[') + std::string(100000, ']')), "nested deeper"},
    };
    for (const auto& item : bad) {
      for (const bool as_new : {false, true}) {
        const Cli cli = as_new ? run_poolbench({"compare", data("pb_base.json"), item.path})
                               : run_poolbench({"compare", item.path, data("pb_base.json")});
        EXPECT_EQ(cli.status, 2) << item.path << ": " << cli.err;
        EXPECT_TRUE(cli.out.empty()) << item.path;
        EXPECT_EQ(cli.err.find('\n'), cli.err.size() - 1) << "not one line: " << cli.err;
        EXPECT_NE(cli.err.find(item.path), std::string::npos) << cli.err;
        EXPECT_NE(cli.err.find(item.expected), std::string::npos) << cli.err;
      }
    }
  });
}

TEST(CompareCli, BadFlagsExitTwo) {
  within(std::chrono::seconds(120), [] {
    const std::string a = data("pb_base.json");
    for (const auto& arguments :
         std::vector<std::vector<std::string>>{{"compare", a},
                                               {"compare", "--alpha", "2", a, a},
                                               {"compare", "--min-effect", "lots", a, a},
                                               {"compare", "--min-effect", "-5%", a, a},
                                               {"compare", "--alloc-growth", "double", a, a},
                                               {"compare", "--alloc-growth", "-1", a, a},
                                               {"compare", "--metrics", "time,speed", a, a},
                                               {"compare", "--format", "xml", a, a},
                                               {"compare", "--profile", "fast", a, a},
                                               {"compare", "--normalize-to", "no_such_strategy", a, a}}) {
      const Cli cli = run_poolbench(arguments);
      EXPECT_EQ(cli.status, 2) << arguments[1] << " " << cli.err;
      EXPECT_TRUE(cli.out.empty());
      EXPECT_EQ(cli.err.find('\n'), cli.err.size() - 1) << cli.err;
    }
    const Cli help = run_poolbench({"compare", "--help"});
    EXPECT_EQ(help.status, 0);
    EXPECT_NE(help.out.find("--profile ci"), std::string::npos);
    EXPECT_NE(help.out.find("--normalize-to"), std::string::npos);
  });
}

// ---- agreement with Google Benchmark's compare.py ----

std::string python_with_scipy() {
  for (const char* python : {"/usr/bin/python3", "python3"})
    if (std::system((std::string(python) + " -c 'import scipy' > /dev/null 2>&1").c_str()) == 0)
      return python;
  return {};
}

TEST(CompareCli, AgreesWithGoogleBenchmarksComparePy) {
  const std::string python = python_with_scipy();
  const std::string compare_py = "/usr/share/benchmark/compare.py";
  if (python.empty() || !fs::exists(compare_py))
    GTEST_SKIP() << "python3 with scipy or compare.py not installed";
  within(std::chrono::seconds(240), [&] {
    for (const auto& [base, next] :
         std::vector<std::pair<std::string, std::string>>{{"gb_base.json", "gb_new.json"},
                                                          {"pb_base.json", "pb_new_regressed.json"},
                                                          {"pb_base.json", "pb_new_slower_machine.json"}}) {
      TempDir dir;
      const std::string dump = (dir / "diff.json").string();
      const std::string command = "timeout 120 " + python + " " + compare_py + " --no-color -d " +
                                  quote(dump) + " benchmarks " + quote(data(base)) + " " + quote(data(next)) +
                                  " > /dev/null";
      ASSERT_EQ(std::system(command.c_str()), 0) << command;
      const auto theirs = nlohmann::json::parse(slurp(dump));

      const Cli cli =
          run_poolbench({"compare", "--format", "json", "--metrics", "time", data(base), data(next)});
      ASSERT_NE(cli.status, 2) << cli.err;
      const auto ours = nlohmann::json::parse(cli.out);
      std::map<std::string, nlohmann::json> our_time;
      for (const auto& item : ours["cases"]) our_time[item["name"]] = item["metrics"][0];

      std::map<std::string, double> their_median_change;
      for (const auto& item : theirs)
        if (item["run_type"] == "aggregate" && item["aggregate_name"] == "median")
          their_median_change[item["name"].get<std::string>().substr(
              0, item["name"].get<std::string>().size() - 7)] = item["measurements"][0]["time"].get<double>();
      std::size_t checked = 0;
      for (const auto& item : theirs) {
        if (!item.contains("utest") || item["utest"].empty()) continue;
        const std::string name = item["name"];
        ASSERT_TRUE(our_time.count(name)) << name;
        const double their_p = item["utest"]["time_pvalue"];
        EXPECT_NEAR(our_time[name]["p_value"].get<double>(), their_p, 1e-9) << name;
        // compare.py marks a change when p < alpha; poolbench also asks for the minimum effect (5%).
        const bool they_changed = their_p < 0.05 && std::fabs(their_median_change.at(name)) > 0.05;
        const bool we_changed = our_time[name]["verdict"] != "unchanged";
        EXPECT_EQ(we_changed, they_changed) << base << " vs " << next << ": " << name;
        ++checked;
      }
      EXPECT_GE(checked, 3u) << base;
    }
  });
}

}  // namespace
}  // namespace poolbench::compare
