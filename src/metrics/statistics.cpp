// Statistics: Google Benchmark's aggregates, the spread, the Mann-Whitney U test as scipy computes it, and
// the paired tests of `ab` (Wilcoxon signed-rank and its Hodges-Lehmann interval, the sign test and its
// interval of the median, Holm, Benjamini-Hochberg).
#include "metrics/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
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
  if (n1 > 8 && n2 > 8) {
    // mann_whitney_u's normal approximation at U = 0 (no ties), continuity-corrected: larger than the exact
    // 2 / C(n1 + n2, n1) (9 against 9: 0.00041, where 8 against 8 gives 0.00016).
    const double product = static_cast<double>(n1) * static_cast<double>(n2);
    const double spread = std::sqrt(product * (static_cast<double>(n1 + n2) + 1) / 12);
    return std::min(1.0, 2 * normal_survival((product / 2 - 0.5) / spread));
  }
  // C(n1 + n2, k) for k = min(n1, n2), built up as C(m + i, i); exact in doubles for the sizes that matter
  // here.
  const std::size_t k = std::min(n1, n2);
  const std::size_t m = std::max(n1, n2);
  double choose = 1;
  for (std::size_t i = 1; i <= k; ++i) choose = choose * static_cast<double>(m + i) / static_cast<double>(i);
  return std::min(1.0, 2 / choose);
}

namespace {

constexpr std::size_t largest_exact_signed_rank = 50;

// Number of subsets of the ranks 1..n with each sum 0..n(n+1)/2: the exact null distribution of R+ (each
// rank's sign equally likely). Counts reach 2^50, exact in doubles.
std::vector<double> signed_rank_distribution(std::size_t n) {
  const std::size_t largest = n * (n + 1) / 2;
  std::vector<double> counts(largest + 1, 0.0);
  counts[0] = 1;
  std::size_t reach = 0;
  for (std::size_t rank = 1; rank <= n; ++rank) {
    reach += rank;
    for (std::size_t sum = reach; sum >= rank; --sum) counts[sum] += counts[sum - rank];
  }
  return counts;
}

// P(R+ <= t) under the null, from the counts above.
double signed_rank_cdf(const std::vector<double>& counts, std::size_t t, std::size_t n) {
  double at_or_below = 0;
  for (std::size_t k = 0; k <= t && k < counts.size(); ++k) at_or_below += counts[k];
  return at_or_below / std::ldexp(1.0, static_cast<int>(n));
}

// The standard normal quantile, by bisection on erfc (no library has it; accuracy far beyond what a
// confidence level needs).
double normal_quantile(double probability) {
  double low = -40;
  double high = 40;
  for (int step = 0; step < 200; ++step) {
    const double middle = (low + high) / 2;
    if (1 - normal_survival(middle) < probability)
      low = middle;
    else
      high = middle;
  }
  return (low + high) / 2;
}

}  // namespace

SignedRank wilcoxon_signed_rank(const std::vector<double>& differences) {
  std::vector<double> magnitudes;
  std::vector<bool> positive;
  for (double d : differences)
    if (d != 0) {
      magnitudes.push_back(std::abs(d));
      positive.push_back(d > 0);
    }
  SignedRank result;
  const std::size_t n = magnitudes.size();
  result.used = n;
  if (n == 0) return result;
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return magnitudes[a] < magnitudes[b]; });
  double plus = 0;
  double minus = 0;
  double tie_term = 0;
  bool ties = false;
  for (std::size_t begin = 0; begin < n;) {
    std::size_t end = begin + 1;
    while (end < n && magnitudes[order[end]] == magnitudes[order[begin]]) ++end;
    const double t = static_cast<double>(end - begin);
    const double average_rank = (static_cast<double>(begin + 1) + static_cast<double>(end)) / 2;
    for (std::size_t k = begin; k < end; ++k) (positive[order[k]] ? plus : minus) += average_rank;
    if (end - begin > 1) {
      ties = true;
      tie_term += t * t * t - t;
    }
    begin = end;
  }
  result.statistic = std::min(plus, minus);
  const double m = static_cast<double>(n);
  if (n <= largest_exact_signed_rank && !ties) {
    const auto counts = signed_rank_distribution(n);
    result.p_value =
        std::min(1.0, 2 * signed_rank_cdf(counts, static_cast<std::size_t>(result.statistic), n));
    result.exact = true;
  } else {
    const double centre = m * (m + 1) / 4;
    const double variance = m * (m + 1) * (2 * m + 1) / 24 - tie_term / 48;
    result.p_value =
        variance > 0
            ? std::min(1.0, 2 * normal_survival(std::abs(result.statistic - centre) / std::sqrt(variance)))
            : 1.0;
  }
  return result;
}

ShiftInterval hodges_lehmann_interval(const std::vector<double>& differences, double confidence) {
  ShiftInterval result;
  const std::size_t n = differences.size();
  if (n == 0) return result;
  std::vector<double> walsh;
  walsh.reserve(n * (n + 1) / 2);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = i; j < n; ++j) walsh.push_back((differences[i] + differences[j]) / 2);
  std::sort(walsh.begin(), walsh.end());
  result.estimate = median(walsh);
  const double tail = (1 - confidence) / 2;
  // c: the number of Walsh averages cut from each end, the largest with P(R+ <= c - 1) <= tail.
  std::size_t cut = 0;
  if (n <= largest_exact_signed_rank) {
    const auto counts = signed_rank_distribution(n);
    double cumulative = 0;
    const double total = std::ldexp(1.0, static_cast<int>(n));
    while (cut < counts.size() && (cumulative + counts[cut]) / total <= tail) cumulative += counts[cut++];
  } else {
    const double m = static_cast<double>(n);
    const double spread = std::sqrt(m * (m + 1) * (2 * m + 1) / 24);
    const double c = m * (m + 1) / 4 + normal_quantile(tail) * spread;
    cut = c > 0 ? static_cast<std::size_t>(std::floor(c)) : 0;
  }
  if (cut == 0 || 2 * cut > walsh.size()) {
    result.low = -std::numeric_limits<double>::infinity();
    result.high = std::numeric_limits<double>::infinity();
    return result;
  }
  result.low = walsh[cut - 1];
  result.high = walsh[walsh.size() - cut];
  result.bounded = true;
  return result;
}

namespace {
// P(Binomial(n, 1/2) <= k), summed from the log of each term (n reaches thousands with many rounds; 2^n does
// not fit in a double beyond 1023).
double binomial_half_cdf(std::size_t k, std::size_t n) {
  const double log_half_n = static_cast<double>(n) * std::log(0.5);
  const double log_n_factorial = std::lgamma(static_cast<double>(n) + 1);
  double sum = 0;
  for (std::size_t i = 0; i <= k && i <= n; ++i)
    sum += std::exp(log_n_factorial - std::lgamma(static_cast<double>(i) + 1) -
                    std::lgamma(static_cast<double>(n - i) + 1) + log_half_n);
  return std::min(1.0, sum);
}
}  // namespace

SignTest sign_test(const std::vector<double>& differences) {
  SignTest result;
  for (double d : differences) {
    if (d == 0) continue;
    ++result.used;
    if (d > 0) ++result.positive;
  }
  if (result.used == 0) return result;
  // Binomial(n, 1/2) is symmetric, so scipy's "outcomes no more likely than the observed one" is both tails
  // at least as far from n/2: twice the smaller tail.
  const std::size_t smaller = std::min(result.positive, result.used - result.positive);
  result.p_value = std::min(1.0, 2 * binomial_half_cdf(smaller, result.used));
  return result;
}

ShiftInterval median_interval(const std::vector<double>& values, double confidence) {
  ShiftInterval result;
  const std::size_t n = values.size();
  if (n == 0) return result;
  std::vector<double> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  result.estimate = median(sorted);
  const double tail = (1 - confidence) / 2;
  std::size_t k = 0;  // the interval is [x(k), x(n + 1 - k)], 1-based
  while (k + 1 <= n / 2 && binomial_half_cdf(k, n) <= tail) ++k;
  if (k == 0) {
    result.low = -std::numeric_limits<double>::infinity();
    result.high = std::numeric_limits<double>::infinity();
    return result;
  }
  result.low = sorted[k - 1];
  result.high = sorted[n - k];
  result.bounded = true;
  return result;
}

namespace {
// The indices of `values` from the smallest value up (ties keep their order): the step order of Holm's and
// Benjamini-Hochberg's procedures.
std::vector<std::size_t> ascending_order(const std::vector<double>& values) {
  std::vector<std::size_t> order(values.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });
  return order;
}
}  // namespace

std::vector<double> holm_adjusted(const std::vector<double>& p_values) {
  const std::size_t m = p_values.size();
  const std::vector<std::size_t> order = ascending_order(p_values);
  std::vector<double> adjusted(m, 1.0);
  double running = 0;
  for (std::size_t k = 0; k < m; ++k) {
    running = std::max(running, std::min(1.0, static_cast<double>(m - k) * p_values[order[k]]));
    adjusted[order[k]] = running;
  }
  return adjusted;
}

std::vector<double> benjamini_hochberg_adjusted(const std::vector<double>& p_values) {
  const std::size_t m = p_values.size();
  const std::vector<std::size_t> order = ascending_order(p_values);
  std::vector<double> adjusted(m, 1.0);
  double running = 1;
  for (std::size_t k = m; k > 0; --k) {
    const std::size_t index = order[k - 1];
    running = std::min(running, p_values[index] * static_cast<double>(m) / static_cast<double>(k));
    adjusted[index] = std::min(1.0, running);
  }
  return adjusted;
}

double median_absolute_deviation(const std::vector<double>& values) {
  if (values.empty()) return 0;
  const double centre = median(values);
  std::vector<double> deviations;
  deviations.reserve(values.size());
  for (double value : values) deviations.push_back(std::abs(value - centre));
  return median(std::move(deviations));
}

}  // namespace poolbench::metrics
