// Pieces the text, Markdown and JSON outputs of compare share.
#pragma once

#include <optional>
#include <string>

#include "compare/compare.hpp"

namespace poolbench::compare {

// Where no test was made (no p-value, no value): a dash, never a number that looks like a result.
inline constexpr const char* no_test = "\u2014";

std::string format_p_value(const std::optional<double>& p_value);
std::string verdict_marker(Verdict verdict);  // REGRESSION, improved, same, n/a, not enough ...
// A row's verdict: throughput's reads "(judged as time)".
std::string verdict_marker(const MetricComparison& metric);
// "time +30.0% (p 0.0079), e2e_p99_ns +12.0% (p 0.0079)": the metrics of a case with this verdict (a case
// failing only in NEW, for regressions: why).
std::string changed_metrics(const CaseComparison& result, Verdict verdict);
std::string value_or_dash(const MetricComparison& metric, bool base);
std::string rules_in_words(const Options& options);
// The case-level note for metrics decided without the U test; empty when the test was used.
std::string threshold_only_note(const CaseComparison& result, const Options& options, std::size_t tests);
// "a second run of 3 cases (CMD) confirmed 1 regressed case: X; did not confirm 2 (noise): Y, Z"; empty when
// there was none.
std::string confirmation_line(const Comparison& comparison);
// For a regressed case's line where a second run judged it: " (confirmed by the second run)" or " (not
// confirmed by the second run: noise)"; empty without a confirmation.
std::string confirmation_mark(const Comparison& comparison, const std::string& case_name);
// "Regressed cases (8)", or with a confirmation "Regressed cases (8; 1 confirmed by a second run)".
std::string regressed_title(const Comparison& comparison, std::size_t regressed);
// `tests`: the U tests of the comparison (Summary::tests), the family Holm adjusts over.
std::string too_few_note(std::size_t base_count, std::size_t new_count, const Options& options,
                         std::size_t tests);

}  // namespace poolbench::compare
