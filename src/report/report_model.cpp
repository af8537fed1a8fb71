// Report model: groups the result file's repetition entries into one table per matrix point, computes medians
// and spreads, applies the guide's decision rule, and checks the guide's rules of thumb against the numbers.
#include "report/report_model.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "conformance_checks.hpp"
#include "format/units.hpp"
#include "registry.hpp"

namespace poolbench::report {
namespace {

// The guide's rules of thumb, as numbers.
constexpr double several_times = 3.0;    // "pooling beats a thread per task by several times"
constexpr double io_equivalence = 0.10;  // "bounded strategies within 10% of each other on I/O"
constexpr double warm_state_win = 3.0;   // "per-worker state wins at least 3x on warm state"
constexpr double gap_growth_tolerance =
    1.05;                              // a gap may wobble up by 5% between durations and still "close"
constexpr double parity_ratio = 1.10;  // "within 10%": the differences have vanished

// cpu_burst's task duration parameter (workloads/cpu_burst.cpp) and its unit, in microseconds per unit.
struct DurationParam {
  const char* name;
  double to_us;
};
constexpr DurationParam duration_params[] = {{"duration_us", 1.0}};

std::optional<std::pair<std::string, double>> task_duration_us(
    const std::map<std::string, std::string>& params) {
  for (const auto& candidate : duration_params) {
    auto found = params.find(candidate.name);
    if (found == params.end()) continue;
    try {
      std::size_t used = 0;
      const double value = std::stod(found->second, &used);
      if (used == found->second.size() && value > 0)
        return std::pair{std::string(candidate.name), value * candidate.to_us};
    } catch (const std::exception&) {
    }
  }
  return std::nullopt;
}

const StrategyInfo* strategy_info(const std::string& name) {
  return strategy_registry().find(name);
}

bool declared_by(const std::vector<ParamSpec>& specs, const std::string& name) {
  return std::any_of(specs.begin(), specs.end(), [&](const ParamSpec& spec) { return spec.name == name; });
}

std::string join_params(const std::map<std::string, std::string>& params, const char* separator = ", ") {
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out += separator;
    out += name + "=" + value;
  }
  return out;
}

// Where a case's parameters belong: those the strategy declares make a row label (when not default),
// everything else (the workload's, or unknown ones) makes a separate table.
struct SplitParams {
  std::map<std::string, std::string> workload;
  std::map<std::string, std::string> strategy_non_default;
};

SplitParams split_params(const CaseInfo& info) {
  SplitParams out;
  const StrategyInfo* strategy = strategy_info(info.strategy);
  const WorkloadInfo* workload = workload_registry().find(info.workload);
  for (const auto& [name, value] : info.params) {
    const bool workload_param = workload != nullptr && declared_by(workload->params, name);
    if (strategy != nullptr && !workload_param && declared_by(strategy->params, name)) {
      for (const auto& spec : strategy->params)
        if (spec.name == name && spec.default_value != value) out.strategy_non_default[name] = value;
    } else {
      out.workload[name] = value;
    }
  }
  return out;
}

std::string row_label(const std::string& strategy, const std::map<std::string, std::string>& non_default) {
  if (non_default.empty()) return strategy;
  return fmt::format("{} ({})", strategy, join_params(non_default));
}

// Strategies print in this order: the lower bound, the unbounded thread per task, the default choice, then
// the rest by name.
int strategy_rank(const std::string& strategy) {
  if (strategy == lower_bound_strategy) return 0;
  if (strategy == thread_per_task_strategy) return 1;
  if (strategy == baseline_strategy) return 2;
  return 3;
}

std::string plural(std::size_t count, const char* one, const char* many) {
  return fmt::format("{} {}", count, count == 1 ? one : many);
}

std::string config_title(const std::string& workload, const std::map<std::string, std::string>& params,
                         std::size_t tasks, std::size_t workers, std::optional<std::size_t> producers) {
  std::string title = workload;
  if (!params.empty()) title += " (" + join_params(params) + ")";
  title += fmt::format(" — {}, {}", plural(tasks, "task", "tasks"), plural(workers, "worker", "workers"));
  if (producers) title += ", " + plural(*producers, "producer", "producers");
  return title;
}

// The metrics of one repetition entry, in the model's keys and units. Counters the entry lacks stay absent.
std::map<std::string, double> metrics_of(const ResultEntry& entry, std::size_t tasks) {
  std::map<std::string, double> out;
  const auto counter = [&](const char* name) -> std::optional<double> {
    auto found = entry.counters.find(name);
    if (found == entry.counters.end() || !std::isfinite(found->second)) return std::nullopt;
    return found->second;
  };
  const auto copy = [&](const char* from, const char* to = nullptr, double scale = 1.0) {
    if (auto value = counter(from)) out[to != nullptr ? to : from] = *value * scale;
  };
  const double total_ns = entry.real_time_ns();
  out[metric::total_time_ns] = total_ns;
  if (tasks > 0) out[metric::time_per_task_ns] = total_ns / static_cast<double>(tasks);
  copy(metric::items_per_second);
  copy(metric::cpu_cores);
  copy(metric::allocs_per_task, metric::allocs_per_million_tasks, 1e6);
  copy(metric::bytes_per_task);
  if (auto peak = counter(metric::peak_rss_bytes))
    if (auto empty = counter(metric::empty_case_peak_rss_bytes))
      out[metric::peak_rss_above_empty_bytes] = *peak - *empty;
  copy(metric::e2e_p50_ns);
  copy(metric::e2e_p99_ns);
  copy(metric::e2e_p999_ns);
  copy(metric::e2e_max_ns);
  copy(metric::queue_wait_p50_ns);
  copy(metric::queue_wait_p99_ns);
  copy(metric::submit_p50_ns);
  copy(metric::submit_p99_ns);
  copy(metric::threads_created);
  return out;
}

// The identity of a table: everything of a case but the strategy (and the strategy's own parameters).
using TableKey =
    std::tuple<std::string, std::map<std::string, std::string>, std::size_t, std::size_t, std::size_t>;

struct RowBuilder {
  StrategyRow row;
  std::map<std::string, std::vector<double>> values;
};

void fill_ratios(WorkloadTable& table) {
  const StrategyRow* baseline = table.find(baseline_strategy);
  const StrategyRow* lower = table.find(lower_bound_strategy);
  const Spread* baseline_time = baseline ? baseline->find(metric::total_time_ns) : nullptr;
  const Spread* lower_time = lower ? lower->find(metric::total_time_ns) : nullptr;
  for (auto& row : table.rows) {
    const Spread* time = row.find(metric::total_time_ns);
    if (time == nullptr) continue;
    if (baseline_time && baseline_time->median > 0)
      row.time_ratio_to_baseline = time->median / baseline_time->median;
    if (lower_time && lower_time->median > 0)
      row.time_ratio_to_lower_bound = time->median / lower_time->median;
  }
}

// The guide's rule ("Senior Decision Process", and its verdicts): default to the semaphore group; adopt a
// pool only when the benchmark shows a measurable benefit — here: the fastest pool's median total time is at
// least `threshold` times lower than the baseline's, and beyond the run's spread (its slowest repetition is
// faster than the baseline's fastest).
Recommendation recommend(const WorkloadTable& table, double threshold) {
  Recommendation out;
  const StrategyRow* baseline = table.find(baseline_strategy);
  const Spread* baseline_time = baseline ? baseline->find(metric::total_time_ns) : nullptr;

  const StrategyRow* fastest = nullptr;
  for (const auto& row : table.rows) {
    if (!row.is_pool) continue;
    const Spread* time = row.find(metric::total_time_ns);
    if (time == nullptr) continue;
    if (fastest == nullptr || time->median < fastest->find(metric::total_time_ns)->median) fastest = &row;
  }
  if (fastest) out.fastest_pool = fastest->label;

  if (baseline_time == nullptr) {
    out.decision = Decision::cannot_decide;
    out.reason = fmt::format(
        "{} (the default) has no successful repetition in this configuration, so the rule "
        "cannot be applied",
        baseline_strategy);
    return out;
  }
  if (fastest == nullptr) {
    out.decision = Decision::cannot_decide;
    out.choice = baseline_strategy;
    out.reason = "no pool strategy has a successful repetition in this configuration";
    return out;
  }

  const Spread& pool_time = *fastest->find(metric::total_time_ns);
  out.speedup = baseline_time->median / pool_time.median;
  out.fastest_pool_max_ns = pool_time.max;
  out.baseline_min_ns = baseline_time->min;
  const bool spread_known = pool_time.samples >= 2 && baseline_time->samples >= 2;
  if (spread_known) out.beyond_spread = pool_time.max < baseline_time->min;
  if (const StrategyRow* lower = table.find(lower_bound_strategy))
    if (const Spread* lower_time = lower->find(metric::total_time_ns); lower_time && lower_time->median > 0)
      out.lower_bound_speedup = pool_time.median / lower_time->median;

  const std::string speedup_text = fmt::format(
      "{} is {} faster than {} (median {} against {})", fastest->label, format_ratio(*out.speedup),
      baseline_strategy, format_duration_ns(pool_time.median), format_duration_ns(baseline_time->median));
  const std::string spread_text =
      !spread_known ? "the spread is unknown with a single repetition"
      : *out.beyond_spread
          ? fmt::format("beyond the spread (its slowest repetition, {}, beats {}'s fastest, {})",
                        format_duration_ns(pool_time.max), baseline_strategy,
                        format_duration_ns(baseline_time->min))
          : fmt::format("within the spread (its slowest repetition, {}, does not beat {}'s fastest, {})",
                        format_duration_ns(pool_time.max), baseline_strategy,
                        format_duration_ns(baseline_time->min));

  if (*out.speedup >= threshold && out.beyond_spread.value_or(false)) {
    out.decision = Decision::adopt_pool;
    out.choice = fastest->label;
    out.reason =
        fmt::format("{}, {}; at least the {} threshold", speedup_text, spread_text, format_ratio(threshold));
  } else if (*out.speedup <= 1.0) {
    out.decision = Decision::keep_default;
    out.choice = baseline_strategy;
    out.reason = fmt::format("no pool is faster than {}: the fastest, {}, takes {} of its time",
                             baseline_strategy, fastest->label, format_ratio(1.0 / *out.speedup));
  } else {
    out.decision = Decision::keep_default;
    out.choice = baseline_strategy;
    const bool enough = *out.speedup >= threshold;
    out.reason = fmt::format("{}, {}; {}", speedup_text, spread_text,
                             enough ? "not a measurable benefit until it is beyond the spread"
                                    : fmt::format("below the {} threshold", format_ratio(threshold)));
  }
  return out;
}

// The trait's displayed value and whether the conformance suite checks it.
std::vector<CapabilityCell> capability_cells(const StrategyTraits& traits) {
  const auto verified = [&](const std::string& trait) {
    const auto& table = conformance_verified_traits();
    return std::any_of(table.begin(), table.end(),
                       [&](const VerifiedTrait& v) { return v.trait == trait && v.applies(traits); });
  };
  const auto cell = [&](const char* trait, std::string value) {
    return CapabilityCell{trait, std::move(value), verified(trait)};
  };
  const auto yes_no = [](bool value) { return std::string(value ? "yes" : "no"); };
  return {cell("queue_order", std::string(to_string(traits.queue_order))),
          cell("worker_lifecycle", std::string(to_string(traits.worker_lifecycle))),
          cell("when_full", std::string(to_string(traits.when_full))),
          cell("on_exception", std::string(to_string(traits.on_exception))),
          cell("returns_results", yes_no(traits.returns_results)),
          cell("cancellation", yes_no(traits.cancellation)),
          cell("synchronous_submit", yes_no(traits.synchronous_submit)),
          cell("worker_state", yes_no(traits.worker_state))};
}

std::string spread_text(const Spread& spread, std::string (*format)(double)) {
  return format_range(spread.median, spread.min, spread.max, spread.samples, format);
}

std::string config_suffix(const WorkloadTable& table) {
  std::string out = fmt::format("P={}", table.producers);
  if (!table.workload_params.empty()) out = join_params(table.workload_params) + ", " + out;
  return fmt::format("{}, N={}, K={}", out, table.tasks, table.workers);
}

// "Pooling beats a thread per task by several times on tiny tasks" (Microbenchmarks: 100k atomic increments).
RuleCheck check_tiny_tasks(const std::vector<WorkloadTable>& tables) {
  RuleCheck rule{
      .id = "pooling_beats_thread_per_task",
      .claim =
          "At low task cost pool overhead matters: pooling beats a thread per task by several "
          "times on tiny tasks (guide: ants ~3x faster than raw goroutines on 100k atomic "
          "increments).",
      .criterion = fmt::format("on atomic_increment, every pool's median total time is at least {} "
                               "lower than {}'s, in every configuration",
                               format_ratio(several_times), thread_per_task_strategy),
      .outcome = RuleOutcome::not_measured,
      .evidence = {}};
  bool any = false;
  bool all_held = true;
  for (const auto& table : tables) {
    if (table.workload != "atomic_increment") continue;
    const StrategyRow* raw = table.find(thread_per_task_strategy);
    const Spread* raw_time = raw ? raw->find(metric::total_time_ns) : nullptr;
    if (raw_time == nullptr) continue;
    std::vector<std::string> parts;
    bool held = true;
    std::size_t pools = 0;
    for (const auto& row : table.rows) {
      const Spread* time = row.is_pool ? row.find(metric::total_time_ns) : nullptr;
      if (time == nullptr) continue;
      ++pools;
      const double speedup = raw_time->median / time->median;
      held = held && speedup >= several_times;
      parts.push_back(fmt::format("{} {}", row.label, format_ratio(speedup)));
    }
    if (pools == 0) continue;
    any = true;
    all_held = all_held && held;
    rule.evidence.push_back(fmt::format("{}: {} median {}; pools faster by: {} — {}", config_suffix(table),
                                        thread_per_task_strategy, spread_text(*raw_time, format_duration_ns),
                                        fmt::join(parts, ", "), held ? "held" : "did not hold"));
  }
  if (any) rule.outcome = all_held ? RuleOutcome::held : RuleOutcome::did_not_hold;
  return rule;
}

// "At I/O-heavy workloads with bounding, all bounded approaches are equivalent."
RuleCheck check_io_equivalence(const std::vector<WorkloadTable>& tables) {
  RuleCheck rule{
      .id = "bounded_equivalent_on_io",
      .claim =
          "At I/O-heavy workloads with bounding, all bounded approaches are equivalent (guide: "
          "errgroup K=100 and ants K=100 both 2.0 s on 1k HTTP calls).",
      .criterion = fmt::format("on simulated_io, the slowest bounded strategy's median total time is "
                               "within {:.0f}% of the fastest's, in every configuration (bounded: all "
                               "but {} and {})",
                               io_equivalence * 100, lower_bound_strategy, thread_per_task_strategy),
      .outcome = RuleOutcome::not_measured,
      .evidence = {}};
  bool any = false;
  bool all_held = true;
  for (const auto& table : tables) {
    if (table.workload != "simulated_io") continue;
    const StrategyRow* fastest = nullptr;
    const StrategyRow* slowest = nullptr;
    std::vector<std::string> parts;
    for (const auto& row : table.rows) {
      const Spread* time = row.bounded ? row.find(metric::total_time_ns) : nullptr;
      if (time == nullptr) continue;
      if (!fastest || time->median < fastest->find(metric::total_time_ns)->median) fastest = &row;
      if (!slowest || time->median > slowest->find(metric::total_time_ns)->median) slowest = &row;
      parts.push_back(fmt::format("{} {}", row.label, format_duration_ns(time->median)));
    }
    if (fastest == nullptr || fastest == slowest) continue;
    any = true;
    const double ratio =
        slowest->find(metric::total_time_ns)->median / fastest->find(metric::total_time_ns)->median;
    const bool held = ratio <= 1.0 + io_equivalence;
    all_held = all_held && held;
    rule.evidence.push_back(fmt::format("{}: {}; slowest ({}) / fastest ({}) = {:.3f} — {}",
                                        config_suffix(table), fmt::join(parts, ", "), slowest->label,
                                        fastest->label, ratio, held ? "held" : "did not hold"));
  }
  if (any) rule.outcome = all_held ? RuleOutcome::held : RuleOutcome::did_not_hold;
  return rule;
}

// "At warm-state workloads, tunny wins by reusing the state" (tunny 4x faster than errgroup).
RuleCheck check_warm_state(const std::vector<WorkloadTable>& tables) {
  RuleCheck rule{.id = "worker_state_wins_on_warm_state",
                 .claim =
                     "At warm-state workloads, per-worker state wins by reusing the state (guide: tunny 4x "
                     "faster than errgroup with a 50 ms regex compile).",
                 .criterion = fmt::format(
                     "on warm_state with state=auto (per worker where the strategy "
                     "keeps worker state, per task elsewhere), a strategy with worker state is at least "
                     "{} faster than {} (median total time), in every configuration",
                     format_ratio(warm_state_win), baseline_strategy),
                 .outcome = RuleOutcome::not_measured,
                 .evidence = {}};
  bool any = false;
  bool all_held = true;
  for (const auto& table : tables) {
    if (table.workload != "warm_state") continue;
    // Only where the workload lets the state follow the strategy (state=auto): per_task and thread_local fix
    // the scope for every strategy, which is a different question.
    if (auto state = table.workload_params.find("state");
        state != table.workload_params.end() && state->second != "auto")
      continue;
    const StrategyRow* baseline = table.find(baseline_strategy);
    const Spread* baseline_time = baseline ? baseline->find(metric::total_time_ns) : nullptr;
    if (baseline_time == nullptr) continue;
    for (const auto& row : table.rows) {
      const StrategyInfo* info = strategy_info(row.strategy);
      const Spread* time = row.find(metric::total_time_ns);
      if (info == nullptr || !info->traits.worker_state || time == nullptr) continue;
      any = true;
      const double speedup = baseline_time->median / time->median;
      const bool held = speedup >= warm_state_win;
      all_held = all_held && held;
      rule.evidence.push_back(fmt::format(
          "{}: {} {}{} against {} {}{}: {} — {}", config_suffix(table), row.label,
          spread_text(*time, format_duration_ns), row.case_label.empty() ? "" : " [" + row.case_label + "]",
          baseline_strategy, spread_text(*baseline_time, format_duration_ns),
          baseline->case_label.empty() ? "" : " [" + baseline->case_label + "]", format_ratio(speedup),
          held ? "held" : "did not hold"));
    }
  }
  if (any) rule.outcome = all_held ? RuleOutcome::held : RuleOutcome::did_not_hold;
  return rule;
}

// Where, on a log-log line through measured points, the gap falls to `target`. Describes how it was found.
std::pair<std::optional<double>, std::string> crossing(const std::vector<CrossoverGap>& gaps, double target,
                                                       const std::string& what) {
  if (gaps.empty()) return {std::nullopt, "not measured in this run"};
  const auto us = [](double value) { return format_duration_ns(value * 1e3); };
  if (gaps.front().speedup < target)
    return {std::nullopt,
            fmt::format("below the shortest measured task duration ({}): the gap is already {} there, "
                        "under {}",
                        us(gaps.front().task_duration_us), format_ratio(gaps.front().speedup), what)};
  for (std::size_t i = 1; i < gaps.size(); ++i) {
    const auto& a = gaps[i - 1];
    const auto& b = gaps[i];
    if (a.speedup >= target && b.speedup < target) {
      // Interpolated in log(duration) against log(gap): the gap shrinks roughly as a power of the duration.
      const double la = std::log(a.speedup), lb = std::log(b.speedup), lt = std::log(target);
      const double fraction = (la - lt) / (la - lb);
      const double estimate =
          std::exp(std::log(a.task_duration_us) +
                   fraction * (std::log(b.task_duration_us) - std::log(a.task_duration_us)));
      return {estimate, fmt::format("about {} (log-log interpolation between {} at {} and {} at {})",
                                    us(estimate), format_ratio(a.speedup), us(a.task_duration_us),
                                    format_ratio(b.speedup), us(b.task_duration_us))};
    }
  }
  return {std::nullopt,
          fmt::format("above the longest measured task duration ({}): the gap is still {} there",
                      us(gaps.back().task_duration_us), format_ratio(gaps.back().speedup))};
}

std::vector<Crossover> build_crossovers(const std::vector<WorkloadTable>& tables, double threshold) {
  // Group cpu_burst tables by everything but the duration (and the task count: time per task normalises it).
  using GroupKey = std::tuple<std::size_t, std::size_t, std::map<std::string, std::string>>;
  struct Group {
    std::string duration_param;
    std::map<double, const WorkloadTable*> by_duration;
  };
  std::map<GroupKey, Group> groups;
  for (const auto& table : tables) {
    if (table.workload != cpu_burst_workload) continue;
    auto duration = task_duration_us(table.workload_params);
    if (!duration) continue;
    auto other = table.workload_params;
    other.erase(duration->first);
    Group& group = groups[GroupKey{table.workers, table.producers, other}];
    group.duration_param = duration->first;
    // With several task counts at one duration, the largest measures the steady state best.
    auto& slot = group.by_duration[duration->second];
    if (slot == nullptr || table.tasks > slot->tasks) slot = &table;
  }

  std::vector<Crossover> out;
  for (const auto& [key, group] : groups) {
    Crossover crossover;
    crossover.duration_param = group.duration_param;
    crossover.workers = std::get<0>(key);
    crossover.producers = std::get<1>(key);
    crossover.other_params = std::get<2>(key);
    crossover.title =
        fmt::format("cpu_burst — {}, {}{}", plural(crossover.workers, "worker", "workers"),
                    plural(crossover.producers, "producer", "producers"),
                    crossover.other_params.empty() ? "" : ", " + join_params(crossover.other_params));
    std::map<std::string, CrossoverSeries> series;
    std::vector<std::string> order;
    for (const auto& [duration_us, table] : group.by_duration) {
      const StrategyRow* fastest = nullptr;
      for (const auto& row : table->rows) {
        const Spread* per_task = row.find(metric::time_per_task_ns);
        if (per_task == nullptr) continue;
        if (!series.count(row.label)) order.push_back(row.label);
        auto& s = series[row.label];
        s.label = row.label;
        s.points.push_back(CrossoverPoint{duration_us, *per_task});
        if (row.is_pool && (!fastest || per_task->median < fastest->find(metric::time_per_task_ns)->median))
          fastest = &row;
      }
      const StrategyRow* baseline = table->find(baseline_strategy);
      const Spread* baseline_time = baseline ? baseline->find(metric::time_per_task_ns) : nullptr;
      if (fastest && baseline_time)
        crossover.gaps.push_back(
            CrossoverGap{duration_us, fastest->label,
                         baseline_time->median / fastest->find(metric::time_per_task_ns)->median});
    }
    std::sort(order.begin(), order.end(), [](const std::string& a, const std::string& b) {
      return std::tuple(strategy_rank(a), a) < std::tuple(strategy_rank(b), b);
    });
    for (const auto& label : order) crossover.series.push_back(series[label]);
    std::tie(crossover.adopt_crossover_us, crossover.adopt_crossover) =
        crossing(crossover.gaps, threshold, fmt::format("the {} adopt threshold", format_ratio(threshold)));
    std::tie(crossover.parity_crossover_us, crossover.parity_crossover) =
        crossing(crossover.gaps, parity_ratio, "10%");
    out.push_back(std::move(crossover));
  }
  return out;
}

// "For 10μs tasks, the differences are small ... For 1ms tasks, the differences shrink. For 1s tasks, they
// vanish."
RuleCheck check_gap_closes(const std::vector<Crossover>& crossovers, double threshold) {
  RuleCheck rule{
      .id = "gap_closes_with_task_duration",
      .claim =
          "The gap between strategies closes as tasks get longer (guide: at 100 µs CPU tasks raw, "
          "errgroup and ants are within noise; for 1 ms tasks the differences shrink).",
      .criterion = fmt::format("on cpu_burst, the fastest pool's speedup over {} (median time per task) "
                               "is lower at the longest measured duration than at the shortest, and "
                               "never grows by more than {:.0f}% from one duration to the next; the "
                               "crossover is where it falls to the {} adopt threshold",
                               baseline_strategy, (gap_growth_tolerance - 1) * 100, format_ratio(threshold)),
      .outcome = RuleOutcome::not_measured,
      .evidence = {}};
  bool any = false;
  bool all_held = true;
  for (const auto& crossover : crossovers) {
    if (crossover.gaps.size() < 2) continue;
    any = true;
    bool held = crossover.gaps.back().speedup < crossover.gaps.front().speedup;
    std::vector<std::string> parts;
    for (std::size_t i = 0; i < crossover.gaps.size(); ++i) {
      const auto& gap = crossover.gaps[i];
      if (i > 0 && gap.speedup > crossover.gaps[i - 1].speedup * gap_growth_tolerance) held = false;
      parts.push_back(
          fmt::format("{} at {}", format_ratio(gap.speedup), format_duration_ns(gap.task_duration_us * 1e3)));
    }
    all_held = all_held && held;
    rule.evidence.push_back(fmt::format("{}: fastest pool over {}: {}; falls to {}: {} — {}", crossover.title,
                                        baseline_strategy, fmt::join(parts, ", "), format_ratio(threshold),
                                        crossover.adopt_crossover, held ? "held" : "did not hold"));
  }
  if (any) rule.outcome = all_held ? RuleOutcome::held : RuleOutcome::did_not_hold;
  return rule;
}

std::vector<SubmitCostTable> build_submit_costs(const std::vector<WorkloadTable>& tables) {
  using Key = std::tuple<std::string, std::map<std::string, std::string>, std::size_t, std::size_t>;
  std::map<Key, std::vector<const WorkloadTable*>> groups;
  std::vector<Key> order;
  for (const auto& table : tables) {
    Key key{table.workload, table.workload_params, table.tasks, table.workers};
    if (!groups.count(key)) order.push_back(key);
    groups[key].push_back(&table);
  }
  std::vector<SubmitCostTable> out;
  for (const auto& key : order) {
    const auto& members = groups[key];
    if (members.size() < 2) continue;  // only one producer count: nothing to contrast
    const auto [low, high] = std::minmax_element(
        members.begin(), members.end(), [](auto* a, auto* b) { return a->producers < b->producers; });
    SubmitCostTable cost;
    cost.workload = std::get<0>(key);
    cost.workload_params = std::get<1>(key);
    cost.tasks = std::get<2>(key);
    cost.workers = std::get<3>(key);
    cost.low_producers = (*low)->producers;
    cost.high_producers = (*high)->producers;
    cost.title = config_title(cost.workload, cost.workload_params, cost.tasks, cost.workers, std::nullopt);
    std::vector<std::string> labels;
    for (const auto* table : {*low, *high})
      for (const auto& row : table->rows)
        if (std::find(labels.begin(), labels.end(), row.label) == labels.end()) labels.push_back(row.label);
    for (const auto& label : labels) {
      SubmitCostRow row;
      row.label = label;
      const auto take = [&](const WorkloadTable* table, const char* key_name) -> std::optional<Spread> {
        const StrategyRow* found = table->find(label);
        const Spread* spread = found ? found->find(key_name) : nullptr;
        return spread ? std::optional<Spread>(*spread) : std::nullopt;
      };
      row.low_p50_ns = take(*low, metric::submit_p50_ns);
      row.low_p99_ns = take(*low, metric::submit_p99_ns);
      row.high_p50_ns = take(*high, metric::submit_p50_ns);
      row.high_p99_ns = take(*high, metric::submit_p99_ns);
      if (!row.low_p50_ns && !row.low_p99_ns && !row.high_p50_ns && !row.high_p99_ns)
        continue;  // failed at both
      if (row.low_p50_ns && row.high_p50_ns && row.low_p50_ns->median > 0)
        row.p50_growth = row.high_p50_ns->median / row.low_p50_ns->median;
      cost.rows.push_back(std::move(row));
    }
    out.push_back(std::move(cost));
  }
  return out;
}

std::string scalar_text(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_integer() || value.is_number_unsigned()) return value.dump();
  if (value.is_number_float()) return fmt::format("{:g}", value.get<double>());
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  return value.dump();
}

void fill_header(const ResultFile& file, Report& report) {
  const nlohmann::json& context = file.context;
  const nlohmann::json empty = nlohmann::json::object();
  const nlohmann::json& pool =
      context.is_object() && context.contains("poolbench") && context["poolbench"].is_object()
          ? context["poolbench"]
          : empty;
  const auto get = [](const nlohmann::json& object, const char* key) -> std::optional<std::string> {
    if (!object.is_object() || !object.contains(key) || object[key].is_null()) return std::nullopt;
    return scalar_text(object[key]);
  };
  const auto add = [&](const char* label, std::optional<std::string> value) {
    report.header.emplace_back(label, value.value_or("not recorded"));
  };
  std::set<std::string> shown;
  const auto from_pool = [&](const char* key) {
    shown.insert(key);
    return get(pool, key);
  };

  std::string machine = get(context, "host_name").value_or("host not recorded");
  if (auto cpu = from_pool("cpu_model")) machine += ", " + *cpu;
  if (auto cores = from_pool("cores")) machine += ", " + *cores + " cores";
  if (auto cpus = get(context, "num_cpus")) machine += ", " + *cpus + " CPUs";
  if (auto mhz = get(context, "mhz_per_cpu")) machine += " at " + *mhz + " MHz";
  add("Machine", machine);
  if (context.is_object() && context.contains("caches") && context["caches"].is_array()) {
    std::vector<std::string> caches;
    for (const auto& cache : context["caches"]) {
      if (!cache.is_object()) continue;
      const double size = cache.value("size", 0.0);
      caches.push_back(fmt::format("L{} {} {} (shared by {})", cache.value("level", 0),
                                   cache.value("type", "?"), format_bytes(size),
                                   cache.value("num_sharing", 0)));
    }
    if (!caches.empty()) add("Caches", fmt::format("{}", fmt::join(caches, ", ")));
  }
  add("Kernel", from_pool("kernel"));
  add("Compiler", from_pool("compiler"));
  std::string build = from_pool("build_type").value_or("not recorded");
  if (auto library = get(context, "library_build_type"))
    build += " (Google Benchmark library: " + *library + ")";
  add("Build", build);
  add("Allocator", from_pool("allocator"));
  add("Date", from_pool("date") ? get(pool, "date") : get(context, "date"));
  add("Commit", from_pool("git_commit"));
  add("poolbench version", from_pool("version"));
  add("Command line", from_pool("command_line"));
  if (auto load = context.is_object() && context.contains("load_avg") ? std::optional(context["load_avg"])
                                                                      : std::nullopt;
      load && load->is_array() && !load->empty()) {
    std::vector<std::string> values;
    for (const auto& value : *load) values.push_back(scalar_text(value));
    add("Load average at start", fmt::format("{}", fmt::join(values, ", ")));
  }
  for (auto it = pool.begin(); it != pool.end(); ++it) {
    if (shown.count(it.key()) || it.value().is_structured() || it.value().is_null()) continue;
    report.run_details.emplace_back(it.key(), scalar_text(it.value()));
  }
}

}  // namespace

const Spread* StrategyRow::find(const std::string& key) const {
  auto found = metrics.find(key);
  return found == metrics.end() ? nullptr : &found->second;
}

const StrategyRow* WorkloadTable::find(const std::string& label) const {
  for (const auto& row : rows)
    if (row.label == label) return &row;
  return nullptr;
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

const char* to_string(RuleOutcome outcome) {
  switch (outcome) {
    case RuleOutcome::held:
      return "held";
    case RuleOutcome::did_not_hold:
      return "did_not_hold";
    case RuleOutcome::not_measured:
      return "not_measured";
  }
  return "unknown";
}

// Derived from the table tests/conformance_test.cpp skips by (src/sdk/conformance_checks.hpp): a cell is
// marked verified only where a test there drives the strategy and checks the declared value against what
// happens.
const std::vector<VerifiedTrait>& conformance_verified_traits() {
  static const std::vector<VerifiedTrait> traits = [] {
    std::vector<VerifiedTrait> out;
    for (const ConformanceCheck& check : conformance_checks) {
      const std::string how = fmt::format("Conformance.{} ({})", check.test, check.drives);
      auto same = std::find_if(out.begin(), out.end(),
                               [&](const VerifiedTrait& v) { return v.trait == check.trait; });
      if (same != out.end()) {
        same->how += "; " + how;
        continue;
      }
      const std::string trait(check.trait);
      out.push_back(
          {trait, how, [trait](const StrategyTraits& t) { return conformance_verifies(trait, t); }});
    }
    return out;
  }();
  return traits;
}

Report build_report(const ResultFile& file, const ReportOptions& options) {
  Report report;
  report.source = file.path;
  report.adopt_threshold = options.adopt_threshold;
  if (file.entries.empty()) throw ResultFileError(file.path + ": holds no benchmark entries to report on");
  fill_header(file, report);
  if (const auto* poolbench = file.context.is_object() ? &file.context["poolbench"] : nullptr;
      poolbench != nullptr && poolbench->is_object() && poolbench->contains("metrics") &&
      (*poolbench)["metrics"].is_object()) {
    report.metric_catalogue = (*poolbench)["metrics"];
    report.metric_catalogue_from_file = true;
  } else {
    report.metric_catalogue = metrics::catalogue_to_json();
  }

  std::map<TableKey, std::map<std::string, RowBuilder>> grouped;
  std::vector<TableKey> table_order;
  std::size_t with_case = 0;
  for (const ResultEntry& entry : file.entries) {
    if (entry.is_aggregate()) continue;
    if (entry.error_occurred)
      report.failures.push_back(FailedCase{entry.run_name.empty() ? entry.name : entry.run_name,
                                           entry.repetition_index, entry.error_message});
    if (!entry.case_info) continue;
    ++with_case;
    const CaseInfo& info = *entry.case_info;
    const SplitParams params = split_params(info);
    TableKey key{info.workload, params.workload, info.tasks, info.workers, info.producers};
    if (!grouped.count(key)) table_order.push_back(key);
    const std::string label = row_label(info.strategy, params.strategy_non_default);
    RowBuilder& builder = grouped[key][label];
    StrategyRow& row = builder.row;
    if (row.strategy.empty()) {
      row.strategy = info.strategy;
      row.label = label;
      row.case_name = entry.run_name.empty() ? entry.name : entry.run_name;
      const StrategyInfo* strategy = strategy_info(info.strategy);
      row.known_strategy = strategy != nullptr;
      if (strategy) {
        const auto& traits = strategy->traits;
        row.is_pool = traits.worker_lifecycle == WorkerLifecycle::fixed_workers ||
                      traits.worker_lifecycle == WorkerLifecycle::on_demand_with_expiry;
        row.bounded = traits.worker_lifecycle != WorkerLifecycle::caller_thread &&
                      !(traits.worker_lifecycle == WorkerLifecycle::thread_per_task &&
                        traits.when_full == WhenFull::never_full);
      }
    }
    if (entry.error_occurred) {
      ++row.failed_repetitions;
      continue;
    }
    ++row.successful_repetitions;
    if (row.case_label.empty()) row.case_label = entry.label;
    for (const auto& [name, value] : metrics_of(entry, info.tasks)) builder.values[name].push_back(value);
  }
  if (with_case == 0)
    throw ResultFileError(file.path +
                          ": no entry carries poolbench's case information (strategy, workload, ...); "
                          "report needs a file written by `poolbench run`");

  std::set<std::string> unknown_strategies;
  for (const auto& key : table_order) {
    WorkloadTable table;
    std::tie(table.workload, table.workload_params, table.tasks, table.workers, table.producers) = key;
    table.title =
        config_title(table.workload, table.workload_params, table.tasks, table.workers, table.producers);
    for (auto& [label, builder] : grouped[key]) {
      for (auto& [name, values] : builder.values)
        if (auto spread = spread_of(std::move(values))) builder.row.metrics[name] = *spread;
      if (!builder.row.known_strategy) unknown_strategies.insert(builder.row.strategy);
      table.rows.push_back(std::move(builder.row));
    }
    std::sort(table.rows.begin(), table.rows.end(), [](const StrategyRow& a, const StrategyRow& b) {
      return std::tuple(strategy_rank(a.strategy), a.label) < std::tuple(strategy_rank(b.strategy), b.label);
    });
    fill_ratios(table);
    table.recommendation = recommend(table, options.adopt_threshold);
    report.tables.push_back(std::move(table));
  }
  // Workloads in first-seen order, their configurations in a stable reading order within.
  std::vector<std::string> workload_order;
  for (const auto& key : table_order)
    if (std::find(workload_order.begin(), workload_order.end(), std::get<0>(key)) == workload_order.end())
      workload_order.push_back(std::get<0>(key));
  std::stable_sort(
      report.tables.begin(), report.tables.end(), [&](const WorkloadTable& a, const WorkloadTable& b) {
        const auto rank = [&](const WorkloadTable& t) {
          const auto position =
              std::find(workload_order.begin(), workload_order.end(), t.workload) - workload_order.begin();
          const double duration =
              task_duration_us(t.workload_params).value_or(std::pair{std::string(), 0.0}).second;
          return std::tuple(position, duration, t.workload_params, t.tasks, t.workers, t.producers);
        };
        return rank(a) < rank(b);
      });

  report.submit_costs = build_submit_costs(report.tables);

  std::set<std::string> strategies;
  for (const auto& table : report.tables)
    for (const auto& row : table.rows) strategies.insert(row.strategy);
  std::vector<std::string> strategy_order(strategies.begin(), strategies.end());
  std::sort(strategy_order.begin(), strategy_order.end(), [](const std::string& a, const std::string& b) {
    return std::tuple(strategy_rank(a), a) < std::tuple(strategy_rank(b), b);
  });
  for (const auto& name : strategy_order) {
    CapabilityRow row{.strategy = name, .known = false, .description = {}, .cells = {}};
    if (const StrategyInfo* info = strategy_info(name)) {
      row.known = true;
      row.description = info->description;
      row.cells = capability_cells(info->traits);
    }
    report.capabilities.push_back(std::move(row));
  }

  report.crossovers = build_crossovers(report.tables, options.adopt_threshold);
  report.rules = {check_tiny_tasks(report.tables), check_io_equivalence(report.tables),
                  check_warm_state(report.tables),
                  check_gap_closes(report.crossovers, options.adopt_threshold)};

  if (!unknown_strategies.empty())
    report.notes.push_back(
        fmt::format("Strategies not registered in this build (traits unknown, not considered as "
                    "pools): {}",
                    fmt::join(unknown_strategies, ", ")));
  return report;
}

}  // namespace poolbench::report
