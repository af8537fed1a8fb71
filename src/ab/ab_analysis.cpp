#include "ab/ab_analysis.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace poolbench::ab {

std::string to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::regressed:
      return "regressed";
    case Verdict::improved:
      return "improved";
    case Verdict::same:
      return "same";
    case Verdict::undecided:
      return "undecided";
    case Verdict::failed:
      return "failed";
  }
  return "undecided";
}

std::string to_string(Options::Test test) {
  return test == Options::Test::sign ? "sign" : "signed-rank";
}

double CaseAnalysis::interval_half_width() const {
  if (!ratio_interval.bounded || ratio_median <= 0) return std::numeric_limits<double>::infinity();
  return (ratio_interval.high - ratio_interval.low) / 2 / ratio_median;
}

namespace {

// The MAD scaled to a normal's standard deviation (1.4826), and the usual 3-sigma cut.
constexpr double mad_to_sigma = 1.4826;
constexpr double outlier_sigmas = 3;

CaseAnalysis analyse_one(const CaseRecord& record, const Options& options) {
  CaseAnalysis out;
  out.name = record.name;
  std::vector<double> base, next, log_ratios, ratios;
  std::vector<std::size_t> rounds;
  for (const Pair& pair : record.pairs) {
    if (!pair.base_ns) {
      ++out.base_failures;
      if (out.failure.empty()) out.failure = "base: " + pair.base_failure;
    }
    if (!pair.new_ns) {
      ++out.new_failures;
      if (out.failure.empty()) out.failure = "new: " + pair.new_failure;
    }
    if (!pair.base_ns || !pair.new_ns || *pair.base_ns <= 0 || *pair.new_ns <= 0) continue;
    base.push_back(*pair.base_ns);
    next.push_back(*pair.new_ns);
    ratios.push_back(*pair.new_ns / *pair.base_ns);
    log_ratios.push_back(std::log(ratios.back()));
    rounds.push_back(pair.round);
  }
  out.rounds = ratios.size();
  if (out.rounds == 0) return out;
  out.base_median_ns = metrics::median(base);
  out.new_median_ns = metrics::median(next);
  out.ratio_median = metrics::median(ratios);
  const bool sign = options.test == Options::Test::sign;
  const metrics::ShiftInterval interval =
      sign ? metrics::median_interval(log_ratios, options.confidence)
           : metrics::hodges_lehmann_interval(log_ratios, options.confidence);
  out.ratio_interval = {
      .estimate = std::exp(interval.estimate),
      .low = interval.bounded ? std::exp(interval.low) : 0.0,
      .high = interval.bounded ? std::exp(interval.high) : std::numeric_limits<double>::infinity(),
      .bounded = interval.bounded};
  out.p_value =
      sign ? metrics::sign_test(log_ratios).p_value : metrics::wilcoxon_signed_rank(log_ratios).p_value;
  const double centre = metrics::median(log_ratios);
  const double sigma = mad_to_sigma * metrics::median_absolute_deviation(log_ratios);
  if (sigma > 0)
    for (std::size_t i = 0; i < log_ratios.size(); ++i)
      if (std::abs(log_ratios[i] - centre) > outlier_sigmas * sigma) out.outlier_rounds.push_back(rounds[i]);
  return out;
}

Verdict decide(const CaseAnalysis& c, double p, const Options& options) {
  if (c.base_failures > 0 || c.new_failures > 0) return Verdict::failed;
  if (c.rounds < 2) return Verdict::undecided;
  const double up = 1 + options.min_effect;
  const double down = 1 / up;
  const bool significant = p < options.alpha;
  if (significant && c.ratio_median >= up && c.ratio_interval.bounded && c.ratio_interval.low > 1)
    return Verdict::regressed;
  if (significant && c.ratio_median <= down && c.ratio_interval.bounded && c.ratio_interval.high < 1)
    return Verdict::improved;
  if (c.ratio_interval.bounded && c.ratio_interval.low >= down && c.ratio_interval.high <= up)
    return Verdict::same;
  if (significant && c.ratio_median < up && c.ratio_median > down) return Verdict::same;
  return Verdict::undecided;
}

}  // namespace

std::vector<CaseAnalysis> analyse(const std::vector<CaseRecord>& cases, const Options& options) {
  std::vector<CaseAnalysis> out;
  out.reserve(cases.size());
  for (const CaseRecord& record : cases) out.push_back(analyse_one(record, options));
  // The family: every case with paired rounds.
  std::vector<double> p_values;
  std::vector<std::size_t> members;
  for (std::size_t i = 0; i < out.size(); ++i)
    if (out[i].rounds > 0) {
      p_values.push_back(out[i].p_value);
      members.push_back(i);
    }
  const std::vector<double> adjusted = options.adjustment == Options::Adjustment::holm
                                           ? metrics::holm_adjusted(p_values)
                                           : metrics::benjamini_hochberg_adjusted(p_values);
  for (std::size_t k = 0; k < members.size(); ++k) out[members[k]].p_adjusted = adjusted[k];
  const double family = static_cast<double>(std::max<std::size_t>(members.size(), 1));
  for (CaseAnalysis& c : out) {
    c.verdict = decide(c, c.p_adjusted, options);
    if (!options.until_ci) continue;
    if (c.verdict == Verdict::failed) {
      c.settled = true;  // a failing case gains nothing from more rounds
      continue;
    }
    if (c.rounds < options.min_rounds) continue;
    // Certain whatever the other cases' p-values turn out to be and however many rounds were looked at:
    // Bonferroni over the family and the looks (see Options::until_ci).
    const double looks = static_cast<double>(options.early_stop_looks());
    const Verdict certain = decide(c, c.p_value * family * looks, options);
    if (certain == Verdict::regressed || certain == Verdict::improved)
      c.settled = true;
    else if (c.verdict == Verdict::same && c.interval_half_width() <= *options.until_ci)
      c.settled = true;
  }
  return out;
}

}  // namespace poolbench::ab
