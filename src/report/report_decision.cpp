// The guide's adopt rule, applied to one table: which pool, if any, beats the baseline significantly, and
// whether it beats the other pools too (otherwise a tie); the latency objective (--slo-p99) first rules out
// strategies that miss it.
#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "format/units.hpp"
#include "report/report_parts.hpp"

namespace poolbench::report {
namespace {

// Open-loop parameters of a table (what load was offered): left out when matching a closed-loop table with
// the open-loop runs of the same configuration.
bool is_arrival_param(const std::string& name) {
  return name == "arrival" || name == "load" || name == "rate";
}

std::map<std::string, std::string> without_arrival(const std::map<std::string, std::string>& params) {
  std::map<std::string, std::string> out;
  for (const auto& [name, value] : params)
    if (!is_arrival_param(name)) out.emplace(name, value);
  return out;
}

std::string load_text(const WorkloadTable& table) {
  std::map<std::string, std::string> offered;
  for (const auto& [name, value] : table.workload_params)
    if (is_arrival_param(name)) offered.emplace(name, value);
  return join_params(offered);
}

const std::vector<double>* samples_of(const StrategyRow& row, const std::string& key) {
  auto found = row.samples.find(key);
  return found == row.samples.end() || found->second.empty() ? nullptr : &found->second;
}

std::string p_text(const Significance& s) {
  if (s.separated) return "its range is clear of the other's";
  if (s.p_value) return fmt::format("U test p = {:.3f}", *s.p_value);
  return "no test made";
}

std::string labels_text(const std::vector<std::string>& labels) {
  return fmt::format("{}", fmt::join(labels, " or "));
}

}  // namespace

Significance faster_than(const StrategyRow& a, const StrategyRow& b, const std::string& key) {
  Significance out;
  const std::vector<double>* xa = samples_of(a, key);
  const std::vector<double>* xb = samples_of(b, key);
  if (xa == nullptr || xb == nullptr) return out;
  out.enough = xa->size() >= min_decision_repetitions && xb->size() >= min_decision_repetitions;
  if (!out.enough) return out;
  out.p_value = metrics::mann_whitney_u(*xa, *xb).p_value;
  out.separated = *std::max_element(xa->begin(), xa->end()) < *std::min_element(xb->begin(), xb->end());
  const bool a_lower = metrics::median(*xa) < metrics::median(*xb);
  out.significant = out.separated || (a_lower && *out.p_value < decision_alpha);
  return out;
}

std::map<std::string, SloVerdict> judge_slo(const WorkloadTable& table, const std::vector<WorkloadTable>& all,
                                            double slo_p99_ns) {
  // An open-loop table is judged on its own latencies; a closed-loop one on every open-loop run of the same
  // configuration (any offered load: the worst counts), and on its own where it has none.
  std::vector<const WorkloadTable*> sources;
  if (!open_loop(table)) {
    const auto key = without_arrival(table.workload_params);
    for (const auto& other : all)
      if (open_loop(other) && other.workload == table.workload && other.workers == table.workers &&
          other.producers == table.producers && without_arrival(other.workload_params) == key)
        sources.push_back(&other);
  }
  std::map<std::string, SloVerdict> out;
  for (const auto& row : table.rows) {
    SloVerdict verdict;
    for (const WorkloadTable* source : sources) {
      const StrategyRow* open = source->find(row.label);
      if (open == nullptr) continue;
      const Spread* p99 = open->find(metric::e2e_p99_ns);
      const Spread* saturated = open->find(metric::saturated);
      if (p99 == nullptr) continue;
      verdict.measured = true;
      const bool missed = p99->median > slo_p99_ns || (saturated != nullptr && saturated->max > 0);
      if (missed && verdict.met) {
        verdict.met = false;
        verdict.evidence =
            fmt::format("e2e p99 {}{} in the open loop at {}", format_duration_ns(p99->median),
                        saturated != nullptr && saturated->max > 0 ? ", saturated" : "", load_text(*source));
      } else if (verdict.met && verdict.evidence.empty()) {
        verdict.evidence = fmt::format("e2e p99 {} in the open loop at {}", format_duration_ns(p99->median),
                                       load_text(*source));
      }
    }
    if (!verdict.measured) {
      const Spread* p99 = row.find(metric::e2e_p99_ns);
      const Spread* saturated = row.find(metric::saturated);
      if (p99 != nullptr) {
        verdict.measured = true;
        verdict.met = p99->median <= slo_p99_ns && !(saturated != nullptr && saturated->max > 0);
        verdict.evidence = fmt::format(
            "e2e p99 {}{}{}", format_duration_ns(p99->median),
            saturated != nullptr && saturated->max > 0 ? ", saturated" : "",
            open_loop(table) ? " in this open loop" : " in this closed loop (no open-loop run of it)");
      }
    }
    if (!verdict.measured) {
      verdict.met = false;
      verdict.evidence = "no e2e p99 recorded";
    }
    out.emplace(row.label, std::move(verdict));
  }
  return out;
}

// The guide's rule ("Senior Decision Process", and its verdicts): default to the semaphore group; adopt a
// pool only when the benchmark shows a measurable benefit — here: the fastest pool's median time is at least
// `threshold` times lower than the baseline's, and the difference is significant (the U test over the
// repetitions at decision_alpha, or ranges that do not overlap). A pool that does not beat the runner-up pool
// significantly is named with it as a tie; below min_decision_repetitions nothing is decided.
Recommendation recommend(const WorkloadTable& table, double threshold,
                         const std::map<std::string, SloVerdict>* slo) {
  Recommendation out;
  const std::string& baseline_label = table.baseline;
  const StrategyRow* baseline = table.find(baseline_label);
  const Spread* baseline_time = baseline ? baseline->find(table.compared_time) : nullptr;
  const auto meets_slo = [&](const StrategyRow& row) {
    if (slo == nullptr) return true;
    auto found = slo->find(row.label);
    return found != slo->end() && found->second.met;
  };

  std::vector<const StrategyRow*> candidates;  // pools with a time that meet the objective, fastest first
  for (const auto& row : table.rows) {
    if (!row.is_pool || row.find(table.compared_time) == nullptr) continue;
    if (!meets_slo(row)) {
      out.missed_slo.push_back(fmt::format("{} ({})", row.label, slo->at(row.label).evidence));
      continue;
    }
    candidates.push_back(&row);
  }
  std::stable_sort(candidates.begin(), candidates.end(), [&](const StrategyRow* a, const StrategyRow* b) {
    return a->find(table.compared_time)->median < b->find(table.compared_time)->median;
  });
  const StrategyRow* fastest = candidates.empty() ? nullptr : candidates.front();
  if (fastest) out.fastest_pool = fastest->label;
  const bool baseline_misses_slo = baseline != nullptr && !meets_slo(*baseline);
  if (baseline_misses_slo)
    out.missed_slo.insert(out.missed_slo.begin(),
                          fmt::format("{} ({})", baseline_label, slo->at(baseline_label).evidence));

  if (baseline_time == nullptr) {
    out.decision = Decision::cannot_decide;
    out.reason = fmt::format(
        "{} (the baseline) has no successful repetition in this configuration, so the rule "
        "cannot be applied",
        baseline_label);
    return out;
  }
  if (fastest == nullptr) {
    if (baseline_misses_slo) {
      out.decision = Decision::cannot_decide;
      out.reason = fmt::format("no strategy meets the p99 objective: {}", fmt::join(out.missed_slo, "; "));
      return out;
    }
    out.decision = out.missed_slo.empty() ? Decision::cannot_decide : Decision::keep_default;
    out.choice = baseline_label;
    out.reason = out.missed_slo.empty() ? "no pool strategy has a successful repetition in this configuration"
                                        : fmt::format("every pool misses the p99 objective: {}",
                                                      fmt::join(out.missed_slo, "; "));
    return out;
  }

  const Spread& pool_time = *fastest->find(table.compared_time);
  out.speedup = baseline_time->median / pool_time.median;
  out.fastest_pool_max_ns = pool_time.max;
  out.baseline_min_ns = baseline_time->min;
  if (pool_time.samples >= 2 && baseline_time->samples >= 2)
    out.beyond_spread = pool_time.max < baseline_time->min;
  if (const StrategyRow* lower = table.find(lower_bound_strategy))
    if (const Spread* lower_time = lower->find(table.compared_time); lower_time && lower_time->median > 0)
      out.lower_bound_speedup = pool_time.median / lower_time->median;

  const std::string speedup_text = fmt::format(
      "{} is {} faster than {} (median {} against {}{})", fastest->label, format_ratio(*out.speedup),
      baseline_label, format_duration_ns(pool_time.median), format_duration_ns(baseline_time->median),
      table.compared_time == metric::setup_and_window_ns ? ", setup + window" : "");
  const std::string slo_text = out.missed_slo.empty() ? ""
                                                      : fmt::format("; ruled out by the p99 objective: {}",
                                                                    fmt::join(out.missed_slo, "; "));

  if (pool_time.samples < min_decision_repetitions || baseline_time->samples < min_decision_repetitions) {
    out.decision = Decision::undecided;
    out.reason = fmt::format(
        "{}, but on {} successful {} of {} and {} of {}: at least {} of each are needed to tell a difference "
        "from noise (run with --repetitions {} or more){}",
        speedup_text, pool_time.samples, pool_time.samples == 1 ? "repetition" : "repetitions",
        fastest->label, baseline_time->samples, baseline_label, min_decision_repetitions,
        min_decision_repetitions, slo_text);
    return out;
  }

  const Significance against_baseline = faster_than(*fastest, *baseline, table.compared_time);
  out.p_value = against_baseline.p_value;
  out.significant = against_baseline.significant;
  const std::string significance_text =
      out.significant ? fmt::format("significant ({})", p_text(against_baseline))
                      : fmt::format("not significant ({}; the ranges overlap)", p_text(against_baseline));

  const bool adopt = baseline_misses_slo || (*out.speedup >= threshold && out.significant);
  if (adopt) {
    for (std::size_t i = 1; i < candidates.size(); ++i) {
      const Significance against_other = faster_than(*fastest, *candidates[i], table.compared_time);
      if (i == 1) out.runner_up_p_value = against_other.p_value;
      if (!against_other.significant) out.tied_with.push_back(candidates[i]->label);
    }
    const std::string why = baseline_misses_slo
                                ? fmt::format("{} misses the p99 objective; {}", baseline_label, speedup_text)
                                : fmt::format("{}, {}; at least the {} threshold", speedup_text,
                                              significance_text, format_ratio(threshold));
    if (out.tied_with.empty()) {
      out.decision = Decision::adopt_pool;
      out.choice = fastest->label;
      out.reason = fmt::format("{}; it also beats every other pool significantly{}", why, slo_text);
    } else {
      out.decision = Decision::tie;
      std::vector<std::string> tied = {fastest->label};
      tied.insert(tied.end(), out.tied_with.begin(), out.tied_with.end());
      out.choice = labels_text(tied);
      out.reason = fmt::format("{}; but it does not beat {} significantly, so any of them will do{}", why,
                               labels_text(out.tied_with), slo_text);
    }
    return out;
  }
  out.decision = Decision::keep_default;
  out.choice = baseline_label;
  if (*out.speedup <= 1.0) {
    out.reason = fmt::format("no pool is faster than {}: the fastest, {}, takes {} of its time{}",
                             baseline_label, fastest->label, format_ratio(1.0 / *out.speedup), slo_text);
  } else {
    const bool enough = *out.speedup >= threshold;
    out.reason = fmt::format("{}, {}; {}{}", speedup_text, significance_text,
                             enough ? "not a measurable benefit until it is significant"
                                    : fmt::format("below the {} threshold", format_ratio(threshold)),
                             slo_text);
  }
  return out;
}

const char* to_string(Decision decision) {
  switch (decision) {
    case Decision::adopt_pool:
      return "adopt_pool";
    case Decision::tie:
      return "tie";
    case Decision::keep_default:
      return "keep_default";
    case Decision::undecided:
      return "undecided";
    case Decision::cannot_decide:
      return "cannot_decide";
  }
  return "unknown";
}

}  // namespace poolbench::report
