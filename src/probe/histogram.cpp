#include "probe/histogram.hpp"

#include <cmath>

namespace poolbench::probe {

void LatencyHistogram::merge(const LatencyHistogram& other) noexcept {
  if (other.count_ == 0) return;
  for (std::size_t i = 0; i < bucket_count; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

void LatencyHistogram::reset() noexcept {
  counts_.fill(0);
  count_ = 0;
  sum_ = 0;
  min_ = std::numeric_limits<std::uint64_t>::max();
  max_ = 0;
}

std::uint64_t LatencyHistogram::value_at_quantile(double quantile) const noexcept {
  if (count_ == 0) return 0;
  quantile = std::clamp(quantile, 0.0, 1.0);
  const auto rank = std::max<std::uint64_t>(
      1, static_cast<std::uint64_t>(std::ceil(quantile * static_cast<double>(count_) - 1e-9)));
  if (rank >= count_) return max_;  // the largest value is known exactly
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < bucket_count; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      if (i == bucket_count - 1) return max_;  // the top bucket also holds every value above its range
      const std::uint64_t midpoint = bucket_lower_bound(i) + bucket_width(i) / 2;
      return std::clamp(midpoint, min_, max_);
    }
  }
  return max_;
}

}  // namespace poolbench::probe
