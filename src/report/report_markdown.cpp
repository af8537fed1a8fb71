// Markdown rendering of the report: the guide's tables (Microbenchmarks, Deep Comparison, Appendix S22)
// filled with this run's medians and spreads, for pasting into a design review.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "format/markdown.hpp"
#include "format/terminal_text.hpp"
#include "format/units.hpp"
#include "report/report_render.hpp"

namespace poolbench::report {
namespace {

constexpr const char* not_measured = "—";

using markdown::cell;
using markdown::code;

using Formatter = std::string (*)(double);

// For the terminal (render_text): a cell shows its range only where it matters, a spread wider than warn_cv
// of the median; otherwise the median alone, so the columns stay narrow. Set for the duration of one
// render_text.
thread_local bool ranges_only_where_they_matter = false;

std::string spread_cell(const Spread* spread, Formatter format) {
  if (spread == nullptr) return not_measured;
  if (ranges_only_where_they_matter && spread->max - spread->min <= warn_cv * std::fabs(spread->median))
    return format(spread->median);
  return format_range(spread->median, spread->min, spread->max, spread->samples, format);
}

std::string spread_cell(const std::optional<Spread>& spread, Formatter format) {
  return spread_cell(spread ? &*spread : nullptr, format);
}

// A latency percentile, marked where a repetition of an open-loop case was saturated.
std::string latency_cell(const StrategyRow& row, const char* key) {
  const Spread* saturated = row.find(metric::saturated);
  const std::string value = spread_cell(row.find(key), format_duration_ns);
  return saturated != nullptr && saturated->max > 0 ? value + " *saturated*" : value;
}

std::string optional_cell(const std::optional<double>& value, Formatter format) {
  return value ? format(*value) : not_measured;
}

enum class Align { numbers, text };

// Number tables align right after the first column; text tables stay left-aligned.
void table_header(std::string& out, const std::vector<std::string>& columns, Align align = Align::numbers) {
  out += "|";
  for (const auto& column : columns) out += " " + column + " |";
  out += "\n|";
  for (std::size_t i = 0; i < columns.size(); ++i) out += i == 0 || align == Align::text ? "---|" : "---:|";
  out += "\n";
}

void table_row(std::string& out, const std::vector<std::string>& cells) {
  out += "|";
  for (const auto& value : cells) out += " " + value + " |";
  out += "\n";
}

std::string decision_text(const Recommendation& recommendation) {
  switch (recommendation.decision) {
    case Decision::adopt_pool:
      return fmt::format("adopt **{}**", recommendation.choice);
    case Decision::tie:
      return fmt::format("tie: adopt **{}**", recommendation.choice);
    case Decision::keep_default:
      return fmt::format("keep **{}**", recommendation.choice);
    case Decision::undecided:
      return "undecided (too few repetitions)";
    case Decision::cannot_decide:
      return "cannot decide";
  }
  return "";
}

// Whether the fastest pool beats the baseline beyond noise, and by which test.
std::string significance_text(const Recommendation& recommendation) {
  if (!recommendation.speedup) return not_measured;
  if (!recommendation.p_value) return "no test (too few repetitions)";
  if (recommendation.significant)
    return recommendation.beyond_spread.value_or(false)
               ? fmt::format("yes (ranges apart, p = {:.3f})", *recommendation.p_value)
               : fmt::format("yes (p = {:.3f})", *recommendation.p_value);
  return fmt::format("no (p = {:.3f})", *recommendation.p_value);
}

std::string outcome_text(RuleOutcome outcome) {
  switch (outcome) {
    case RuleOutcome::held:
      return "held";
    case RuleOutcome::did_not_hold:
      return "did not hold";
    case RuleOutcome::not_measured:
      return "not measured in this run";
  }
  return "";
}

std::string repetitions_cell(const StrategyRow& row) {
  if (row.failed_repetitions == 0) return std::to_string(row.successful_repetitions);
  return fmt::format("{} of {} ({} failed)", row.successful_repetitions,
                     row.successful_repetitions + row.failed_repetitions, row.failed_repetitions);
}

std::string strategy_cell(const StrategyRow& row) {
  std::string out = code(row.label);
  if (!row.case_label.empty()) out += " <sub>" + cell(row.case_label) + "</sub>";
  return out;
}

// The model keeps allocations per million tasks (its JSON key); people read them per task where at least one.
std::string allocations_cell(double per_million_tasks) {
  return format_allocations_per_task(per_million_tasks / 1e6);
}

std::string plain_ratio(double value) {
  return format_significant(value);
}

void render_warnings(const Report& report, std::string& out) {
  out += "## Warnings\n\n";
  if (report.warnings.empty()) {
    out += fmt::format(
        "None: the machine was quiet at start, every case has at least {} successful repetitions that vary "
        "by "
        "at most {:.0f}%, and every case ran as its title says.\n\n",
        min_decision_repetitions, warn_cv * 100);
    return;
  }
  for (const auto& warning : report.warnings) out += "- " + cell(warning) + "\n";
  out += "\n";
}

void render_header(const Report& report, std::string& out) {
  out += "# poolbench report\n\n";
  if (report.complete == false)
    out +=
        "> **Warning: this run was interrupted** (`complete: false` in its context): it stopped before its "
        "last case finished, so cases or repetitions are missing and every figure covers only what "
        "finished.\n\n";
  out += fmt::format(
      "Made by `poolbench report` from `{}`. Every figure is the median over a case's successful "
      "repetitions, "
      "with the minimum–maximum in parentheses where the repetitions differ; ratios divide two such medians. "
      "{} marks what this run did not measure.\n\n",
      cell(report.source), not_measured);
  render_warnings(report, out);
  out += "## Machine and run\n\n";
  table_header(out, {"", "Value"}, Align::text);
  for (const auto& [label, value] : report.header)
    table_row(out, {label, label == "Command line" && value != "not recorded" ? code(value) : cell(value)});
  if (!report.run_details.empty()) {
    out += "\nAlso recorded in the result's context: ";
    std::vector<std::string> parts;
    for (const auto& [key, value] : report.run_details)
      parts.push_back(fmt::format("{} = {}", code(key), cell(value)));
    out += fmt::format("{}.\n", fmt::join(parts, "; "));
  }
  out += "\n";
}

void render_recommendations(const Report& report, std::string& out) {
  out += "## Recommendations\n\n";
  out += fmt::format(
      "The guide's rule (\"Senior Decision Process\"): default to no pool (errgroup with SetLimit; here "
      "`{0}`); adopt a pool only when the benchmark shows a measurable benefit — here, the fastest pool's "
      "median time is at least {1} lower than `{0}`'s (`--adopt-threshold`) **and** the difference is "
      "significant: a Mann-Whitney U test over the repetitions at p < {4} (the test compare uses), or ranges "
      "that do not overlap. A pool that does not beat the runner-up pool the same way is named with it: "
      "\"tie: adopt X or Y\" (either will do). With fewer than {5} successful repetitions of the baseline or "
      "the pool the verdict is \"undecided\". Pools are the strategies with persistent workers; `{2}` and "
      "`{3}` are shown for reference, not as candidates.\n\n",
      report.baseline, format_ratio(report.adopt_threshold), lower_bound_strategy, thread_per_task_strategy,
      decision_alpha, min_decision_repetitions);
  if (report.slo_p99_ns)
    out += fmt::format(
        "Latency objective (`--slo-p99`): e2e p99 at most {}. A strategy that misses it (or saturates) is "
        "not "
        "a candidate; it is judged on the open-loop runs of the same configuration where the file has them "
        "(the worst offered load counts), else on the configuration's own p99.\n\n",
        format_duration_ns(*report.slo_p99_ns));
  out += baseline_note(report) + "\n\n";
  table_header(out,
               {"Configuration", "Decision", "Fastest pool", fmt::format("Speedup over {}", report.baseline),
                "Significant"},
               Align::text);
  for (const auto& table : report.tables) {
    const auto& r = table.recommendation;
    table_row(out, {cell(table.title), decision_text(r),
                    r.fastest_pool.empty() ? not_measured : code(r.fastest_pool),
                    optional_cell(r.speedup, format_ratio), significance_text(r)});
  }
  out += "\n";
}

// What a no-pool baseline row starts per task, from its recorded `spawn` parameter; empty where it has none.
std::string spawn_text(const StrategyRow& row) {
  const auto spawn = row.strategy_params.find("spawn");
  if (spawn == row.strategy_params.end()) return {};
  return spawn->second == "fiber"    ? " (a fiber per task, a goroutine's counterpart)"
         : spawn->second == "thread" ? " (an OS thread per task)"
                                     : " (spawn=" + spawn->second + ")";
}

// Which row the table's ÷ baseline column and recommendation use, and the baseline strategy's other rows
// (the other no-pool baseline: spawn=thread beside spawn=fiber), or that the other one was not measured here.
std::string baseline_rows_text(const Report& report, const WorkloadTable& table) {
  const StrategyRow* used = table.find(table.baseline);
  if (used == nullptr)
    return fmt::format("Baseline: {} was not measured in this configuration (no ÷ baseline, no decision).",
                       code(report.baseline));
  std::string out = fmt::format("Baseline of the ÷ {} column and the recommendation: {}{}.",
                                code(report.baseline), code(used->label), spawn_text(*used));
  std::vector<std::string> others;
  for (const auto& row : table.rows)
    if (row.strategy == used->strategy && &row != used) others.push_back(code(row.label) + spawn_text(row));
  if (!others.empty())
    out += fmt::format(" Also shown, not used: {} (`--baseline` picks another).", fmt::join(others, ", "));
  else if (used->strategy_params.contains("spawn"))
    out +=
        " The other no-pool baseline was not measured in this configuration (`--param spawn=thread,fiber` "
        "runs both).";
  return out;
}

void render_tables(const Report& report, std::string& out) {
  out += "## Results per workload\n\n";
  out += fmt::format(
      "Total time: the measured window of one repetition (all tasks submitted and finished). CPU cores: CPU "
      "time / wall time. Peak RSS − inline: the case's peak resident set less the same configuration's "
      "inline case's "
      "(median; the workload's own memory and the harness's left out; min–max over this strategy's "
      "repetitions). Thread stacks: stack mapped for the strategy's threads alive at the window's close "
      "(virtual; only touched pages count in RSS). e2e: from submit to the end of the task (open loop: from "
      "the task's intended submit time; "
      "*saturated* where fewer than 95% of the offered tasks per second finished, so that latency grows with "
      "the run's length and is not a figure to compare). ÷ columns: "
      "median total time over that strategy's "
      "(below 1: faster).\n\n");
  out +=
      "Setup: the strategy's construction before the window (starting fixed workers, building per-worker "
      "state); Setup + window counts it, so a pool that starts its threads or builds its state before the "
      "window gains nothing by it. Each table says which of the two times its decision and ÷ columns "
      "compare.\n\n";
  for (const auto& table : report.tables) {
    out += "### " + cell(table.title) + "\n\n";
    out += table.compared_time == metric::setup_and_window_ns
               ? "Compared: setup + window (no warm-up ran).\n\n"
           : table.rows.empty() || !table.rows.front().find(metric::setup_ns)
               ? "Compared: the window (the file does not record setup times).\n\n"
               : "Compared: the window, after each strategy's warm-up (setup + window shown).\n\n";
    out += baseline_rows_text(report, table) + "\n\n";
    table_header(out,
                 {"Strategy", "Reps", "Total time", "Setup", "Setup + window", "Tasks/s", "CPU cores",
                  "Allocs / task", "Bytes / task", "Peak RSS − inline", "Thread stacks", "e2e p50", "e2e p99",
                  fmt::format("÷ {}", report.baseline), fmt::format("÷ {}", lower_bound_strategy)});
    for (const auto& row : table.rows) {
      table_row(out, {strategy_cell(row), repetitions_cell(row),
                      spread_cell(row.find(metric::total_time_ns), format_duration_ns),
                      spread_cell(row.find(metric::setup_ns), format_duration_ns),
                      spread_cell(row.find(metric::setup_and_window_ns), format_duration_ns),
                      spread_cell(row.find(metric::items_per_second), format_rate),
                      spread_cell(row.find(metric::cpu_cores), format_cores),
                      row.find(metric::allocations_bypass_malloc)
                          ? std::string("not counted: bypasses malloc")
                          : spread_cell(row.find(metric::allocs_per_million_tasks), allocations_cell),
                      spread_cell(row.find(metric::bytes_per_task), format_bytes),
                      spread_cell(row.find(metric::peak_rss_above_inline_bytes), format_bytes),
                      spread_cell(row.find(metric::thread_stack_bytes), format_bytes),
                      latency_cell(row, metric::e2e_p50_ns), latency_cell(row, metric::e2e_p99_ns),
                      optional_cell(row.time_ratio_to_baseline, plain_ratio),
                      optional_cell(row.time_ratio_to_lower_bound, plain_ratio)});
    }
    const auto& r = table.recommendation;
    out += fmt::format("\n**Recommendation:** {}. {}.", decision_text(r), r.reason);
    if (r.lower_bound_speedup && *r.lower_bound_speedup > 1)
      out += fmt::format(
          " For scale: `{}` (every task on the submitting thread, no pool) is {} faster than `{}` here.",
          lower_bound_strategy, format_ratio(*r.lower_bound_speedup), r.fastest_pool);
    out += "\n\n";
  }
}

void render_submit_costs(const Report& report, std::string& out) {
  out += "## Submit cost: one producer against several\n\n";
  if (report.submit_costs.empty()) {
    out += "Not measured in this run: no configuration ran with more than one producer count.\n\n";
    return;
  }
  out +=
      "How long a producer's submit call took (the guide's \"Submit ns (low)\" and \"Submit ns (high)\" "
      "contention columns). Growth: p50 at the high producer count over p50 at the low one.\n\n";
  for (const auto& cost : report.submit_costs) {
    out += "### " + cell(cost.title) + "\n\n";
    const auto low = cost.low_producers;
    const auto high = cost.high_producers;
    table_header(
        out, {"Strategy", fmt::format("submit p50, P={}", low), fmt::format("submit p99, P={}", low),
              fmt::format("submit p50, P={}", high), fmt::format("submit p99, P={}", high), "p50 growth"});
    for (const auto& row : cost.rows)
      table_row(
          out,
          {code(row.label), spread_cell(row.low_p50_ns, format_duration_ns),
           spread_cell(row.low_p99_ns, format_duration_ns), spread_cell(row.high_p50_ns, format_duration_ns),
           spread_cell(row.high_p99_ns, format_duration_ns), optional_cell(row.p50_growth, format_ratio)});
    out += "\n";
  }
}

void render_capabilities(const Report& report, std::string& out) {
  out += "## Capabilities (declared traits)\n\n";
  const auto& verified = conformance_verified_traits();
  if (verified.empty()) {
    out +=
        "No trait is marked verified: this build's table of traits checked by the conformance suite "
        "(tests/conformance_test.cpp) is empty.\n\n";
  } else {
    out +=
        "✓ marks a declared trait that the conformance suite (tests/conformance_test.cpp) checks against "
        "that "
        "strategy's real behaviour:\n\n";
    for (const auto& trait : verified) out += fmt::format("- `{}`: {}\n", trait.trait, trait.how);
    out += "\nUnmarked cells are declarations only.\n\n";
  }
  table_header(out,
               {"Strategy", "Queue order", "Worker lifecycle", "When full", "On exception", "Returns results",
                "Cancellation", "Synchronous submit", "Worker state"},
               Align::text);
  for (const auto& row : report.capabilities) {
    std::vector<std::string> cells = {code(row.strategy)};
    if (!row.known) {
      cells.push_back("not recorded in the result file");
      for (int i = 0; i < 7; ++i) cells.push_back(not_measured);
    } else {
      for (const auto& c : row.cells) cells.push_back(cell(c.value) + (c.verified ? " ✓" : ""));
    }
    table_row(out, cells);
  }
  out += "\n";
}

void render_rules(const Report& report, std::string& out) {
  out += "## Rules of thumb, tested\n\n";
  out +=
      "The guide's figures in each claim were measured in Go, where a task without a pool is a goroutine "
      "(well "
      "under a microsecond to start); the ratios below are this run's, in C++, against each no-pool baseline "
      "the run holds: `spawn=thread` starts an OS thread per task (tens of microseconds), `spawn=fiber` a "
      "fiber, the goroutine's counterpart. Compare a guide figure with the fiber rows.\n\n";
  for (std::size_t i = 0; i < report.rules.size(); ++i) {
    const auto& rule = report.rules[i];
    const std::string outcome = rule.outcome == RuleOutcome::not_measured && !rule.evidence.empty()
                                    ? std::string("not judged: too few tasks")
                                    : outcome_text(rule.outcome);
    out += fmt::format("{}. **{}** — {}\n", i + 1, outcome, rule.claim);
    out += fmt::format("   Checked: {}.\n", rule.criterion);
    for (const auto& line : rule.evidence) out += "   - " + line + "\n";
    out += "\n";
  }
}

void render_crossovers(const Report& report, std::string& out) {
  out += "## Crossover: time per task against task duration\n\n";
  if (report.crossovers.empty()) {
    out += fmt::format("Not measured in this run: no `{}` cases with a task duration parameter.\n\n",
                       cpu_burst_workload);
    return;
  }
  out += fmt::format(
      "Wall time per task (total time / tasks) of each strategy at each `{}` task duration. The gap "
      "row is the fastest pool's speedup over `{}`.\n\n",
      cpu_burst_workload, report.baseline);
  for (const auto& crossover : report.crossovers) {
    out += "### " + cell(crossover.title) + "\n\n";
    std::vector<double> durations;
    for (const auto& series : crossover.series)
      for (const auto& point : series.points)
        if (std::find(durations.begin(), durations.end(), point.task_duration_us) == durations.end())
          durations.push_back(point.task_duration_us);
    std::sort(durations.begin(), durations.end());
    std::vector<std::string> columns = {fmt::format("Strategy \\ {}", crossover.duration_param)};
    for (double d : durations) columns.push_back(format_duration_ns(d * 1e3) + " task");
    table_header(out, columns);
    for (const auto& series : crossover.series) {
      std::vector<std::string> cells = {code(series.label)};
      for (double d : durations) {
        const CrossoverPoint* found = nullptr;
        for (const auto& point : series.points)
          if (point.task_duration_us == d) found = &point;
        cells.push_back(found ? spread_cell(&found->time_per_task_ns, format_duration_ns) : not_measured);
      }
      table_row(out, cells);
    }
    std::vector<std::string> gap_cells = {fmt::format("*fastest pool over {}*", crossover.baseline)};
    for (double d : durations) {
      const CrossoverGap* found = nullptr;
      for (const auto& gap : crossover.gaps)
        if (gap.task_duration_us == d) found = &gap;
      gap_cells.push_back(
          found ? fmt::format("{} ({})", format_ratio(found->speedup), code(found->fastest_pool))
                : not_measured);
    }
    table_row(out, gap_cells);
    out += fmt::format("\nThe gap falls to the {} adopt threshold: {}.  \nThe gap falls within 10%: {}.\n\n",
                       format_ratio(report.adopt_threshold), crossover.adopt_crossover,
                       crossover.parity_crossover);
  }
}

void render_failures(const Report& report, std::string& out) {
  out += "## Failed cases\n\n";
  if (report.failures.empty()) {
    if (report.complete == false)
      out +=
          "None of the recorded repetitions failed, but the run was interrupted before its last case "
          "(see the warning at the top).\n\n";
    else if (!report.complete)
      out +=
          "None of the recorded repetitions failed (whether the run finished is not recorded in this "
          "file).\n\n";
    else
      out += "None: every repetition of every case succeeded.\n\n";
    return;
  }
  out += "These repetitions are left out of every median above.\n\n";
  table_header(out, {"Case", "Repetition", "Reason"}, Align::text);
  for (const auto& failure : report.failures)
    table_row(out, {code(failure.name), std::to_string(failure.repetition_index), cell(failure.message)});
  out += "\n";
}

}  // namespace

std::string render_text(const Report& report) {
  struct CompactRanges {
    CompactRanges() { ranges_only_where_they_matter = true; }
    ~CompactRanges() { ranges_only_where_they_matter = false; }
    CompactRanges(const CompactRanges&) = delete;
    CompactRanges& operator=(const CompactRanges&) = delete;
  } compact;
  std::string text = markdown_to_terminal(render_markdown(report), not_measured);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

std::string render_markdown(const Report& report) {
  std::string out;
  render_header(report, out);
  render_recommendations(report, out);
  render_tables(report, out);
  render_submit_costs(report, out);
  render_capabilities(report, out);
  out += render_guide_tables(report);
  render_rules(report, out);
  render_crossovers(report, out);
  render_failures(report, out);
  if (!report.notes.empty()) {
    out += "## Notes\n\n";
    for (const auto& note : report.notes) out += "- " + note + "\n";
    out += "\n";
  }
  while (out.size() >= 2 && out[out.size() - 1] == '\n' && out[out.size() - 2] == '\n') out.pop_back();
  return out;
}

}  // namespace poolbench::report
