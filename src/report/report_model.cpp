// Report model: groups the result file's repetition entries into one table per matrix point (strategy rows
// with medians and spreads, ratios to the baseline and the lower bound) and the submit-cost tables, then has
// the other parts decide (report_decision.cpp), check the rules of thumb (report_rules.cpp) and list the
// capabilities (report_capabilities.cpp).
#include "report/report_model.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "format/units.hpp"
#include "report/report_parts.hpp"
#include "result/case_name.hpp"

namespace poolbench::report {
namespace {

// cpu_burst's task duration parameter (workloads/cpu_burst.cpp) and its unit, in microseconds per unit.
struct DurationParam {
  const char* name;
  double to_us;
};

constexpr DurationParam duration_params[] = {{"duration_us", 1.0}};

// Where a case's parameters belong, as the file records it: the strategy's parameters that the case's name
// carries (chosen or swept on the command line) make a row label; the workload's make a separate table.
struct SplitParams {
  std::map<std::string, std::string> workload;
  std::map<std::string, std::string> strategy_named;
};

SplitParams split_params(const CaseInfo& info, const std::string& case_name) {
  SplitParams out{info.load_params(), {}};
  std::map<std::string, std::string> named;
  try {
    named = CaseName::parse(case_name).params;
  } catch (const CaseNameError&) {
    // Not a poolbench name: it carries no parameters.
  }
  for (const auto& [name, value] : info.strategy_params)
    if (auto found = named.find(name); found != named.end() && found->second == value)
      out.strategy_named[name] = value;
  return out;
}

std::string row_label(const std::string& strategy, const std::map<std::string, std::string>& non_default) {
  if (non_default.empty()) return strategy;
  return fmt::format("{} ({})", strategy, join_params(non_default));
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
  if (auto setup = counter(metric::setup_ns)) out[metric::setup_and_window_ns] = *setup + total_ns;
  copy(metric::setup_ns);
  copy(metric::peak_rss_bytes);
  copy(metric::thread_stack_bytes);
  copy(metric::allocations_bypass_malloc);
  copy(metric::warmup_tasks);
  copy(metric::probe_share);
  copy(metric::timed_tasks);
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
  copy(metric::offered_rate);  // open loop only, as the four below
  copy(metric::achieved_rate);
  copy(metric::saturated);
  copy(metric::schedule_lag_p99_ns);
  copy(metric::calibrated_capacity_per_second);
  for (const metrics::Metric& footprint : metrics::catalogue())  // footprint cases only
    if (metrics::footprint_only(footprint.name)) copy(footprint.name.data());
  for (const metrics::Metric& by_class : metrics::catalogue())  // workloads that tag their tasks only
    if (metrics::tagged_tasks_only(by_class.name)) copy(by_class.name.data());
  for (const metrics::Metric& by_workload : metrics::catalogue())  // a workload's own (burst: per worker)
    if (metrics::workload_specific(by_workload.name)) copy(std::string(by_workload.name).c_str());
  for (const auto& [name, value] : entry.counters)  // K over time (phased, adaptive)
    if (metrics::time_series_point(name) && std::isfinite(value)) out[name] = value;
  return out;
}

// The identity of a table: everything of a case but the strategy (and the strategy's own parameters).
using TableKey =
    std::tuple<std::string, std::map<std::string, std::string>, std::size_t, std::size_t, std::size_t>;

struct RowBuilder {
  StrategyRow row;
  std::map<std::string, std::vector<double>> values;
};

std::string compared_time(const WorkloadTable& table) {
  bool setup_everywhere = true;
  for (const auto& row : table.rows) {
    if (const Spread* warmup = row.find(metric::warmup_tasks); warmup && warmup->max > 0)
      return metric::total_time_ns;
    if (row.find(metric::total_time_ns) && !row.find(metric::setup_and_window_ns)) setup_everywhere = false;
  }
  return setup_everywhere ? metric::setup_and_window_ns : metric::total_time_ns;
}

// Peak RSS above the same configuration's inline case, which holds the workload's memory and the harness's
// but no strategy's: each repetition's peak less inline's median, so the spread is the row's own.
void fill_rss_above_inline(WorkloadTable& table) {
  const StrategyRow* lower = table.find(lower_bound_strategy);
  const Spread* inline_peak = lower ? lower->find(metric::peak_rss_bytes) : nullptr;
  if (inline_peak == nullptr) return;
  const double reference = inline_peak->median;
  for (auto& row : table.rows)
    if (const Spread* peak = row.find(metric::peak_rss_bytes))
      row.metrics[metric::peak_rss_above_inline_bytes] =
          Spread{peak->median - reference, peak->min - reference, peak->max - reference, peak->samples};
}

// The row of `table` that --baseline names: its strategy, with every bracketed parameter at the given value;
// of several, the one whose case name carries the fewest parameters (the plain `semaphore_group` next to
// `semaphore_group (spawn=fiber)`), then the one first in the file (a sweep `spawn=thread,fiber` runs thread
// first).
const StrategyRow* matching_baseline(const WorkloadTable& table, const BaselineChoice& choice) {
  const StrategyRow* best = nullptr;
  for (const auto& row : table.rows) {
    if (row.strategy != choice.strategy) continue;
    const bool params_match = std::all_of(choice.params.begin(), choice.params.end(), [&](const auto& param) {
      auto found = row.strategy_params.find(param.first);
      return found != row.strategy_params.end() && found->second == param.second;
    });
    if (params_match && (best == nullptr || std::tuple(row.named_params, row.first_entry) <
                                                std::tuple(best->named_params, best->first_entry)))
      best = &row;
  }
  return best;
}

// Tasks per second from the same repetitions as the time: where every repetition's rate times its time is the
// same count of tasks (the window's), the rate's median, min and max are that count over the time's median,
// max and min, so the two columns never disagree (with an even count, separately taken medians of the rate
// and the time do). Otherwise (a count that varies) the recorded rates stay.
void derive_rate_from_time(StrategyRow& row) {
  auto rates = row.samples.find(metric::items_per_second);
  auto times = row.samples.find(metric::total_time_ns);
  const Spread* time = row.find(metric::total_time_ns);
  if (rates == row.samples.end() || times == row.samples.end() || time == nullptr ||
      rates->second.size() != times->second.size() || rates->second.empty())
    return;
  const double count = rates->second.front() * times->second.front() / 1e9;
  for (std::size_t i = 0; i < rates->second.size(); ++i)
    if (std::fabs(rates->second[i] * times->second[i] / 1e9 - count) > 1e-6 * std::max(1.0, count)) return;
  if (!(count > 0) || !(time->min > 0)) return;
  row.metrics[metric::items_per_second] =
      Spread{count / time->median * 1e9, count / time->max * 1e9, count / time->min * 1e9, time->samples};
}

// The cost of starting one task's thread (or fiber), as this run measured it: on the tiniest workload, a
// thread per task's median time per task less inline's (which runs the same task with no start at all). It is
// what separates the C++ thread baseline from the Go guide's goroutines.
void add_spawn_cost(Report& report) {
  std::vector<std::string> parts;
  for (const auto& table : report.tables) {
    if (table.workload != "atomic_increment" || !table.workload_params.empty()) continue;
    const StrategyRow* lower = table.find(lower_bound_strategy);
    const Spread* lower_time = lower ? lower->find(metric::time_per_task_ns) : nullptr;
    if (lower_time == nullptr) continue;
    for (const auto& row : table.rows) {
      if (row.strategy != thread_per_task_strategy) continue;
      const Spread* per_task = row.find(metric::time_per_task_ns);
      if (per_task == nullptr) continue;
      auto spawn = row.strategy_params.find("spawn");
      parts.push_back(fmt::format(
          "{} per task ({}, {}, K={}, P={})", format_duration_ns(per_task->median - lower_time->median),
          spawn == row.strategy_params.end() ? "spawn not recorded" : "spawn=" + spawn->second,
          plural(table.tasks, "task", "tasks"), table.workers, table.producers));
    }
    if (!parts.empty()) break;  // the first configuration that has it (the file's order)
  }
  report.header.emplace_back(
      "Spawn cost (measured)",
      parts.empty() ? std::string("not measured (no raw_threads and inline on atomic_increment)")
                    : fmt::format("{}: `{}`'s time per task on atomic_increment less `{}`'s",
                                  fmt::join(parts, "; "), thread_per_task_strategy, lower_bound_strategy));
}

void fill_ratios(WorkloadTable& table) {
  const StrategyRow* baseline = table.find(table.baseline);
  const StrategyRow* lower = table.find(lower_bound_strategy);
  const Spread* baseline_time = baseline ? baseline->find(table.compared_time) : nullptr;
  const Spread* lower_time = lower ? lower->find(table.compared_time) : nullptr;
  for (auto& row : table.rows) {
    const Spread* time = row.find(table.compared_time);
    if (time == nullptr) continue;
    if (baseline_time && baseline_time->median > 0)
      row.time_ratio_to_baseline = time->median / baseline_time->median;
    if (lower_time && lower_time->median > 0)
      row.time_ratio_to_lower_bound = time->median / lower_time->median;
  }
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

}  // namespace

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

std::string join_params(const std::map<std::string, std::string>& params, const char* separator) {
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out += separator;
    out += name + "=" + value;
  }
  return out;
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

// Strategies print in this order: the lower bound, the unbounded thread per task, the default choice, then
// the rest by name.
int strategy_rank(const std::string& strategy) {
  if (strategy == lower_bound_strategy) return 0;
  if (strategy == thread_per_task_strategy) return 1;
  if (strategy == baseline_strategy) return 2;
  return 3;
}

const Spread* StrategyRow::find(const std::string& key) const {
  auto found = metrics.find(key);
  return found == metrics.end() ? nullptr : &found->second;
}

const StrategyRow* WorkloadTable::find(const std::string& label) const {
  for (const auto& row : rows)
    if (row.label == label) return &row;
  return nullptr;
}

BaselineChoice parse_baseline(const std::string& text) {
  const auto fail = [&](const std::string& why) {
    return std::invalid_argument(
        fmt::format("--baseline '{}': {} (expected STRATEGY or STRATEGY[name=value,...], "
                    "e.g. semaphore_group[spawn=fiber])",
                    text, why));
  };
  BaselineChoice out;
  const std::size_t open = text.find('[');
  out.strategy = text.substr(0, open);
  if (out.strategy.empty()) throw fail("no strategy name");
  if (out.strategy.find_first_of("]=,/ ") != std::string::npos) throw fail("not a strategy name");
  if (open == std::string::npos) return out;
  if (text.back() != ']' || text.find('[', open + 1) != std::string::npos)
    throw fail("the parameters must end the name, in one pair of brackets");
  std::string_view rest(text);
  rest = rest.substr(open + 1, rest.size() - open - 2);
  if (rest.empty()) throw fail("empty brackets");
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    const std::string_view pair = rest.substr(0, comma);
    const std::size_t equals = pair.find('=');
    if (equals == std::string_view::npos || equals == 0 || equals + 1 == pair.size())
      throw fail(fmt::format("'{}' is not name=value", pair));
    if (!out.params.emplace(std::string(pair.substr(0, equals)), std::string(pair.substr(equals + 1))).second)
      throw fail(fmt::format("parameter '{}' is given twice", pair.substr(0, equals)));
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
    if (rest.empty()) throw fail("a trailing comma");
  }
  return out;
}

std::string baseline_note(const Report& report) {
  // What the baseline starts per task, as its cases record it (the spawn parameter of the first table that
  // has the baseline).
  std::string spawn;
  for (const auto& table : report.tables)
    if (const StrategyRow* row = table.find(table.baseline); row != nullptr && spawn.empty())
      if (auto found = row->strategy_params.find("spawn"); found != row->strategy_params.end())
        spawn = found->second;
  const std::string runtime =
      spawn == "fiber" ? "runs each task as a fiber (`spawn=fiber`), the closer counterpart of a goroutine"
      : spawn == "thread"
          ? "starts an OS thread (std::thread) per task (`spawn=thread`), which costs far more "
            "than a goroutine (the measured spawn cost is in the machine table)"
          : "starts whatever its cases record per task (no `spawn` parameter recorded)";
  return fmt::format(
      "Recommendations and ÷ baseline columns are relative to `{}` (`--baseline`), found in {} of {} "
      "configurations. C++ against Go: the guide's figures are Go's errgroup, which starts a goroutine per "
      "task, while this baseline {}, so its ratios to a pool are not the guide's.",
      report.baseline, report.tables_with_baseline, report.tables.size(), runtime);
}

Report build_report(const ResultFile& file, const ReportOptions& options) {
  Report report;
  report.source = file.path;
  report.complete = file.complete();
  report.adopt_threshold = options.adopt_threshold;
  report.baseline = options.baseline;
  const BaselineChoice baseline = parse_baseline(options.baseline);
  if (file.entries.empty()) throw ResultFileError(file.path + ": holds no benchmark entries to report on");
  fill_header(file, report);
  // find(), not operator[]: a const json's operator[] on a missing key is undefined (an assertion).
  const nlohmann::json* poolbench = nullptr;
  if (file.context.is_object())
    if (auto found = file.context.find("poolbench"); found != file.context.end()) poolbench = &*found;
  if (poolbench != nullptr && poolbench->is_object() && poolbench->contains("metrics") &&
      poolbench->at("metrics").is_object()) {
    report.metric_catalogue = poolbench->at("metrics");
    report.metric_catalogue_from_file = true;
  } else {
    report.metric_catalogue = metrics::catalogue_to_json();
  }

  std::map<TableKey, std::map<std::string, RowBuilder>> grouped;
  std::vector<TableKey> table_order;
  std::size_t with_case = 0;
  std::size_t owners_inferred = 0;
  std::map<std::string, CaseInfo> declared;  // per strategy, the first case recording its declarations
  for (std::size_t entry_index = 0; entry_index < file.entries.size(); ++entry_index) {
    const ResultEntry& entry = file.entries[entry_index];
    if (entry.is_aggregate()) continue;
    if (entry.error_occurred)
      report.failures.push_back(FailedCase{entry.run_name.empty() ? entry.name : entry.run_name,
                                           entry.repetition_index, entry.error_message});
    if (!entry.case_info) continue;
    ++with_case;
    const CaseInfo& info = *entry.case_info;
    const std::string case_name = entry.run_name.empty() ? entry.name : entry.run_name;
    const SplitParams params = split_params(info, case_name);
    TableKey key{info.workload, params.workload, info.tasks, info.workers, info.producers};
    if (!grouped.count(key)) table_order.push_back(key);
    const std::string label = row_label(info.strategy, params.strategy_named);
    if (info.params_owner_inferred) ++owners_inferred;
    if (info.strategy_traits) declared.try_emplace(info.strategy, info);
    RowBuilder& builder = grouped[key][label];
    StrategyRow& row = builder.row;
    if (row.strategy.empty()) {
      row.strategy = info.strategy;
      row.label = label;
      row.case_name = case_name;
      row.strategy_params = info.strategy_params;
      row.named_params = params.strategy_named.size();
      row.first_entry = entry_index;
      row.known_strategy = info.strategy_traits.has_value();
      if (info.strategy_traits) {
        const auto& traits = *info.strategy_traits;
        row.worker_state = traits.worker_state;
        row.is_pool = traits.worker_lifecycle == WorkerLifecycle::fixed_workers ||
                      traits.worker_lifecycle == WorkerLifecycle::on_demand_with_expiry ||
                      traits.worker_lifecycle == WorkerLifecycle::on_demand_resident;
        row.bounded = traits.worker_lifecycle != WorkerLifecycle::caller_thread &&
                      !((traits.worker_lifecycle == WorkerLifecycle::thread_per_task ||
                         traits.worker_lifecycle == WorkerLifecycle::fiber_per_task) &&
                        traits.when_full == WhenFull::never_full);
      }
    }
    if (entry.error_occurred) {
      ++row.failed_repetitions;
      continue;
    }
    ++row.successful_repetitions;
    if (info.effective_producers != 0 && info.effective_producers != info.producers)
      row.effective_producers = std::max(row.effective_producers, info.effective_producers);
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
      for (auto& [name, values] : builder.values) {
        if (auto spread = spread_of(values)) builder.row.metrics[name] = *spread;
        builder.row.samples[name] = std::move(values);
      }
      derive_rate_from_time(builder.row);
      if (!builder.row.known_strategy) unknown_strategies.insert(builder.row.strategy);
      table.rows.push_back(std::move(builder.row));
    }
    std::sort(table.rows.begin(), table.rows.end(), [](const StrategyRow& a, const StrategyRow& b) {
      return std::tuple(strategy_rank(a.strategy), a.label) < std::tuple(strategy_rank(b.strategy), b.label);
    });
    table.compared_time = compared_time(table);
    fill_rss_above_inline(table);
    const StrategyRow* baseline_row = matching_baseline(table, baseline);
    table.baseline = baseline_row != nullptr ? baseline_row->label : options.baseline;
    if (baseline_row != nullptr) ++report.tables_with_baseline;
    fill_ratios(table);
    report.tables.push_back(std::move(table));
  }
  // Decided once every table is built: the latency objective reads the open-loop tables of a configuration.
  report.slo_p99_ns = options.slo_p99_ns;
  for (auto& table : report.tables) {
    if (table.workload == "footprint") {  // its time is the measurement's sequence, not a pool's speed
      table.recommendation.reason =
          "a footprint configuration measures memory, not time (see Memory footprint)";
      continue;
    }
    if (options.slo_p99_ns) {
      const auto verdicts = judge_slo(table, report.tables, *options.slo_p99_ns);
      table.recommendation = recommend(table, options.adopt_threshold, &verdicts);
    } else {
      table.recommendation = recommend(table, options.adopt_threshold);
    }
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
    if (auto found = declared.find(name); found != declared.end()) {
      row.known = true;
      row.description = found->second.strategy_description;
      row.cells = capability_cells(*found->second.strategy_traits);
    }
    report.capabilities.push_back(std::move(row));
  }

  report.crossovers = build_crossovers(report.tables, options.adopt_threshold);
  report.rules = check_rules(report.tables, report.crossovers, options.adopt_threshold);

  report.warnings = build_warnings(file, report);
  add_spawn_cost(report);
  if (!unknown_strategies.empty())
    report.notes.push_back(
        fmt::format("Strategies whose traits the result file does not record (written before poolbench "
                    "recorded them; not considered as pools): {}",
                    fmt::join(unknown_strategies, ", ")));
  if (owners_inferred > 0)
    report.notes.push_back(fmt::format(
        "{} of the file's repetitions record their parameters without saying which are the "
        "strategy's (the previous result layout): a parameter every case of a workload carries is "
        "taken as the workload's, the others as the strategy's",
        owners_inferred));
  return report;
}

bool open_loop(const WorkloadTable& table) {
  return table.workload_params.count("arrival") > 0;
}

std::string median_of(const StrategyRow& row, const char* key, std::string (*format)(double)) {
  const Spread* spread = row.find(key);
  return spread ? format(spread->median) : std::string(dash);
}

std::string spread_cell(const StrategyRow& row, const char* key, std::string (*format)(double)) {
  const Spread* spread = row.find(key);
  return spread ? format_range(spread->median, spread->min, spread->max, spread->samples, format) : dash;
}

}  // namespace poolbench::report
