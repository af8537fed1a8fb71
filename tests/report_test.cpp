// poolbench report against a small fixed result file (tests/data/report_fixture.json): every table cell,
// ratio, recommendation and rule-of-thumb verdict is checked against numbers worked out by hand from that
// file; bad input exits 2 with one line and no output; plot.py draws its files from the fixture.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "cli_support.hpp"
#include "conformance_checks.hpp"
#include "metrics/catalogue.hpp"
#include "report/report_model.hpp"
#include "report/report_render.hpp"
#include "result/result_file.hpp"

namespace poolbench::report {
namespace {

using poolbench::testing::count_lines;
using poolbench::testing::run_poolbench;
using poolbench::testing::slurp;
using poolbench::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;

const std::string fixture_path = std::string(POOLBENCH_SOURCE_DIR) + "/tests/data/report_fixture.json";
// The same fixture in the previous result layout (one `params` object, no traits), frozen.
const std::string previous_layout_fixture_path =
    std::string(POOLBENCH_SOURCE_DIR) + "/tests/data/previous_layout_report_fixture.json";
constexpr double MiB = 1024.0 * 1024.0;

const Report& fixture_report() {
  static const Report report = build_report(read_result_file(fixture_path));
  return report;
}

nlohmann::json fixture_json() {
  return nlohmann::json::parse(slurp(fixture_path));
}

Report report_of(const nlohmann::json& document, ReportOptions options = {}) {
  return build_report(parse_result_document(document.dump(), "modified fixture"), options);
}

const WorkloadTable& table_titled(const Report& report, const std::string& title) {
  for (const auto& table : report.tables)
    if (table.title == title) return table;
  throw std::runtime_error("no table titled " + title);
}

const StrategyRow& row_of(const WorkloadTable& table, const std::string& label) {
  const StrategyRow* row = table.find(label);
  if (row == nullptr) throw std::runtime_error("no row " + label + " in " + table.title);
  return *row;
}

const RuleCheck& rule_of(const Report& report, const std::string& id) {
  for (const auto& rule : report.rules)
    if (rule.id == id) return rule;
  throw std::runtime_error("no rule " + id);
}

void expect_spread(const StrategyRow& row, const char* key, double median, double min, double max,
                   std::size_t samples) {
  const Spread* spread = row.find(key);
  ASSERT_NE(spread, nullptr) << row.label << " " << key;
  EXPECT_DOUBLE_EQ(spread->median, median) << row.label << " " << key;
  EXPECT_DOUBLE_EQ(spread->min, min) << row.label << " " << key;
  EXPECT_DOUBLE_EQ(spread->max, max) << row.label << " " << key;
  EXPECT_EQ(spread->samples, samples) << row.label << " " << key;
}

const char* const atomic_p1 = "atomic_increment — 1000 tasks, 2 workers, 1 producer";
const char* const atomic_p4 = "atomic_increment — 1000 tasks, 2 workers, 4 producers";
const char* const io = "simulated_io (median_ms=5, p99_ms=20) — 100 tasks, 4 workers, 1 producer";
const char* const warm = "warm_state (state=auto) — 40 tasks, 4 workers, 1 producer";

// Setup counted: with every row's setup recorded and no warm-up, the decision and the ÷ columns compare setup
// + window; with a warm-up, the window (setup + window still shown); without setup (older files), the window.
TEST(ReportModel, DecisionComparesSetupAndWindowUnlessAWarmupRan) {
  auto document = fixture_json();
  for (auto& entry : document.at("benchmarks")) {
    if (entry.value("run_type", "") != "iteration" ||
        entry.at("name").get<std::string>().find("warm_state") == std::string::npos)
      continue;
    // stateful builds its four states before the window: 400 ms of setup; semaphore_group's setup is 1 ms.
    const bool stateful = entry.at("name").get<std::string>().rfind("stateful", 0) == 0;
    entry["setup_ns"] = stateful ? 400e6 : 1e6;
  }
  {
    const Report report = report_of(document);
    const auto& table = table_titled(report, warm);
    EXPECT_EQ(table.compared_time, metric::setup_and_window_ns);
    expect_spread(row_of(table, "stateful"), metric::setup_and_window_ns, 600e6, 590e6, 610e6, 3);
    const auto& r = table.recommendation;
    EXPECT_EQ(r.decision, Decision::keep_default);  // 811 ms against 600 ms: 1.35x, below the threshold
    EXPECT_DOUBLE_EQ(*r.speedup, 811e6 / 600e6);
    EXPECT_THAT(r.reason, HasSubstr("setup + window"));
    EXPECT_DOUBLE_EQ(*row_of(table, "stateful").time_ratio_to_baseline, 600e6 / 811e6);
    const std::string markdown = render_markdown(report);
    EXPECT_THAT(markdown, HasSubstr("Compared: setup + window (no warm-up ran)."));
    // Other tables record no setup: they compare the window, and say so.
    EXPECT_EQ(table_titled(report, atomic_p1).compared_time, metric::total_time_ns);
    EXPECT_THAT(markdown, HasSubstr("Compared: the window (the file does not record setup times)."));
  }
  for (auto& entry : document.at("benchmarks"))
    if (entry.contains("setup_ns")) entry["warmup_tasks"] = 100;
  {
    const Report report = report_of(document);
    const auto& table = table_titled(report, warm);
    EXPECT_EQ(table.compared_time, metric::total_time_ns);
    EXPECT_DOUBLE_EQ(*table.recommendation.speedup, 810e6 / 200e6);
    EXPECT_THAT(render_markdown(report), HasSubstr("Compared: the window, after each strategy's warm-up"));
  }
}

TEST(ReportModel, PeakRssAboveTheInlineCaseAndUncountedAllocationsMarked) {
  auto document = fixture_json();
  for (auto& entry : document.at("benchmarks")) {
    if (entry.value("run_type", "") != "iteration") continue;
    const std::string name = entry.at("name").get<std::string>();
    if (name.find("atomic_increment/tasks:1000/workers:2/producers:1") == std::string::npos) continue;
    if (name.rfind("inline/", 0) == 0) entry["peak_rss_bytes"] = 15 * MiB;
    if (name.rfind("fifo_ring/", 0) == 0) entry["allocations_bypass_malloc"] = 1;
  }
  const Report report = report_of(document);
  const auto& table = table_titled(report, atomic_p1);
  // semaphore_group's 20/21/22 MiB less inline's median, 15 MiB.
  expect_spread(row_of(table, "semaphore_group"), metric::peak_rss_above_inline_bytes, 6 * MiB, 5 * MiB,
                7 * MiB, 3);
  EXPECT_THAT(render_markdown(report), HasSubstr("not counted: bypasses malloc"));
}

TEST(ReportMarkdown, AnInterruptedRunIsWarnedAboutAtTheTop) {
  auto document = fixture_json();
  nlohmann::json succeeded = nlohmann::json::array();  // no failed repetition: only the mark can warn
  for (const auto& entry : document["benchmarks"])
    if (!entry.value("error_occurred", false)) succeeded.push_back(entry);
  document["benchmarks"] = succeeded;
  document["context"]["poolbench"]["complete"] = false;
  const Report interrupted = build_report(parse_result_document(document.dump(), "cut.json"));
  EXPECT_EQ(interrupted.complete, false);
  const std::string markdown = render_markdown(interrupted);
  const auto warning = markdown.find("**Warning: this run was interrupted**");
  ASSERT_NE(warning, std::string::npos);
  EXPECT_LT(warning, markdown.find("## Machine and run"));
  EXPECT_EQ(markdown.find("every repetition of every case succeeded"), std::string::npos);
  document["context"]["poolbench"]["complete"] = true;
  const std::string finished =
      render_markdown(build_report(parse_result_document(document.dump(), "ok.json")));
  EXPECT_EQ(finished.find("Warning: this run was interrupted"), std::string::npos);
  EXPECT_NE(finished.find("None: every repetition of every case succeeded."), std::string::npos);
  document["context"]["poolbench"].erase("complete");
  const std::string unknown =
      render_markdown(build_report(parse_result_document(document.dump(), "old.json")));
  EXPECT_NE(unknown.find("whether the run finished is not recorded"), std::string::npos);
}

TEST(ReportModel, HeaderComesFromTheContext) {
  const Report& report = fixture_report();
  const auto header = [&](const std::string& label) {
    for (const auto& [key, value] : report.header)
      if (key == label) return value;
    return std::string("missing");
  };
  EXPECT_EQ(header("Machine"), "fixture-host, 2 CPUs at 2400 MHz");
  EXPECT_EQ(header("Caches"), "L1 Data 32.0 KiB (shared by 1), L2 Unified 1.00 MiB (shared by 1)");
  EXPECT_EQ(header("Kernel"), "Linux 6.1.0-fixture");
  EXPECT_EQ(header("Compiler"), "GCC 12.2.0");
  EXPECT_EQ(header("Build"), "Release (Google Benchmark library: release)");
  EXPECT_EQ(header("Allocator"), "jemalloc");
  EXPECT_EQ(header("Date"), "2026-11-26T15:00:00Z");
  EXPECT_EQ(header("Commit"), "abc123def456");
  EXPECT_EQ(header("Command line"), "poolbench run --repetitions 3 --out fixture.json");
  ASSERT_EQ(report.run_details.size(), 1u);
  EXPECT_EQ(report.run_details[0].first, "instrumentation_ns_per_task");
  EXPECT_EQ(report.run_details[0].second, "12.5");
}

TEST(ReportModel, OneTablePerMatrixPointInReadingOrder) {
  const Report& report = fixture_report();
  std::vector<std::string> titles;
  for (const auto& table : report.tables) titles.push_back(table.title);
  EXPECT_THAT(titles,
              ::testing::ElementsAre(atomic_p1, atomic_p4, io, warm,
                                     "cpu_burst (duration_us=1) — 1000 tasks, 2 workers, 1 producer",
                                     "cpu_burst (duration_us=10) — 1000 tasks, 2 workers, 1 producer",
                                     "cpu_burst (duration_us=100) — 1000 tasks, 2 workers, 1 producer"));
  std::vector<std::string> labels;
  for (const auto& row : table_titled(report, atomic_p1).rows) labels.push_back(row.label);
  // Lower bound, thread per task, the default, then the rest by name.
  EXPECT_THAT(labels, ::testing::ElementsAre("inline", "raw_threads", "semaphore_group", "fifo_ring",
                                             "lifo_stack", "sharded"));
}

TEST(ReportModel, MediansAndSpreadsComeFromTheRepetitionsNotTheAggregates) {
  const auto& table = table_titled(fixture_report(), atomic_p1);
  const auto& group = row_of(table, "semaphore_group");
  // The file also holds a median aggregate for this case; with it counted there would be 4 samples.
  EXPECT_EQ(group.successful_repetitions, 3u);
  expect_spread(group, metric::total_time_ns, 45e6, 44e6, 46e6, 3);
  expect_spread(group, metric::time_per_task_ns, 45e3, 44e3, 46e3, 3);
  expect_spread(group, metric::items_per_second, 1000 / 0.045, 1000 / 0.046, 1000 / 0.044, 3);
  expect_spread(group, metric::cpu_cores, 1.25, 1.2, 1.3, 3);
  expect_spread(group, metric::allocs_per_million_tasks, 2e6, 2e6, 2e6, 3);
  expect_spread(group, metric::bytes_per_task, 96, 96, 96, 3);
  // peak_rss_bytes 20/21/22 MiB less empty_case_peak_rss_bytes 10 MiB.
  expect_spread(group, metric::peak_rss_above_empty_bytes, 11 * MiB, 10 * MiB, 12 * MiB, 3);
  expect_spread(group, metric::e2e_p50_ns, 5100, 5000, 5200, 3);
  expect_spread(group, metric::e2e_p99_ns, 9500, 9000, 9900, 3);
  expect_spread(group, metric::submit_p50_ns, 110, 100, 120, 3);

  ASSERT_TRUE(group.time_ratio_to_baseline && group.time_ratio_to_lower_bound);
  EXPECT_DOUBLE_EQ(*group.time_ratio_to_baseline, 1.0);
  EXPECT_DOUBLE_EQ(*group.time_ratio_to_lower_bound, 45e6 / 11000);
  const auto& ring = row_of(table, "fifo_ring");
  EXPECT_DOUBLE_EQ(*ring.time_ratio_to_baseline, 160000 / 45e6);
  EXPECT_DOUBLE_EQ(*ring.time_ratio_to_lower_bound, 160000.0 / 11000);
  EXPECT_TRUE(ring.is_pool);
  EXPECT_FALSE(row_of(table, "raw_threads").is_pool);
  EXPECT_FALSE(row_of(table, "semaphore_group").is_pool);
  EXPECT_FALSE(row_of(table, "raw_threads").bounded);
  EXPECT_TRUE(row_of(table, "semaphore_group").bounded);
}

TEST(ReportModel, EvenRepetitionCountTakesTheMeanOfTheMiddleTwo) {
  const auto& table =
      table_titled(fixture_report(), "cpu_burst (duration_us=1) — 1000 tasks, 2 workers, 1 producer");
  expect_spread(row_of(table, "fifo_ring"), metric::total_time_ns, 1e6, 0.9e6, 1.1e6, 2);
}

TEST(ReportModel, FailedRepetitionsAreListedAndLeftOutOfTheMedians) {
  const Report& report = fixture_report();
  const auto& raw = row_of(table_titled(report, io), "raw_threads");
  EXPECT_EQ(raw.successful_repetitions, 2u);
  EXPECT_EQ(raw.failed_repetitions, 1u);
  expect_spread(raw, metric::total_time_ns, 0.51e9, 0.5e9, 0.52e9, 2);
  const auto& sharded = row_of(table_titled(report, atomic_p1), "sharded");
  EXPECT_EQ(sharded.successful_repetitions, 0u);
  EXPECT_EQ(sharded.failed_repetitions, 1u);
  EXPECT_TRUE(sharded.metrics.empty());

  ASSERT_EQ(report.failures.size(), 2u);
  EXPECT_EQ(report.failures[0].name, "sharded/atomic_increment/tasks:1000/workers:2/producers:1");
  EXPECT_EQ(report.failures[0].repetition_index, 0);
  EXPECT_EQ(report.failures[0].message, "timed out after 30 s");
  EXPECT_EQ(report.failures[1].name,
            "raw_threads/simulated_io/tasks:100/workers:4/producers:1/median_ms:5/p99_ms:20");
  EXPECT_EQ(report.failures[1].repetition_index, 1);
  EXPECT_THAT(report.failures[1].message, HasSubstr("EAGAIN"));
}

TEST(ReportModel, RecommendationFollowsTheGuidesRule) {
  const Report& report = fixture_report();
  {
    const auto& r = table_titled(report, atomic_p1).recommendation;
    EXPECT_EQ(r.decision, Decision::adopt_pool);
    EXPECT_EQ(r.choice, "fifo_ring");
    EXPECT_DOUBLE_EQ(*r.speedup, 45e6 / 160000);
    EXPECT_EQ(r.beyond_spread, true);
    EXPECT_DOUBLE_EQ(*r.fastest_pool_max_ns, 170000);
    EXPECT_DOUBLE_EQ(*r.baseline_min_ns, 44e6);
    EXPECT_DOUBLE_EQ(*r.lower_bound_speedup, 160000.0 / 11000);
  }
  {  // 1.01x and overlapping ranges: stay with the default.
    const auto& r = table_titled(report, io).recommendation;
    EXPECT_EQ(r.decision, Decision::keep_default);
    EXPECT_EQ(r.choice, "semaphore_group");
    EXPECT_EQ(r.fastest_pool, "lifo_stack");
    EXPECT_DOUBLE_EQ(*r.speedup, 1.01e9 / 1.0e9);
    EXPECT_EQ(r.beyond_spread, false);
    EXPECT_FALSE(r.significant);
    EXPECT_THAT(r.reason, HasSubstr("not significant (U test p = 0.825"));
    EXPECT_THAT(r.reason, HasSubstr("below the 2.00x threshold"));
  }
  {
    const auto& r = table_titled(report, warm).recommendation;
    EXPECT_EQ(r.decision, Decision::adopt_pool);
    EXPECT_EQ(r.choice, "stateful");
    EXPECT_DOUBLE_EQ(*r.speedup, 810e6 / 200e6);
  }
  {  // Two repetitions each: nothing is decided, whatever the speedup.
    const auto& r = table_titled(report, "cpu_burst (duration_us=100) — 1000 tasks, 2 workers, 1 producer")
                        .recommendation;
    EXPECT_EQ(r.decision, Decision::undecided);
    EXPECT_DOUBLE_EQ(*r.speedup, 60e6 / 50e6);
    EXPECT_FALSE(r.p_value.has_value());
    EXPECT_THAT(r.reason, HasSubstr("at least 3 of each are needed"));
  }
}

TEST(ReportModel, AdoptThresholdMovesTheDecision) {
  const Report strict = build_report(read_result_file(fixture_path), ReportOptions{.adopt_threshold = 300});
  EXPECT_EQ(table_titled(strict, atomic_p1).recommendation.decision, Decision::keep_default);  // 281x < 300x
  EXPECT_EQ(table_titled(strict, warm).recommendation.decision, Decision::keep_default);       // 4.05x < 300x
  const Report lenient =
      build_report(read_result_file(fixture_path), ReportOptions{.adopt_threshold = 1.005});
  EXPECT_EQ(table_titled(lenient, warm).recommendation.decision, Decision::adopt_pool);
  EXPECT_EQ(table_titled(lenient, io).recommendation.decision,
            Decision::keep_default);  // 1.01x >= 1.005x, but not significant
}

TEST(ReportModel, StrategyParametersTheNameCarriesMakeTheirOwnRow) {
  auto document = fixture_json();
  nlohmann::json extra;
  for (const auto& entry : document["benchmarks"])
    if (entry.contains("case") && entry["case"]["strategy"] == "lifo_stack" &&
        entry["case"]["workload"] == "atomic_increment")
      extra = entry;
  ASSERT_FALSE(extra.is_null());
  extra["case"]["strategy_params"]["nonblocking"] = "true";
  extra["name"] = extra["run_name"] =
      "lifo_stack/atomic_increment/tasks:1000/workers:2/producers:1/nonblocking:true";
  extra["real_time"] = 123456.0;
  document["benchmarks"].push_back(extra);
  const Report report = report_of(document);
  const auto& table =
      table_titled(report, atomic_p1);  // the same table: a strategy parameter, not a workload one
  const auto& row = row_of(table, "lifo_stack (nonblocking=true)");
  EXPECT_EQ(row.strategy, "lifo_stack");
  expect_spread(row, metric::total_time_ns, 123456, 123456, 123456, 1);
  EXPECT_EQ(row_of(table, "lifo_stack").successful_repetitions, 3u);
  // One repetition of the fastest pool: 365x, but undecided.
  EXPECT_EQ(table.recommendation.fastest_pool, "lifo_stack (nonblocking=true)");
  EXPECT_FALSE(table.recommendation.beyond_spread.has_value());
  EXPECT_EQ(table.recommendation.decision, Decision::undecided);
  EXPECT_THAT(table.recommendation.reason,
              HasSubstr("but on 1 successful repetition of lifo_stack (nonblocking=true) and 3 of "
                        "semaphore_group: at least 3 of each are needed"));
}

TEST(ReportModel, CannotDecideWithoutTheBaseline) {
  auto document = fixture_json();
  auto& entries = document["benchmarks"];
  for (auto it = entries.begin(); it != entries.end();)
    it = it->contains("case") && (*it)["case"]["strategy"] == "semaphore_group" ? entries.erase(it) : it + 1;
  const Report report = report_of(document);
  const auto& r = table_titled(report, atomic_p1).recommendation;
  EXPECT_EQ(r.decision, Decision::cannot_decide);
  EXPECT_FALSE(r.speedup.has_value());
  EXPECT_FALSE(row_of(table_titled(report, atomic_p1), "fifo_ring").time_ratio_to_baseline.has_value());
}

TEST(ReportModel, SubmitCostContrastsOneProducerWithSeveral) {
  const Report& report = fixture_report();
  ASSERT_EQ(report.submit_costs.size(), 1u);
  const auto& cost = report.submit_costs[0];
  EXPECT_EQ(cost.title, "atomic_increment — 1000 tasks, 2 workers");
  EXPECT_EQ(cost.low_producers, 1u);
  EXPECT_EQ(cost.high_producers, 4u);
  const SubmitCostRow* group = nullptr;
  const SubmitCostRow* ring = nullptr;
  for (const auto& row : cost.rows) {
    if (row.label == "semaphore_group") group = &row;
    if (row.label == "fifo_ring") ring = &row;
    EXPECT_NE(row.label, "sharded");  // failed at both producer counts: nothing to show
  }
  ASSERT_TRUE(group && ring);
  EXPECT_DOUBLE_EQ(group->low_p50_ns->median, 110);
  EXPECT_DOUBLE_EQ(group->high_p50_ns->median, 420);
  EXPECT_DOUBLE_EQ(group->high_p99_ns->median, 4100);
  EXPECT_DOUBLE_EQ(*group->p50_growth, 420.0 / 110);
  EXPECT_DOUBLE_EQ(*ring->p50_growth, 93.0 / 31);
}

const CapabilityCell& capability(const Report& report, const std::string& strategy,
                                 const std::string& trait) {
  for (const auto& row : report.capabilities)
    if (row.strategy == strategy)
      for (const auto& cell : row.cells)
        if (cell.trait == trait) return cell;
  throw std::runtime_error("no capability " + strategy + " " + trait);
}

// The traits the file records for `strategy` (its first case).
StrategyTraits recorded_traits(const std::string& strategy) {
  for (const auto& entry : read_result_file(fixture_path).entries)
    if (entry.case_info && entry.case_info->strategy == strategy && entry.case_info->strategy_traits)
      return *entry.case_info->strategy_traits;
  throw std::runtime_error("no traits recorded for " + strategy);
}

TEST(ReportModel, CapabilitiesComeFromTheFileWithVerifiedMarks) {
  const Report& report = fixture_report();
  std::vector<std::string> strategies;
  for (const auto& row : report.capabilities) strategies.push_back(row.strategy);
  EXPECT_THAT(strategies, ::testing::ElementsAre("inline", "raw_threads", "semaphore_group", "fifo_ring",
                                                 "lifo_stack", "sharded", "stateful"));
  for (const auto& row : report.capabilities) {
    ASSERT_TRUE(row.known) << row.strategy;
    ASSERT_EQ(row.cells.size(), 8u);
    const StrategyTraits traits = recorded_traits(row.strategy);
    EXPECT_EQ(row.cells[0].value, to_string(traits.queue_order)) << row.strategy;
    EXPECT_EQ(row.cells[3].value, to_string(traits.on_exception)) << row.strategy;
    // Every strategy's exception behaviour is checked; results and cancellation where declared.
    EXPECT_TRUE(capability(report, row.strategy, "on_exception").verified) << row.strategy;
    EXPECT_EQ(capability(report, row.strategy, "returns_results").verified, traits.returns_results)
        << row.strategy;
    EXPECT_EQ(capability(report, row.strategy, "cancellation").verified, traits.cancellation) << row.strategy;
    // The suite skips its when-full checks for synchronous submit (tunny's Process blocks by design).
    EXPECT_EQ(capability(report, row.strategy, "when_full").verified, !traits.synchronous_submit)
        << row.strategy;
    // An unordered strategy promises no order, so there is none to verify.
    EXPECT_EQ(capability(report, row.strategy, "queue_order").verified,
              traits.queue_order != QueueOrder::unordered)
        << row.strategy;
  }
  EXPECT_EQ(capability(report, "inline", "queue_order").value, "caller");
  EXPECT_TRUE(capability(report, "inline", "worker_lifecycle").verified);  // no thread, runs on the caller
  EXPECT_TRUE(capability(report, "raw_threads", "worker_lifecycle").verified);  // a thread per task
  EXPECT_TRUE(capability(report, "fifo_ring", "worker_lifecycle").verified);    // fixed workers, counted
}

// The verified marks are the conformance suite's own table: every row's test is named, and a declaration the
// table does not check is never marked.
TEST(ReportModel, VerifiedTraitsAreTheConformanceSuitesTable) {
  const auto& verified = conformance_verified_traits();
  for (const ConformanceCheck& check : conformance_checks) {
    const auto found = std::find_if(verified.begin(), verified.end(),
                                    [&](const VerifiedTrait& v) { return v.trait == check.trait; });
    ASSERT_NE(found, verified.end()) << check.trait;
    EXPECT_THAT(found->how, HasSubstr("Conformance." + std::string(check.test)));
  }
  StrategyTraits unordered;
  unordered.queue_order = QueueOrder::unordered;
  StrategyTraits synchronous;
  synchronous.synchronous_submit = true;
  for (const auto& v : verified) {
    if (v.trait == "queue_order") {
      EXPECT_FALSE(v.applies(unordered));
      EXPECT_TRUE(v.applies(StrategyTraits{}));  // fifo
    }
    if (v.trait == "when_full") {
      EXPECT_FALSE(v.applies(synchronous));
    }
  }
}

TEST(ReportModel, AStrategyThisBuildDoesNotHaveReadsFromItsRecordedTraits) {
  auto document = fixture_json();
  for (auto& entry : document["benchmarks"]) {
    if (!entry.contains("case") || entry["case"]["strategy"] != "fifo_ring") continue;
    entry["case"]["strategy"] = "retired_ring";
    for (const char* key : {"name", "run_name"}) {
      std::string name = entry[key];
      entry[key] = "retired_ring" + name.substr(std::string("fifo_ring").size());
    }
  }
  const Report report = report_of(document);
  const auto& ring = row_of(table_titled(report, atomic_p1), "retired_ring");
  EXPECT_TRUE(ring.known_strategy);
  EXPECT_TRUE(ring.is_pool);
  EXPECT_EQ(table_titled(report, atomic_p1).recommendation.decision,
            table_titled(fixture_report(), atomic_p1).recommendation.decision);
  EXPECT_EQ(capability(report, "retired_ring", "queue_order").value, "fifo");
  EXPECT_TRUE(report.notes.empty()) << report.notes.front();
}

TEST(ReportModel, PreviousLayoutSaysWhatItDoesNotRecordAndInfersParameterOwners) {
  const Report old = build_report(read_result_file(previous_layout_fixture_path));
  std::vector<std::string> old_titles, titles;
  for (const auto& table : old.tables) old_titles.push_back(table.title);
  for (const auto& table : fixture_report().tables) titles.push_back(table.title);
  EXPECT_EQ(old_titles, titles);  // workload parameters told from strategy ones without a registry
  for (const auto& row : old.capabilities) EXPECT_FALSE(row.known) << row.strategy;
  ASSERT_EQ(old.notes.size(), 2u);
  EXPECT_THAT(old.notes[0], HasSubstr("does not record"));
  EXPECT_THAT(old.notes[1], HasSubstr("previous result layout"));
  // Without traits no row is a pool, so the rule cannot pick one.
  EXPECT_NE(table_titled(old, atomic_p1).recommendation.decision, Decision::adopt_pool);
}

TEST(ReportModel, RulesOfThumbCheckedWithTheirNumbers) {
  const Report& report = fixture_report();
  const auto& tiny = rule_of(report, "pooling_beats_thread_per_task");
  EXPECT_EQ(tiny.outcome, RuleOutcome::held);
  ASSERT_EQ(tiny.evidence.size(), 1u);  // the 4-producer configuration has no raw_threads case
  EXPECT_THAT(tiny.evidence[0], HasSubstr("fifo_ring 256x"));   // 41 ms / 160 us
  EXPECT_THAT(tiny.evidence[0], HasSubstr("lifo_stack 205x"));  // 41 ms / 200 us

  const auto& io_rule = rule_of(report, "bounded_equivalent_on_io");
  EXPECT_EQ(io_rule.outcome, RuleOutcome::held);
  ASSERT_EQ(io_rule.evidence.size(), 1u);
  EXPECT_THAT(io_rule.evidence[0], HasSubstr("= 1.010"));  // 1.01 s / 1.00 s; raw_threads and inline left out
  EXPECT_THAT(io_rule.evidence[0], Not(HasSubstr("raw_threads")));

  const auto& warm_rule = rule_of(report, "worker_state_wins_on_warm_state");
  EXPECT_EQ(warm_rule.outcome, RuleOutcome::held);
  EXPECT_THAT(warm_rule.evidence.at(0), HasSubstr("4.05x"));

  const auto& gap = rule_of(report, "gap_closes_with_task_duration");
  EXPECT_EQ(gap.outcome, RuleOutcome::held);
  EXPECT_THAT(gap.evidence.at(0), HasSubstr("45.0x at 1.00 µs, 9.09x at 10.0 µs, 1.20x at 100 µs"));
}

// A run of today's matrix names raw_threads' rows by spawn mode ("raw_threads (spawn=thread)"): the rule
// finds them by strategy, not by the bare name, and judges each mode.
TEST(ReportModel, ThePoolingRuleJudgesEachRawThreadsMode) {
  nlohmann::json document = fixture_json();
  nlohmann::json added = nlohmann::json::array();
  for (auto& entry : document["benchmarks"]) {
    const std::string name = entry.value("name", "");
    if (!name.starts_with("raw_threads/atomic_increment/")) continue;
    auto with_mode = [&](const std::string& mode) {
      nlohmann::json copy = entry;
      for (const char* key : {"name", "run_name"})
        if (copy.contains(key)) {
          std::string text = copy[key];
          text.insert(std::string("raw_threads/atomic_increment/").size(), "spawn:" + mode + "/");
          copy[key] = text;
        }
      if (copy.contains("case")) copy["case"]["strategy_params"] = {{"spawn", mode}};
      return copy;
    };
    nlohmann::json fiber = with_mode("fiber");
    if (fiber.contains("real_time")) fiber["real_time"] = fiber["real_time"].get<double>() / 100;
    added.push_back(fiber);
    entry = with_mode("thread");
  }
  for (auto& entry : added) document["benchmarks"].push_back(entry);
  const Report report = report_of(document);
  const auto& tiny = rule_of(report, "pooling_beats_thread_per_task");
  ASSERT_EQ(tiny.evidence.size(), 2u) << ::testing::PrintToString(tiny.evidence);
  const bool thread_first = tiny.evidence[0].find("spawn=thread") != std::string::npos;
  const std::string& thread = tiny.evidence[thread_first ? 0 : 1];
  const std::string& fiber = tiny.evidence[thread_first ? 1 : 0];
  EXPECT_THAT(thread, HasSubstr("raw_threads (spawn=thread) median"));
  EXPECT_THAT(thread, HasSubstr("fifo_ring 256x"));
  EXPECT_THAT(thread, HasSubstr("— held"));
  EXPECT_THAT(fiber, HasSubstr("raw_threads (spawn=fiber) median"));
  EXPECT_THAT(fiber, HasSubstr("fifo_ring 2.56x"));  // a hundredth of the thread's time
  EXPECT_THAT(fiber, HasSubstr("did not hold"));
  EXPECT_EQ(tiny.outcome, RuleOutcome::did_not_hold);
}

TEST(ReportModel, CrossoverInterpolatedBetweenTheBracketingDurations) {
  const Report& report = fixture_report();
  ASSERT_EQ(report.crossovers.size(), 1u);
  const auto& crossover = report.crossovers[0];
  EXPECT_EQ(crossover.duration_param, "duration_us");
  ASSERT_EQ(crossover.gaps.size(), 3u);
  EXPECT_DOUBLE_EQ(crossover.gaps[0].speedup, 45.0);
  EXPECT_DOUBLE_EQ(crossover.gaps[1].speedup, 50e6 / 5.5e6);
  EXPECT_DOUBLE_EQ(crossover.gaps[2].speedup, 1.2);
  // The gap falls through 2x between 10 us (9.09x) and 100 us (1.2x); on a log-log line:
  const double fraction = (std::log(50 / 5.5) - std::log(2.0)) / (std::log(50 / 5.5) - std::log(1.2));
  ASSERT_TRUE(crossover.adopt_crossover_us.has_value());
  EXPECT_NEAR(*crossover.adopt_crossover_us, std::pow(10.0, 1 + fraction), 1e-9);
  EXPECT_NEAR(*crossover.adopt_crossover_us, 55.94, 0.01);
  // Never within 10% in the measured range: said, not extrapolated.
  EXPECT_FALSE(crossover.parity_crossover_us.has_value());
  EXPECT_THAT(crossover.parity_crossover, HasSubstr("above the longest measured task duration"));
  ASSERT_EQ(crossover.series.size(), 2u);
  EXPECT_EQ(crossover.series[0].label, "semaphore_group");
  EXPECT_DOUBLE_EQ(crossover.series[1].points[1].time_per_task_ns.median, 5500);
}

TEST(ReportModel, MissingDataIsNotMeasuredNeverInvented) {
  auto document = fixture_json();
  auto& entries = document["benchmarks"];
  for (auto it = entries.begin(); it != entries.end();)
    it = it->contains("case") && (*it)["case"]["workload"] != "atomic_increment" ? entries.erase(it) : it + 1;
  const Report report = report_of(document);
  EXPECT_EQ(rule_of(report, "pooling_beats_thread_per_task").outcome, RuleOutcome::held);
  for (const char* id :
       {"bounded_equivalent_on_io", "worker_state_wins_on_warm_state", "gap_closes_with_task_duration"}) {
    EXPECT_EQ(rule_of(report, id).outcome, RuleOutcome::not_measured) << id;
    EXPECT_TRUE(rule_of(report, id).evidence.empty()) << id;
  }
  EXPECT_TRUE(report.crossovers.empty());
  const std::string markdown = render_markdown(report);
  EXPECT_THAT(markdown, HasSubstr("**not measured in this run**"));
  EXPECT_THAT(markdown, HasSubstr("Not measured in this run: no `cpu_burst` cases"));
}

// The fixture's lifo_stack atomic_increment repetitions as burst cases of both lifo_stack modes, with the
// given per-burst fairness (one value per repetition) and exits outside the long gaps.
nlohmann::json with_burst_cases(const std::vector<double>& lifo_jain, const std::vector<double>& fifo_jain) {
  auto document = fixture_json();
  std::vector<nlohmann::json> added;
  for (const auto& entry : document["benchmarks"]) {
    if (!entry.contains("case") || entry["case"]["strategy"] != "lifo_stack" ||
        entry["case"]["workload"] != "atomic_increment" || entry["case"]["producers"] != 1 ||
        entry.value("run_type", "") != "iteration")
      continue;
    for (const bool prealloc : {false, true}) {
      auto copy = entry;
      const std::string mode = prealloc ? "true" : "false";
      copy["name"] = copy["run_name"] =
          "lifo_stack/burst/prealloc:" + mode + "/tasks:1000/workers:2/producers:1";
      copy["case"]["workload"] = "burst";
      copy["case"]["strategy_params"] = {{"prealloc", mode}};
      const std::size_t repetition = copy["repetition_index"].get<std::size_t>();
      copy[metric::worker_fairness_jain_per_burst] = (prealloc ? fifo_jain : lifo_jain).at(repetition);
      copy[metric::worker_fairness_jain] = 0.9;
      copy[metric::worker_exits_outside_long_gaps] = prealloc ? 0 : 5;
      copy[metric::first_after_long_gap_wait_ns] = 100000;
      added.push_back(copy);
    }
  }
  for (auto& entry : added) document["benchmarks"].push_back(entry);
  return document;
}

TEST(ReportMarkdown, BurstFairnessTableAndTheGuidesClaimJudged) {
  EXPECT_THAT(render_markdown(fixture_report()),
              HasSubstr("## Bursts and worker fairness\n\nNot measured in this run: no `burst` cases"));

  const std::string held = render_markdown(report_of(with_burst_cases({0.5, 0.55, 0.6}, {0.9, 0.92, 0.95})));
  EXPECT_THAT(held, HasSubstr("### burst — 1000 tasks, 2 workers, 1 producer"));
  EXPECT_THAT(held, HasSubstr("| `lifo_stack (prealloc=false)` | 0.550 (0.500–0.600) | 0.900 |"));
  EXPECT_THAT(held, HasSubstr("| `lifo_stack (prealloc=true)` | 0.920 (0.900–0.950) | 0.900 |"));
  EXPECT_THAT(held, HasSubstr("**The guide's claim held**"));
  EXPECT_THAT(held, HasSubstr("per-burst Jain index 0.550 (LIFO stack) against 0.920 (FIFO loop queue), "
                              "workers expired outside the long gaps 5 against 0 (medians); ranges apart"));

  const std::string refuted =
      render_markdown(report_of(with_burst_cases({0.9, 0.92, 0.95}, {0.5, 0.55, 0.6})));
  EXPECT_THAT(refuted, HasSubstr("**The guide's claim did not hold**"));

  const std::string unclear = render_markdown(report_of(with_burst_cases({0.5, 0.9, 0.7}, {0.6, 0.8, 0.7})));
  EXPECT_THAT(unclear, HasSubstr("**Claim not shown**"));
}

TEST(ReportModel, RuleThatFailsSaysSo) {
  auto document = fixture_json();
  for (auto& entry : document["benchmarks"])
    if (entry.contains("case") && entry["case"]["workload"] == "simulated_io" &&
        entry["case"]["strategy"] == "lifo_stack")
      entry["real_time"] = 1.2e9;
  const Report report = report_of(document);
  const auto& rule = rule_of(report, "bounded_equivalent_on_io");
  EXPECT_EQ(rule.outcome, RuleOutcome::did_not_hold);
  EXPECT_THAT(rule.evidence.at(0), HasSubstr("= 1.188"));  // 1.2 s / 1.01 s
}

TEST(ReportMarkdown, CellsAreTheModelsNumbers) {
  const std::string markdown = render_markdown(fixture_report());
  EXPECT_THAT(
      markdown,
      HasSubstr("| `semaphore_group` | 3 | 45.0 ms (44.0–46.0 ms) | — | — | 22.2 k/s (21.7–22.7 k/s) | "
                "1.25 (1.20–1.30) | 2.00 | 96.0 B | 9.00 MiB (8.00–10.0 MiB) | — | "
                "5.10 µs (5.00–5.20 µs) | 9.50 µs (9.00–9.90 µs) | 1.00 | 4,091 |"));
  EXPECT_THAT(markdown, HasSubstr("| `raw_threads` | 2 of 3 (1 failed) | 510 ms (500–520 ms) |"));
  EXPECT_THAT(markdown, HasSubstr("| `sharded` | 0 of 1 (1 failed) | — |"));
  EXPECT_THAT(markdown,
              HasSubstr("| " + std::string(atomic_p1) +
                        " | adopt **fifo_ring** | `fifo_ring` | 281x | yes (ranges apart, p = 0.100) |"));
  EXPECT_THAT(markdown, HasSubstr("| " + std::string(io) +
                                  " | keep **semaphore_group** | `lifo_stack` | 1.01x | no (p = 0.825) |"));
  EXPECT_THAT(markdown, HasSubstr("| `semaphore_group` | 110 ns (100–120 ns) | 1.10 µs (1.00–1.20 µs) | "
                                  "420 ns (400–440 ns) | 4.10 µs (4.00–4.20 µs) | 3.82x |"));
  EXPECT_THAT(markdown, HasSubstr("| `semaphore_group` | 45.0 µs (44.0–46.0 µs) | 50.0 µs (49.0–51.0 µs) | "
                                  "60.0 µs (59.0–61.0 µs) |"));
  EXPECT_THAT(markdown,
              HasSubstr("| *fastest pool over semaphore_group* | 45.0x (`fifo_ring`) | 9.09x (`fifo_ring`) | "
                        "1.20x (`fifo_ring`) |"));
  EXPECT_THAT(markdown, HasSubstr("about 55.9 µs"));
  // A '|' inside an error message must not break the table.
  EXPECT_THAT(markdown, HasSubstr("512 threads live \\| pid limit"));
  EXPECT_THAT(markdown, HasSubstr("| Commit | abc123def456 |"));
  EXPECT_THAT(markdown, HasSubstr("| Command line | `poolbench run --repetitions 3 --out fixture.json` |"));
}

// ---- the command line
// ------------------------------------------------------------------------------------------

TEST(ReportCli, JsonCarriesTheMetricCatalogueTheResultFileRecords) {
  TempDir dir;
  auto document = nlohmann::json::parse(slurp(fixture_path));
  const nlohmann::json recorded = {{"version", 99}, {"entries", {{{"name", "time"}, {"unit", "ns"}}}}};
  document["context"]["poolbench"]["metrics"] = recorded;
  const auto path = dir / "with_catalogue.json";
  std::ofstream(path) << document.dump();
  const auto result = run_poolbench("report " + path.string() + " --format json");
  ASSERT_EQ(result.exit_status, 0) << result.err;
  const auto report = nlohmann::json::parse(result.out);
  EXPECT_EQ(report.at("metrics"), recorded);
  EXPECT_EQ(report.at("metrics_from"), "result file");
}

TEST(ReportCli, JsonHoldsTheSameTablesAsData) {
  const auto result = run_poolbench("report " + fixture_path + " --format json");
  ASSERT_EQ(result.exit_status, 0) << result.err;
  EXPECT_TRUE(result.err.empty()) << result.err;
  const auto document = nlohmann::json::parse(result.out);
  EXPECT_EQ(document.at("schema"), "poolbench-report/2");
  // The fixture predates the catalogue in the context: the report carries this build's.
  EXPECT_EQ(document.at("metrics"), nlohmann::json(metrics::catalogue_to_json()));
  EXPECT_EQ(document.at("metrics_from"), "this build (the file records none)");
  EXPECT_EQ(document.at("adopt_threshold"), 2.0);
  const auto& table = document.at("tables").at(0);
  EXPECT_EQ(table.at("title"), atomic_p1);
  const auto& group = table.at("rows").at(2);
  EXPECT_EQ(group.at("strategy"), "semaphore_group");
  EXPECT_EQ(group.at("metrics").at("total_time_ns").at("median"), 45e6);
  EXPECT_EQ(group.at("metrics").at("total_time_ns").at("min"), 44e6);
  EXPECT_EQ(group.at("metrics").at("peak_rss_above_empty_bytes").at("median"), 11 * MiB);
  EXPECT_EQ(table.at("recommendation").at("decision"), "adopt_pool");
  EXPECT_EQ(table.at("recommendation").at("choice"), "fifo_ring");
  EXPECT_DOUBLE_EQ(table.at("recommendation").at("speedup_over_baseline").get<double>(), 45e6 / 160000);
  EXPECT_EQ(document.at("failed_cases").size(), 2u);
  EXPECT_EQ(document.at("rules_of_thumb").size(), 4u);
  EXPECT_EQ(document.at("crossovers").at(0).at("series").size(), 2u);
}

TEST(ReportCli, OutWritesTheSameDocumentAndNothingToStdout) {
  TempDir dir;
  const auto to_stdout = run_poolbench("report " + fixture_path + " --adopt-threshold 3");
  ASSERT_EQ(to_stdout.exit_status, 0) << to_stdout.err;
  const auto to_file =
      run_poolbench("report " + fixture_path + " --adopt-threshold 3 --out " + (dir / "report.md").string());
  ASSERT_EQ(to_file.exit_status, 0) << to_file.err;
  EXPECT_TRUE(to_file.out.empty());
  EXPECT_EQ(slurp(dir / "report.md"), to_stdout.out);
  EXPECT_THAT(to_stdout.out, HasSubstr("at least 3.00x lower"));
}

TEST(ReportCli, UnusableInputIsOneLineExitTwoAndNoOutput) {
  TempDir dir;
  const auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir / name) << text;
    return (dir / name).string();
  };
  auto without_case = fixture_json();
  for (auto& entry : without_case["benchmarks"]) entry.erase("case");
  const std::string fixture_text = slurp(fixture_path);
  const std::string out = (dir / "out.md").string();

  const std::vector<std::pair<std::string, std::string>> cases = {
      {(dir / "missing.json").string(), "missing.json"},
      {write("invalid.json", "{not json"), "invalid.json"},
      {write("truncated.json", fixture_text.substr(0, fixture_text.size() / 2)), "truncated.json"},
      {write("other.json", R"({"hello": "world"})"), "other.json"},
      {write("empty.json", R"({"context": {}, "benchmarks": []})"), "empty.json"},
      {write("no_case.json", without_case.dump()), "case information"},
      {fixture_path + " --format xml", "--format"},
      {fixture_path + " --adopt-threshold 0.5", "--adopt-threshold"},
      {fixture_path + " --adopt-threshold many", "--adopt-threshold"},
      {fixture_path + " --out " + (dir / "no/such/dir/report.md").string(), "--out"},
      {fixture_path + " --plots " + write("a_file", "x") + "/plots", "--plots"},
  };
  for (const auto& [arguments, mentions] : cases) {
    // Where the arguments do not choose --out themselves, ask for one, to see that it is not written.
    const bool own_out = arguments.find("--out") != std::string::npos;
    const auto result = run_poolbench("report " + arguments + (own_out ? "" : " --out " + out));
    EXPECT_EQ(result.exit_status, 2) << arguments << "\n" << result.err;
    EXPECT_EQ(count_lines(result.err), 1u) << arguments << "\n" << result.err;
    EXPECT_THAT(result.err, HasSubstr(mentions)) << arguments;
    EXPECT_TRUE(result.out.empty()) << arguments;
    EXPECT_FALSE(std::filesystem::exists(out)) << arguments;
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "no"));
}

// ---- plots
// -----------------------------------------------------------------------------------------------------

bool matplotlib_available() {
  const char* python = std::getenv("POOLBENCH_PYTHON");
  const std::string interpreter = python && *python ? python : "/usr/bin/python3";
  return std::system(("timeout 60 " + interpreter + " -c 'import matplotlib' >/dev/null 2>&1").c_str()) == 0;
}

TEST(ReportPlots, PlotScriptDrawsEveryPlotFromTheFixture) {
  if (!matplotlib_available()) GTEST_SKIP() << "matplotlib is not installed (./scripts/setup installs it)";
  TempDir dir;
  const auto result = run_poolbench("report " + fixture_path + " --out " + (dir / "report.md").string() +
                                        " --plots " + (dir / "plots").string(),
                                    180);
  ASSERT_EQ(result.exit_status, 0) << result.err;
  EXPECT_TRUE(result.out.empty()) << "plot.py's output must not mix with the report: " << result.out;
  for (const char* name : {"throughput", "latency", "crossover"}) {
    for (const char* extension : {".png", ".svg"}) {
      const auto path = dir / "plots" / (std::string(name) + extension);
      ASSERT_TRUE(std::filesystem::exists(path)) << path;
      EXPECT_GT(std::filesystem::file_size(path), 5000u) << path;
    }
    const std::string png = slurp(dir / "plots" / (std::string(name) + ".png"));
    EXPECT_EQ(png.substr(1, 3), "PNG") << name;
    EXPECT_THAT(slurp(dir / "plots" / (std::string(name) + ".svg")), HasSubstr("<svg")) << name;
  }
  EXPECT_THAT(slurp(dir / "plots" / "throughput.svg"), HasSubstr("fifo_ring"));
}

TEST(ReportPlots, PlotScriptRejectsAResultFileWithOneLine) {
  if (!matplotlib_available()) GTEST_SKIP() << "matplotlib is not installed (./scripts/setup installs it)";
  TempDir dir;
  const std::string command = "timeout 60 /usr/bin/python3 " + std::string(POOLBENCH_SOURCE_DIR) +
                              "/scripts/plot.py " + fixture_path + " --out " + dir.path().string() + " 2>" +
                              (dir / "err").string();
  const int status = std::system(command.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
  const std::string err = slurp(dir / "err");
  EXPECT_EQ(count_lines(err), 1u) << err;
  EXPECT_THAT(err, HasSubstr("not a poolbench report"));
}

// ---------------------------------------------------------------------------------------------------------------
// --baseline: the fixture with a second semaphore_group case in the atomic_increment table, run with
// spawn=fiber (its name carries the parameter) and 100 times faster than the thread one.

nlohmann::json fixture_with_fiber_baseline() {
  nlohmann::json document = fixture_json();
  const std::string thread_case = "semaphore_group/atomic_increment/tasks:1000/workers:2/producers:1";
  const std::string fiber_case =
      "semaphore_group/atomic_increment/spawn:fiber/tasks:1000/workers:2/producers:1";
  nlohmann::json added = nlohmann::json::array();
  for (const auto& entry : document["benchmarks"]) {
    if (entry.value("run_name", "") != thread_case || entry.value("run_type", "") != "iteration") continue;
    nlohmann::json fiber = entry;
    fiber["name"] = fiber_case;
    fiber["run_name"] = fiber_case;
    fiber["real_time"] = entry["real_time"].get<double>() / 100;
    fiber["case"]["strategy_params"] = {{"spawn", "fiber"}};
    added.push_back(fiber);
  }
  for (auto& entry : document["benchmarks"])
    if (entry.value("run_name", "") == thread_case && entry.contains("case"))
      entry["case"]["strategy_params"] = {{"spawn", "thread"}};
  for (auto& entry : added) document["benchmarks"].push_back(entry);
  return document;
}

// plot.py --colors: the colour of every strategy label of a report, as the plots draw it.
nlohmann::json plot_colors(const Report& report, const TempDir& dir, const std::string& name) {
  const auto report_path = dir / (name + ".json");
  std::ofstream(report_path) << report_to_json(report).dump();
  const auto colors_path = dir / (name + ".colors");
  const std::string command = "timeout 60 /usr/bin/python3 " + std::string(POOLBENCH_SOURCE_DIR) +
                              "/scripts/plot.py " + report_path.string() + " --colors >" +
                              colors_path.string();
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
  return nlohmann::json::parse(slurp(colors_path));
}

// The hue of "#rrggbb", in degrees.
double hue_of(const std::string& color) {
  const auto channel = [&](int at) { return std::stoi(color.substr(at, 2), nullptr, 16) / 255.0; };
  const double red = channel(1), green = channel(3), blue = channel(5);
  const double high = std::max({red, green, blue}), low = std::min({red, green, blue});
  if (high == low) return 0;
  double hue = high == red     ? std::fmod((green - blue) / (high - low), 6.0)
               : high == green ? (blue - red) / (high - low) + 2
                               : (red - green) / (high - low) + 4;
  return std::fmod(hue * 60 + 360, 360);
}

// One colour per strategy and per mode in every report: two reports with different sets of strategies give a
// strategy both hold the same colour; a mode has its own, a shade of its strategy's (same hue, not the same
// colour), and no two labels of one report share a colour.
TEST(ReportPlots, EachStrategyAndModeKeepsItsColourAcrossReports) {
  TempDir dir;
  const nlohmann::json all = plot_colors(fixture_report(), dir, "all");
  nlohmann::json fewer_document = fixture_with_fiber_baseline();
  auto& entries = fewer_document["benchmarks"];
  entries.erase(std::remove_if(entries.begin(), entries.end(),
                               [](const nlohmann::json& entry) {
                                 const std::string name = entry.value("name", "");
                                 return name.starts_with("fifo_ring/") || name.starts_with("inline/");
                               }),
                entries.end());
  const nlohmann::json fewer = plot_colors(report_of(fewer_document), dir, "fewer");
  ASSERT_FALSE(fewer.contains("fifo_ring"));
  ASSERT_TRUE(all.contains("fifo_ring"));
  const std::string fiber = "semaphore_group (spawn=fiber)";
  ASSERT_TRUE(fewer.contains(fiber)) << fewer.dump();
  std::size_t shared = 0;
  for (const auto& [label, color] : fewer.items()) {
    if (!all.contains(label)) continue;
    EXPECT_EQ(color, all.at(label)) << label;
    ++shared;
  }
  EXPECT_GE(shared, 4u);
  const std::string base = all.at("semaphore_group");
  const std::string mode = fewer.at(fiber);
  EXPECT_NE(mode, base);
  EXPECT_NEAR(hue_of(mode), hue_of(base), 2.0) << mode << " is not a shade of " << base;
  for (const nlohmann::json* colors : {&all, &fewer}) {
    std::set<std::string> distinct;
    for (const auto& [label, color] : colors->items()) distinct.insert(color.get<std::string>());
    EXPECT_EQ(distinct.size(), colors->size()) << colors->dump();
  }
}

TEST(ReportBaseline, TheNamedCaseIsTheBaselineOfItsTableAndTheOthersSayItIsMissing) {
  const Report report =
      report_of(fixture_with_fiber_baseline(), {.baseline = "semaphore_group[spawn=fiber]"});
  EXPECT_EQ(report.baseline, "semaphore_group[spawn=fiber]");
  EXPECT_EQ(report.tables_with_baseline, 1u);
  const WorkloadTable& table = table_titled(report, atomic_p1);
  EXPECT_EQ(table.baseline, "semaphore_group (spawn=fiber)");
  const StrategyRow& ring = row_of(table, "fifo_ring");
  ASSERT_TRUE(ring.time_ratio_to_baseline.has_value());
  EXPECT_DOUBLE_EQ(*ring.time_ratio_to_baseline, 160000 / 450000.0);
  ASSERT_TRUE(table.recommendation.speedup.has_value());
  EXPECT_DOUBLE_EQ(*table.recommendation.speedup, 450000 / 160000.0);
  EXPECT_THAT(table.recommendation.reason, HasSubstr("semaphore_group (spawn=fiber)"));
  // The thread case is still a row, measured against the fiber one.
  EXPECT_DOUBLE_EQ(*row_of(table, "semaphore_group").time_ratio_to_baseline, 100.0);
  for (const auto& other : report.tables) {
    if (other.title == atomic_p1) continue;
    EXPECT_EQ(other.baseline, "semaphore_group[spawn=fiber]") << other.title;
    EXPECT_EQ(other.recommendation.decision, Decision::cannot_decide) << other.title;
  }
  EXPECT_THAT(baseline_note(report), HasSubstr("relative to `semaphore_group[spawn=fiber]`"));
  EXPECT_THAT(baseline_note(report), HasSubstr("Go's errgroup, which starts a goroutine per task"));
  EXPECT_THAT(baseline_note(report), HasSubstr("runs each task as a fiber (`spawn=fiber`)"));
}

TEST(ReportBaseline, ThePlainNameTakesTheCaseWithTheFewestNamedParameters) {
  const Report report = report_of(fixture_with_fiber_baseline());
  const WorkloadTable& table = table_titled(report, atomic_p1);
  EXPECT_EQ(table.baseline, "semaphore_group");
  EXPECT_DOUBLE_EQ(*row_of(table, "fifo_ring").time_ratio_to_baseline, 160000 / 45e6);
  EXPECT_DOUBLE_EQ(*row_of(table, "semaphore_group (spawn=fiber)").time_ratio_to_baseline, 0.01);
  // Both cases named (a sweep spawn=thread,fiber): the first in the file, the thread one.
  nlohmann::json swept = fixture_with_fiber_baseline();
  for (auto& entry : swept["benchmarks"])
    if (entry.value("run_name", "") == "semaphore_group/atomic_increment/tasks:1000/workers:2/producers:1") {
      entry["name"] = "semaphore_group/atomic_increment/spawn:thread/tasks:1000/workers:2/producers:1";
      entry["run_name"] = entry["name"];
    }
  EXPECT_EQ(table_titled(report_of(swept), atomic_p1).baseline, "semaphore_group (spawn=thread)");
  EXPECT_EQ(report_of(fixture_with_fiber_baseline(), {.baseline = "semaphore_group[spawn=thread]"})
                .tables_with_baseline,
            1u);
}

// Each per-workload table says which row its ÷ baseline column and recommendation used, and shows the other
// no-pool baseline (the same strategy's other spawn mode) as a row, or says it was not measured there.
TEST(ReportBaseline, EachTableNamesTheBaselineRowItUsedAndTheOtherOne) {
  const auto section_of = [](const std::string& markdown, const std::string& title) {
    const auto start = markdown.find("### " + title + "\n");
    EXPECT_NE(start, std::string::npos) << title;
    return markdown.substr(start, markdown.find("\n### ", start + 1) - start);
  };
  const std::string thread_used =
      section_of(render_markdown(report_of(fixture_with_fiber_baseline())), atomic_p1);
  EXPECT_THAT(thread_used, HasSubstr("Baseline of the ÷ `semaphore_group` column and the recommendation: "
                                     "`semaphore_group` (an OS thread per task). Also shown, not used: "
                                     "`semaphore_group (spawn=fiber)` (a fiber per task"));
  const std::string fiber_used = section_of(
      render_markdown(report_of(fixture_with_fiber_baseline(), {.baseline = "semaphore_group[spawn=fiber]"})),
      atomic_p1);
  EXPECT_THAT(fiber_used,
              HasSubstr("the recommendation: `semaphore_group (spawn=fiber)` (a fiber per task, a "
                        "goroutine's counterpart). Also shown, not used: `semaphore_group` (an OS "
                        "thread per task)"));
  // Only the thread baseline ran: the table says the fiber one was not measured.
  nlohmann::json thread_only = fixture_with_fiber_baseline();
  auto& entries = thread_only["benchmarks"];
  entries.erase(std::remove_if(entries.begin(), entries.end(),
                               [](const nlohmann::json& entry) {
                                 return entry.value("name", "").find("spawn:fiber") != std::string::npos;
                               }),
                entries.end());
  EXPECT_THAT(
      section_of(render_markdown(report_of(thread_only)), atomic_p1),
      HasSubstr("`semaphore_group` (an OS thread per task). The other no-pool baseline was not measured "
                "in this configuration"));
  // A table without the --baseline case says so.
  const Report fiber_report =
      report_of(fixture_with_fiber_baseline(), {.baseline = "semaphore_group[spawn=fiber]"});
  for (const auto& table : fiber_report.tables) {
    if (table.title == atomic_p1) continue;
    EXPECT_THAT(section_of(render_markdown(fiber_report), table.title),
                HasSubstr("Baseline: `semaphore_group[spawn=fiber]` was not measured in this configuration"));
  }
}

TEST(ReportBaseline, AMalformedNameIsRefused) {
  for (const char* bad : {"", "[spawn=fiber]", "semaphore_group[spawn]", "semaphore_group[spawn=fiber",
                          "semaphore_group[]", "semaphore_group[a=1,a=2]", "semaphore_group[a=1,]",
                          "semaphore_group[=1]", "semaphore_group[a=1][b=2]"})
    EXPECT_THROW(parse_baseline(bad), std::invalid_argument) << bad;
  const BaselineChoice choice = parse_baseline("semaphore_group[spawn=fiber,semaphore=counting]");
  EXPECT_EQ(choice.strategy, "semaphore_group");
  EXPECT_EQ(choice.params,
            (std::map<std::string, std::string>{{"spawn", "fiber"}, {"semaphore", "counting"}}));
}

TEST(ReportBaseline, TheCommandLineStatesTheBaselineAndRefusesOneTheFileLacks) {
  TempDir dir;
  const auto input = dir / "fiber.json";
  std::ofstream(input) << fixture_with_fiber_baseline().dump();
  const auto md = run_poolbench("report " + input.string() + " --baseline 'semaphore_group[spawn=fiber]'");
  ASSERT_EQ(md.exit_status, 0) << md.err;
  EXPECT_THAT(md.out, HasSubstr("relative to `semaphore_group[spawn=fiber]`"));
  EXPECT_THAT(md.out, HasSubstr("÷ semaphore_group[spawn=fiber]"));
  EXPECT_THAT(md.out, HasSubstr("starts a goroutine per task"));
  const auto json =
      run_poolbench("report " + input.string() + " --format json --baseline 'semaphore_group[spawn=fiber]'");
  ASSERT_EQ(json.exit_status, 0) << json.err;
  const auto parsed = nlohmann::json::parse(json.out);
  EXPECT_EQ(parsed.at("baseline_strategy"), "semaphore_group[spawn=fiber]");
  EXPECT_THAT(parsed.at("baseline_note").get<std::string>(), HasSubstr("starts a goroutine per task"));
  for (const std::string arguments :
       {" --baseline ref_no_such_strategy", " --baseline 'semaphore_group[spawn=goroutine]'",
        " --baseline 'semaphore_group[spawn'"}) {
    const auto refused = run_poolbench("report " + input.string() + arguments);
    EXPECT_EQ(refused.exit_status, 2) << arguments << "\n" << refused.err;
    EXPECT_EQ(count_lines(refused.err), 1u) << arguments << "\n" << refused.err;
    EXPECT_THAT(refused.err, HasSubstr("--baseline")) << arguments;
    EXPECT_EQ(refused.out, "") << arguments;
  }
}

}  // namespace
}  // namespace poolbench::report
