// compare output for a terminal: the summary first (counts, then the regressed cases, then the cases not
// judged), one block per case with a row per metric, then the cases present in one file only.
#include <algorithm>

#include <fmt/format.h>

#include "compare/compare.hpp"
#include "compare/format_common.hpp"

namespace poolbench::compare {

std::string format_text(const Comparison& comparison, bool summary) {
  std::string out;
  out += fmt::format("poolbench compare: base {}  vs  new {}\n", comparison.base_path, comparison.new_path);
  out += fmt::format("rules: {}\n", rules_in_words(comparison.options));
  out += fmt::format("\nSummary: {}\n", summary_line(comparison));
  if (!comparison.gate_failure.empty()) out += fmt::format("FAIL: {}\n", comparison.gate_failure);
  if (comparison.confirmation) out += fmt::format("Confirmation: {}\n", confirmation_line(comparison));
  for (const auto& note : completeness_notes(comparison)) out += fmt::format("note: {}\n", note);
  for (const auto& [title, verdict] : {std::pair{"Regressed cases", Verdict::regression},
                                       std::pair{"Improved cases", Verdict::improvement}}) {
    std::vector<std::string> lines;
    for (const auto& result : comparison.cases)
      if (verdict == Verdict::regression ? result.regressed() : result.improved())
        lines.push_back(fmt::format(
            "  {}: {}{}\n", result.name, changed_metrics(result, verdict),
            verdict == Verdict::regression ? confirmation_mark(comparison, result.name) : std::string()));
    if (lines.empty()) continue;
    out += verdict == Verdict::regression ? regressed_title(comparison, lines.size()) + ":\n"
                                          : fmt::format("{} ({}):\n", title, lines.size());
    for (const auto& line : lines) out += line;
  }
  if (comparison.summary.cases_too_few > 0) {
    out += fmt::format("Not enough repetitions to judge ({} cases):\n", comparison.summary.cases_too_few);
    for (const auto& result : comparison.cases)
      if (auto changes = changed_metrics(result, Verdict::too_few_repetitions); !changes.empty())
        out += fmt::format("  {}: {}\n", result.name, changes);
  }
  if (summary) return out;

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
                      format_p_value(metric.p_value), verdict_marker(metric));
      if (!metric.note.empty() && metric.decision != Decision::threshold_only &&
          metric.decision != Decision::same_as_time)
        out += fmt::format("  ({})", metric.note);
      out += '\n';
    }
    if (!result.note.empty()) out += fmt::format("  note: {}\n", result.note);
    if (auto note = threshold_only_note(result, comparison.options, comparison.summary.tests); !note.empty())
      out += fmt::format("  note: {}\n", note);
  }

  auto list = [&](const char* title, const std::vector<std::string>& names) {
    out += fmt::format("\n{} ({}){}\n", title, names.size(), names.empty() ? "" : ":");
    for (const auto& name : names) out += fmt::format("  {}\n", name);
  };
  list("Only in base", comparison.only_in_base);
  list("Only in new", comparison.only_in_new);
  return out;
}

}  // namespace poolbench::compare
