// The guide's own tables filled from this run (strategy ↔ library mapping, footprint, sizing K, fairness,
// latency against load; "not measured" where the file has no such data), and the guide's "Pool Adoption
// Proposal" (Appendix S29) written from the report: every number is one the report's model holds.
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "format/markdown.hpp"
#include "format/units.hpp"
#include "registry.hpp"
#include "report/report_parts.hpp"
#include "report/report_render.hpp"
#include "report/report_sizing.hpp"

namespace poolbench::report {
namespace {

using markdown::cell;
using markdown::code;

void header_row(std::string& out, const std::vector<std::string>& columns) {
  out += "|";
  for (const auto& column : columns) out += " " + column + " |";
  out += "\n|";
  for (std::size_t i = 0; i < columns.size(); ++i) out += i == 0 ? "---|" : "---:|";
  out += "\n";
}

void body_row(std::string& out, const std::vector<std::string>& cells) {
  out += "|";
  for (const auto& value : cells) out += " " + value + " |";
  out += "\n";
}

// Every strategy of the report, in its reading order.
std::vector<std::string> strategies_of(const Report& report) {
  std::vector<std::string> out;
  for (const auto& capability : report.capabilities) out.push_back(capability.strategy);
  return out;
}

// The closed-loop table with the most tasks in which `strategy` has a plain row: its steady state.
const StrategyRow* largest_row(const Report& report, const std::string& strategy,
                               const WorkloadTable** where) {
  const StrategyRow* best = nullptr;
  for (const auto& table : report.tables) {
    if (open_loop(table) || table.workload == "footprint") continue;
    const StrategyRow* row = table.find(strategy);
    if (row == nullptr || row->successful_repetitions == 0) continue;
    if (best == nullptr || table.tasks > (*where)->tasks) {
      best = row;
      *where = &table;
    }
  }
  return best;
}

// From the result file only (its recorded descriptions), so that the report of a file is the same in any
// build; the library and version each strategy models, and how it differs, are `poolbench list --format md`'s
// table.
void render_mapping(const Report& report, std::string& out) {
  out += "## What each strategy models (the guide's libraries)\n\n";
  out +=
      "The guide compares Go libraries; each strategy here models one of them (or is a reference). As the "
      "result file records them; `poolbench list --format md` gives each one's library and version and what "
      "differs.\n\n";
  header_row(out, {"Strategy", "What it is (as recorded)"});
  for (const auto& capability : report.capabilities)
    body_row(out,
             {code(capability.strategy), capability.known ? cell(capability.description)
                                                          : std::string("not recorded in the result file")});
  out += "\n";
}

void render_footprint(const Report& report, std::string& out) {
  out += "## Memory footprint\n\n";
  out += "The guide's \"Deep Comparison: Memory Footprint\" per strategy.\n\n";
  out += render_footprint_measured(report);
  out +=
      "Peak RSS and allocations of the throughput cases, from each strategy's configuration with the most "
      "tasks (medians):\n\n";
  header_row(out, {"Strategy", "Configuration", "Peak RSS − inline", "Thread stacks", "Threads created",
                   "Bytes / task", "Allocs / task"});
  bool any = false;
  for (const auto& name : strategies_of(report)) {
    const WorkloadTable* where = nullptr;
    const StrategyRow* row = largest_row(report, name, &where);
    if (row == nullptr) continue;
    any = true;
    const Spread* allocs = row->find(metric::allocs_per_million_tasks);
    body_row(out, {code(name), cell(where->title),
                   median_of(*row, metric::peak_rss_above_inline_bytes, format_bytes),
                   median_of(*row, metric::thread_stack_bytes, format_bytes),
                   median_of(*row, metric::threads_created, format_count),
                   median_of(*row, metric::bytes_per_task, format_bytes),
                   row->find(metric::allocations_bypass_malloc) ? std::string("not counted")
                   : allocs ? format_allocations_per_task(allocs->median / 1e6)
                            : std::string(dash)});
  }
  if (!any) out += "| not measured | | | | | | |\n";
  out += "\n";
}

void render_fairness(const Report& report, std::string& out) {
  out += "## Scheduling fairness\n\n";
  out +=
      "The guide's \"Deep Comparison: Scheduling Fairness\": the declared queue order (✓ where the "
      "conformance suite checks it), and the queue wait in the configuration with the most tasks (a wide "
      "p99 against p50 is an unfair wait). Per-tenant start order is not measured by this run.\n\n";
  header_row(out, {"Strategy", "Queue order", "Configuration", "Queue wait p50", "Queue wait p99"});
  for (const auto& capability : report.capabilities) {
    std::string order = dash;
    for (const auto& c : capability.cells)
      if (c.trait == "queue_order") order = cell(c.value) + (c.verified ? " ✓" : "");
    const WorkloadTable* where = nullptr;
    const StrategyRow* row = largest_row(report, capability.strategy, &where);
    body_row(out, {code(capability.strategy), order, row ? cell(where->title) : dash,
                   row ? median_of(*row, metric::queue_wait_p50_ns, format_duration_ns) : dash,
                   row ? median_of(*row, metric::queue_wait_p99_ns, format_duration_ns) : dash});
  }
  out += "\n";
}

void render_load_latency(const Report& report, std::string& out) {
  out += "## Latency against load\n\n";
  // Open-loop tables by everything but the offered load.
  using Key = std::tuple<std::string, std::map<std::string, std::string>, std::size_t, std::size_t>;
  std::map<Key, std::vector<const WorkloadTable*>> groups;
  for (const auto& table : report.tables) {
    if (!open_loop(table)) continue;
    auto params = table.workload_params;
    params.erase("load");
    params.erase("rate");
    groups[Key{table.workload, params, table.workers, table.producers}].push_back(&table);
  }
  if (groups.empty()) {
    out +=
        "Not measured in this run: no open-loop cases (run with `--arrival poisson --load 0.5,0.8,0.95` to "
        "see end-to-end p99 against the offered load, the curve that sizes a pool).\n\n";
    return;
  }
  out +=
      "End-to-end p99 (from each task's intended submit time) at each offered load; *saturated* where fewer "
      "than 95% of the offered tasks per second finished.\n\n";
  for (const auto& [key, tables] : groups) {
    out += "### " +
           cell(config_title(std::get<0>(key), std::get<1>(key), tables.front()->tasks, std::get<2>(key),
                             std::get<3>(key))) +
           "\n\n";
    std::vector<std::string> columns = {"Strategy"};
    for (const auto* table : tables) {
      auto load = table->workload_params.find("load");
      auto rate = table->workload_params.find("rate");
      columns.push_back(load != table->workload_params.end()   ? "load " + load->second
                        : rate != table->workload_params.end() ? "rate " + rate->second + "/s"
                                                               : "?");
    }
    header_row(out, columns);
    std::vector<std::string> labels;
    for (const auto* table : tables)
      for (const auto& row : table->rows)
        if (std::find(labels.begin(), labels.end(), row.label) == labels.end()) labels.push_back(row.label);
    for (const auto& label : labels) {
      std::vector<std::string> cells = {code(label)};
      for (const auto* table : tables) {
        const StrategyRow* row = table->find(label);
        const Spread* p99 = row ? row->find(metric::e2e_p99_ns) : nullptr;
        const Spread* saturated = row ? row->find(metric::saturated) : nullptr;
        cells.push_back(p99 ? format_duration_ns(p99->median) +
                                  (saturated && saturated->max > 0 ? " *saturated*" : "")
                            : dash);
      }
      body_row(out, cells);
    }
    out += "\n";
  }
}

// ---- the proposal ----

// The pool the report recommends most often (adopt or first of a tie), with the tables that recommend it.
struct Proposed {
  std::string label;
  std::vector<const WorkloadTable*> adopted;
};

Proposed proposed_pool(const Report& report) {
  std::map<std::string, std::vector<const WorkloadTable*>> votes;
  for (const auto& table : report.tables) {
    const auto& r = table.recommendation;
    if (r.decision == Decision::adopt_pool || r.decision == Decision::tie)
      votes[r.fastest_pool].push_back(&table);
  }
  Proposed out;
  for (const auto& [label, tables] : votes)
    if (tables.size() > out.adopted.size()) out = Proposed{label, tables};
  return out;
}

std::string decision_word(Decision decision) {
  switch (decision) {
    case Decision::adopt_pool:
      return "adopt";
    case Decision::tie:
      return "tie";
    case Decision::keep_default:
      return "keep the baseline";
    case Decision::undecided:
      return "undecided";
    case Decision::cannot_decide:
      return "cannot decide";
  }
  return "";
}

}  // namespace

std::string render_guide_tables(const Report& report) {
  std::string out;
  render_mapping(report, out);
  render_footprint(report, out);
  out += render_sizing_section(report);
  render_fairness(report, out);
  render_class_scenarios(report, out);
  render_burst_fairness(report, out);
  render_self_tuning(report, out);
  render_load_latency(report, out);
  return out;
}

std::string render_proposal(const Report& report) {
  std::string out = "# Pool Adoption Proposal\n\n";
  out += fmt::format(
      "Written by `poolbench report --proposal` from `{}`, in the guide's template (Appendix S29). The "
      "service's own facts (its name, its volume, the sign-offs) are for you to fill in; every figure is "
      "this run's median.\n\n",
      cell(report.source));
  const auto header_value = [&](const std::string& label) {
    for (const auto& [key, value] : report.header)
      if (key == label) return value;
    return std::string("not recorded");
  };

  out += "## Context\n\n";
  out += "- Service: *(fill in)*\n";
  std::vector<std::string> workloads;
  for (const auto& table : report.tables)
    if (std::find(workloads.begin(), workloads.end(), table.workload) == workloads.end())
      workloads.push_back(table.workload);
  out += fmt::format("- Workload: measured with poolbench's {} ({}).\n", fmt::join(workloads, ", "),
                     plural(report.tables.size(), "configuration", "configurations"));
  out += "- Volume: *(fill in: requests per second, sustained and peak)*\n";
  out += fmt::format("- Machine: {}; load average at start {}.\n", cell(header_value("Machine")),
                     cell(header_value("Load average at start")));
  if (!report.warnings.empty()) {
    out += fmt::format("- Trust: {} (see the report's warnings):\n",
                       plural(report.warnings.size(), "warning", "warnings"));
    for (const auto& warning : report.warnings) out += "  - " + cell(warning) + "\n";
  }
  out += "\n";

  out += "## Current Implementation\n\n";
  out += fmt::format("`{}` (the guide's default: errgroup with SetLimit). {}\n\n", report.baseline,
                     baseline_note(report));
  header_row(out, {"Configuration", "Time", "Tasks/s", "CPU cores", "e2e p99"});
  for (const auto& table : report.tables) {
    const StrategyRow* baseline = table.find(table.baseline);
    if (baseline == nullptr) continue;
    body_row(out, {cell(table.title), median_of(*baseline, table.compared_time.c_str(), format_duration_ns),
                   median_of(*baseline, metric::items_per_second, format_rate),
                   median_of(*baseline, metric::cpu_cores, format_cores),
                   median_of(*baseline, metric::e2e_p99_ns, format_duration_ns)});
  }
  out += "\n";

  const Proposed proposed = proposed_pool(report);
  out += "## Proposed Change\n\n";
  if (proposed.label.empty()) {
    out += fmt::format(
        "None: no configuration of this run shows a pool with a measurable benefit over `{}`.\n\n",
        report.baseline);
  } else {
    std::set<std::size_t> workers;
    for (const auto* table : proposed.adopted) workers.insert(table->workers);
    const StrategyInfo* info = nullptr;
    for (const auto& table : report.tables)
      if (const StrategyRow* row = table.find(proposed.label); row && !info)
        info = strategy_registry().find(row->strategy);
    out += fmt::format(
        "Adopt `{}`{}.\n\n", proposed.label,
        info && !info->models.empty() ? fmt::format(" (models {})", info->models.front().library) : "");
    out += fmt::format(
        "- K: {} — measured at this run's worker count{} (the default derives from the core count); size it "
        "for your constraint (the guide's Appendix S20: K = min(K_cpu, K_mem, K_downstream)).\n",
        fmt::join(workers, ", "), workers.size() == 1 ? "" : "s");
    for (const auto& table : report.tables)
      if (const StrategyRow* row = table.find(proposed.label); row && !row->strategy_params.empty()) {
        out += fmt::format("- Options as measured: {}.\n", join_params(row->strategy_params));
        break;
      }
    out += "\n";
  }

  out += "## Expected Impact\n\n";
  if (proposed.label.empty()) {
    out += "None expected: see the decision.\n\n";
  } else {
    header_row(out,
               {"Configuration", "Verdict", "Speedup", "Significance", "Tasks/s", "CPU cores", "e2e p99"});
    for (const auto& table : report.tables) {
      const StrategyRow* pool = table.find(proposed.label);
      const StrategyRow* baseline = table.find(table.baseline);
      if (pool == nullptr || baseline == nullptr) continue;
      const auto& r = table.recommendation;
      const bool about_this_pool = r.fastest_pool == proposed.label;
      const auto change = [&](const char* key, std::string (*format)(double)) {
        const Spread* before = baseline->find(key);
        const Spread* after = pool->find(key);
        if (!before || !after) return std::string(dash);
        return fmt::format("{} → {}", format(before->median), format(after->median));
      };
      const Spread* before = baseline->find(table.compared_time);
      const Spread* after = pool->find(table.compared_time);
      body_row(
          out,
          {cell(table.title), about_this_pool ? decision_word(r.decision) : "not the fastest pool here",
           before && after && after->median > 0 ? format_ratio(before->median / after->median) : dash,
           about_this_pool && r.p_value ? fmt::format("p = {:.3f}{}", *r.p_value,
                                                      r.beyond_spread.value_or(false) ? ", ranges apart" : "")
                                        : dash,
           change(metric::items_per_second, format_rate), change(metric::cpu_cores, format_cores),
           change(metric::e2e_p99_ns, format_duration_ns)});
    }
    out += "\n";
  }

  out += "## Risks\n\n";
  if (!proposed.label.empty()) {
    std::string strategy = proposed.label.substr(0, proposed.label.find(' '));
    for (const auto& capability : report.capabilities) {
      if (capability.strategy != strategy) continue;
      std::vector<std::string> traits;
      for (const auto& c : capability.cells)
        traits.push_back(fmt::format("{} = {}{}", c.trait, c.value, c.verified ? " (verified)" : ""));
      out += fmt::format("- Behaviour (declared traits): {}.\n", fmt::join(traits, "; "));
    }
    if (const StrategyInfo* info = strategy_registry().find(strategy); info && !info->models.empty())
      out += fmt::format("- Dependency: {}; how the model differs: {}\n", cell(info->models.front().library),
                         cell(info->models.front().differs));
    std::vector<std::string> failures;
    for (const auto& failure : report.failures)
      if (failure.name.rfind(strategy + "/", 0) == 0) failures.push_back(cell(failure.message));
    out += failures.empty() ? "- Failure cases: none of its repetitions failed in this run.\n"
                            : fmt::format("- Failure cases in this run: {}.\n", fmt::join(failures, "; "));
    out +=
        "- Operational: a persistent pool needs its own metrics (queue depth, busy workers) and a drain on "
        "shutdown.\n";
    out += fmt::format("- Migration: revert by going back to `{}`.\n\n", report.baseline);
  } else {
    out += "None: nothing changes.\n\n";
  }

  out += "## Decision\n\n";
  // The configurations counted from the proposed pool's side: where it is adopted, where it shares a tie,
  // where another pool wins, where the baseline stays, where the run cannot tell.
  std::size_t adopt = 0, tie = 0, other = 0, keep = 0, undecided = 0;
  for (const auto& table : report.tables) {
    const Recommendation& r = table.recommendation;
    const bool named = r.fastest_pool == proposed.label ||
                       std::find(r.tied_with.begin(), r.tied_with.end(), proposed.label) != r.tied_with.end();
    switch (r.decision) {
      case Decision::adopt_pool:
        ++(r.fastest_pool == proposed.label ? adopt : other);
        break;
      case Decision::tie:
        ++(named ? tie : other);
        break;
      case Decision::keep_default:
        ++keep;
        break;
      default:
        ++undecided;
    }
  }
  const std::string tally =
      proposed.label.empty()
          ? fmt::format("of {} configurations: the baseline stays in {}, undecided or cannot decide in {}",
                        report.tables.size(), keep, undecided)
          : fmt::format(
                "of {} configurations: `{}` adopted in {}, tied with another pool in {}, another pool "
                "wins in {}, the baseline stays in {}, undecided or cannot decide in {}",
                report.tables.size(), proposed.label, adopt, tie, other, keep, undecided);
  if (proposed.label.empty())
    out += fmt::format("**Reject**: keep `{}` ({}).\n\n", report.baseline, tally);
  else if (undecided > 0 || !report.warnings.empty())
    out += fmt::format(
        "**Defer**: `{}` wins where this run can tell ({}), but {} — rerun on a quiet machine with at least "
        "{} repetitions before adopting.\n\n",
        proposed.label, tally,
        undecided > 0 ? "some configurations are undecided" : "the run carries warnings",
        min_decision_repetitions);
  else
    out += fmt::format("**Adopt** `{}` ({}).\n\n", proposed.label, tally);

  out += "## Sign-offs\n\n*(tech lead, on-call rep)*\n";
  return out;
}

}  // namespace poolbench::report
