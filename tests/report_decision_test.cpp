// The report's decision and trust signals on documents built here case by case, each with a known outcome:
// a winner only where the U test (or ranges apart) says it beats both the baseline and the runner-up, a tie
// where it does not beat the runner-up, "undecided" below three repetitions, the latency objective ruling out
// pools that miss it (on open-loop runs where present), each warning triggered by the condition it names,
// tasks per second from the same repetitions as the time, and rules of thumb judged only on cases large
// enough.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_support.hpp"
#include "format/terminal_text.hpp"
#include "format/units.hpp"
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

// The fixture's `case` object of each strategy (traits and description as `poolbench run` records them).
nlohmann::json case_template(const std::string& strategy) {
  static const nlohmann::json fixture = nlohmann::json::parse(slurp(fixture_path));
  for (const auto& entry : fixture["benchmarks"])
    if (entry.contains("case") && entry["case"]["strategy"] == strategy) return entry["case"];
  throw std::runtime_error("no fixture case of " + strategy);
}

struct CaseSpec {
  std::string strategy;
  std::string workload = "atomic_increment";
  std::size_t tasks = 1000;
  std::size_t workers = 2;
  std::size_t producers = 1;
  std::size_t effective_producers = 0;  // 0: as asked for
  std::map<std::string, std::string> workload_params = {};
  std::string arrival = {};  // "poisson" for an open loop at `load`
  double load = 0;
};

// A document built entry by entry: each repetition of a case with its time (ns) and counters.
class Document {
 public:
  Document() {
    doc_["context"] = {{"date", "2026-12-01T00:00:00+00:00"},
                       {"host_name", "test-host"},
                       {"num_cpus", 2},
                       {"load_avg", {0.1, 0.1, 0.1}},
                       {"poolbench", {{"cores", 2}, {"complete", true}}}};
    doc_["benchmarks"] = nlohmann::json::array();
  }
  Document& add(const CaseSpec& spec, const std::vector<double>& times_ns,
                const nlohmann::json& counters = {}) {
    nlohmann::json info = case_template(spec.strategy);
    info["workload"] = spec.workload;
    info["tasks"] = spec.tasks;
    info["workers"] = spec.workers;
    info["producers"] = spec.producers;
    info["effective_producers"] = spec.effective_producers != 0 ? spec.effective_producers : spec.producers;
    info["workload_params"] = spec.workload_params;
    std::string name = fmt_name(spec);
    if (!spec.arrival.empty())
      info["arrival"] = {{"process", spec.arrival}, {"load", spec.load}, {"seed", 1}};
    for (std::size_t i = 0; i < times_ns.size(); ++i) {
      nlohmann::json entry = {{"name", name},
                              {"run_name", name},
                              {"run_type", "iteration"},
                              {"repetitions", times_ns.size()},
                              {"repetition_index", i},
                              {"threads", 1},
                              {"iterations", 1},
                              {"real_time", times_ns[i]},
                              {"cpu_time", times_ns[i]},
                              {"time_unit", "ns"},
                              {"items_per_second", static_cast<double>(spec.tasks) / times_ns[i] * 1e9},
                              {"case", info}};
      for (auto it = counters.begin(); it != counters.end(); ++it)
        entry[it.key()] = it.value().is_array() ? it.value()[i] : it.value();
      doc_["benchmarks"].push_back(entry);
    }
    return *this;
  }
  nlohmann::json& json() { return doc_; }
  Report report(ReportOptions options = {}) const {
    return build_report(parse_result_document(doc_.dump(), "built.json"), options);
  }

 private:
  static std::string fmt_name(const CaseSpec& spec) {
    std::string name = spec.strategy + "/" + spec.workload + "/tasks:" + std::to_string(spec.tasks) +
                       "/workers:" + std::to_string(spec.workers) +
                       "/producers:" + std::to_string(spec.producers);
    for (const auto& [key, value] : spec.workload_params) name += "/" + key + ":" + value;
    if (!spec.arrival.empty()) {
      std::string load = std::to_string(spec.load);
      load.erase(load.find_last_not_of('0') + 1);
      name += "/arrival:" + spec.arrival + "/load:" + load;
    }
    return name;
  }
  nlohmann::json doc_;
};

Report report_of_fixture() {
  return build_report(read_result_file(fixture_path));
}

const WorkloadTable& only_table(const Report& report) {
  if (report.tables.size() != 1) throw std::runtime_error("expected one table");
  return report.tables.front();
}

bool has_warning(const Report& report, const std::string& text) {
  for (const auto& warning : report.warnings)
    if (warning.find(text) != std::string::npos) return true;
  return false;
}

// ---- the decision
// ------------------------------------------------------------------------------------------

// fifo_ring's five repetitions all below lifo_stack's: the U test's exact p is 2 / C(10, 5) = 0.0079, so
// fifo_ring is the winner, named alone.
TEST(ReportDecision, AWinnerBeatsTheBaselineAndTheRunnerUpSignificantly) {
  const Report report = Document()
                            .add({.strategy = "semaphore_group"}, {45e6, 46e6, 44e6, 47e6, 45.5e6})
                            .add({.strategy = "fifo_ring"}, {100e3, 101e3, 102e3, 103e3, 104e3})
                            .add({.strategy = "lifo_stack"}, {105e3, 106e3, 107e3, 108e3, 109e3})
                            .report();
  const auto& r = only_table(report).recommendation;
  EXPECT_EQ(r.decision, Decision::adopt_pool);
  EXPECT_EQ(r.choice, "fifo_ring");
  EXPECT_TRUE(r.tied_with.empty());
  ASSERT_TRUE(r.runner_up_p_value.has_value());
  EXPECT_NEAR(*r.runner_up_p_value, 2.0 / 252, 1e-12);
  EXPECT_TRUE(r.significant);
  EXPECT_THAT(r.reason, HasSubstr("it also beats every other pool significantly"));
  EXPECT_THAT(render_markdown(report), HasSubstr("| adopt **fifo_ring** | `fifo_ring` |"));
}

// Interleaved repetitions (fifo_ring 100, 102, 104, 106, 108 µs; lifo_stack 101, 103, 105, 107, 109 µs): U =
// 10 of 25, exact p = 0.69 — fifo_ring's lower median is noise, so the verdict is a tie between the two
// pools, both far ahead of the baseline.
TEST(ReportDecision, APoolThatDoesNotBeatTheRunnerUpIsATie) {
  const Report report = Document()
                            .add({.strategy = "semaphore_group"}, {45e6, 46e6, 44e6, 47e6, 45.5e6})
                            .add({.strategy = "fifo_ring"}, {100e3, 102e3, 104e3, 106e3, 108e3})
                            .add({.strategy = "lifo_stack"}, {101e3, 103e3, 105e3, 107e3, 109e3})
                            .report();
  const auto& r = only_table(report).recommendation;
  EXPECT_EQ(r.decision, Decision::tie);
  EXPECT_EQ(r.choice, "fifo_ring or lifo_stack");
  EXPECT_EQ(r.tied_with, std::vector<std::string>{"lifo_stack"});
  ASSERT_TRUE(r.runner_up_p_value.has_value());
  EXPECT_NEAR(*r.runner_up_p_value, 0.690476, 1e-5);
  EXPECT_THAT(r.reason, HasSubstr("does not beat lifo_stack significantly"));
  EXPECT_THAT(render_markdown(report), HasSubstr("| tie: adopt **fifo_ring or lifo_stack** |"));
}

// A pool 2.5x faster by the medians whose repetitions overlap the baseline's: p > 0.05 and the ranges
// overlap, so the benefit is not measurable and the default stays.
TEST(ReportDecision, ASpeedupThatIsNotSignificantKeepsTheDefault) {
  const Report report = Document()
                            .add({.strategy = "semaphore_group"}, {10e6, 25e6, 26e6, 27e6})
                            .add({.strategy = "fifo_ring"}, {10e6, 10.4e6, 11e6, 30e6})
                            .report();
  const auto& r = only_table(report).recommendation;
  EXPECT_EQ(r.decision, Decision::keep_default);
  ASSERT_TRUE(r.speedup.has_value());
  EXPECT_GT(*r.speedup, 2.0);
  EXPECT_FALSE(r.significant);
  ASSERT_TRUE(r.p_value.has_value());
  EXPECT_GT(*r.p_value, 0.05);
  EXPECT_THAT(r.reason, HasSubstr("not a measurable benefit until it is significant"));
}

// Three repetitions each, completely apart: the exact p is 0.1 (the smallest 3 against 3 can give), but
// ranges that do not overlap are significant on their own.
TEST(ReportDecision, RangesApartAreSignificantWithThreeRepetitions) {
  const Report report = Document()
                            .add({.strategy = "semaphore_group"}, {45e6, 46e6, 44e6})
                            .add({.strategy = "fifo_ring"}, {100e3, 110e3, 120e3})
                            .report();
  const auto& r = only_table(report).recommendation;
  EXPECT_EQ(r.decision, Decision::adopt_pool);
  EXPECT_NEAR(*r.p_value, 0.1, 1e-12);
  EXPECT_TRUE(r.significant);
}

TEST(ReportDecision, FewerThanThreeRepetitionsIsUndecided) {
  for (std::size_t repetitions : {1u, 2u}) {
    std::vector<double> baseline(repetitions, 45e6), pool(repetitions, 100e3);
    const Report report = Document()
                              .add({.strategy = "semaphore_group"}, baseline)
                              .add({.strategy = "fifo_ring"}, pool)
                              .report();
    const auto& r = only_table(report).recommendation;
    EXPECT_EQ(r.decision, Decision::undecided) << repetitions;
    EXPECT_TRUE(r.choice.empty());
    EXPECT_THAT(r.reason, HasSubstr("at least 3 of each are needed")) << repetitions;
    const std::string markdown = render_markdown(report);
    EXPECT_THAT(markdown, HasSubstr("| undecided (too few repetitions) | `fifo_ring` | 450x |"));
    EXPECT_THAT(markdown, Not(HasSubstr("keep **semaphore_group**")));
  }
}

// ---- the latency objective
// ---------------------------------------------------------------------------------

// fifo_ring is fastest but its p99 misses 1 ms; lifo_stack meets it and beats the baseline significantly.
TEST(ReportDecision, TheLatencyObjectiveRulesOutPoolsThatMissIt) {
  Document document;
  document.add({.strategy = "semaphore_group"}, {45e6, 46e6, 44e6}, {{"e2e_p99_ns", 500e3}})
      .add({.strategy = "fifo_ring"}, {100e3, 101e3, 102e3}, {{"e2e_p99_ns", 5e6}})
      .add({.strategy = "lifo_stack"}, {200e3, 201e3, 202e3}, {{"e2e_p99_ns", 300e3}});
  const auto without = only_table(document.report()).recommendation;
  EXPECT_EQ(without.choice, "fifo_ring");
  const Report report = document.report({.slo_p99_ns = 1e6});
  const auto& r = only_table(report).recommendation;
  EXPECT_EQ(r.decision, Decision::adopt_pool);
  EXPECT_EQ(r.choice, "lifo_stack");
  ASSERT_EQ(r.missed_slo.size(), 1u);
  EXPECT_THAT(r.missed_slo[0], HasSubstr("fifo_ring (e2e p99 5.00 ms in this closed loop"));
  EXPECT_THAT(render_markdown(report), HasSubstr("Latency objective (`--slo-p99`): e2e p99 at most 1.00 ms"));
}

// With open-loop runs of the configuration, they judge: fifo_ring meets 1 ms in the closed loop but saturates
// at load 0.9, so it is out; lifo_stack's open-loop p99 is under 1 ms.
TEST(ReportDecision, TheLatencyObjectiveIsJudgedOnOpenLoopRunsWherePresent) {
  Document document;
  document.add({.strategy = "semaphore_group"}, {45e6, 46e6, 44e6}, {{"e2e_p99_ns", 500e3}})
      .add({.strategy = "fifo_ring"}, {100e3, 101e3, 102e3}, {{"e2e_p99_ns", 200e3}})
      .add({.strategy = "lifo_stack"}, {200e3, 201e3, 202e3}, {{"e2e_p99_ns", 300e3}});
  for (const char* strategy : {"semaphore_group", "fifo_ring", "lifo_stack"}) {
    const bool ring = std::string(strategy) == "fifo_ring";
    document.add({.strategy = strategy, .arrival = "poisson", .load = 0.9}, {50e6, 50e6, 50e6},
                 {{"e2e_p99_ns", ring ? 900e3 : 400e3}, {"saturated", ring ? 1 : 0}});
  }
  const Report report = document.report({.slo_p99_ns = 1e6});
  ASSERT_EQ(report.tables.size(), 2u);
  const WorkloadTable& closed =
      report.tables[0].workload_params.count("arrival") ? report.tables[1] : report.tables[0];
  const auto& r = closed.recommendation;
  EXPECT_EQ(r.choice, "lifo_stack");
  ASSERT_EQ(r.missed_slo.size(), 1u);
  EXPECT_THAT(r.missed_slo[0], HasSubstr("fifo_ring (e2e p99 900 µs, saturated in the open loop at"));
  EXPECT_THAT(r.missed_slo[0], HasSubstr("load=0.9"));
}

TEST(ReportDecision, SloP99OnTheCommandLine) {
  TempDir dir;
  const auto input = dir / "slo.json";
  Document document;
  document.add({.strategy = "semaphore_group"}, {45e6, 46e6, 44e6}, {{"e2e_p99_ns", 500e3}})
      .add({.strategy = "fifo_ring"}, {100e3, 101e3, 102e3}, {{"e2e_p99_ns", 5e6}});
  std::ofstream(input) << document.json().dump();
  const auto ok = run_poolbench("report " + input.string() + " --slo-p99 1ms --format json");
  ASSERT_EQ(ok.exit_status, 0) << ok.err;
  const auto parsed = nlohmann::json::parse(ok.out);
  EXPECT_EQ(parsed["slo_p99_ns"], 1e6);
  EXPECT_EQ(parsed["tables"][0]["recommendation"]["decision"], "keep_default");
  EXPECT_THAT(parsed["tables"][0]["recommendation"]["missed_slo"][0].get<std::string>(),
              HasSubstr("fifo_ring"));
  for (const char* bad : {"1", "fast", "-1ms", "1 ms", "0s", "1hours"}) {
    const auto refused = run_poolbench("report " + input.string() + " --slo-p99 '" + bad + "'");
    EXPECT_EQ(refused.exit_status, 2) << bad;
    EXPECT_EQ(count_lines(refused.err), 1u) << bad << refused.err;
    EXPECT_THAT(refused.err, HasSubstr("--slo-p99")) << bad;
    EXPECT_EQ(refused.out, "") << bad;
  }
}

// ---- trust signals
// -----------------------------------------------------------------------------------------

Document quiet_document() {
  Document document;
  document.add({.strategy = "semaphore_group"}, {45e6, 46e6, 44e6})
      .add({.strategy = "fifo_ring"}, {100e3, 101e3, 102e3});
  return document;
}

TEST(ReportWarnings, AQuietRunOfThreeRepetitionsHasNone) {
  const Report report = quiet_document().report();
  EXPECT_TRUE(report.warnings.empty()) << report.warnings.front();
  EXPECT_THAT(render_markdown(report), HasSubstr("## Warnings\n\nNone:"));
}

TEST(ReportWarnings, LoadAboveHalfTheCoresAtStart) {
  Document document = quiet_document();
  document.json()["context"]["load_avg"] = {1.01, 0.5, 0.5};
  EXPECT_TRUE(has_warning(document.report(), "load average 1.01 on 2 cores"));
  document.json()["context"]["load_avg"] = {1.0, 0.5, 0.5};  // exactly half: not above
  EXPECT_TRUE(document.report().warnings.empty());
}

TEST(ReportWarnings, ANoisyCase) {
  Document document;
  document.add({.strategy = "semaphore_group"}, {9.15e6, 0.5e6, 4.83e6})
      .add({.strategy = "fifo_ring"}, {100e3, 101e3, 102e3});
  const Report report = document.report();
  ASSERT_EQ(report.warnings.size(), 1u);
  EXPECT_THAT(report.warnings[0], HasSubstr("1 of 2 cases vary by more than 10%"));
  EXPECT_THAT(report.warnings[0], HasSubstr("`semaphore_group`"));
  EXPECT_THAT(report.warnings[0], HasSubstr("(500 µs to 9.15 ms)"));
  // The warnings come before every figure.
  const std::string markdown = render_markdown(report);
  EXPECT_LT(markdown.find("## Warnings"), markdown.find("## Machine and run"));
  EXPECT_LT(markdown.find("vary by more than 10%"), markdown.find("## Recommendations"));
}

TEST(ReportWarnings, FewerThanThreeRepetitions) {
  Document document;
  document.add({.strategy = "semaphore_group"}, {45e6, 46e6})
      .add({.strategy = "fifo_ring"}, {100e3, 101e3, 102e3});
  const Report report = document.report();
  ASSERT_EQ(report.warnings.size(), 1u);
  EXPECT_THAT(report.warnings[0], HasSubstr("1 of 2 cases have fewer than 3 successful repetitions"));
}

TEST(ReportWarnings, FailedRepetitions) {
  Document document = quiet_document();
  auto& first = document.json()["benchmarks"][0];
  first["error_occurred"] = true;
  first["error_message"] = "timed out";
  const Report report = document.report();
  EXPECT_TRUE(has_warning(report, "1 case has failed repetitions"));
  EXPECT_TRUE(has_warning(report, "(1 of 3)"));
}

TEST(ReportWarnings, AProbeAboveFivePercentOfTheWindow) {
  Document document;
  document.add({.strategy = "semaphore_group"}, {45e6, 46e6, 44e6}, {{"probe_share", 0.08}})
      .add({.strategy = "fifo_ring"}, {100e3, 101e3, 102e3}, {{"probe_share", 0.05}});
  const Report report = document.report();
  ASSERT_EQ(report.warnings.size(), 1u);
  EXPECT_THAT(report.warnings[0], HasSubstr("in 1 case (probe_share)"));
  EXPECT_THAT(report.warnings[0], HasSubstr("`semaphore_group`"));
  EXPECT_THAT(report.warnings[0], HasSubstr("8.00%"));
}

TEST(ReportWarnings, ProducersOtherThanTheTitle) {
  Document document;
  document.add({.strategy = "semaphore_group", .workers = 100}, {45e6, 46e6, 44e6})
      .add({.strategy = "stateful", .workers = 100, .effective_producers = 100}, {100e3, 101e3, 102e3});
  const Report report = document.report();
  ASSERT_EQ(report.warnings.size(), 1u);
  EXPECT_THAT(report.warnings[0], HasSubstr("`stateful` in \"atomic_increment — 1000 tasks, 100 workers, 1 "
                                            "producer\" ran with 100 producer threads, not 1"));
}

// ---- one aggregate, and rules judged on cases large enough
// ---------------------------------------------------

// Four repetitions: the median time is the mean of the middle two (10.5 ms); tasks per second is 5,000 tasks
// over that same median, not the median of the four rates (which would be 476,190 / s... a different number).
TEST(ReportModel, TasksPerSecondComesFromTheSameRepetitionsAsTheTime) {
  Document document;
  document.add({.strategy = "semaphore_group", .tasks = 5000}, {5e6, 10e6, 11e6, 60e6})
      .add({.strategy = "fifo_ring", .tasks = 5000}, {100e3, 101e3, 102e3, 103e3});
  const Report report = document.report();  // the row lives in it
  const StrategyRow& row = *only_table(report).find("semaphore_group");
  const Spread& time = *row.find(metric::total_time_ns);
  const Spread& rate = *row.find(metric::items_per_second);
  EXPECT_DOUBLE_EQ(time.median, 10.5e6);
  EXPECT_DOUBLE_EQ(rate.median, 5000 / 10.5e-3);
  EXPECT_DOUBLE_EQ(rate.min, 5000 / 60e-3);
  EXPECT_DOUBLE_EQ(rate.max, 5000 / 5e-3);
}

TEST(ReportRules, ACaseOfFewerThanTenWavesIsNotJudged) {
  Document document;
  // 200 tasks on 100 workers: two waves.
  const CaseSpec io{.strategy = "semaphore_group",
                    .workload = "simulated_io",
                    .tasks = 200,
                    .workers = 100,
                    .workload_params = {{"median_ms", "5"}, {"p99_ms", "20"}}};
  CaseSpec lifo = io;
  lifo.strategy = "lifo_stack";
  document.add(io, {1e9, 1.01e9, 1.02e9}).add(lifo, {2e9, 2.01e9, 2.02e9});
  const Report report = document.report();
  const RuleCheck* rule = nullptr;
  for (const auto& candidate : report.rules)
    if (candidate.id == "bounded_equivalent_on_io") rule = &candidate;
  ASSERT_NE(rule, nullptr);
  EXPECT_EQ(rule->outcome, RuleOutcome::not_measured);
  ASSERT_EQ(rule->evidence.size(), 1u);
  EXPECT_THAT(rule->evidence[0], HasSubstr("not judged: too few tasks (200 < 10 waves of K=100, 1000)"));
  EXPECT_THAT(rule->criterion, HasSubstr("at least 10 waves of K tasks"));
  EXPECT_THAT(render_markdown(report), HasSubstr("**not judged: too few tasks**"));
  // Ten waves: judged (and it did not hold: 2x apart).
  document = Document();
  CaseSpec io_large = io, lifo_large = lifo;
  io_large.tasks = lifo_large.tasks = 1000;
  document.add(io_large, {1e9, 1.01e9, 1.02e9}).add(lifo_large, {2e9, 2.01e9, 2.02e9});
  for (const auto& candidate : document.report().rules)
    if (candidate.id == "bounded_equivalent_on_io") {
      EXPECT_EQ(candidate.outcome, RuleOutcome::did_not_hold);
    }
}

// The baseline's runtime and the measured cost of starting a thread per task, in one sentence and one row.
TEST(ReportModel, TheSpawnCostIsMeasuredAndTheBaselineSaysWhatItStarts) {
  Document document;
  document.add({.strategy = "inline"}, {10e3, 10e3, 10e3})
      .add({.strategy = "raw_threads"}, {41e6, 41e6, 41e6})
      .add({.strategy = "semaphore_group"}, {45e6, 46e6, 44e6});
  for (auto& entry : document.json()["benchmarks"]) entry["case"]["strategy_params"]["spawn"] = "thread";
  for (auto& entry : document.json()["benchmarks"])
    if (entry["case"]["strategy"] == "inline") entry["case"]["strategy_params"].erase("spawn");
  const Report report = document.report();
  std::string spawn_row;
  for (const auto& [label, value] : report.header)
    if (label == "Spawn cost (measured)") spawn_row = value;
  EXPECT_THAT(spawn_row, HasSubstr("41.0 µs per task (spawn=thread, 1000 tasks, K=2, P=1)"));
  EXPECT_THAT(baseline_note(report),
              HasSubstr("starts an OS thread (std::thread) per task (`spawn=thread`)"));
}

// ---- the guide's tables and the proposal
// -------------------------------------------------------------------

TEST(ReportGuide, TheGuidesTablesFromTheDataOrNotMeasured) {
  const Report report = report_of_fixture();
  const std::string markdown = render_markdown(report);
  for (const char* section : {"## What each strategy models (the guide's libraries)", "## Memory footprint",
                              "## Sizing K", "## Scheduling fairness", "## Latency against load"})
    EXPECT_THAT(markdown, HasSubstr(section)) << section;
  // Mapping from the file's recorded descriptions (the same in a build without the strategy).
  EXPECT_THAT(markdown, HasSubstr("| `inline` | runs each task in the submitting thread"));
  // The fixture has one worker count per configuration and no open loop.
  EXPECT_THAT(markdown, HasSubstr("Not measured in this run: every configuration ran at one worker count"));
  EXPECT_THAT(markdown, HasSubstr("Not measured in this run: no open-loop cases"));
  // Footprint of semaphore_group from its largest configuration (1000 tasks, atomic_increment P=1 first).
  EXPECT_THAT(markdown,
              HasSubstr("| `semaphore_group` | atomic_increment — 1000 tasks, 2 workers, 1 producer | "
                        "9.00 MiB |"));
}

TEST(ReportGuide, SizingAndLoadLatencyWhereTheRunHasThem) {
  Document document;
  for (std::size_t workers : {2u, 4u}) {
    document.add({.strategy = "semaphore_group", .workers = workers}, {45e6, 46e6, 44e6})
        .add({.strategy = "fifo_ring", .workers = workers},
             {100e3 * workers, 101e3 * workers, 102e3 * workers});
  }
  for (double load : {0.5, 0.9})
    document.add({.strategy = "fifo_ring", .arrival = "poisson", .load = load}, {50e6, 50e6, 50e6},
                 {{"e2e_p99_ns", load * 1e6}, {"saturated", load > 0.8 ? 1 : 0}});
  const std::string markdown = render_markdown(document.report());
  EXPECT_THAT(markdown, HasSubstr("| Strategy | K=2 | K=4 | W | λ (at K) | Little's K = λ·W | Enough |"));
  EXPECT_THAT(markdown, HasSubstr("| `fifo_ring` | 4.95 M/s | 2.48 M/s | — | 4.95 M/s (K=2) | — | **2** |"));
  EXPECT_THAT(markdown, HasSubstr("| Strategy | load 0.5 | load 0.9 |"));
  EXPECT_THAT(markdown, HasSubstr("| `fifo_ring` | 500 µs | 900 µs *saturated* |"));
}

TEST(ReportProposal, TheGuidesTemplateWithTheMeasuredNumbers) {
  const std::string proposal = render_proposal(report_of_fixture());
  for (const char* section :
       {"# Pool Adoption Proposal", "## Context", "## Current Implementation", "## Proposed Change",
        "## Expected Impact", "## Risks", "## Decision", "## Sign-offs"})
    EXPECT_THAT(proposal, HasSubstr(section)) << section;
  // fifo_ring is adopted in both atomic_increment configurations of the fixture.
  EXPECT_THAT(proposal, HasSubstr("Adopt `fifo_ring`"));
  EXPECT_THAT(proposal, HasSubstr("| atomic_increment — 1000 tasks, 2 workers, 1 producer | adopt | 281x | "
                                  "p = 0.100, ranges apart | 22.2 k/s → 6.25 M/s |"));
  EXPECT_THAT(proposal,
              HasSubstr("| atomic_increment — 1000 tasks, 2 workers, 1 producer | 45.0 ms | 22.2 k/s |"));
  EXPECT_THAT(proposal, HasSubstr("queue_order = fifo (verified)"));
  // The fixture has undecided configurations and warnings: defer, not adopt.
  // The tally is the proposed pool's: of the 3 adopt verdicts, 2 are fifo_ring's and 1 another pool's.
  EXPECT_THAT(proposal,
              HasSubstr("**Defer**: `fifo_ring` wins where this run can tell (of 7 configurations: "
                        "`fifo_ring` adopted in 2, tied with another pool in 0, another pool wins in "
                        "1, the baseline stays in 1, undecided or cannot decide in 3)"));
}

TEST(ReportProposal, OnTheCommandLine) {
  const auto result = run_poolbench("report " + fixture_path + " --proposal");
  ASSERT_EQ(result.exit_status, 0) << result.err;
  EXPECT_EQ(result.out.rfind("# Pool Adoption Proposal", 0), 0u);
  EXPECT_THAT(result.out, Not(HasSubstr("## Results per workload")));
}

}  // namespace
}  // namespace poolbench::report

namespace poolbench {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// ---- units and the terminal format
// ---------------------------------------------------------------------------

TEST(ReportUnits, AllocationsPerTaskWhereAtLeastOneThousandsSeparated) {
  EXPECT_EQ(format_allocations_per_task(2.0), "2.00");
  EXPECT_EQ(format_allocations_per_task(83485), "83,485");  // was "83,485,000,000" per 1M tasks
  EXPECT_EQ(format_allocations_per_task(0.00012), "120 per 1M");
  EXPECT_EQ(format_allocations_per_task(0), "0");
  EXPECT_EQ(format_significant(12345), "12,345");
  EXPECT_EQ(format_significant(-4091.2), "-4,091");
  EXPECT_EQ(format_significant(999), "999");
  EXPECT_EQ(format_bytes(96), "96.0 B");
  EXPECT_EQ(format_ratio(4091), "4,091x");
  // A unit of two words is written once too.
  EXPECT_EQ(format_range(0.12545, 0.12543, 0.12547, 3, format_allocations_per_task),
            "125,450 per 1M (125,430–125,470 per 1M)");
}

TEST(ReportUnits, DurationsAsPeopleTypeThem) {
  EXPECT_EQ(parse_duration_ns("50ms"), 50e6);
  EXPECT_EQ(parse_duration_ns("250us"), 250e3);
  EXPECT_EQ(parse_duration_ns("250µs"), 250e3);
  EXPECT_EQ(parse_duration_ns("1.5s"), 1.5e9);
  EXPECT_EQ(parse_duration_ns("800ns"), 800.0);
  for (const char* bad : {"", "50", "ms", "-1ms", "0s", "1 ms", "1e3ms", "1hours", "nanms"})
    EXPECT_FALSE(parse_duration_ns(bad).has_value()) << bad;
}

// compare's and ab's thresholds: a percentage or a fraction, one parser; the range is each flag's own.
TEST(ReportUnits, SharesAsPeopleTypeThem) {
  EXPECT_EQ(parse_fraction("5%"), 0.05);
  EXPECT_EQ(parse_fraction("0.05"), 0.05);
  EXPECT_EQ(parse_fraction("-2%"), -0.02);
  EXPECT_EQ(parse_fraction("150%"), 1.5);
  for (const char* bad : {"", "%", "5%%", "five", "5 %", "0.05x", "inf", "nan", "%5"})
    EXPECT_FALSE(parse_fraction(bad).has_value()) << bad;
}

// Every line of a table starts each column at the same display column; nothing of Markdown's markup is left.
TEST(ReportText, TablesAreAlignedAndMarkupIsGone) {
  const std::string markdown =
      "## Title\n\nSome **bold** and `code`.\n\n| Strategy | Total time | Setup | ÷ x "
      "|\n|---|---:|---:|---:|\n"
      "| `inline` <sub>s</sub> | 11.0 µs | — | 1.00 |\n| `semaphore_group` | 45.0 ms (44.0–46.0 ms) | — | "
      "4,091 |\n";
  const std::string text = markdown_to_terminal(markdown);
  EXPECT_THAT(text, HasSubstr("Title\n─────\n"));
  EXPECT_THAT(text, HasSubstr("Some bold and code."));
  EXPECT_EQ(text.find('|'), std::string::npos);
  EXPECT_EQ(text.find("**"), std::string::npos);
  EXPECT_EQ(text.find("Setup"), std::string::npos);  // nothing measured in that column
  // Numbers right-aligned: the two rows end their time column at the same display column.
  const auto line_of = [&](const std::string& start) {
    const auto begin = text.find(start);
    return text.substr(begin, text.find('\n', begin) - begin);
  };
  const std::string first = line_of("inline [s]");
  const std::string second = line_of("semaphore_group");
  EXPECT_EQ(display_width(first), display_width(second));
  EXPECT_EQ(display_width(first.substr(0, first.find("11.0 µs") + std::string("11.0 µs").size())),
            display_width(second.substr(0, second.find("46.0 ms)") + std::string("46.0 ms)").size())));
  EXPECT_EQ(first.substr(first.size() - 4), "1.00");
  EXPECT_EQ(second.substr(second.size() - 5), "4,091");
}

TEST(ReportText, TheCommandLineWritesTheTerminalFormWithRangesOnlyWhereTheyMatter) {
  const std::string fixture = std::string(POOLBENCH_SOURCE_DIR) + "/tests/data/report_fixture.json";
  const auto text = poolbench::testing::run_poolbench("report " + fixture + " --format text");
  ASSERT_EQ(text.exit_status, 0) << text.err;
  EXPECT_EQ(text.out.find("\n|"), std::string::npos);  // no Markdown table line
  EXPECT_THAT(text.out, HasSubstr("Warnings\n────────"));
  // semaphore_group's 44–46 ms is within 10% of its median: the median alone; fifo_ring's 0.9–1.1 ms on
  // cpu_burst 1 µs is not: its range.
  EXPECT_THAT(text.out, ::testing::ContainsRegex("\nsemaphore_group +3 +45.0 ms +22.2 k/s"));
  EXPECT_THAT(text.out, HasSubstr("1.00 ms (900 µs–1.10 ms)"));
  EXPECT_THAT(text.out, Not(HasSubstr("45.0 ms (44.0–46.0 ms)")));
}

}  // namespace
}  // namespace poolbench

namespace poolbench {
namespace {

// One colour per strategy in every plot of every run: fixed by name, else a stable hash of the label.
TEST(ReportPlotColours, FixedByNameAndStableOtherwise) {
  const std::string script = std::string(POOLBENCH_SOURCE_DIR) + "/scripts";
  const std::string arguments =
      "-c \"import sys; sys.path.insert(0, '" + script +
      "'); import plot; print(plot.strategy_color('fifo_ring'), plot.strategy_color('semaphore_group'), "
      "plot.strategy_color('semaphore_group (spawn=fiber)'), plot.strategy_colors()['fifo_ring'])\"";
  const auto first = poolbench::testing::run_program("/usr/bin/python3", arguments);
  const auto second = poolbench::testing::run_program("/usr/bin/python3", arguments);
  ASSERT_EQ(first.exit_status, 0) << first.err;
  EXPECT_EQ(first.out, second.out);
  EXPECT_EQ(first.out.substr(0, 16), "#009E73 #56B4E9 ");
  EXPECT_EQ(first.out.substr(first.out.size() - 8), "#009E73\n");
}

}  // namespace
}  // namespace poolbench
