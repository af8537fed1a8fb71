// compare output for a pull-request comment: the summary first (counts, then the regressed cases), the
// changes, and every comparison folded away in a <details> block. With `summary`, the whole comment stays
// within markdown_summary_limit characters for any matrix: rows that do not fit are counted, not shown.
#include <fmt/format.h>

#include "compare/compare.hpp"
#include "compare/format_common.hpp"
#include "format/markdown.hpp"

namespace poolbench::compare {
namespace {

using markdown::cell;
using markdown::code;

// Room kept for what follows the last row that fits: the notes that count what was left out, the closing
// tags and the headings of later sections (each far shorter than this).
constexpr std::size_t tail_reserve = 2000;

std::string marked(const MetricComparison& metric) {
  if (metric.decision == Decision::same_as_time && metric.verdict != Verdict::not_compared)
    return "(judged as time)";
  switch (metric.verdict) {
    case Verdict::regression:
      return ":red_circle: **regression**";
    case Verdict::improvement:
      return ":green_circle: improvement";
    case Verdict::unchanged:
      return "unchanged";
    case Verdict::not_compared:
      return "not compared";
    case Verdict::too_few_repetitions:
      return "not enough repetitions to judge";
  }
  return "?";
}

const char* const table_head =
    "| Case | Metric | Base median | New median | Change | p-value | Verdict |\n"
    "|---|---|---:|---:|---:|---:|---|\n";

std::string metric_row(const CaseComparison& result, const MetricComparison& metric) {
  return fmt::format("| {} | {} | {} | {} | {} | {} | {} |\n", code(result.name), metric.metric,
                     value_or_dash(metric, true), value_or_dash(metric, false), format_change(metric.change),
                     format_p_value(metric.p_value), marked(metric));
}

std::string failed_row(const CaseComparison& result) {
  return fmt::format("| {} | | | | | | {}: {} |\n", code(result.name),
                     result.status == CaseStatus::failed_in_new ? ":red_circle: **failed in new**"
                                                                : to_string(result.status),
                     cell(result.error));
}

// The rows of every case whose metrics match `wanted` (throughput rows follow their time row, shown where
// time is); failed cases where `failed` says so.
template <typename Wanted, typename Failed>
std::vector<std::string> rows(const Comparison& comparison, Wanted wanted, Failed failed) {
  std::vector<std::string> out;
  for (const auto& result : comparison.cases) {
    if (result.status != CaseStatus::compared) {
      if (failed(result)) out.push_back(failed_row(result));
      continue;
    }
    const MetricComparison* time = nullptr;
    for (const auto& metric : result.metrics)
      if (metric.metric == metrics::name::time) time = &metric;
    for (const auto& metric : result.metrics) {
      const MetricComparison& judged = metric.decision == Decision::same_as_time && time ? *time : metric;
      if (wanted(judged)) out.push_back(metric_row(result, metric));
    }
  }
  return out;
}

// Appends to a document that must stay within `limit` (0: no limit).
class Bounded {
 public:
  Bounded(std::string& out, std::size_t limit) : out_(out), limit_(limit) {}

  bool fits(std::size_t size) const { return limit_ == 0 || out_.size() + size + tail_reserve <= limit_; }

  // `heading` and `rows` (under `head`), as many rows as fit; a line counting those that do not.
  void section(const std::string& heading, const std::string& head, const std::vector<std::string>& lines,
               const char* closing = "\n") {
    if (lines.empty()) return;
    if (!fits(heading.size() + head.size())) {
      omitted_ += lines.size();
      return;
    }
    out_ += heading;
    out_ += head;
    std::size_t shown = 0;
    for (const auto& line : lines) {
      if (!fits(line.size())) break;
      out_ += line;
      ++shown;
    }
    if (shown < lines.size()) {
      out_ += fmt::format(
          "\n*… and {} more not shown, to keep this comment under {} characters "
          "(`poolbench compare` without `--summary` lists every one).*\n",
          lines.size() - shown, limit_);
      omitted_ += lines.size() - shown;
    }
    out_ += closing;
  }

  std::size_t omitted() const { return omitted_; }

 private:
  std::string& out_;
  std::size_t limit_;
  std::size_t omitted_ = 0;
};

}  // namespace

std::string format_markdown(const Comparison& comparison, bool summary) {
  const Summary& s = comparison.summary;
  std::string out;
  std::string verdict = ":white_check_mark: no regression";
  if (!comparison.gate_failure.empty())
    verdict = ":red_circle: failed";
  else if (comparison.confirmation)
    verdict = comparison.confirmation->confirmed.empty()
                  ? ":white_check_mark: no regression confirmed by a second run"
                  : ":red_circle: regression, confirmed by a second run";
  else if (s.regressions > 0)
    verdict = ":red_circle: regression";
  out += fmt::format("### poolbench compare: {}\n\n", verdict);
  out += fmt::format("**Summary:** {}\n\n", summary_line(comparison));
  if (!comparison.gate_failure.empty())
    out += fmt::format("**Failed:** {}\n\n", cell(comparison.gate_failure));
  if (comparison.confirmation)
    out += fmt::format("**Confirmation:** {}\n\n", cell(confirmation_line(comparison)));
  for (const auto& note : completeness_notes(comparison)) out += fmt::format("> {}\n\n", cell(note));
  Bounded bounded(out, summary ? markdown_summary_limit : 0);

  std::vector<std::string> regressed;
  for (const auto& result : comparison.cases)
    if (result.regressed())
      regressed.push_back(fmt::format("- {}: {}{}\n", code(result.name),
                                      cell(changed_metrics(result, Verdict::regression)),
                                      confirmation_mark(comparison, result.name)));
  bounded.section(fmt::format("**{}:**\n\n", regressed_title(comparison, regressed.size())), "", regressed);

  out += fmt::format("Base {}, new {}. Rules: {}.\n\n", code(comparison.base_path), code(comparison.new_path),
                     rules_in_words(comparison.options));
  if (s.cases_too_few > 0) {
    const MetricComparison* example = nullptr;
    for (const auto& result : comparison.cases)
      for (const auto& metric : result.metrics)
        if (example == nullptr && metric.verdict == Verdict::too_few_repetitions) example = &metric;
    out += fmt::format(
        "> {} comparison(s) in {} case(s) changed by more than the minimum effect but were not "
        "judged: {}.\n\n",
        s.too_few_repetitions, s.cases_too_few,
        too_few_note(example->base_count, example->new_count, comparison.options, comparison.summary.tests));
  } else if (s.threshold_only > 0 && comparison.options.strict) {
    out += fmt::format(
        "> {} comparison(s) had too few repetitions for the U test and were decided on the minimum effect "
        "alone (--strict).\n\n",
        s.threshold_only);
  }

  auto is = [](Verdict verdict) {
    return [verdict](const MetricComparison& m) { return m.verdict == verdict; };
  };
  bounded.section("#### Regressions\n\n", table_head,
                  rows(comparison, is(Verdict::regression),
                       [](const CaseComparison& r) { return r.status == CaseStatus::failed_in_new; }));
  bounded.section("#### Improvements\n\n", table_head,
                  rows(comparison, is(Verdict::improvement), [](const CaseComparison&) { return false; }));
  if (!summary)
    bounded.section(
        "#### Not enough repetitions to judge\n\n", table_head,
        rows(comparison, is(Verdict::too_few_repetitions), [](const CaseComparison&) { return false; }));

  std::vector<std::string> one_file_only;
  for (const auto& name : comparison.only_in_base)
    one_file_only.push_back(fmt::format("- only in base: {}\n", code(name)));
  for (const auto& name : comparison.only_in_new)
    one_file_only.push_back(fmt::format("- only in new: {}\n", code(name)));
  bounded.section(fmt::format("<details><summary>Cases in one file only ({} only in base, {} only in new)"
                              "</summary>\n\n",
                              comparison.only_in_base.size(), comparison.only_in_new.size()),
                  "", one_file_only, "\n</details>\n\n");

  if (summary) {
    // Everything that did not change, folded away (as many rows as fit).
    bounded.section("<details><summary>Unchanged, not judged and not compared</summary>\n\n", table_head,
                    rows(
                        comparison,
                        [](const MetricComparison& m) {
                          return m.verdict != Verdict::regression && m.verdict != Verdict::improvement;
                        },
                        [](const CaseComparison& r) { return r.status != CaseStatus::failed_in_new; }),
                    "\n</details>\n");
    if (bounded.omitted() > 0)
      out += fmt::format("\n{} row(s) left out in all to fit a pull-request comment.\n", bounded.omitted());
  } else {
    bounded.section(
        fmt::format("<details><summary>All comparisons ({} cases)</summary>\n\n", comparison.cases.size()),
        table_head,
        rows(
            comparison, [](const MetricComparison&) { return true; },
            [](const CaseComparison&) { return true; }),
        "\n</details>\n");
  }
  return out;
}

}  // namespace poolbench::compare
