// compare output shared by every format: values with units, changes, the rules in words, the summary line.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "compare/compare.hpp"
#include "compare/format_common.hpp"
#include "compare/verdict.hpp"
#include "format/units.hpp"
#include "metrics/statistics.hpp"

namespace poolbench::compare {

std::string format_value(const metrics::Metric& metric, double value, bool normalized) {
  if (normalized) return format_ratio(value);
  return format_quantity(value, metric.unit);
}

std::string format_change(const std::optional<double>& change) {
  if (!change) return "n/a";
  if (*change == 0) return "0%";
  if (std::fabs(*change) < 0.001) return fmt::format("{:+.2g}%", *change * 100);
  return fmt::format("{:+.1f}%", *change * 100);
}

std::string format_p_value(const std::optional<double>& p_value) {
  if (!p_value) return no_test;
  return fmt::format("{:.4f}", *p_value);
}

std::string verdict_marker(Verdict verdict) {
  switch (verdict) {
    case Verdict::regression:
      return "REGRESSION";
    case Verdict::improvement:
      return "improved";
    case Verdict::unchanged:
      return "same";
    case Verdict::not_compared:
      return "n/a";
    case Verdict::too_few_repetitions:
      return "not enough repetitions to judge";
  }
  return "?";
}

std::string verdict_marker(const MetricComparison& metric) {
  if (metric.decision == Decision::same_as_time && metric.verdict != Verdict::not_compared)
    return "(judged as time)";
  return verdict_marker(metric.verdict);
}

std::string changed_metrics(const CaseComparison& result, Verdict verdict) {
  std::string out;
  for (const auto& metric : result.metrics) {
    if (metric.verdict != verdict || metric.decision == Decision::same_as_time) continue;
    if (!out.empty()) out += ", ";
    out += fmt::format("{} {}", metric.metric, format_change(metric.change));
    if (metric.p_value) out += fmt::format(" (p {})", format_p_value(metric.p_value));
  }
  if (verdict == Verdict::regression && result.status == CaseStatus::failed_in_new)
    out = fmt::format("failed in new: {}", result.error);
  return out;
}

std::string value_or_dash(const MetricComparison& metric, bool base) {
  const metrics::Metric* spec = metrics::find(metric.metric);
  const std::size_t count = base ? metric.base_count : metric.new_count;
  if (spec == nullptr || count == 0) return no_test;
  return format_value(*spec, base ? metric.base_median : metric.new_median, metric.normalized);
}

std::string rules_in_words(const Options& options) {
  std::string out = fmt::format(
      "times: U test at alpha {:g}{} and a {:g}% minimum effect; allocations and threads: {}; peak RSS: "
      "{:g}%",
      options.alpha,
      options.adjustment == Adjustment::none
          ? std::string()
          : fmt::format(" (p-values adjusted by {} over the comparison's tests)",
                        options.adjustment == Adjustment::holm ? "Holm" : "Benjamini-Hochberg"),
      options.min_effect * 100,
      options.exact_tolerance == 0
          ? fmt::format("exact (any increase beyond {:g}x their variation between repetitions)",
                        options.spread_factor)
          : fmt::format("{:g}% tolerance and {:g}x their variation between repetitions",
                        options.exact_tolerance * 100, options.spread_factor),
      options.rss_threshold * 100);
  if (options.alloc_tolerance > 0 || options.alloc_growth > 0)
    out += fmt::format(
        "; allocs_per_task may grow by {:g} per task or {:g}% of the smaller median (bytes_per_task "
        "by that share)",
        options.alloc_tolerance, options.alloc_growth * 100);
  if (options.min_time_ns > 0)
    out += fmt::format("; cases under {:g} ms not timed", options.min_time_ns / 1e6);
  if (options.normalize_to) out += fmt::format("; times relative to {}", *options.normalize_to);
  if (options.profile != "default") out += fmt::format(" (profile {})", options.profile);
  return out;
}

namespace {
std::string plural(std::size_t count, const char* one, const char* many) {
  return fmt::format("{} {}", count, count == 1 ? one : many);
}
}  // namespace

std::string summary_line(const Comparison& comparison) {
  const Summary& s = comparison.summary;
  std::string out = fmt::format(
      "{} ({}), {} ({}), {} unchanged", plural(s.regressions, "regression", "regressions"),
      plural(s.cases_regressed, "case", "cases"), plural(s.improvements, "improvement", "improvements"),
      plural(s.cases_improved, "case", "cases"), s.unchanged);
  if (s.too_few_repetitions > 0)
    out += fmt::format(", {} not enough repetitions to judge ({})", s.too_few_repetitions,
                       plural(s.cases_too_few, "case", "cases"));
  if (s.not_compared > 0) out += fmt::format(", {} not compared", s.not_compared);
  out += fmt::format(" in {} compared; {} only in base, {} only in new",
                     plural(s.cases_compared, "case", "cases"), s.only_in_base, s.only_in_new);
  std::size_t failed_in_new = 0;
  for (const auto& result : comparison.cases)
    if (result.status == CaseStatus::failed_in_new) ++failed_in_new;
  if (failed_in_new > 0)
    out += fmt::format("; {} failing only in new", plural(failed_in_new, "case", "cases"));
  if (comparison.confirmation)
    out += fmt::format("; a second run confirmed {} of the {}", comparison.confirmation->confirmed.size(),
                       plural(s.cases_regressed, "regressed case", "regressed cases"));
  return out;
}

std::string confirmation_line(const Comparison& comparison) {
  if (!comparison.confirmation) return {};
  const auto& confirmation = *comparison.confirmation;
  auto names = [](const std::vector<std::string>& list) { return fmt::format("{}", fmt::join(list, ", ")); };
  std::string out = fmt::format("a second run of {} ({}) confirmed {}",
                                plural(confirmation.rerun.size(), "case", "cases"), confirmation.command,
                                plural(confirmation.confirmed.size(), "regressed case", "regressed cases"));
  if (!confirmation.confirmed.empty()) out += ": " + names(confirmation.confirmed);
  if (!confirmation.not_confirmed.empty())
    out += fmt::format("; did not confirm {} (noise in the first run): {}", confirmation.not_confirmed.size(),
                       names(confirmation.not_confirmed));
  return out;
}

std::string confirmation_mark(const Comparison& comparison, const std::string& case_name) {
  if (!comparison.confirmation) return {};
  const auto& confirmed = comparison.confirmation->confirmed;
  return std::find(confirmed.begin(), confirmed.end(), case_name) != confirmed.end()
             ? " (confirmed by the second run)"
             : " (not confirmed by the second run: noise)";
}

std::string regressed_title(const Comparison& comparison, std::size_t regressed) {
  if (!comparison.confirmation) return fmt::format("Regressed cases ({})", regressed);
  return fmt::format("Regressed cases ({}; {} confirmed by a second run)", regressed,
                     comparison.confirmation->confirmed.size());
}

std::string threshold_only_note(const CaseComparison& result, const Options& options, std::size_t tests) {
  for (const auto& metric : result.metrics)
    if (metric.decision == Decision::threshold_only && metric.verdict != Verdict::unchanged)
      return too_few_note(metric.base_count, metric.new_count, options, tests);
  return {};
}

std::string too_few_note(std::size_t base_count, std::size_t new_count, const Options& options,
                         std::size_t tests) {
  const double smallest = metrics::smallest_p_value(base_count, new_count);
  // Enough for one test, not for Holm over the comparison's family: say so, and how many would do.
  const std::string reason =
      options.adjustment == Adjustment::holm && tests > 1 && smallest < options.alpha
          ? fmt::format(
                "{} vs {} repetitions cannot give p < {:g} / {} (Holm over the comparison's {} U "
                "tests; {} or more per side can)",
                base_count, new_count, options.alpha, tests, tests,
                repetitions_for_family(tests, options.alpha))
          : fmt::format("{} vs {} repetitions cannot give p < {:g}", base_count, new_count, options.alpha);
  return options.strict
             ? fmt::format("U test not used: {}; decided on the {:g}% minimum effect alone (--strict)",
                           reason, options.min_effect * 100)
             : fmt::format(
                   "not enough repetitions to judge: {}, so a change beyond the {:g}% minimum "
                   "effect is not judged (more repetitions, or --strict to decide on the minimum "
                   "effect alone)",
                   reason, options.min_effect * 100);
}

}  // namespace poolbench::compare
