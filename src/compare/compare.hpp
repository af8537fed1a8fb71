// compare: decides, case by case and metric by metric, whether NEW differs from BASE by more than noise.
//
// A timed metric (time, throughput, latency percentiles) changes only when the difference is both significant
// — Mann-Whitney U over the repetitions, two-sided, computed as scipy.stats.mannwhitneyu does, so that the
// p-values equal those of Google Benchmark's compare.py — and at least a minimum effect. Deterministic
// metrics (allocations per task, threads created) use an exact threshold; peak RSS a relative one. Where the
// repetitions are too few for the test ever to reach alpha (3 against 3 cannot: its smallest two-sided p is
// 0.1), a change beyond the minimum effect is "not enough repetitions to judge", never a regression on the
// threshold alone, unless asked (`strict`, which the ci profile sets: there a second run confirms).
//
// Time and throughput (items_per_second) are one quantity: time is judged, throughput shown beside it,
// derived from the same medians, so that one case never reads "regression" on one and "improved" on the
// other.
//
// Unlike compare.py, which prints differences and leaves the decision to a person, the result is a verdict
// that sets an exit status (0 no regression, 1 regression), for CI.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "metrics/catalogue.hpp"
#include "result/result_file.hpp"

namespace poolbench::compare {

// The metrics compare judges (those the catalogue gives a rule), in catalogue order.
std::vector<const metrics::Metric*> compared_metrics();
// A compared metric by name; nullptr for a name the catalogue lacks or does not compare.
const metrics::Metric* find_metric(const std::string& name);

// How the U tests' p-values of one comparison (every timed metric of every case: a family of tests) are
// adjusted before they are compared with alpha. Two runs made at different times drift apart on a shared
// machine, and the quick matrix (120 cases) makes 360 tests: at alpha 0.05 unadjusted, an A/A comparison of 5
// against 5 repetitions reports a few regressions by chance alone.
enum class Adjustment {
  holm,                // the chance of any false regression in the comparison at most alpha (default)
  benjamini_hochberg,  // the expected share of false ones among those reported at most alpha
  none,                // each test alone at alpha (Google Benchmark's compare.py)
};
std::string to_string(Adjustment adjustment);

struct Options {
  double alpha = 0.05;
  Adjustment adjustment = Adjustment::holm;
  double min_effect = 0.05;    // timed metrics: relative change that counts
  double exact_tolerance = 0;  // exact metrics: relative increase tolerated (0: any increase regresses)
  double spread_factor = 3;    // exact metrics varying between repetitions: multiples of that variation a
                               // change must exceed
  // allocs_per_task: absolute increase tolerated, in allocations per task; and (with bytes_per_task) the
  // relative increase tolerated; the larger of the two counts. A thread per task's allocations depend on the
  // machine's load (results/compare-aa.md has what A/A pairs here differed by).
  double alloc_tolerance = 0.05;
  double alloc_growth = 1.0;
  double min_time_ns = 0;       // timed metrics of cases (or their reference) shorter than this: not compared
  double rss_threshold = 0.25;  // peak_rss_bytes: relative change that counts (results/compare-aa.md)
  std::optional<std::string>
      normalize_to;                  // strategy whose cases divide the times of the same workload's cases
  std::vector<std::string> metrics;  // empty: every known metric
  // Too few repetitions for the U test: decide on the minimum effect alone (otherwise such a change is "not
  // enough repetitions to judge" and never fails).
  bool strict = false;
  // Cases of BASE missing from NEW (an interrupted, empty or different run), or NEW marked incomplete, fail.
  bool fail_on_missing = false;
  std::string profile = "default";  // "default" or "ci" (only recorded; the values above are what apply)
};

// The `ci` profile: what ./scripts/test checks against the committed baseline. Times normalised to inline
// with a 100% minimum effect (a case fails only when its time relative to inline more than doubles, so a 3x
// slowdown fails and noise between machines does not), on cases of 10 ms or more; allocations per task and
// threads created exact, allowing 0.05 allocations per task (a worker restarted after its idle timeout adds a
// few allocations to a case; an allocation per task adds 1). Strict (3 repetitions cannot reach the U test's
// alpha; a doubling is the threshold, and a second run confirms) and failing on missing cases.
Options ci_profile();

// ---- comparison ----

enum class Verdict {
  unchanged,
  improvement,
  regression,
  not_compared,
  too_few_repetitions,  // beyond the minimum effect, but the U test cannot reach alpha: not judged
};
std::string to_string(Verdict verdict);

enum class Decision {
  u_test_and_effect,  // significant at alpha and beyond the minimum effect
  threshold_only,     // too few repetitions for the U test: the minimum effect alone (or not judged)
  same_as_time,       // throughput: time's verdict, on the same medians
  exact,              // exact metric
  threshold,          // relative threshold (peak RSS)
  none,               // not compared
};
std::string to_string(Decision decision);

struct MetricComparison {
  std::string metric;
  std::size_t base_count = 0;  // values compared (successful repetitions)
  std::size_t new_count = 0;
  double base_median = 0;
  double new_median = 0;
  std::optional<double> change;   // (new - base) / base; 0 when both are 0, absent when only base is
  std::optional<double> p_value;  // only where the U test decided (absent: no test was made)
  // p_value adjusted over the comparison's family of tests (Options::adjustment); what is compared with
  // alpha.
  std::optional<double> adjusted_p_value;
  // The verdict by the minimum effect alone (what a significant test leads to).
  Verdict effect_verdict = Verdict::unchanged;
  bool normalized = false;  // values are ratios to the reference strategy's
  double spread = 0;        // exact metrics: largest max - min between repetitions of either run
  Decision decision = Decision::none;
  Verdict verdict = Verdict::not_compared;
  std::string note;  // why not compared, or why the test was not used
};

enum class CaseStatus {
  compared,
  failed_in_new,   // every repetition failed in NEW but not in BASE: a regression
  failed_in_base,  // failed in BASE, runs in NEW: reported, not counted as an improvement of any metric
  failed_in_both,
};
std::string to_string(CaseStatus status);

struct CaseComparison {
  std::string name;
  CaseStatus status = CaseStatus::compared;
  std::size_t base_repetitions = 0;  // successful ones
  std::size_t new_repetitions = 0;
  std::string error;      // the failure message for failed_* cases
  std::string note;       // e.g. no reference case for --normalize-to
  std::string reference;  // NEW's --normalize-to case for this one (its name), empty when none
  std::vector<MetricComparison> metrics;

  bool regressed() const;
  bool improved() const;
};

struct Summary {
  std::size_t cases_compared = 0;
  std::size_t regressions = 0;   // metric comparisons, plus cases failing only in NEW
  std::size_t improvements = 0;  // metric comparisons
  std::size_t unchanged = 0;
  std::size_t not_compared = 0;
  std::size_t cases_regressed = 0;
  std::size_t cases_improved = 0;
  std::size_t only_in_base = 0;
  std::size_t only_in_new = 0;
  std::size_t threshold_only = 0;       // metric comparisons decided without the U test
  std::size_t too_few_repetitions = 0;  // metric comparisons not judged: beyond the effect, too few to test
  std::size_t cases_too_few = 0;        // cases with at least one of those
  std::size_t tests = 0;                // U tests made: the family the p-values were adjusted over
};

struct Comparison {
  std::string base_path;
  std::string new_path;
  Options options;
  std::vector<CaseComparison> cases;
  std::vector<std::string> only_in_base;
  std::vector<std::string> only_in_new;
  Summary summary;
  // Why the gate fails other than on a regression (--fail-on-missing): one line; empty when it does not.
  std::string gate_failure;
  // Each file's context.poolbench.complete (nullopt: not recorded).
  std::optional<bool> base_complete;
  std::optional<bool> new_complete;
  // A second run of the regressed cases (--confirm-with): only the regressions it confirms fail.
  struct Confirmation {
    std::string command;
    std::string path;                    // the second run's result file
    std::vector<std::string> rerun;      // the regressed cases and their references, as the filter names them
    std::vector<std::string> confirmed;  // regressed again (or missing from the second run)
    std::vector<std::string> not_confirmed;
  };
  std::optional<Confirmation> confirmation;
};

// The cases a second run must repeat to confirm `comparison`'s regressions: each regressed case and its
// --normalize-to reference in NEW, in NEW's order without repeats.
std::vector<std::string> cases_to_confirm(const Comparison& comparison);
// An RE2 pattern matching exactly these names (for `poolbench run --filter`).
std::string exact_names_pattern(const std::vector<std::string>& names);
// Judges the second run: each regressed case of `comparison` is confirmed when it regresses again against
// `base` in `second` (under the same options, missing cases aside), or when `second` lacks it.
void confirm_regressions(Comparison& comparison, const ResultFile& base, const ResultFile& second,
                         std::string command);

// What the files say about whether their runs finished: a line per file that is interrupted or does not say.
std::vector<std::string> completeness_notes(const Comparison& comparison);

// Compares every case present in both files. Throws UsageError for options that cannot apply to these files
// (a --normalize-to strategy without cases in one of them).
Comparison compare_files(const ResultFile& base, const ResultFile& next, const Options& options);

// 0 no regression, 1 at least one (or a gate_failure); with a confirmation, only confirmed regressions count.
int exit_status(const Comparison& comparison);

// ---- output ----

// `summary`: only the summary (counts, regressed, improved and unjudged cases), not the per-case tables.
std::string format_text(const Comparison& comparison, bool summary = false);
// A pull-request comment must stay under GitHub's 65,536 characters; this leaves room for a CI's own text.
inline constexpr std::size_t markdown_summary_limit = 60000;
// `summary`: the changed cases, the rest folded away; within markdown_summary_limit bytes (so characters)
// whatever the matrix, rows that do not fit counted instead of shown.
std::string format_markdown(const Comparison& comparison, bool summary = false);
std::string format_json(const Comparison& comparison);

// A value for people, as every poolbench output prints it (format/units.hpp); ratios to the reference with
// "x".
std::string format_value(const metrics::Metric& metric, double value, bool normalized);
std::string format_change(const std::optional<double>& change);
std::string summary_line(const Comparison& comparison);

}  // namespace poolbench::compare
