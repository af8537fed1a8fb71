// The report's "Bursts and worker fairness" section (the guide's Exercise 4) from the burst workload's cases:
// a table per configuration, and the guide's claim about ants' LIFO default against its FIFO loop queue
// checked where the run has both.
#include <string>
#include <vector>

#include <fmt/format.h>

#include "format/markdown.hpp"
#include "format/units.hpp"
#include "report/report_parts.hpp"

namespace poolbench::report {
namespace {

using markdown::cell;
using markdown::code;

constexpr const char* burst_workload = "burst";

std::string fraction_3(double value) {
  return fmt::format("{:.3f}", value);
}
std::string percent(double value) {
  return fmt::format("{:.1f}%", value * 100);
}

// lifo_stack's row in the mode `prealloc` names (the stack: false; the loop queue: true), or nullptr.
const StrategyRow* lifo_stack_row(const WorkloadTable& table, bool prealloc) {
  for (const auto& row : table.rows) {
    if (row.strategy != "lifo_stack") continue;
    const auto mode = row.strategy_params.find("prealloc");
    const bool row_prealloc = mode != row.strategy_params.end() && mode->second == "true";
    if (row_prealloc == prealloc) return &row;
  }
  return nullptr;
}

// The guide's claim, judged on the per-burst index: held when the stack's is significantly lower than the
// loop queue's (the U test, or ranges apart), refuted when the loop queue's is.
std::string judge_claim(const WorkloadTable& table) {
  const StrategyRow* stack = lifo_stack_row(table, false);
  const StrategyRow* loop_queue = lifo_stack_row(table, true);
  if (stack == nullptr || loop_queue == nullptr)
    return "The guide's claim needs both `lifo_stack` modes here (`--param prealloc=false,true`): not "
           "judged.\n\n";
  const Spread* lifo = stack->find(metric::worker_fairness_jain_per_burst);
  const Spread* fifo = loop_queue->find(metric::worker_fairness_jain_per_burst);
  if (lifo == nullptr || fifo == nullptr) return "No per-burst fairness was recorded: not judged.\n\n";
  const Significance lifo_lower = faster_than(*stack, *loop_queue, metric::worker_fairness_jain_per_burst);
  const Significance fifo_lower = faster_than(*loop_queue, *stack, metric::worker_fairness_jain_per_burst);
  const auto exits = [](const StrategyRow& row) {
    const Spread* spread = row.find(metric::worker_exits_outside_long_gaps);
    return spread ? format_count(spread->median) : std::string(dash);
  };
  const std::string figures = fmt::format(
      "per-burst Jain index {} (LIFO stack) against {} (FIFO loop queue), workers expired outside the long "
      "gaps {} against {} (medians)",
      fraction_3(lifo->median), fraction_3(fifo->median), exits(*stack), exits(*loop_queue));
  const auto evidence = [](const Significance& s) {
    return s.separated ? std::string("ranges apart")
                       : fmt::format("Mann-Whitney U p = {:.3g}", s.p_value.value_or(1.0));
  };
  if (!lifo_lower.enough)
    return fmt::format("**Claim not judged** (fewer than {} repetitions of a mode): {}.\n\n",
                       min_decision_repetitions, figures);
  if (lifo_lower.significant)
    return fmt::format(
        "**The guide's claim held**: the LIFO stack spread the work less evenly than the FIFO loop queue "
        "({}; {}).\n\n",
        figures, evidence(lifo_lower));
  if (fifo_lower.significant)
    return fmt::format(
        "**The guide's claim did not hold**: the FIFO loop queue spread the work less evenly than the LIFO "
        "stack ({}; {}).\n\n",
        figures, evidence(fifo_lower));
  return fmt::format(
      "**Claim not shown**: the two modes' per-burst fairness is within the repetitions' spread ({}; "
      "{}).\n\n",
      figures, evidence(lifo_lower));
}

}  // namespace

void render_burst_fairness(const Report& report, std::string& out) {
  out += "## Bursts and worker fairness\n\n";
  std::vector<const WorkloadTable*> tables;
  for (const auto& table : report.tables)
    if (table.workload == burst_workload) tables.push_back(&table);
  if (tables.empty()) {
    out +=
        "Not measured in this run: no `burst` cases (run `poolbench run --scenario burst` to see how each "
        "pool spreads bursts of tasks over its workers, and what its idle expiry costs).\n\n";
    return;
  }
  out +=
      "The guide's Exercise 4: under bursts separated by idle gaps, ants' LIFO default (`lifo_stack`) is "
      "said to pile the work on its newest workers and let the old ones expire, where its FIFO loop queue "
      "(`lifo_stack` with `prealloc=true`) spreads it. From the `burst` workload, which records the thread "
      "that ran each task: Jain's index over tasks per worker thread ((Σx)²/(n·Σx²): 1 all equal, 1/n one "
      "ran all), per burst over the workers alive then (an idle one counts 0; the mean over the bursts) and "
      "over the whole run (each generation of threads after a long gap counts apart); threads that exited "
      "while tasks remained, and of those the ones outside the long gaps (left idle while others worked); "
      "the queue wait of the first task after a short and after a long gap. Medians (min–max) over the "
      "repetitions.\n\n";
  for (const WorkloadTable* table : tables) {
    out += fmt::format("### {}\n\n", cell(table->title));
    out +=
        "| Strategy | Jain per burst | Jain over the run | Busiest worker | Threads used | Exits while "
        "running | of them outside long gaps | First after short gap | First after long gap |\n";
    out += "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
    for (const auto& row : table->rows) {
      out += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", code(row.label),
                         spread_cell(row, metric::worker_fairness_jain_per_burst, fraction_3),
                         spread_cell(row, metric::worker_fairness_jain, fraction_3),
                         spread_cell(row, metric::busiest_worker_share, percent),
                         spread_cell(row, metric::worker_threads_used, format_count),
                         spread_cell(row, metric::worker_exits_during_run, format_count),
                         spread_cell(row, metric::worker_exits_outside_long_gaps, format_count),
                         spread_cell(row, metric::first_after_short_gap_wait_ns, format_duration_ns),
                         spread_cell(row, metric::first_after_long_gap_wait_ns, format_duration_ns));
    }
    out += '\n';
    out += judge_claim(*table);
  }
}

}  // namespace poolbench::report
