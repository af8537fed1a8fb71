// Pieces the text, Markdown and JSON outputs of compare share.
#pragma once

#include <optional>
#include <string>

#include "compare/compare.hpp"

namespace poolbench::compare {

std::string format_p_value(const std::optional<double>& p_value);
std::string verdict_marker(Verdict verdict);  // REGRESSION, improved, same, n/a
std::string value_or_dash(const MetricComparison& metric, bool base);
std::string rules_in_words(const Options& options);
// The case-level note for metrics decided without the U test; empty when the test was used.
std::string threshold_only_note(const CaseComparison& result, const Options& options);

}  // namespace poolbench::compare
