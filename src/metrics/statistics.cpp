// Statistics: Google Benchmark's aggregates, the spread, and the Mann-Whitney U test as scipy computes it.
#include "metrics/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>

namespace poolbench::metrics {

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t middle = values.size() / 2;
  return values.size() % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
}

double mean(const std::vector<double>& values) {
  if (values.empty()) return 0;
  return std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
}

double stddev(const std::vector<double>& values) {
  if (values.size() < 2) return 0;
  const double average = mean(values);
  double sum_of_squares = 0;
  for (double value : values) sum_of_squares += (value - average) * (value - average);
  return std::sqrt(sum_of_squares / static_cast<double>(values.size() - 1));
}

double cv(const std::vector<double>& values) {
  const double average = mean(values);
  return average == 0 ? 0 : stddev(values) / average;
}

double range(const std::vector<double>& values) {
  if (values.empty()) return 0;
  const auto [low, high] = std::minmax_element(values.begin(), values.end());
  return *high - *low;
}

std::optional<Spread> spread_of(std::vector<double> values) {
  if (values.empty()) return std::nullopt;
  const auto [low, high] = std::minmax_element(values.begin(), values.end());
  Spread out{.median = 0, .min = *low, .max = *high, .samples = values.size()};
  out.median = median(std::move(values));
  return out;
}

namespace {

// Number of arrangements of m values of one sample among n of the other for each U = 0..m*n: the coefficients
// of the Gaussian binomial [m+n choose m]_q, built as prod_{i=1..m} (1 - q^(n+i)) / (1 - q^i). After step i
// the polynomial is [n+i choose i]_q, whose coefficients are non-negative, so the division stays exact.
std::vector<double> u_distribution(std::size_t m, std::size_t n) {
  std::vector<double> counts(m * n + 1, 0.0);
  counts[0] = 1;
  std::size_t degree = 0;
  for (std::size_t i = 1; i <= m; ++i) {
    const std::size_t shift = n + i;
    const std::size_t new_degree = degree + n;  // degree of [n+i choose i]_q is i*n
    // Multiply by (1 - q^shift), highest coefficient first so each reads the old value.
    for (std::size_t k = std::min(new_degree + i, m * n); k >= shift; --k) counts[k] -= counts[k - shift];
    // Divide by (1 - q^i): c[k] += c[k - i].
    for (std::size_t k = i; k <= new_degree; ++k) counts[k] += counts[k - i];
    // What the product left above the quotient's degree is not part of it.
    for (std::size_t k = new_degree + 1; k <= std::min(new_degree + i, m * n); ++k) counts[k] = 0;
    degree = new_degree;
  }
  return counts;
}

double normal_survival(double z) {
  return 0.5 * std::erfc(z / std::sqrt(2.0));
}

}  // namespace

MannWhitney mann_whitney_u(const std::vector<double>& x, const std::vector<double>& y) {
  const std::size_t n1 = x.size();
  const std::size_t n2 = y.size();
  MannWhitney result;
  if (n1 == 0 || n2 == 0) return result;

  // Average ranks over the pooled sample (ties share the mean of their ranks), as scipy.stats.rankdata.
  std::vector<std::pair<double, bool>> pooled;  // value, from x
  pooled.reserve(n1 + n2);
  for (double v : x) pooled.emplace_back(v, true);
  for (double v : y) pooled.emplace_back(v, false);
  std::sort(pooled.begin(), pooled.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  double rank_sum_x = 0;
  double tie_term = 0;  // sum of t^3 - t over groups of t tied values
  bool ties = false;
  for (std::size_t begin = 0; begin < pooled.size();) {
    std::size_t end = begin + 1;
    while (end < pooled.size() && pooled[end].first == pooled[begin].first) ++end;
    const double t = static_cast<double>(end - begin);
    const double average_rank = (static_cast<double>(begin + 1) + static_cast<double>(end)) / 2;
    for (std::size_t k = begin; k < end; ++k)
      if (pooled[k].second) rank_sum_x += average_rank;
    if (end - begin > 1) {
      ties = true;
      tie_term += t * t * t - t;
    }
    begin = end;
  }

  const double m1 = static_cast<double>(n1);
  const double m2 = static_cast<double>(n2);
  const double u1 = rank_sum_x - m1 * (m1 + 1) / 2;
  const double u2 = m1 * m2 - u1;
  const double u = std::max(u1, u2);
  result.u = u1;

  const bool exact = !(n1 > 8 && n2 > 8) && !ties;
  double p = 1;
  if (exact) {
    const std::vector<double> counts = u_distribution(std::min(n1, n2), std::max(n1, n2));
    const auto from = static_cast<std::size_t>(std::llround(u));
    double total = 0;
    double at_or_above = 0;
    for (std::size_t k = 0; k < counts.size(); ++k) {
      total += counts[k];
      if (k >= from) at_or_above += counts[k];
    }
    p = 2 * at_or_above / total;
  } else {
    const double n = m1 + m2;
    const double s = std::sqrt(m1 * m2 / 12 * ((n + 1) - tie_term / (n * (n - 1))));
    const double numerator = u - m1 * m2 / 2 - 0.5;  // continuity correction
    // All values tied: s is 0 and scipy's z is -inf, so p clips to 1.
    p = s > 0 ? 2 * normal_survival(numerator / s) : 1;
  }
  result.p_value = std::clamp(p, 0.0, 1.0);
  result.exact = exact;
  return result;
}

double smallest_p_value(std::size_t n1, std::size_t n2) {
  if (n1 == 0 || n2 == 0) return 1;
  // C(n1 + n2, k) for k = min(n1, n2), built up as C(m + i, i); exact in doubles for the sizes that matter
  // here.
  const std::size_t k = std::min(n1, n2);
  const std::size_t m = std::max(n1, n2);
  double choose = 1;
  for (std::size_t i = 1; i <= k; ++i) choose = choose * static_cast<double>(m + i) / static_cast<double>(i);
  return std::min(1.0, 2 / choose);
}

}  // namespace poolbench::metrics
