// LatencyHistogram — log-bucketed counts of latencies in nanoseconds, in HdrHistogram's layout.
//
// Values below 256 ns have a bucket each (exact). Above, every power of two [2^k, 2^(k+1)) is split into 128
// linear sub-buckets, so a bucket is at most 1/128 of its lower edge wide. A percentile is reported as the
// midpoint of the bucket that holds it, clamped to the exact minimum and maximum, so it is within 1/256
// (0.39%) of the true sample value at that rank: the stated bound `relative_error` is 1%. Memory is fixed
// (4352 counters, 34 KiB) whatever the number of samples, unlike a vector of samples; values above 2^40 ns
// (18 minutes) are counted in the top bucket, and the maximum stays exact.
//
// Not thread-safe: each recording thread owns one (see latency_recorder.hpp); they are merged after the
// window.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>

namespace poolbench::probe {

class LatencyHistogram {
 public:
  static constexpr int sub_bucket_bits = 7;
  static constexpr std::uint64_t sub_bucket_count = std::uint64_t{1} << sub_bucket_bits;  // 128 per octave
  static constexpr std::uint64_t exact_limit = 2 * sub_bucket_count;                      // 0..255 exact
  static constexpr int max_value_bits = 40;
  static constexpr std::uint64_t max_trackable_value = (std::uint64_t{1} << max_value_bits) - 1;
  static constexpr std::size_t bucket_count =
      exact_limit + static_cast<std::size_t>(max_value_bits - sub_bucket_bits - 1) * sub_bucket_count;
  // What a percentile may differ from the sample value at its rank, relative to that value (the design gives
  // 1/256; 1% is the promise).
  static constexpr double relative_error = 0.01;

  void record(std::uint64_t value) noexcept {
    ++counts_[bucket_index(value)];
    ++count_;
    sum_ += value;
    min_ = std::min(min_, value);
    max_ = std::max(max_, value);
  }

  void merge(const LatencyHistogram& other) noexcept;
  void reset() noexcept;

  std::uint64_t count() const noexcept { return count_; }
  std::uint64_t min() const noexcept { return count_ == 0 ? 0 : min_; }
  std::uint64_t max() const noexcept { return max_; }
  double mean() const noexcept {
    return count_ == 0 ? 0.0 : static_cast<double>(sum_) / static_cast<double>(count_);
  }

  // The value at `quantile` (0..1) by nearest rank: the smallest recorded value v such that at least
  // ceil(quantile * count) values are <= v, to within relative_error. 0 when empty.
  std::uint64_t value_at_quantile(double quantile) const noexcept;

  static constexpr std::size_t bucket_index(std::uint64_t value) noexcept {
    if (value < exact_limit) return static_cast<std::size_t>(value);
    value = std::min(value, max_trackable_value);
    const int shift = std::bit_width(value) - 1 - sub_bucket_bits;  // >= 1 here
    return static_cast<std::size_t>(exact_limit + static_cast<std::uint64_t>(shift - 1) * sub_bucket_count +
                                    ((value >> shift) - sub_bucket_count));
  }
  static constexpr std::uint64_t bucket_lower_bound(std::size_t index) noexcept {
    if (index < exact_limit) return index;
    const std::uint64_t offset = index - exact_limit;
    const int shift = static_cast<int>(offset / sub_bucket_count) + 1;
    return (sub_bucket_count + offset % sub_bucket_count) << shift;
  }
  static constexpr std::uint64_t bucket_width(std::size_t index) noexcept {
    if (index < exact_limit) return 1;
    return std::uint64_t{1} << (static_cast<int>((index - exact_limit) / sub_bucket_count) + 1);
  }

 private:
  std::array<std::uint64_t, bucket_count> counts_{};
  std::uint64_t count_ = 0;
  std::uint64_t sum_ = 0;
  std::uint64_t min_ = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t max_ = 0;
};

static_assert(LatencyHistogram::bucket_index(LatencyHistogram::max_trackable_value) ==
              LatencyHistogram::bucket_count - 1);
static_assert(LatencyHistogram::bucket_index(256) == 256 && LatencyHistogram::bucket_lower_bound(256) == 256);

}  // namespace poolbench::probe
