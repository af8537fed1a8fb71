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

// The smallest two-sided p-value mann_whitney_u can give for samples of these sizes (complete separation):
// 2 / C(n1 + n2, n1) where it is exact, the normal approximation's at U = 0 where both have more than 8.
// When it is not below alpha, no outcome could be significant.
double smallest_p_value(std::size_t n1, std::size_t n2);

// ---- paired samples (`poolbench ab`: base and new measured side by side, round by round) ----

struct SignedRank {
  double statistic = 0;  // min(R+, R-), scipy's two-sided statistic
  double p_value = 1;    // two-sided
  bool exact = false;    // exact distribution, or the normal approximation
  std::size_t used = 0;  // differences left after dropping the zeros
};

// Two-sided Wilcoxon signed-rank test of "the differences are centred on 0", as scipy.stats.wilcoxon(d) with
// its defaults (zero_method "wilcox": zeros dropped; no continuity correction; method "auto": the exact
// distribution for at most 50 differences without ties, otherwise the normal approximation with the tie
// correction). No differences: p = 1.
SignedRank wilcoxon_signed_rank(const std::vector<double>& differences);

// The Hodges-Lehmann estimate of the centre of the differences (the median of the n(n+1)/2 Walsh averages
// (d_i + d_j) / 2, i <= j) and the confidence interval that inverts the signed-rank test: the shifts c for
// which the test of d - c does not reject at 1 - confidence (Hollander & Wolfe, Nonparametric Statistical
// Methods, 3.2). Exact order statistics of the Walsh averages for at most 50 differences, the normal
// approximation beyond. `bounded` is false when the differences are too few for any interval at this
// confidence (n = 5 at 95%: the smallest two-sided p is 1/16); low and high are then -inf and +inf.
struct ShiftInterval {
  double estimate = 0;
  double low = 0;
  double high = 0;
  bool bounded = false;
};
ShiftInterval hodges_lehmann_interval(const std::vector<double>& differences, double confidence);

// Two-sided sign test of "the differences are centred on 0" (their median is 0), as
// scipy.stats.binomtest(k, n, 0.5) with k the positive differences and n the non-zero ones (zeros dropped, as
// the signed-rank test drops them). It uses only the signs, so a few rounds with huge differences in either
// direction (a bimodal case: one side in its slow mode) weigh no more than any other round; the signed-rank
// test ranks them highest. No differences: p = 1.
struct SignTest {
  std::size_t positive = 0;
  std::size_t used = 0;  // differences left after dropping the zeros
  double p_value = 1;    // two-sided
};
SignTest sign_test(const std::vector<double>& differences);

// The distribution-free confidence interval of the median that inverts the sign test: the order statistics
// x(k) and x(n + 1 - k) of the n values, k the largest with P(Binomial(n, 1/2) <= k - 1) <= (1 - confidence)
// / 2 (Hollander & Wolfe, Nonparametric Statistical Methods, 3.6). The estimate is the median. `bounded` is
// false when the values are too few for any interval at this confidence (n = 5 at 95%: the smallest two-sided
// p is 1/16); low and high are then -inf and +inf.
ShiftInterval median_interval(const std::vector<double>& values, double confidence);

// Holm's step-down adjustment of p-values for a family of tests (each adjusted p is compared with alpha
// directly): controls the chance of any false rejection in the family at alpha, whatever the dependence.
std::vector<double> holm_adjusted(const std::vector<double>& p_values);

// Benjamini-Hochberg's step-up adjustment (each adjusted p is compared with alpha directly): controls the
// expected share of false rejections among the rejections at alpha; when no null hypothesis is false (an A/A
// comparison) that is the chance of any false rejection, as Holm's. Independent or positively dependent
// tests.
std::vector<double> benjamini_hochberg_adjusted(const std::vector<double>& p_values);

// Median absolute deviation from the median (unscaled); 0 for no values.
double median_absolute_deviation(const std::vector<double>& values);

}  // namespace poolbench::metrics
