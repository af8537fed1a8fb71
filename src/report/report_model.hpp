// Report model: turns a result file into the decision document of the guide (pool-guide.md, "Microbenchmarks
// With Real Numbers", the "Deep Comparison" tables, Appendix S22), as plain data. Markdown and JSON renderers
// only format what is built here, so every number either renderer prints comes from one place and traces to a
// repetition entry of the result file (a median, minimum or maximum over the successful repetitions of a
// case, or a ratio of two such medians).
//
// Unlike Google Benchmark's aggregates in the file (mean, median, stddev, cv), the model keeps min and max of
// each metric as well: the decision rule asks whether a difference is beyond the run's spread, which a mean
// and a stddev over three repetitions cannot say honestly.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "metrics/catalogue.hpp"
#include "metrics/statistics.hpp"
#include "result/result_file.hpp"
#include "strategy.hpp"

namespace poolbench::report {

// The guide's default choice (errgroup with SetLimit), the default baseline of the recommendations
// (`report --baseline` chooses another), and the lower bound every strategy is measured against.
inline constexpr const char* baseline_strategy = "semaphore_group";
inline constexpr const char* lower_bound_strategy = "inline";
// The strategy that models the unbounded `go f()` the guide's first rule of thumb compares pools with.
inline constexpr const char* thread_per_task_strategy = "raw_threads";

struct ReportOptions {
  double adopt_threshold =
      2.0;  // a pool must be at least this many times faster than the baseline to be adopted
  // The baseline: a strategy, optionally with its parameters in brackets, as `semaphore_group[spawn=fiber]`.
  std::string baseline = baseline_strategy;
  // --slo-p99: a latency objective on the end-to-end p99; a strategy that misses it is not a candidate.
  std::optional<double> slo_p99_ns = std::nullopt;
};

// The significance level of the decision's U test (the same as compare's default).
inline constexpr double decision_alpha = 0.05;
// Below this many successful repetitions of the baseline or of a candidate the decision is "undecided": with
// fewer, neither the U test nor the ranges can tell a difference from noise.
inline constexpr std::size_t min_decision_repetitions = 3;
// The rules of thumb judge a configuration only with at least this many waves of K tasks (tasks >= waves x
// workers); with fewer, start-up and the last partial wave dominate what the rule compares.
inline constexpr std::size_t min_rule_waves = 10;
// Trust signals: a case whose compared time varies by more than this coefficient of variation, and a probe
// whose share of the window exceeds this fraction, are warned about.
inline constexpr double warn_cv = 0.10;
inline constexpr double warn_probe_share = 0.05;

// A parsed --baseline: the strategy, and the parameters a case of it must have.
struct BaselineChoice {
  std::string strategy;
  std::map<std::string, std::string> params;
};
// Parses `strategy` or `strategy[name=value,...]`. Throws std::invalid_argument naming what is wrong.
BaselineChoice parse_baseline(const std::string& text);

// A metric over the successful repetitions of one case: median (as Google Benchmark computes it), min, max.
using Spread = metrics::Spread;
using metrics::spread_of;

// Metric keys of a row are catalogue names (metrics/catalogue.hpp): the result file's counters, plus the
// report's derived ones (total_time_ns, time_per_task_ns, allocs_per_million_tasks,
// peak_rss_above_empty_bytes). Keys missing from a row were not measured.
namespace metric = metrics::name;

// One strategy's case within a workload configuration.
struct StrategyRow {
  std::string strategy;
  std::string label;           // the strategy, plus the parameters of its own that the case's name carries
  std::string case_name;       // run_name in the result file
  std::string case_label;      // the entry's Google Benchmark label (e.g. the warm state's scope), if any
  bool known_strategy = true;  // the result file records the strategy's traits
  bool is_pool = false;        // persistent workers (fixed or on demand): a candidate for adoption
  bool bounded = false;        // concurrency bounded by K (everything but inline's caller and raw threads)
  bool worker_state = false;   // keeps per-worker state (the declared trait)
  std::size_t successful_repetitions = 0;
  std::size_t failed_repetitions = 0;
  std::map<std::string, Spread> metrics;
  // Each metric's value per successful repetition, in file order: what the decision's U test compares.
  std::map<std::string, std::vector<double>> samples;
  // Producer threads the case was driven with where it differs from the table's producer count (synchronous
  // strategies get one per worker); 0 where the file does not record it or it is the same.
  std::size_t effective_producers = 0;
  std::map<std::string, std::string>
      strategy_params;                              // every parameter of the strategy, as the case recorded
  std::size_t named_params = 0;                     // how many of them the case's name carries
  std::size_t first_entry = 0;                      // index of the case's first entry in the file
  std::optional<double> time_ratio_to_baseline;     // median total time / the baseline's median total time
  std::optional<double> time_ratio_to_lower_bound;  // median total time / inline's median total time
  const Spread* find(const std::string& key) const;
};

enum class Decision {
  adopt_pool,     // a pool is faster by at least the threshold, significantly, and beats every other pool
  tie,            // adopt a pool, but the fastest does not beat the runner-up significantly: "tie: X or Y"
  keep_default,   // the rule says: stay with the baseline
  undecided,      // too few repetitions (below min_decision_repetitions) to tell a difference from noise
  cannot_decide,  // the baseline (or every pool) was not measured successfully in this configuration
};
const char* to_string(Decision decision);

struct Recommendation {
  Decision decision = Decision::cannot_decide;
  std::string choice;                 // what to use: the winner, or the baseline
  std::string fastest_pool;           // the pool with the lowest median total time, if any
  std::optional<double> speedup;      // baseline median time / fastest pool's median time
  std::optional<bool> beyond_spread;  // fastest pool's slowest repetition faster than the baseline's fastest
  std::optional<double> fastest_pool_max_ns, baseline_min_ns;  // the two ends the spread test compares
  std::optional<double>
      lower_bound_speedup;  // fastest pool's median time / inline's (above 1: inline is faster)
  // The significance of the fastest pool against the baseline: the U test's two-sided p-value (absent where
  // either has fewer than min_decision_repetitions) and whether the ranges do not overlap.
  std::optional<double> p_value;
  bool significant = false;
  // The pools the fastest does not beat significantly (the runner-up first): with an adopt verdict, a tie.
  std::vector<std::string> tied_with;
  std::optional<double> runner_up_p_value;  // the fastest pool against the runner-up pool
  // Strategies --slo-p99 ruled out, each with its p99 and where it was measured.
  std::vector<std::string> missed_slo;
  std::string reason;  // one sentence, with the numbers
};

// One table: every strategy at one point of the matrix (workload, its parameters, tasks, workers, producers).
struct WorkloadTable {
  std::string workload;
  std::map<std::string, std::string> workload_params;
  std::size_t tasks = 0;
  std::size_t workers = 0;
  std::size_t producers = 0;
  std::string title;  // e.g. "cpu_burst (duration_us=10) — 100000 tasks, 2 workers, 1 producer"
  // The time the recommendation and the ÷ columns compare: setup_and_window_ns (the strategy's setup counted,
  // so a pool that starts its workers or builds its state before the window gains nothing by it) where every
  // row records its setup and no warm-up ran; otherwise total_time_ns, the window alone (with --warmup every
  // strategy's window is in steady state; files from before setup was measured have nothing else).
  std::string compared_time = metric::total_time_ns;
  std::vector<StrategyRow> rows;
  // The label of the row the recommendation and the ÷ baseline column use; the --baseline text as given when
  // no row of this table matches it (then find(baseline) finds nothing).
  std::string baseline;
  Recommendation recommendation;
  const StrategyRow* find(const std::string& label) const;
};

// Submit cost of each strategy at the lowest and highest producer count of otherwise equal configurations
// (the guide's "Submit ns (low)" and "Submit ns (high)").
struct SubmitCostRow {
  std::string label;
  std::optional<Spread> low_p50_ns, low_p99_ns, high_p50_ns, high_p99_ns;
  std::optional<double> p50_growth;  // high median / low median
};
struct SubmitCostTable {
  std::string workload;
  std::map<std::string, std::string> workload_params;
  std::size_t tasks = 0;
  std::size_t workers = 0;
  std::size_t low_producers = 0;
  std::size_t high_producers = 0;
  std::string title;
  std::vector<SubmitCostRow> rows;
};

// Declared traits of one strategy, each cell marked where the conformance suite checks that trait.
struct CapabilityCell {
  std::string trait;  // queue_order, worker_lifecycle, when_full, on_exception, returns_results, ...
  std::string value;
  bool verified = false;
};
struct CapabilityRow {
  std::string strategy;
  bool known = true;  // false: the result file does not record the strategy's description and traits
  std::string description;
  std::vector<CapabilityCell> cells;
};

// Which declared traits tests/conformance_test.cpp checks against behaviour, with which tests, and for which
// declared values (the suite skips a check where the declaration leaves nothing to check, e.g. `unordered`).
struct VerifiedTrait {
  std::string trait;
  std::string how;  // the tests, and what they drive
  std::function<bool(const StrategyTraits&)>
      applies;  // whether the suite checks this strategy's declared value
};
const std::vector<VerifiedTrait>& conformance_verified_traits();

enum class RuleOutcome { held, did_not_hold, not_measured };
const char* to_string(RuleOutcome outcome);

// One of the guide's rules of thumb, checked against this run.
struct RuleCheck {
  std::string id;
  std::string claim;      // as the guide states it
  std::string criterion;  // what this report checks, precisely
  RuleOutcome outcome = RuleOutcome::not_measured;
  std::vector<std::string> evidence;  // one line per configuration, with its numbers
};

// Time per task against the task's own duration, from the cpu_burst cases of one (workers, producers) group.
struct CrossoverPoint {
  double task_duration_us = 0;
  Spread time_per_task_ns;
};
struct CrossoverSeries {
  std::string label;
  std::vector<CrossoverPoint> points;  // ascending duration
};
struct CrossoverGap {
  double task_duration_us = 0;
  std::string fastest_pool;
  double speedup = 0;  // baseline median time per task / fastest pool's
};
struct Crossover {
  std::string duration_param;
  std::string baseline;  // the baseline row's label the gaps are measured against
  std::size_t workers = 0;
  std::size_t producers = 0;
  std::map<std::string, std::string> other_params;
  std::string title;
  std::vector<CrossoverSeries> series;
  std::vector<CrossoverGap> gaps;  // where both the baseline and a pool were measured
  std::string adopt_crossover;     // where the gap falls to the adopt threshold (text, with how estimated)
  std::optional<double> adopt_crossover_us;
  std::string parity_crossover;  // where the gap falls within 10%
  std::optional<double> parity_crossover_us;
};

struct FailedCase {
  std::string name;
  std::int64_t repetition_index = 0;
  std::string message;
};

struct Report {
  std::string source;  // the result file's path
  double adopt_threshold = 2.0;
  std::string baseline = baseline_strategy;                      // --baseline, as given
  std::size_t tables_with_baseline = 0;                          // tables in which a row matches it
  std::vector<std::pair<std::string, std::string>> header;       // label -> value, in display order
  std::vector<std::pair<std::string, std::string>> run_details;  // every other scalar of context.poolbench
  std::vector<WorkloadTable> tables;
  std::vector<SubmitCostTable> submit_costs;
  std::vector<CapabilityRow> capabilities;
  std::vector<RuleCheck> rules;
  std::vector<Crossover> crossovers;
  std::vector<FailedCase> failures;
  std::optional<bool> complete;    // the file's context.poolbench.complete; nullopt: not recorded
  std::vector<std::string> notes;  // anything the reader should know that fits nowhere else
  // Trust signals, printed first: what makes the figures below less certain than they look (load at start,
  // noisy cases, too few or failed repetitions, a heavy probe, producers other than the title's).
  std::vector<std::string> warnings;
  std::optional<double> slo_p99_ns;  // --slo-p99, as given
  // The metric catalogue the result file records (context.poolbench.metrics); this build's for older files.
  nlohmann::ordered_json metric_catalogue;
  bool metric_catalogue_from_file = false;
};

// Which baseline the recommendations use, where it was found, and why the choice matters: the Go guide's
// figures are goroutine-based, the thread baseline starts an OS thread per task.
std::string baseline_note(const Report& report);

// Builds the report. Throws std::invalid_argument for a malformed ReportOptions::baseline; ResultFileError
// when the file holds nothing a report can be made of (no entries, or no entry with poolbench's case
// information).
Report build_report(const ResultFile& file, const ReportOptions& options = {});

// The name of cpu_burst's task-duration parameter and its unit in microseconds per unit of the parameter.
inline constexpr const char* cpu_burst_workload = "cpu_burst";

}  // namespace poolbench::report
