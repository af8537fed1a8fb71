// compare's verdicts: how one metric's change between two samples is judged, under the rule the metric
// catalogue gives it, and the summary of a whole comparison.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "compare/compare.hpp"
#include "compare/verdict.hpp"
#include "metrics/statistics.hpp"

namespace poolbench::compare {

std::vector<const metrics::Metric*> compared_metrics() {
  std::vector<const metrics::Metric*> out;
  for (const metrics::Metric& metric : metrics::catalogue())
    if (metric.rule != metrics::Rule::not_compared) out.push_back(&metric);
  return out;
}

const metrics::Metric* find_metric(const std::string& name) {
  const metrics::Metric* metric = metrics::find(name);
  return metric != nullptr && metric->rule != metrics::Rule::not_compared ? metric : nullptr;
}

Options ci_profile() {
  Options options;
  options.profile = "ci";
  options.normalize_to = "inline";
  options.min_effect = 1.0;
  options.exact_tolerance = 0;
  options.alloc_tolerance = 0.05;
  // A thread per task allocates glibc's thread bookkeeping again whenever its cache of stacks runs out, which
  // depends on how many threads are live at once, that is on the machine's load: raw_threads measured 1.08
  // allocations per task on a quiet machine and 1.87 with two busy loops beside it. Doubling is the line, as
  // for times; a pool that allocated nothing per task still fails on 0.05.
  options.alloc_growth = 1.0;
  options.min_time_ns = 10e6;
  // Three repetitions, as ./scripts/test runs, cannot reach alpha: a doubling decides, and a second run of
  // the regressed cases (--confirm-with) tells a real slowdown from a moment of load.
  options.strict = true;
  options.fail_on_missing = true;
  options.metrics = {metrics::name::time, metrics::name::allocs_per_task, metrics::name::threads_created};
  return options;
}

std::string to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::unchanged:
      return "unchanged";
    case Verdict::improvement:
      return "improvement";
    case Verdict::regression:
      return "regression";
    case Verdict::not_compared:
      return "not compared";
    case Verdict::too_few_repetitions:
      return "not enough repetitions to judge";
  }
  return "?";
}

std::string to_string(Adjustment adjustment) {
  switch (adjustment) {
    case Adjustment::holm:
      return "holm";
    case Adjustment::benjamini_hochberg:
      return "bh";
    case Adjustment::none:
      return "none";
  }
  return "?";
}

std::string to_string(Decision decision) {
  switch (decision) {
    case Decision::u_test_and_effect:
      return "u_test_and_min_effect";
    case Decision::threshold_only:
      return "min_effect_only";
    case Decision::same_as_time:
      return "same_as_time";
    case Decision::exact:
      return "exact";
    case Decision::threshold:
      return "threshold";
    case Decision::none:
      return "none";
  }
  return "?";
}

std::string to_string(CaseStatus status) {
  switch (status) {
    case CaseStatus::compared:
      return "compared";
    case CaseStatus::failed_in_new:
      return "failed in new";
    case CaseStatus::failed_in_base:
      return "failed in base";
    case CaseStatus::failed_in_both:
      return "failed in both";
  }
  return "?";
}

bool CaseComparison::regressed() const {
  if (status == CaseStatus::failed_in_new) return true;
  return std::any_of(metrics.begin(), metrics.end(),
                     [](const MetricComparison& m) { return m.verdict == Verdict::regression; });
}

bool CaseComparison::improved() const {
  return std::any_of(metrics.begin(), metrics.end(),
                     [](const MetricComparison& m) { return m.verdict == Verdict::improvement; });
}

namespace {

// How much worse NEW is than BASE as a factor >= 0: 1 same, 2 twice as bad (half the throughput, twice the
// time).
double worse_factor(const metrics::Metric& metric, double base, double next) {
  const double numerator = metric.direction != metrics::Direction::higher_is_better ? next : base;
  const double denominator = metric.direction != metrics::Direction::higher_is_better ? base : next;
  if (numerator == denominator) return 1;
  if (denominator == 0) return INFINITY;
  return numerator / denominator;
}

// `reference_spread`: for exact metrics, how much the reference strategy's case of the same workload varies
// between its repetitions (the workload's own variation, which the reference adds nothing to).
}  // namespace

MetricComparison compare_metric(const metrics::Metric& metric, const std::vector<double>& base,
                                const std::vector<double>& next, const Options& options,
                                double reference_spread) {
  MetricComparison out;
  out.metric = std::string(metric.name);
  out.base_count = base.size();
  out.new_count = next.size();
  out.base_median = metrics::median(base);
  out.new_median = metrics::median(next);
  if (out.base_median != 0)
    out.change = (out.new_median - out.base_median) / out.base_median;
  else if (out.new_median == 0)
    out.change = 0.0;

  const double worse = worse_factor(metric, out.base_median, out.new_median);
  auto classify = [&](double limit) {
    if (worse > 1 + limit) return Verdict::regression;
    if (worse * (1 + limit) < 1) return Verdict::improvement;
    return Verdict::unchanged;
  };

  switch (metric.rule) {
    case metrics::Rule::any_increase: {
      // Exact where the repetitions agree (allocations of a fixed pool, threads of inline). Where they do not
      // (workers created on demand, a workload whose own allocations depend on timing), a change counts only
      // beyond `spread_factor` times the largest difference either run shows between its own repetitions.
      out.spread = std::max({metrics::range(base), metrics::range(next), reference_spread});
      const double growth = options.alloc_growth * std::min(out.base_median, out.new_median);
      const double allowed =
          options.spread_factor * out.spread + (metric.name == metrics::name::allocs_per_task
                                                    ? std::max(options.alloc_tolerance, growth)
                                                : metric.name == metrics::name::bytes_per_task ? growth
                                                                                               : 0.0);
      const double increase = out.new_median - out.base_median;
      out.decision = Decision::exact;
      if (increase > out.base_median * options.exact_tolerance + allowed)
        out.verdict = Verdict::regression;
      else if (-increase > out.new_median * options.exact_tolerance + allowed)
        out.verdict = Verdict::improvement;
      else
        out.verdict = Verdict::unchanged;
      if (out.spread > 0)
        out.note = fmt::format("varies by {} between repetitions; changes within {:g}x that are noise",
                               format_value(metric, out.spread, false), options.spread_factor);
      break;
    }
    case metrics::Rule::relative_threshold:
      out.decision = Decision::threshold;
      out.verdict = classify(options.rss_threshold);
      // As for exact metrics: a change within the variation between repetitions is noise.
      out.spread = std::max(metrics::range(base), metrics::range(next));
      if (out.verdict != Verdict::unchanged &&
          std::abs(out.new_median - out.base_median) <= options.spread_factor * out.spread) {
        out.verdict = Verdict::unchanged;
        out.note = fmt::format("varies by {} between repetitions; changes within {:g}x that are noise",
                               format_value(metric, out.spread, false), options.spread_factor);
      }
      break;
    case metrics::Rule::significance: {
      const Verdict by_effect = classify(options.min_effect);
      const double smallest = metrics::smallest_p_value(out.base_count, out.new_count);
      if (out.base_count >= 2 && out.new_count >= 2 && smallest < options.alpha) {
        out.decision = Decision::u_test_and_effect;
        out.p_value = metrics::mann_whitney_u(base, next).p_value;
        out.adjusted_p_value = out.p_value;  // a family of one, until adjust_for_family() sees them all
        out.effect_verdict = by_effect;
        out.verdict = *out.p_value < options.alpha ? by_effect : Verdict::unchanged;
      } else {
        // No test was made: no p-value. A change within the minimum effect is no change whatever a test
        // would say; beyond it, the threshold alone decides only when asked.
        out.decision = Decision::threshold_only;
        out.verdict =
            by_effect == Verdict::unchanged || options.strict ? by_effect : Verdict::too_few_repetitions;
        out.note = fmt::format(
            "too few repetitions for the U test ({} vs {}: its smallest p-value is {:.3g}, not below alpha "
            "{}); {}",
            out.base_count, out.new_count, smallest, options.alpha,
            options.strict ? fmt::format("decided on the {:g}% minimum effect alone (--strict)",
                                         options.min_effect * 100)
                           : std::string("not enough repetitions to judge"));
      }
      break;
    }
    case metrics::Rule::not_compared:
      out.note = "the metric catalogue gives this metric no comparison rule";
      break;
  }
  return out;
}

MetricComparison throughput_from_time(const MetricComparison& time, double base_items, double new_items) {
  MetricComparison out;
  out.metric = metrics::name::items_per_second;
  out.base_count = time.base_count;
  out.new_count = time.new_count;
  out.normalized = time.normalized;
  out.decision = Decision::same_as_time;
  if (time.verdict == Verdict::not_compared || !(time.base_median > 0) || !(time.new_median > 0)) {
    out.note = time.note.empty() ? "time not compared" : time.note;
    out.base_count = out.new_count = 0;
    return out;
  }
  auto rate = [&](double median_time, double items) {
    return time.normalized ? 1 / median_time : items / (median_time * 1e-9);
  };
  out.base_median = rate(time.base_median, base_items);
  out.new_median = rate(time.new_median, new_items);
  if (out.base_median != 0)
    out.change = (out.new_median - out.base_median) / out.base_median;
  else if (out.new_median == 0)
    out.change = 0.0;
  out.verdict = time.verdict;
  out.note = "the throughput of the median time: judged as time";
  return out;
}

MetricComparison not_compared(const std::string& metric, std::string note) {
  MetricComparison out;
  out.metric = metric;
  out.note = std::move(note);
  return out;
}

void adjust_for_family(Comparison& comparison) {
  const Options& options = comparison.options;
  std::vector<MetricComparison*> tested;
  for (auto& result : comparison.cases)
    for (auto& metric : result.metrics)
      if (metric.decision == Decision::u_test_and_effect && metric.p_value) tested.push_back(&metric);
  comparison.summary.tests = tested.size();
  if (tested.size() > 1 && options.adjustment != Adjustment::none) {
    std::vector<double> p_values;
    p_values.reserve(tested.size());
    for (const MetricComparison* metric : tested) p_values.push_back(*metric->p_value);
    const std::vector<double> adjusted = options.adjustment == Adjustment::holm
                                             ? metrics::holm_adjusted(p_values)
                                             : metrics::benjamini_hochberg_adjusted(p_values);
    const double family = static_cast<double>(tested.size());
    for (std::size_t i = 0; i < tested.size(); ++i) {
      MetricComparison& metric = *tested[i];
      metric.adjusted_p_value = adjusted[i];
      // Holm's first step compares the smallest p with alpha / family: where these repetitions cannot give
      // a p that small, no test of this size can decide, whatever the data.
      const double smallest = metrics::smallest_p_value(metric.base_count, metric.new_count);
      const bool reachable = options.adjustment != Adjustment::holm || smallest * family < options.alpha;
      if (reachable) {
        metric.verdict = adjusted[i] < options.alpha ? metric.effect_verdict : Verdict::unchanged;
        continue;
      }
      if (metric.effect_verdict == Verdict::unchanged) {
        metric.verdict = Verdict::unchanged;
        continue;
      }
      metric.decision = Decision::threshold_only;
      metric.verdict = options.strict ? metric.effect_verdict : Verdict::too_few_repetitions;
      metric.note = fmt::format(
          "too few repetitions for {} U tests adjusted by Holm ({} vs {}: its smallest p-value {:.3g} times "
          "{} is not below alpha {}); {}",
          tested.size(), metric.base_count, metric.new_count, smallest, tested.size(), options.alpha,
          options.strict
              ? fmt::format("decided on the {:g}% minimum effect alone (--strict)", options.min_effect * 100)
              : std::string("not enough repetitions to judge"));
    }
  }
  // Throughput is judged as time (one quantity, one verdict).
  for (auto& result : comparison.cases) {
    const auto time = std::find_if(result.metrics.begin(), result.metrics.end(),
                                   [](const MetricComparison& m) { return m.metric == metrics::name::time; });
    if (time == result.metrics.end()) continue;
    for (auto& metric : result.metrics)
      if (metric.decision == Decision::same_as_time && metric.base_count > 0) metric.verdict = time->verdict;
  }
}

std::size_t repetitions_for_family(std::size_t tests, double alpha) {
  for (std::size_t n = 2; n < 64; ++n)
    if (metrics::smallest_p_value(n, n) * static_cast<double>(std::max<std::size_t>(tests, 1)) < alpha)
      return n;
  return 64;
}

void summarize(Comparison& comparison) {
  Summary& summary = comparison.summary;
  summary.only_in_base = comparison.only_in_base.size();
  summary.only_in_new = comparison.only_in_new.size();
  for (const auto& result : comparison.cases) {
    if (result.status == CaseStatus::compared) ++summary.cases_compared;
    if (result.status == CaseStatus::failed_in_new) ++summary.regressions;
    if (result.regressed()) ++summary.cases_regressed;
    if (result.improved()) ++summary.cases_improved;
    bool too_few = false;
    for (const auto& metric : result.metrics) {
      // Throughput repeats time's verdict: one quantity, counted once.
      if (metric.decision == Decision::same_as_time) continue;
      if (metric.decision == Decision::threshold_only) ++summary.threshold_only;
      switch (metric.verdict) {
        case Verdict::regression:
          ++summary.regressions;
          break;
        case Verdict::improvement:
          ++summary.improvements;
          break;
        case Verdict::unchanged:
          ++summary.unchanged;
          break;
        case Verdict::not_compared:
          ++summary.not_compared;
          break;
        case Verdict::too_few_repetitions:
          ++summary.too_few_repetitions;
          too_few = true;
          break;
      }
    }
    if (too_few) ++summary.cases_too_few;
  }
}

}  // namespace poolbench::compare
