// compare: the statistics (median, Mann-Whitney U as scipy computes it) and the case-by-case verdicts.
#include "compare/compare.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <set>

#include <fmt/format.h>

#include "errors.hpp"
#include "registry.hpp"

namespace poolbench::compare {

const std::vector<MetricSpec>& known_metrics() {
  static const std::vector<MetricSpec> metrics = {
      {"time", Direction::lower_is_better, Rule::timed, Unit::nanoseconds, true},
      {"items_per_second", Direction::higher_is_better, Rule::timed, Unit::per_second, true},
      {"e2e_p99_ns", Direction::lower_is_better, Rule::timed, Unit::nanoseconds, true},
      {"queue_wait_p99_ns", Direction::lower_is_better, Rule::timed, Unit::nanoseconds, true},
      {"allocs_per_task", Direction::lower_is_better, Rule::exact, Unit::count, false},
      {"bytes_per_task", Direction::lower_is_better, Rule::exact, Unit::bytes, false},
      {"threads_created", Direction::lower_is_better, Rule::exact, Unit::count, false},
      {"peak_rss_bytes", Direction::lower_is_better, Rule::threshold, Unit::bytes, false},
  };
  return metrics;
}

const MetricSpec* find_metric(const std::string& name) {
  for (const auto& metric : known_metrics())
    if (metric.name == name) return &metric;
  return nullptr;
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
  options.metrics = {"time", "allocs_per_task", "threads_created"};
  return options;
}

// ---- statistics ----

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t middle = values.size() / 2;
  return values.size() % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
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

// ---- verdicts ----

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
  }
  return "?";
}

std::string to_string(Decision decision) {
  switch (decision) {
    case Decision::u_test_and_effect:
      return "u_test_and_min_effect";
    case Decision::threshold_only:
      return "min_effect_only";
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

// One value per successful repetition, keyed by repetition_index so normalisation can pair repetitions that
// ran close together in time (poolbench interleaves them).
struct Sample {
  std::vector<std::int64_t> repetition;
  std::vector<double> value;
};

struct CaseData {
  std::vector<const ResultEntry*> successful;
  std::size_t failed = 0;
  std::string first_error;
};

CaseData case_data(const ResultFile& file, const std::string& name) {
  CaseData data;
  for (const ResultEntry* entry : file.repetitions_of(name)) {
    if (entry->error_occurred) {
      if (data.failed++ == 0) data.first_error = entry->error_message;
    } else {
      data.successful.push_back(entry);
    }
  }
  // A file holding aggregates only (Google Benchmark's --benchmark_report_aggregates_only): the median stands
  // in as a single value.
  if (data.successful.empty() && data.failed == 0) {
    for (const auto& entry : file.entries)
      if (entry.is_aggregate() && entry.run_name == name && entry.aggregate_name == "median" &&
          !entry.error_occurred)
        data.successful.push_back(&entry);
  }
  return data;
}

std::optional<double> metric_value(const ResultEntry& entry, const std::string& metric) {
  if (metric == "time") return entry.real_time_ns();
  auto found = entry.counters.find(metric);
  if (found == entry.counters.end()) return std::nullopt;
  return found->second;
}

Sample sample_of(const CaseData& data, const std::string& metric) {
  Sample sample;
  for (const ResultEntry* entry : data.successful)
    if (auto value = metric_value(*entry, metric)) {
      sample.repetition.push_back(entry->repetition_index);
      sample.value.push_back(*value);
    }
  return sample;
}

// Where a case sits in the matrix, apart from its strategy: the workload and every other coordinate (tasks,
// workers, producers, workload parameters). Parameters the strategy declares are left out, so that a pool's
// case finds the reference strategy's case of the same workload.
struct Coordinates {
  std::string strategy;
  std::string workload;
  std::map<std::string, std::string> rest;
};

std::optional<Coordinates> coordinates_of(const ResultEntry& entry) {
  Coordinates out;
  if (entry.case_info) {
    const CaseInfo& info = *entry.case_info;
    out.strategy = info.strategy;
    out.workload = info.workload;
    out.rest = info.params;
    out.rest["tasks"] = std::to_string(info.tasks);
    out.rest["workers"] = std::to_string(info.workers);
    out.rest["producers"] = std::to_string(info.producers);
  } else {
    // Google Benchmark style name: strategy/workload/key:value/...
    std::vector<std::string> parts;
    std::size_t begin = 0;
    while (begin <= entry.run_name.size()) {
      const std::size_t slash = std::min(entry.run_name.find('/', begin), entry.run_name.size());
      parts.push_back(entry.run_name.substr(begin, slash - begin));
      begin = slash + 1;
    }
    if (parts.size() < 2 || parts[0].empty() || parts[1].empty()) return std::nullopt;
    out.strategy = parts[0];
    out.workload = parts[1];
    for (std::size_t i = 2; i < parts.size(); ++i) {
      const std::size_t colon = parts[i].find(':');
      if (colon == std::string::npos)
        out.rest[fmt::format("#{}", i)] = parts[i];
      else
        out.rest[parts[i].substr(0, colon)] = parts[i].substr(colon + 1);
    }
  }
  if (const StrategyInfo* strategy = strategy_registry().find(out.strategy))
    for (const auto& param : strategy->params) out.rest.erase(param.name);
  return out;
}

// Finds, for every case of `file`, the reference strategy's case of the same workload and coordinates; a case
// whose worker count the reference was not run at falls back to the reference's case at any worker count (the
// reference is normally inline, for which workers mean nothing).
class ReferenceIndex {
 public:
  ReferenceIndex(const ResultFile& file, const std::string& strategy) {
    for (const std::string& name : file.case_names()) {
      const ResultEntry* first = first_entry(file, name);
      if (first == nullptr) continue;
      auto coordinates = coordinates_of(*first);
      if (!coordinates || coordinates->strategy != strategy) continue;
      exact_.try_emplace(key(*coordinates, true), name);
      any_workers_.try_emplace(key(*coordinates, false), name);
    }
  }

  bool empty() const { return exact_.empty(); }

  std::optional<std::string> find(const ResultEntry& entry) const {
    auto coordinates = coordinates_of(entry);
    if (!coordinates) return std::nullopt;
    if (auto found = exact_.find(key(*coordinates, true)); found != exact_.end()) return found->second;
    if (auto found = any_workers_.find(key(*coordinates, false)); found != any_workers_.end())
      return found->second;
    return std::nullopt;
  }

  static const ResultEntry* first_entry(const ResultFile& file, const std::string& name) {
    for (const auto& entry : file.entries)
      if (entry.run_name == name) return &entry;
    return nullptr;
  }

 private:
  static std::string key(const Coordinates& coordinates, bool with_workers) {
    std::string out = coordinates.workload;
    for (const auto& [name, value] : coordinates.rest)
      if (with_workers || name != "workers") out += fmt::format("\x1f{}={}", name, value);
    return out;
  }

  std::map<std::string, std::string> exact_;
  std::map<std::string, std::string> any_workers_;
};

// Divides each value by the reference's value of the same repetition (or, failing that, the reference
// median).
std::optional<Sample> normalize(const Sample& sample, const Sample& reference) {
  if (reference.value.empty()) return std::nullopt;
  const double reference_median = median(reference.value);
  Sample out;
  for (std::size_t i = 0; i < sample.value.size(); ++i) {
    double divisor = reference_median;
    for (std::size_t k = 0; k < reference.repetition.size(); ++k)
      if (reference.repetition[k] == sample.repetition[i] && reference.value[k] > 0) {
        divisor = reference.value[k];
        break;
      }
    if (!(divisor > 0)) return std::nullopt;
    out.repetition.push_back(sample.repetition[i]);
    out.value.push_back(sample.value[i] / divisor);
  }
  return out;
}

double range_of(const std::vector<double>& values) {
  if (values.empty()) return 0;
  const auto [low, high] = std::minmax_element(values.begin(), values.end());
  return *high - *low;
}

// How much worse NEW is than BASE as a factor >= 0: 1 same, 2 twice as bad (half the throughput, twice the
// time).
double worse_factor(const MetricSpec& metric, double base, double next) {
  const double numerator = metric.direction == Direction::lower_is_better ? next : base;
  const double denominator = metric.direction == Direction::lower_is_better ? base : next;
  if (numerator == denominator) return 1;
  if (denominator == 0) return INFINITY;
  return numerator / denominator;
}

// `reference_spread`: for exact metrics, how much the reference strategy's case of the same workload varies
// between its repetitions (the workload's own variation, which the reference adds nothing to).
MetricComparison compare_metric(const MetricSpec& metric, const Sample& base, const Sample& next,
                                const Options& options, double reference_spread) {
  MetricComparison out;
  out.metric = metric.name;
  out.base_count = base.value.size();
  out.new_count = next.value.size();
  out.base_median = median(base.value);
  out.new_median = median(next.value);
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
    case Rule::exact: {
      // Exact where the repetitions agree (allocations of a fixed pool, threads of inline). Where they do not
      // (workers created on demand, a workload whose own allocations depend on timing), a change counts only
      // beyond `spread_factor` times the largest difference either run shows between its own repetitions.
      out.spread = std::max({range_of(base.value), range_of(next.value), reference_spread});
      const double allowed = options.spread_factor * out.spread +
                             (metric.name == "allocs_per_task"
                                  ? std::max(options.alloc_tolerance,
                                             options.alloc_growth * std::min(out.base_median, out.new_median))
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
        out.note = fmt::format("varies by {:.6g} between repetitions; changes within {:g}x that are noise",
                               out.spread, options.spread_factor);
      break;
    }
    case Rule::threshold:
      out.decision = Decision::threshold;
      out.verdict = classify(options.rss_threshold);
      break;
    case Rule::timed: {
      const Verdict by_effect = classify(options.min_effect);
      if (out.base_count >= 2 && out.new_count >= 2)
        out.p_value = mann_whitney_u(base.value, next.value).p_value;
      const double smallest = smallest_p_value(out.base_count, out.new_count);
      if (out.base_count >= 2 && out.new_count >= 2 && smallest < options.alpha) {
        out.decision = Decision::u_test_and_effect;
        out.verdict = *out.p_value < options.alpha ? by_effect : Verdict::unchanged;
      } else {
        out.decision = Decision::threshold_only;
        out.verdict = by_effect;
        out.note = fmt::format(
            "too few repetitions for the U test ({} vs {}: its smallest p-value is {:.3g}, not below alpha "
            "{}); "
            "decided on the {:g}% minimum effect alone",
            out.base_count, out.new_count, smallest, options.alpha, options.min_effect * 100);
      }
      break;
    }
  }
  return out;
}

MetricComparison not_compared(const std::string& metric, std::string note) {
  MetricComparison out;
  out.metric = metric;
  out.note = std::move(note);
  return out;
}

}  // namespace

Comparison compare_files(const ResultFile& base, const ResultFile& next, const Options& options) {
  Comparison out;
  out.base_path = base.path;
  out.new_path = next.path;
  out.options = options;

  std::vector<const MetricSpec*> metrics;
  for (const auto& metric : known_metrics())
    if (options.metrics.empty() ||
        std::find(options.metrics.begin(), options.metrics.end(), metric.name) != options.metrics.end())
      metrics.push_back(&metric);

  std::optional<ReferenceIndex> base_references;
  std::optional<ReferenceIndex> new_references;
  if (options.normalize_to) {
    base_references.emplace(base, *options.normalize_to);
    new_references.emplace(next, *options.normalize_to);
    for (const auto& [index, file] :
         {std::pair{&*base_references, &base}, std::pair{&*new_references, &next}})
      if (index->empty())
        throw UsageError(fmt::format("--normalize-to {}: {} has no case of strategy '{}'",
                                     *options.normalize_to, file->path, *options.normalize_to));
  }

  const std::vector<std::string> base_names = base.case_names();
  const std::vector<std::string> new_names = next.case_names();
  const std::set<std::string> base_set(base_names.begin(), base_names.end());
  const std::set<std::string> new_set(new_names.begin(), new_names.end());
  for (const auto& name : base_names)
    if (new_set.count(name) == 0) out.only_in_base.push_back(name);
  for (const auto& name : new_names)
    if (base_set.count(name) == 0) out.only_in_new.push_back(name);

  for (const auto& name : base_names) {
    if (new_set.count(name) == 0) continue;
    CaseComparison result;
    result.name = name;
    const CaseData base_data = case_data(base, name);
    const CaseData new_data = case_data(next, name);
    result.base_repetitions = base_data.successful.size();
    result.new_repetitions = new_data.successful.size();
    const bool base_failed = base_data.successful.empty();
    const bool new_failed = new_data.successful.empty();
    if (base_failed || new_failed) {
      result.status = base_failed && new_failed ? CaseStatus::failed_in_both
                      : new_failed              ? CaseStatus::failed_in_new
                                                : CaseStatus::failed_in_base;
      result.error = new_failed ? new_data.first_error : base_data.first_error;
      if (result.error.empty()) result.error = "no successful repetition";
      out.cases.push_back(std::move(result));
      continue;
    }

    std::optional<std::string> base_reference;
    std::optional<std::string> new_reference;
    if (options.normalize_to) {
      base_reference = base_references->find(*base_data.successful.front());
      new_reference = new_references->find(*new_data.successful.front());
      if (!base_reference || !new_reference)
        result.note = fmt::format("no {} case of this workload in {}: times not compared",
                                  *options.normalize_to, !base_reference ? base.path : next.path);
    }

    // Cases too short to time on a shared machine: one preemption is a large part of them (the reference's
    // time counts too, since it divides the case's).
    std::optional<std::string> too_short;
    if (options.min_time_ns > 0) {
      auto median_time = [](const CaseData& data) { return median(sample_of(data, "time").value); };
      std::vector<std::pair<double, std::string>> times = {{median_time(base_data), name},
                                                           {median_time(new_data), name}};
      if (base_reference) times.emplace_back(median_time(case_data(base, *base_reference)), *base_reference);
      if (new_reference) times.emplace_back(median_time(case_data(next, *new_reference)), *new_reference);
      for (const auto& [time, which] : times)
        if (time < options.min_time_ns) {
          too_short = fmt::format("{} runs {:.3g} ms, under --min-time {:g} ms: too short to time reliably",
                                  which == name ? std::string("the case") : which, time / 1e6,
                                  options.min_time_ns / 1e6);
          break;
        }
    }

    for (const MetricSpec* metric : metrics) {
      Sample base_sample = sample_of(base_data, metric->name);
      Sample new_sample = sample_of(new_data, metric->name);
      if (base_sample.value.empty() && new_sample.value.empty()) continue;  // neither file measures it
      if (base_sample.value.empty() || new_sample.value.empty()) {
        result.metrics.push_back(not_compared(
            metric->name, fmt::format("only in {}", base_sample.value.empty() ? next.path : base.path)));
        continue;
      }
      if (too_short && metric->rule == Rule::timed) {
        result.metrics.push_back(not_compared(metric->name, *too_short));
        continue;
      }
      double reference_spread = 0;
      if (metric->rule == Rule::exact && base_reference && new_reference)
        reference_spread = std::max(range_of(sample_of(case_data(base, *base_reference), metric->name).value),
                                    range_of(sample_of(case_data(next, *new_reference), metric->name).value));
      bool normalized = false;
      if (options.normalize_to && metric->normalizable) {
        if (!base_reference || !new_reference) {
          result.metrics.push_back(
              not_compared(metric->name, fmt::format("no {} case to normalise by", *options.normalize_to)));
          continue;
        }
        auto base_normalized =
            normalize(base_sample, sample_of(case_data(base, *base_reference), metric->name));
        auto new_normalized = normalize(new_sample, sample_of(case_data(next, *new_reference), metric->name));
        if (!base_normalized || !new_normalized) {
          result.metrics.push_back(not_compared(
              metric->name,
              fmt::format("the {} case has no non-zero value to normalise by", *options.normalize_to)));
          continue;
        }
        base_sample = std::move(*base_normalized);
        new_sample = std::move(*new_normalized);
        normalized = true;
      }
      MetricComparison comparison =
          compare_metric(*metric, base_sample, new_sample, options, reference_spread);
      comparison.normalized = normalized;
      result.metrics.push_back(std::move(comparison));
    }
    out.cases.push_back(std::move(result));
  }

  Summary& summary = out.summary;
  summary.only_in_base = out.only_in_base.size();
  summary.only_in_new = out.only_in_new.size();
  for (const auto& result : out.cases) {
    if (result.status == CaseStatus::compared) ++summary.cases_compared;
    if (result.status == CaseStatus::failed_in_new) ++summary.regressions;
    if (result.regressed()) ++summary.cases_regressed;
    if (result.improved()) ++summary.cases_improved;
    for (const auto& metric : result.metrics) {
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
      }
    }
  }
  return out;
}

int exit_status(const Comparison& comparison) {
  return comparison.summary.regressions > 0 ? exit_failures : exit_ok;
}

}  // namespace poolbench::compare
