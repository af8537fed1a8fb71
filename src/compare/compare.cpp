// compare: matches the cases of two files, gathers each metric's sample per side (normalised to a reference
// strategy where asked) and hands them to the verdicts (verdict.cpp).
#include "compare/compare.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <numeric>
#include <set>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "compare/verdict.hpp"
#include "errors.hpp"
#include "format/units.hpp"
#include "metrics/statistics.hpp"
#include "result/case_name.hpp"

namespace poolbench::compare {

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

bool same_case(const CaseInfo& a, const CaseInfo& b) {
  return a.strategy == b.strategy && a.workload == b.workload && a.tasks == b.tasks &&
         a.workers == b.workers && a.producers == b.producers && a.params() == b.params();
}

// What tells two cases with one name apart, for the message that refuses them.
std::string difference(const CaseInfo& a, const CaseInfo& b) {
  if (a.strategy != b.strategy) return fmt::format("strategy {} and {}", a.strategy, b.strategy);
  if (a.workload != b.workload) return fmt::format("workload {} and {}", a.workload, b.workload);
  if (a.tasks != b.tasks) return fmt::format("tasks {} and {}", a.tasks, b.tasks);
  if (a.workers != b.workers) return fmt::format("workers {} and {}", a.workers, b.workers);
  if (a.producers != b.producers) return fmt::format("producers {} and {}", a.producers, b.producers);
  const auto a_params = a.params();
  const auto b_params = b.params();
  for (const auto* params : {&a_params, &b_params})
    for (const auto& [name, value] : *params) {
      const auto left = a_params.find(name);
      const auto right = b_params.find(name);
      const std::string left_value = left == a_params.end() ? "(none)" : left->second;
      const std::string right_value = right == b_params.end() ? "(none)" : right->second;
      if (left_value != right_value)
        return fmt::format("parameter {} {} and {}", name, left_value, right_value);
    }
  return "their coordinates";
}

// Every case of a file, gathered in one pass: looking each case up by scanning all entries made compare
// quadratic in entries. Refuses (UsageError, naming the file and the case) a poolbench file in which one name
// stands for two cases: two entries for one repetition, or two sets of coordinates. Merging them would
// compare a mixture. Google Benchmark files record neither coordinates nor, before 1.6, repetition_index: not
// checked.
class CaseTable {
 public:
  explicit CaseTable(const ResultFile& file) {
    const bool check = file.is_poolbench();
    std::unordered_map<std::string, std::vector<const ResultEntry*>> medians;
    for (const auto& entry : file.entries) {
      auto [found, added] = cases_.try_emplace(entry.run_name);
      Case& item = found->second;
      if (added) item.first = &entry;
      if (check && entry.case_info && item.first->case_info &&
          !same_case(*entry.case_info, *item.first->case_info))
        throw UsageError(fmt::format("{}: two different cases are named '{}' ({})", file.path, entry.run_name,
                                     difference(*item.first->case_info, *entry.case_info)));
      // A merged file of several hosts: the same case measured on two machines is two samples, not one.
      if (const std::string host = file.host_of(entry), first_host = file.host_of(*item.first);
          host != first_host)
        throw UsageError(
            fmt::format("{}: case '{}' ran on two hosts ({} and {}): compare one host's results at a "
                        "time (poolbench merge {} --host NAME -o ONE.json)",
                        file.path, entry.run_name, first_host, host, file.path));
      if (entry.is_aggregate()) {
        if (entry.aggregate_name == "median" && !entry.error_occurred)
          medians[entry.run_name].push_back(&entry);
        continue;
      }
      if (check && !item.repetitions.insert(entry.repetition_index).second)
        throw UsageError(fmt::format("{}: has two entries for repetition {} of case '{}'", file.path,
                                     entry.repetition_index, entry.run_name));
      if (entry.error_occurred) {
        if (item.data.failed++ == 0) item.data.first_error = entry.error_message;
      } else {
        item.data.successful.push_back(&entry);
      }
    }
    // A file holding aggregates only (Google Benchmark's --benchmark_report_aggregates_only): the median
    // stands in as a single value.
    for (auto& [name, item] : cases_)
      if (item.data.successful.empty() && item.data.failed == 0)
        if (auto found = medians.find(name); found != medians.end()) item.data.successful = found->second;
  }

  // The repetitions of a case that is in the file.
  const CaseData& data(const std::string& name) const { return cases_.at(name).data; }
  // The first entry (repetition or aggregate) of a case, nullptr when there is none.
  const ResultEntry* first_entry(const std::string& name) const {
    auto found = cases_.find(name);
    return found == cases_.end() ? nullptr : found->second.first;
  }

 private:
  struct Case {
    const ResultEntry* first = nullptr;
    CaseData data;
    std::unordered_set<std::int64_t> repetitions;
  };
  std::unordered_map<std::string, Case> cases_;
};

std::optional<double> metric_value(const ResultEntry& entry, const std::string& metric) {
  if (metric == metrics::name::time) return entry.real_time_ns();
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

// The items one repetition processes (throughput times time; the task count for poolbench's cases), as the
// median over the repetitions that record a throughput.
double items_per_repetition(const CaseData& data) {
  std::vector<double> items;
  for (const ResultEntry* entry : data.successful)
    if (auto rate = metric_value(*entry, metrics::name::items_per_second))
      items.push_back(*rate * entry->real_time_ns() * 1e-9);
  return metrics::median(items);
}

// Where a case sits in the matrix, apart from its strategy: the workload and every other coordinate (tasks,
// workers, producers, workload parameters). The strategy's own parameters (as the file records them) are left
// out, so that a pool's case finds the reference strategy's case of the same workload. An entry without
// poolbench's `case` object is placed by its name, whose parameters' owners are unknown: all of them count.
struct Coordinates {
  std::string strategy;
  std::string workload;
  std::map<std::string, std::string> rest;
};

std::optional<Coordinates> coordinates_of(const ResultEntry& entry) {
  Coordinates out;
  std::size_t tasks = 0, workers = 0, producers = 0;
  if (entry.case_info) {
    const CaseInfo& info = *entry.case_info;
    out.strategy = info.strategy;
    out.workload = info.workload;
    out.rest = info.load_params();
    std::tie(tasks, workers, producers) = std::tuple(info.tasks, info.workers, info.producers);
  } else {
    try {
      CaseName name = CaseName::parse(entry.run_name);
      out.strategy = std::move(name.strategy);
      out.workload = std::move(name.workload);
      out.rest = std::move(name.params);
      std::tie(tasks, workers, producers) = std::tuple(name.tasks, name.workers, name.producers);
    } catch (const CaseNameError&) {
      return std::nullopt;  // not a poolbench case name: no place in the matrix
    }
  }
  out.rest["tasks"] = std::to_string(tasks);
  out.rest["workers"] = std::to_string(workers);
  out.rest["producers"] = std::to_string(producers);
  return out;
}

// Finds, for every case of `file`, the reference strategy's case of the same workload and coordinates; a case
// whose worker count the reference was not run at falls back to the reference's case at any worker count (the
// reference is normally inline, for which workers mean nothing).
class ReferenceIndex {
 public:
  ReferenceIndex(const ResultFile& file, const CaseTable& table, const std::string& strategy) {
    for (const std::string& name : file.case_names()) {
      const ResultEntry* first = table.first_entry(name);
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
  const double reference_median = metrics::median(reference.value);
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

}  // namespace

Comparison compare_files(const ResultFile& base, const ResultFile& next, const Options& options) {
  Comparison out;
  out.base_path = base.path;
  out.new_path = next.path;
  out.options = options;

  std::vector<const metrics::Metric*> selected;
  for (const metrics::Metric* metric : compared_metrics())
    if (options.metrics.empty() ||
        std::find(options.metrics.begin(), options.metrics.end(), metric->name) != options.metrics.end())
      selected.push_back(metric);

  const CaseTable base_table(base);
  const CaseTable new_table(next);
  std::optional<ReferenceIndex> base_references;
  std::optional<ReferenceIndex> new_references;
  if (options.normalize_to) {
    base_references.emplace(base, base_table, *options.normalize_to);
    new_references.emplace(next, new_table, *options.normalize_to);
    // A NEW without the reference under --fail-on-missing lacks BASE's reference cases: it fails as a
    // partial run (exit 1, counted), not as unusable input.
    for (const auto& [index, file] :
         {std::pair{&*base_references, &base}, std::pair{&*new_references, &next}})
      if (index->empty() && !(options.fail_on_missing && file == &next && !base_references->empty()))
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
    const CaseData& base_data = base_table.data(name);
    const CaseData& new_data = new_table.data(name);
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
      if (new_reference) result.reference = *new_reference;
      if (!base_reference || !new_reference)
        result.note = fmt::format("no {} case of this workload in {}: times not compared",
                                  *options.normalize_to, !base_reference ? base.path : next.path);
    }

    // Cases too short to time on a shared machine: one preemption is a large part of them (the reference's
    // time counts too, since it divides the case's).
    std::optional<std::string> too_short;
    if (options.min_time_ns > 0) {
      auto median_time = [](const CaseData& data) {
        return metrics::median(sample_of(data, metrics::name::time).value);
      };
      std::vector<std::pair<double, std::string>> times = {{median_time(base_data), name},
                                                           {median_time(new_data), name}};
      if (base_reference) times.emplace_back(median_time(base_table.data(*base_reference)), *base_reference);
      if (new_reference) times.emplace_back(median_time(new_table.data(*new_reference)), *new_reference);
      for (const auto& [time, which] : times)
        if (time < options.min_time_ns) {
          too_short = fmt::format("{} runs {}, under --min-time {:g} ms: too short to time reliably",
                                  which == name ? std::string("the case") : which, format_duration_ns(time),
                                  options.min_time_ns / 1e6);
          break;
        }
    }

    // A saturated open loop's backlog grows for as long as it runs: its latency depends on the run's length.
    const auto saturated = [](const CaseData& data) {
      const auto values = sample_of(data, metrics::name::saturated).value;
      return std::any_of(values.begin(), values.end(), [](double value) { return value > 0; });
    };
    const std::optional<std::string> saturated_note =
        saturated(base_data) || saturated(new_data)
            ? std::optional<std::string>(fmt::format(
                  "saturated open loop in {}: latency grows with the run's length, not comparable",
                  saturated(base_data) ? base.path : next.path))
            : std::nullopt;

    // One metric's comparison; nullopt where neither file measures it.
    auto judge = [&](const metrics::Metric& metric) -> std::optional<MetricComparison> {
      const std::string metric_name(metric.name);
      if (saturated_note && metrics::is_task_latency(metric_name)) {
        if (sample_of(base_data, metric_name).value.empty() && sample_of(new_data, metric_name).value.empty())
          return std::nullopt;
        return not_compared(metric_name, *saturated_note);
      }
      Sample base_sample = sample_of(base_data, metric_name);
      Sample new_sample = sample_of(new_data, metric_name);
      if (base_sample.value.empty() && new_sample.value.empty()) return std::nullopt;
      if (base_sample.value.empty() || new_sample.value.empty())
        return not_compared(metric_name,
                            fmt::format("only in {}", base_sample.value.empty() ? next.path : base.path));
      if (too_short && metric.rule == metrics::Rule::significance)
        return not_compared(metric_name, *too_short);
      double reference_spread = 0;
      if (metric.rule == metrics::Rule::any_increase && base_reference && new_reference)
        reference_spread =
            std::max(metrics::range(sample_of(base_table.data(*base_reference), metric_name).value),
                     metrics::range(sample_of(new_table.data(*new_reference), metric_name).value));
      bool normalized = false;
      if (options.normalize_to && metric.normalizable()) {
        if (!base_reference || !new_reference)
          return not_compared(metric_name, fmt::format("no {} case to normalise by", *options.normalize_to));
        if (*base_reference == name && *new_reference == name)
          return not_compared(metric_name, fmt::format("the --normalize-to reference itself (its ratio to "
                                                       "itself is 1 in every repetition): no test to make"));
        auto base_normalized =
            normalize(base_sample, sample_of(base_table.data(*base_reference), metric_name));
        auto new_normalized = normalize(new_sample, sample_of(new_table.data(*new_reference), metric_name));
        if (!base_normalized || !new_normalized)
          return not_compared(metric_name, fmt::format("the {} case has no non-zero value to normalise by",
                                                       *options.normalize_to));
        base_sample = std::move(*base_normalized);
        new_sample = std::move(*new_normalized);
        normalized = true;
      }
      // A thread per task allocates glibc's thread bookkeeping at every start, whose count and size depend on
      // how many threads are live at once, that is on the machine's load (results/compare-aa.md): such a
      // case's allocations get four times the growth allowance.
      // Its peak RSS, and a fiber per task's, follow how many of them are alive at once (their stacks): twice
      // the RSS threshold (results/compare-aa.md).
      Options case_options = options;
      const auto lifecycle = [&]() -> std::optional<WorkerLifecycle> {
        if (new_data.successful.empty() || !new_data.successful.front()->case_info ||
            !new_data.successful.front()->case_info->strategy_traits)
          return std::nullopt;
        return new_data.successful.front()->case_info->strategy_traits->worker_lifecycle;
      }();
      if ((metric.name == metrics::name::allocs_per_task || metric.name == metrics::name::bytes_per_task) &&
          lifecycle == WorkerLifecycle::thread_per_task)
        case_options.alloc_growth *= 4;
      if (metric.name == metrics::name::peak_rss_bytes &&
          (lifecycle == WorkerLifecycle::thread_per_task || lifecycle == WorkerLifecycle::fiber_per_task))
        case_options.rss_threshold *= 2;
      MetricComparison comparison =
          compare_metric(metric, base_sample.value, new_sample.value, case_options, reference_spread);
      comparison.normalized = normalized;
      // A pool of K workers may start up to K + 1 threads (a dispatcher's own): how many an on-demand pool
      // starts below that depends on timing (results/compare-aa.md), so only a count above it is a
      // regression.
      if (metric.name == metrics::name::threads_created && comparison.verdict == Verdict::regression &&
          !new_data.successful.empty())
        if (const auto coordinates = coordinates_of(*new_data.successful.front())) {
          const double ceiling = std::stod(coordinates->rest.at("workers")) + 1;
          if (comparison.new_median <= ceiling) {
            comparison.verdict = Verdict::unchanged;
            comparison.note = fmt::format(
                "{:g} threads, within the K + 1 = {:g} a pool of K workers may start (an on-demand pool "
                "starts fewer or more of them by timing)",
                comparison.new_median, ceiling);
          }
        }
      return comparison;
    };

    // Time is judged once, and throughput takes its verdict (one quantity, one verdict).
    const std::optional<MetricComparison> time = judge(metrics::get(metrics::name::time));
    for (const metrics::Metric* metric : selected) {
      if (metric->name == metrics::name::time) {
        if (time) result.metrics.push_back(*time);
        continue;
      }
      if (metric->name == metrics::name::items_per_second && time) {
        const Sample base_rates = sample_of(base_data, metrics::name::items_per_second);
        const Sample new_rates = sample_of(new_data, metrics::name::items_per_second);
        if (!base_rates.value.empty() && !new_rates.value.empty()) {
          result.metrics.push_back(
              throughput_from_time(*time, items_per_repetition(base_data), items_per_repetition(new_data)));
          continue;
        }
      }
      if (auto comparison = judge(*metric)) result.metrics.push_back(std::move(*comparison));
    }
    out.cases.push_back(std::move(result));
  }

  adjust_for_family(out);
  summarize(out);
  out.base_complete = base.complete();
  out.new_complete = next.complete();
  if (options.fail_on_missing) {
    const std::string interrupted = out.new_complete == false ? "an interrupted run (complete: false)" : "";
    if (new_names.empty())
      out.gate_failure = fmt::format("{} has no case at all (--fail-on-missing)", next.path);
    else if (!out.only_in_base.empty())
      out.gate_failure = fmt::format("{} is missing {} of the {} cases of {}{} (--fail-on-missing)",
                                     next.path, out.only_in_base.size(), base_names.size(), base.path,
                                     interrupted.empty() ? "" : ", and is " + interrupted);
    else if (!interrupted.empty())
      out.gate_failure = fmt::format("{} is {} (--fail-on-missing)", next.path, interrupted);
  }
  // Nothing compared is never a pass, whatever the options: an empty NEW, or one of another matrix.
  if (out.gate_failure.empty() && !base_names.empty() && out.cases.empty())
    out.gate_failure =
        new_names.empty()
            ? fmt::format("{} has no case at all: nothing was compared", next.path)
            : fmt::format("{} and {} have no case in common: nothing was compared", base.path, next.path);
  return out;
}

std::vector<std::string> completeness_notes(const Comparison& comparison) {
  std::vector<std::string> out;
  for (const auto& [path, complete] : {std::pair{&comparison.base_path, comparison.base_complete},
                                       std::pair{&comparison.new_path, comparison.new_complete}}) {
    if (complete == false)
      out.push_back(
          fmt::format("{} is an interrupted run (complete: false): it stopped before its last case "
                      "finished",
                      *path));
    else if (!complete)
      out.push_back(
          fmt::format("whether {} ran to the end is not recorded (no complete mark: written before "
                      "poolbench recorded one, or by Google Benchmark)",
                      *path));
  }
  return out;
}

int exit_status(const Comparison& comparison) {
  if (!comparison.gate_failure.empty()) return exit_failures;
  if (comparison.confirmation) return comparison.confirmation->confirmed.empty() ? exit_ok : exit_failures;
  return comparison.summary.regressions > 0 ? exit_failures : exit_ok;
}

std::vector<std::string> cases_to_confirm(const Comparison& comparison) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& result : comparison.cases) {
    if (!result.regressed()) continue;
    for (const std::string* name : {&result.reference, &result.name})
      if (!name->empty() && seen.insert(*name).second) out.push_back(*name);
  }
  return out;
}

std::string exact_names_pattern(const std::vector<std::string>& names) {
  std::string out = "^(";
  for (std::size_t index = 0; index < names.size(); ++index) {
    if (index > 0) out += '|';
    for (const char c : names[index]) {
      // RE2 takes any escaped punctuation literally; bytes of UTF-8 stay as they are.
      const auto byte = static_cast<unsigned char>(c);
      if (byte < 0x80 && !std::isalnum(byte) && c != '_') out += '\\';
      out += c;
    }
  }
  return out + ")$";
}

void confirm_regressions(Comparison& comparison, const ResultFile& base, const ResultFile& second,
                         std::string command) {
  Options options = comparison.options;
  options.fail_on_missing = false;  // the second run holds the regressed cases only
  const Comparison again = compare_files(base, second, options);
  std::set<std::string> regressed_again;
  for (const auto& result : again.cases)
    if (result.regressed()) regressed_again.insert(result.name);
  const std::vector<std::string> second_names = second.case_names();
  const std::set<std::string> in_second(second_names.begin(), second_names.end());
  Comparison::Confirmation confirmation;
  confirmation.command = std::move(command);
  confirmation.path = second.path;
  confirmation.rerun = cases_to_confirm(comparison);
  for (const auto& result : comparison.cases) {
    if (!result.regressed()) continue;
    const bool confirmed = regressed_again.count(result.name) > 0 || in_second.count(result.name) == 0;
    (confirmed ? confirmation.confirmed : confirmation.not_confirmed).push_back(result.name);
  }
  comparison.confirmation = std::move(confirmation);
}

}  // namespace poolbench::compare
