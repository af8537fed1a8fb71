// The guide's adopt rule, applied to one table.
#include <optional>
#include <string>

#include <fmt/format.h>

#include "format/units.hpp"
#include "report/report_parts.hpp"

namespace poolbench::report {

// The guide's rule ("Senior Decision Process", and its verdicts): default to the semaphore group; adopt a
// pool only when the benchmark shows a measurable benefit — here: the fastest pool's median total time is at
// least `threshold` times lower than the baseline's, and beyond the run's spread (its slowest repetition is
// faster than the baseline's fastest).
Recommendation recommend(const WorkloadTable& table, double threshold) {
  Recommendation out;
  const std::string& baseline_label = table.baseline;
  const StrategyRow* baseline = table.find(baseline_label);
  const Spread* baseline_time = baseline ? baseline->find(table.compared_time) : nullptr;

  const StrategyRow* fastest = nullptr;
  for (const auto& row : table.rows) {
    if (!row.is_pool) continue;
    const Spread* time = row.find(table.compared_time);
    if (time == nullptr) continue;
    if (fastest == nullptr || time->median < fastest->find(table.compared_time)->median) fastest = &row;
  }
  if (fastest) out.fastest_pool = fastest->label;

  if (baseline_time == nullptr) {
    out.decision = Decision::cannot_decide;
    out.reason = fmt::format(
        "{} (the baseline) has no successful repetition in this configuration, so the rule "
        "cannot be applied",
        baseline_label);
    return out;
  }
  if (fastest == nullptr) {
    out.decision = Decision::cannot_decide;
    out.choice = baseline_label;
    out.reason = "no pool strategy has a successful repetition in this configuration";
    return out;
  }

  const Spread& pool_time = *fastest->find(table.compared_time);
  out.speedup = baseline_time->median / pool_time.median;
  out.fastest_pool_max_ns = pool_time.max;
  out.baseline_min_ns = baseline_time->min;
  const bool spread_known = pool_time.samples >= 2 && baseline_time->samples >= 2;
  if (spread_known) out.beyond_spread = pool_time.max < baseline_time->min;
  if (const StrategyRow* lower = table.find(lower_bound_strategy))
    if (const Spread* lower_time = lower->find(table.compared_time); lower_time && lower_time->median > 0)
      out.lower_bound_speedup = pool_time.median / lower_time->median;

  const std::string speedup_text = fmt::format(
      "{} is {} faster than {} (median {} against {}{})", fastest->label, format_ratio(*out.speedup),
      baseline_label, format_duration_ns(pool_time.median), format_duration_ns(baseline_time->median),
      table.compared_time == metric::setup_and_window_ns ? ", setup + window" : "");
  const std::string spread_text =
      !spread_known ? "the spread is unknown with a single repetition"
      : *out.beyond_spread
          ? fmt::format("beyond the spread (its slowest repetition, {}, beats {}'s fastest, {})",
                        format_duration_ns(pool_time.max), baseline_label,
                        format_duration_ns(baseline_time->min))
          : fmt::format("within the spread (its slowest repetition, {}, does not beat {}'s fastest, {})",
                        format_duration_ns(pool_time.max), baseline_label,
                        format_duration_ns(baseline_time->min));

  if (*out.speedup >= threshold && out.beyond_spread.value_or(false)) {
    out.decision = Decision::adopt_pool;
    out.choice = fastest->label;
    out.reason =
        fmt::format("{}, {}; at least the {} threshold", speedup_text, spread_text, format_ratio(threshold));
  } else if (*out.speedup <= 1.0) {
    out.decision = Decision::keep_default;
    out.choice = baseline_label;
    out.reason = fmt::format("no pool is faster than {}: the fastest, {}, takes {} of its time",
                             baseline_label, fastest->label, format_ratio(1.0 / *out.speedup));
  } else {
    out.decision = Decision::keep_default;
    out.choice = baseline_label;
    const bool enough = *out.speedup >= threshold;
    out.reason = fmt::format("{}, {}; {}", speedup_text, spread_text,
                             enough ? "not a measurable benefit until it is beyond the spread"
                                    : fmt::format("below the {} threshold", format_ratio(threshold)));
  }
  return out;
}

const char* to_string(Decision decision) {
  switch (decision) {
    case Decision::adopt_pool:
      return "adopt_pool";
    case Decision::keep_default:
      return "keep_default";
    case Decision::cannot_decide:
      return "cannot_decide";
  }
  return "unknown";
}

}  // namespace poolbench::report
