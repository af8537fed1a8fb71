// The guide's rules of thumb, checked against this run's tables, and the crossover of time per task against
// task duration that the last of them rests on.
#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <fmt/format.h>

#include "format/units.hpp"
#include "report/report_parts.hpp"

namespace poolbench::report {
namespace {

// The guide's rules of thumb, as numbers.
constexpr double several_times = 3.0;    // "pooling beats a thread per task by several times"
constexpr double io_equivalence = 0.10;  // "bounded strategies within 10% of each other on I/O"
constexpr double warm_state_win = 3.0;   // "per-worker state wins at least 3x on warm state"
constexpr double gap_growth_tolerance =
    1.05;                              // a gap may wobble up by 5% between durations and still "close"
constexpr double parity_ratio = 1.10;  // "within 10%": the differences have vanished

std::string spread_text(const Spread& spread, std::string (*format)(double)) {
  return format_range(spread.median, spread.min, spread.max, spread.samples, format);
}

std::string config_suffix(const WorkloadTable& table) {
  std::string out = fmt::format("P={}", table.producers);
  if (!table.workload_params.empty()) out = join_params(table.workload_params) + ", " + out;
  return fmt::format("{}, N={}, K={}", out, table.tasks, table.workers);
}

// A rule compares steady states: with fewer than min_rule_waves waves of K tasks, starting the workers and
// the last partial wave are most of what is measured. Such a configuration is listed as not judged.
bool large_enough(const WorkloadTable& table, RuleCheck& rule) {
  const std::size_t needed = min_rule_waves * std::max<std::size_t>(table.workers, 1);
  if (table.tasks >= needed) return true;
  rule.evidence.push_back(fmt::format("{}: not judged: too few tasks ({} < {} waves of K={}, {})",
                                      config_suffix(table), table.tasks, min_rule_waves, table.workers,
                                      needed));
  return false;
}

std::string size_criterion() {
  return fmt::format(
      "; only configurations of at least {} waves of K tasks (tasks >= {} x workers) are judged",
      min_rule_waves, min_rule_waves);
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
                               "lower than {}'s, in every configuration{}",
                               format_ratio(several_times), thread_per_task_strategy, size_criterion()),
      .outcome = RuleOutcome::not_measured,
      .evidence = {}};
  bool any = false;
  bool all_held = true;
  for (const auto& table : tables) {
    if (table.workload != "atomic_increment" || !large_enough(table, rule)) continue;
    // Each of raw_threads' rows (a row per spawn mode: an OS thread, or a fiber as the guide's goroutine).
    for (const auto& raw : table.rows) {
      const Spread* raw_time =
          raw.strategy == thread_per_task_strategy ? raw.find(metric::total_time_ns) : nullptr;
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
                                          raw.label, spread_text(*raw_time, format_duration_ns),
                                          fmt::join(parts, ", "), held ? "held" : "did not hold"));
    }
  }
  if (any) rule.outcome = all_held ? RuleOutcome::held : RuleOutcome::did_not_hold;
  return rule;
}

// "At I/O-heavy workloads with bounding, all bounded approaches are equivalent."
RuleCheck check_io_equivalence(const std::vector<WorkloadTable>& tables) {
  RuleCheck rule{.id = "bounded_equivalent_on_io",
                 .claim =
                     "At I/O-heavy workloads with bounding, all bounded approaches are equivalent (guide: "
                     "errgroup K=100 and ants K=100 both 2.0 s on 1k HTTP calls).",
                 .criterion = fmt::format(
                     "on simulated_io, the slowest bounded strategy's median total time is "
                     "within {:.0f}% of the fastest's, in every configuration (bounded: all "
                     "but {} and {}){}",
                     io_equivalence * 100, lower_bound_strategy, thread_per_task_strategy, size_criterion()),
                 .outcome = RuleOutcome::not_measured,
                 .evidence = {}};
  bool any = false;
  bool all_held = true;
  for (const auto& table : tables) {
    if (table.workload != "simulated_io" || !large_enough(table, rule)) continue;
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
// The baseline as the tables name it (the first table's), for a rule's criterion.
std::string baseline_name(const std::vector<WorkloadTable>& tables) {
  return tables.empty() ? std::string(baseline_strategy) : tables.front().baseline;
}

RuleCheck check_warm_state(const std::vector<WorkloadTable>& tables) {
  RuleCheck rule{.id = "worker_state_wins_on_warm_state",
                 .claim =
                     "At warm-state workloads, per-worker state wins by reusing the state (guide: tunny 4x "
                     "faster than errgroup with a 50 ms regex compile).",
                 .criterion = fmt::format(
                     "on warm_state with state=auto (per worker where the strategy "
                     "keeps worker state, per task elsewhere), a strategy with worker state is at least "
                     "{} faster than {} (median total time), in every configuration{}",
                     format_ratio(warm_state_win), baseline_name(tables), size_criterion()),
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
    if (!large_enough(table, rule)) continue;
    const StrategyRow* baseline = table.find(table.baseline);
    const Spread* baseline_time = baseline ? baseline->find(metric::total_time_ns) : nullptr;
    if (baseline_time == nullptr) continue;
    for (const auto& row : table.rows) {
      const Spread* time = row.find(metric::total_time_ns);
      if (!row.worker_state || time == nullptr) continue;
      any = true;
      const double speedup = baseline_time->median / time->median;
      const bool held = speedup >= warm_state_win;
      all_held = all_held && held;
      rule.evidence.push_back(fmt::format(
          "{}: {} {}{} against {} {}{}: {} — {}", config_suffix(table), row.label,
          spread_text(*time, format_duration_ns), row.case_label.empty() ? "" : " [" + row.case_label + "]",
          baseline->label, spread_text(*baseline_time, format_duration_ns),
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

}  // namespace

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
      const StrategyRow* baseline = table->find(table->baseline);
      if (crossover.baseline.empty()) crossover.baseline = table->baseline;
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

namespace {

// "For 10μs tasks, the differences are small ... For 1ms tasks, the differences shrink. For 1s tasks, they
// vanish."
RuleCheck check_gap_closes(const std::vector<Crossover>& crossovers, double threshold) {
  RuleCheck rule{.id = "gap_closes_with_task_duration",
                 .claim =
                     "The gap between strategies closes as tasks get longer (guide: at 100 µs CPU tasks raw, "
                     "errgroup and ants are within noise; for 1 ms tasks the differences shrink).",
                 .criterion = fmt::format(
                     "on cpu_burst, the fastest pool's speedup over {} (median time per task) "
                     "is lower at the longest measured duration than at the shortest, and "
                     "never grows by more than {:.0f}% from one duration to the next; the "
                     "crossover is where it falls to the {} adopt threshold",
                     crossovers.empty() ? std::string(baseline_strategy) : crossovers.front().baseline,
                     (gap_growth_tolerance - 1) * 100, format_ratio(threshold)),
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
                                        crossover.baseline, fmt::join(parts, ", "), format_ratio(threshold),
                                        crossover.adopt_crossover, held ? "held" : "did not hold"));
  }
  if (any) rule.outcome = all_held ? RuleOutcome::held : RuleOutcome::did_not_hold;
  return rule;
}

}  // namespace

std::vector<RuleCheck> check_rules(const std::vector<WorkloadTable>& tables,
                                   const std::vector<Crossover>& crossovers, double threshold) {
  return {check_tiny_tasks(tables), check_io_equivalence(tables), check_warm_state(tables),
          check_gap_closes(crossovers, threshold)};
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

}  // namespace poolbench::report
