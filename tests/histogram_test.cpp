// Truth tests of the latency histogram: p50, p99 and p999 within the stated relative error of the exact
// sample values at those ranks, on inputs whose answer is known (uniform, log-normal, two-point, single
// value), plus the bucket layout itself and merging.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "probe/histogram.hpp"

namespace poolbench::probe {
namespace {

// The exact nearest-rank quantile of `values`: the ceil(q * n)-th smallest.
std::uint64_t exact_quantile(std::vector<std::uint64_t> values, double quantile) {
  std::sort(values.begin(), values.end());
  const auto rank = std::max<std::size_t>(
      1, static_cast<std::size_t>(std::ceil(quantile * static_cast<double>(values.size()) - 1e-9)));
  return values[rank - 1];
}

void expect_quantiles_within_error(const std::vector<std::uint64_t>& values) {
  auto histogram = std::make_unique<LatencyHistogram>();
  for (auto value : values) histogram->record(value);
  ASSERT_EQ(histogram->count(), values.size());
  for (double quantile : {0.5, 0.99, 0.999}) {
    const double exact = static_cast<double>(exact_quantile(values, quantile));
    const double reported = static_cast<double>(histogram->value_at_quantile(quantile));
    EXPECT_LE(std::abs(reported - exact), LatencyHistogram::relative_error * exact)
        << "quantile " << quantile << ": reported " << reported << ", exact " << exact;
  }
  EXPECT_EQ(histogram->min(), *std::min_element(values.begin(), values.end()));
  EXPECT_EQ(histogram->max(), *std::max_element(values.begin(), values.end()));
}

TEST(Histogram, StatedErrorIsAtMostOnePercent) {
  EXPECT_LE(LatencyHistogram::relative_error, 0.01);
}

TEST(Histogram, EveryBucketIsNarrowerThanTwiceTheStatedErrorOfItsLowerEdge) {
  // A percentile is reported as its bucket's midpoint, so half a bucket relative to its lower edge bounds the
  // error.
  for (std::size_t i = 0; i < LatencyHistogram::bucket_count; ++i) {
    const auto lower = LatencyHistogram::bucket_lower_bound(i);
    const auto width = LatencyHistogram::bucket_width(i);
    if (width == 1) continue;  // exact
    EXPECT_LE(static_cast<double>(width) / 2, LatencyHistogram::relative_error * static_cast<double>(lower))
        << i;
    ASSERT_EQ(LatencyHistogram::bucket_index(lower), i);
    ASSERT_EQ(LatencyHistogram::bucket_index(lower + width - 1), i);
    if (i + 1 < LatencyHistogram::bucket_count) {
      ASSERT_EQ(LatencyHistogram::bucket_lower_bound(i + 1), lower + width);
    }
  }
}

TEST(Histogram, SmallValuesAreExact) {
  auto histogram = std::make_unique<LatencyHistogram>();
  for (std::uint64_t v = 0; v < 200; ++v) histogram->record(v);
  EXPECT_EQ(histogram->value_at_quantile(0.5), 99u);
  EXPECT_EQ(histogram->value_at_quantile(0.99), 197u);
  EXPECT_EQ(histogram->value_at_quantile(1.0), 199u);
}

TEST(Histogram, UniformInput) {
  std::mt19937_64 generator(42);
  std::uniform_int_distribution<std::uint64_t> uniform(1'000, 10'000'000);
  std::vector<std::uint64_t> values(200'000);
  for (auto& value : values) value = uniform(generator);
  expect_quantiles_within_error(values);
}

TEST(Histogram, LogNormalInput) {
  std::mt19937_64 generator(7);
  std::lognormal_distribution<double> lognormal(std::log(5e6), 0.6);  // median 5 ms in ns
  std::vector<std::uint64_t> values(200'000);
  for (auto& value : values) value = static_cast<std::uint64_t>(lognormal(generator));
  expect_quantiles_within_error(values);
}

TEST(Histogram, TwoPointInput) {
  // 99.5% at 1 us and 0.5% at 1 s: p50 and p99 are 1 us, p999 is 1 s.
  std::vector<std::uint64_t> values(100'000, 1'000);
  std::fill(values.begin(), values.begin() + 500, 1'000'000'000);
  std::shuffle(values.begin(), values.end(), std::mt19937_64(3));
  expect_quantiles_within_error(values);
  auto histogram = std::make_unique<LatencyHistogram>();
  for (auto value : values) histogram->record(value);
  EXPECT_NEAR(static_cast<double>(histogram->value_at_quantile(0.99)), 1'000.0, 10.0);
  EXPECT_NEAR(static_cast<double>(histogram->value_at_quantile(0.999)), 1e9, 1e7);
}

TEST(Histogram, SingleValueIsReportedExactly) {
  auto histogram = std::make_unique<LatencyHistogram>();
  for (int i = 0; i < 1000; ++i) histogram->record(123'456'789);
  for (double quantile : {0.0, 0.5, 0.99, 0.999, 1.0})
    EXPECT_EQ(histogram->value_at_quantile(quantile), 123'456'789u);
  EXPECT_EQ(histogram->max(), 123'456'789u);
  EXPECT_DOUBLE_EQ(histogram->mean(), 123'456'789.0);
}

TEST(Histogram, HugeValuesKeepAnExactMaximum) {
  auto histogram = std::make_unique<LatencyHistogram>();
  const std::uint64_t huge = std::uint64_t{1} << 50;
  histogram->record(10);
  histogram->record(huge);
  EXPECT_EQ(histogram->max(), huge);
  EXPECT_EQ(histogram->value_at_quantile(1.0), huge);
  EXPECT_EQ(histogram->value_at_quantile(0.5), 10u);
}

TEST(Histogram, MergingEqualsRecordingInOne) {
  std::mt19937_64 generator(11);
  std::lognormal_distribution<double> lognormal(std::log(2e4), 1.0);
  auto whole = std::make_unique<LatencyHistogram>();
  auto first = std::make_unique<LatencyHistogram>();
  auto second = std::make_unique<LatencyHistogram>();
  for (int i = 0; i < 50'000; ++i) {
    const auto value = static_cast<std::uint64_t>(lognormal(generator));
    whole->record(value);
    (i % 3 == 0 ? *first : *second).record(value);
  }
  first->merge(*second);
  EXPECT_EQ(first->count(), whole->count());
  EXPECT_EQ(first->min(), whole->min());
  EXPECT_EQ(first->max(), whole->max());
  for (double quantile : {0.5, 0.9, 0.99, 0.999})
    EXPECT_EQ(first->value_at_quantile(quantile), whole->value_at_quantile(quantile));
  first->reset();
  EXPECT_EQ(first->count(), 0u);
  EXPECT_EQ(first->value_at_quantile(0.5), 0u);
}

TEST(Histogram, EmptyReportsZero) {
  auto histogram = std::make_unique<LatencyHistogram>();
  EXPECT_EQ(histogram->value_at_quantile(0.99), 0u);
  EXPECT_EQ(histogram->min(), 0u);
  EXPECT_EQ(histogram->max(), 0u);
}

}  // namespace
}  // namespace poolbench::probe
