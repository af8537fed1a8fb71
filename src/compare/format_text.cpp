// compare output for a terminal: one block per case, a row per metric, regressions in capitals, then the
// cases present in one file only and the summary line.
#include <algorithm>

#include <fmt/format.h>

#include "compare/compare.hpp"
#include "compare/format_common.hpp"

namespace poolbench::compare {

std::string format_text(const Comparison& comparison) {
  std::string out;
  out += fmt::format("poolbench compare: base {}  vs  new {}\n", comparison.base_path, comparison.new_path);
  out += fmt::format("rules: {}\n", rules_in_words(comparison.options));

  std::size_t metric_width = std::string("metric").size();
  for (const auto& result : comparison.cases)
    for (const auto& metric : result.metrics) metric_width = std::max(metric_width, metric.metric.size());

  for (const auto& result : comparison.cases) {
    out += '\n';
    if (result.status != CaseStatus::compared) {
      out += fmt::format(
          "{}  {}: {}\n", result.name,
          result.status == CaseStatus::failed_in_new ? "REGRESSION: FAILED IN NEW" : to_string(result.status),
          result.error);
      continue;
    }
    out += fmt::format("{}  ({} vs {} repetitions)\n", result.name, result.base_repetitions,
                       result.new_repetitions);
    out += fmt::format("  {:<{}}  {:>12}  {:>12}  {:>9}  {:>8}  {}\n", "metric", metric_width, "base median",
                       "new median", "change", "p-value", "verdict");
    for (const auto& metric : result.metrics) {
      out +=
          fmt::format("  {:<{}}  {:>12}  {:>12}  {:>9}  {:>8}  {}", metric.metric, metric_width,
                      value_or_dash(metric, true), value_or_dash(metric, false), format_change(metric.change),
                      format_p_value(metric.p_value), verdict_marker(metric.verdict));
      if (!metric.note.empty() && metric.decision != Decision::threshold_only)
        out += fmt::format("  ({})", metric.note);
      out += '\n';
    }
    if (!result.note.empty()) out += fmt::format("  note: {}\n", result.note);
    if (auto note = threshold_only_note(result, comparison.options); !note.empty())
      out += fmt::format("  note: {}\n", note);
  }

  auto list = [&](const char* title, const std::vector<std::string>& names) {
    out += fmt::format("\n{} ({}){}\n", title, names.size(), names.empty() ? "" : ":");
    for (const auto& name : names) out += fmt::format("  {}\n", name);
  };
  list("Only in base", comparison.only_in_base);
  list("Only in new", comparison.only_in_new);

  out += fmt::format("\nSummary: {}\n", summary_line(comparison));
  return out;
}

}  // namespace poolbench::compare
