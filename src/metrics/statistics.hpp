// Statistics over the repetitions of a case: the one place that computes a median, a mean, a spread or a
// significance test, so that the result file's aggregates, compare and report agree on every figure.
//
// Definitions follow Google Benchmark's (its aggregates are what other tools read from the file): the median
// of an even count is the mean of the two middle values, the standard deviation is the sample one (n - 1),
// and cv is stddev / mean. The U test is computed as scipy.stats.mannwhitneyu does, so that its p-values
// equal those of Google Benchmark's compare.py.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

namespace poolbench::metrics {

// 0 for no values (callers test for emptiness where it matters).
double median(std::vector<double> values);
double mean(const std::vector<double>& values);
double stddev(const std::vector<double>& values);  // 0 for fewer than two values
double cv(const std::vector<double>& values);      // 0 when the mean is 0
double range(const std::vector<double>& values);   // max - min; 0 for no values

// Median with the minimum and maximum: what a decision "beyond the spread" needs, which a mean and a stddev
// over three repetitions cannot say honestly.
struct Spread {
  double median = 0;
  double min = 0;
  double max = 0;
  std::size_t samples = 0;
};
std::optional<Spread> spread_of(std::vector<double> values);  // nullopt for no values

struct MannWhitney {
  double u = 0;        // U of the first sample (scipy's statistic)
  double p_value = 1;  // two-sided
  bool exact = false;  // exact distribution (small samples without ties) or normal approximation
};

// Two-sided Mann-Whitney U test as scipy.stats.mannwhitneyu(x, y, alternative="two-sided") with its defaults
// (method "auto": exact when either sample has at most 8 values and there are no ties; otherwise the normal
// approximation with tie correction and continuity correction). Both samples need at least one value.
MannWhitney mann_whitney_u(const std::vector<double>& x, const std::vector<double>& y);

// The smallest two-sided p-value the test can give for samples of these sizes (complete separation):
// 2 / C(n1 + n2, n1). When it is not below alpha, no outcome could be significant.
double smallest_p_value(std::size_t n1, std::size_t n2);

}  // namespace poolbench::metrics
