// The report's "Self-tuning K" section (the guide's Exercise 3) from the phased workload's cases: per
// configuration, each strategy's live worker count per phase (settled value, time to converge, overshoot),
// and where the adaptive strategy ran, its figures in one sentence. The K-over-time curves are drawn by
// scripts/plot.py (self_tuning_k.png) from the same rows' live_workers_at_ and k_at_ series.
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

constexpr const char* phased_workload = "phased";
constexpr const char* adaptive_strategy = "adaptive";

struct PhaseMetrics {
  const char* title;
  const char* settled;
  const char* converge;
  const char* overshoot;
};

constexpr PhaseMetrics phase_metrics[] = {
    {"low", metric::settled_workers_low, metric::converge_low_ns, metric::overshoot_low_workers},
    {"high", metric::settled_workers_high, metric::converge_high_ns, metric::overshoot_high_workers},
    {"low again", metric::settled_workers_low_again, metric::converge_low_again_ns,
     metric::overshoot_low_again_workers},
};

std::string adaptive_summary(const WorkloadTable& table) {
  std::string out;
  for (const auto& row : table.rows) {
    if (row.strategy != adaptive_strategy) continue;
    out += fmt::format(
        "**{}**: live workers settled at {} → {} → {}; converged in {} (high phase) and {} (low again), "
        "overshoot {} and {} workers (medians).\n\n",
        code(row.label), median_of(row, metric::settled_workers_low, format_count),
        median_of(row, metric::settled_workers_high, format_count),
        median_of(row, metric::settled_workers_low_again, format_count),
        median_of(row, metric::converge_high_ns, format_duration_ns),
        median_of(row, metric::converge_low_again_ns, format_duration_ns),
        median_of(row, metric::overshoot_high_workers, format_count),
        median_of(row, metric::overshoot_low_again_workers, format_count));
  }
  return out;
}

}  // namespace

void render_self_tuning(const Report& report, std::string& out) {
  out += "## Self-tuning K\n\n";
  std::vector<const WorkloadTable*> tables;
  for (const auto& table : report.tables)
    if (table.workload == phased_workload) tables.push_back(&table);
  if (tables.empty()) {
    out +=
        "Not measured in this run: no `phased` cases (run `poolbench run --scenario adaptive` to see whether "
        "a self-tuning pool's worker count converges when the offered load changes).\n\n";
    return;
  }
  out +=
      "The guide's Exercise 3: does a self-tuning K converge to a reasonable value under varying load? The "
      "`phased` workload offers waiting tasks at a low, then a high, then the low rate again (by Little's "
      "law, rate × task time workers are busy on average). For each phase, from the live worker count as "
      "the tasks see it (a thread counts from its first task until it exits): the count it settled at (held "
      "longest over the phase's last quarter), the time from the phase's start until it stayed within max(1, "
      "20%) of that, and the overshoot (how far it went past the settled count in the direction it moved). "
      "Medians (min–max) over the repetitions; the curves are `self_tuning_k.png` (`report --plots`).\n\n";
  for (const WorkloadTable* table : tables) {
    out += fmt::format("### {}\n\n", cell(table->title));
    out += "| Strategy |";
    for (const auto& phase : phase_metrics)
      out += fmt::format(" Settled ({0}) | Converge ({0}) | Overshoot ({0}) |", phase.title);
    out += "\n|---|";
    for (std::size_t i = 0; i < std::size(phase_metrics); ++i) out += "---:|---:|---:|";
    out += '\n';
    for (const auto& row : table->rows) {
      out += fmt::format("| {} |", code(row.label));
      for (const auto& phase : phase_metrics)
        out += fmt::format(" {} | {} | {} |", spread_cell(row, phase.settled, format_count),
                           spread_cell(row, phase.converge, format_duration_ns),
                           spread_cell(row, phase.overshoot, format_count));
      out += '\n';
    }
    out += '\n';
    out += adaptive_summary(*table);
  }
}

}  // namespace poolbench::report
