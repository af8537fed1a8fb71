// compare output for a pull-request comment: the summary first, a table of what changed, and every comparison
// folded away in a <details> block.
#include <fmt/format.h>

#include "compare/compare.hpp"
#include "compare/format_common.hpp"
#include "format/markdown.hpp"

namespace poolbench::compare {
namespace {

using markdown::cell;
using markdown::code;

std::string marked(Verdict verdict) {
  switch (verdict) {
    case Verdict::regression:
      return ":red_circle: **regression**";
    case Verdict::improvement:
      return ":green_circle: improvement";
    case Verdict::unchanged:
      return "unchanged";
    case Verdict::not_compared:
      return "not compared";
  }
  return "?";
}

void table(std::string& out, const Comparison& comparison, bool changed_only) {
  out += "| Case | Metric | Base median | New median | Change | p-value | Verdict |\n";
  out += "|---|---|---:|---:|---:|---:|---|\n";
  for (const auto& result : comparison.cases) {
    if (result.status != CaseStatus::compared) {
      if (changed_only && result.status != CaseStatus::failed_in_new) continue;
      out += fmt::format("| {} | | | | | | {}: {} |\n", code(result.name),
                         result.status == CaseStatus::failed_in_new ? ":red_circle: **failed in new**"
                                                                    : to_string(result.status),
                         cell(result.error));
      continue;
    }
    for (const auto& metric : result.metrics) {
      if (changed_only && metric.verdict != Verdict::regression && metric.verdict != Verdict::improvement)
        continue;
      out +=
          fmt::format("| {} | {} | {} | {} | {} | {} | {} |\n", code(result.name), metric.metric,
                      value_or_dash(metric, true), value_or_dash(metric, false), format_change(metric.change),
                      format_p_value(metric.p_value), marked(metric.verdict));
    }
  }
}

}  // namespace

std::string format_markdown(const Comparison& comparison) {
  const Summary& s = comparison.summary;
  std::string out;
  out += fmt::format("### poolbench compare: {}\n\n",
                     s.regressions > 0 ? ":red_circle: regression" : ":white_check_mark: no regression");
  out += fmt::format("**Summary:** {}\n\n", summary_line(comparison));
  out += fmt::format("Base {}, new {}. Rules: {}.\n\n", code(comparison.base_path), code(comparison.new_path),
                     rules_in_words(comparison.options));
  if (s.regressions + s.improvements > 0) {
    out += "#### Changes\n\n";
    table(out, comparison, true);
    out += '\n';
  }
  if (s.threshold_only > 0)
    out += fmt::format(
        "> {} comparison(s) had too few repetitions for the U test and were decided on the minimum effect "
        "alone.\n\n",
        s.threshold_only);
  if (!comparison.only_in_base.empty() || !comparison.only_in_new.empty()) {
    out += "#### Cases in one file only\n\n";
    for (const auto& name : comparison.only_in_base) out += fmt::format("- only in base: {}\n", code(name));
    for (const auto& name : comparison.only_in_new) out += fmt::format("- only in new: {}\n", code(name));
    out += '\n';
  }
  out += fmt::format("<details><summary>All comparisons ({} cases)</summary>\n\n", comparison.cases.size());
  table(out, comparison, false);
  out += "\n</details>\n";
  return out;
}

}  // namespace poolbench::compare
