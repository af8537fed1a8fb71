// The guide's footprint table ("Deep Comparison: Memory Footprint": per-worker memory, per-task memory) from
// the footprint cases of the file (`-w footprint`): bytes per idle worker at each K measured, the stack's
// share, and bytes per pending task. A strategy with no figure says why (its case's label: no persistent
// workers, no queue), never a number it did not measure.
#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "format/markdown.hpp"
#include "format/units.hpp"
#include "report/report_parts.hpp"
#include "report/report_render.hpp"

namespace poolbench::report {
namespace {

constexpr const char* footprint_workload = "footprint";

std::string measure_of(const WorkloadTable& table) {
  auto found = table.workload_params.find("measure");
  return found == table.workload_params.end() ? std::string("idle_workers") : found->second;
}

std::optional<double> median(const StrategyRow& row, const char* key) {
  const Spread* spread = row.find(key);
  return spread ? std::optional<double>(spread->median) : std::nullopt;
}

// One strategy's figures across the footprint tables.
struct FootprintRow {
  std::map<std::size_t, std::string> idle_by_workers;  // K -> bytes per idle worker (or why none)
  std::string stack;                                   // stack share per worker, at the largest K measured
  std::string pending_rss, pending_heap, queued;
  std::string note;  // the first case label: why a figure is missing, or how the queue is bounded
};

std::string bytes_or(const std::optional<double>& value, const std::string& otherwise) {
  return value ? format_bytes(*value) : otherwise;
}

}  // namespace

std::string render_footprint_measured(const Report& report) {
  std::vector<std::string> labels;
  std::map<std::string, FootprintRow> rows;
  std::set<std::size_t> idle_workers;
  std::map<std::string, std::size_t> stack_at;  // the K each row's stack figure comes from
  for (const auto& table : report.tables) {
    if (table.workload != footprint_workload) continue;
    const bool idle = measure_of(table) == "idle_workers";
    if (idle) idle_workers.insert(table.workers);
    for (const auto& row : table.rows) {
      if (row.successful_repetitions == 0) continue;
      if (std::find(labels.begin(), labels.end(), row.label) == labels.end()) labels.push_back(row.label);
      FootprintRow& out = rows[row.label];
      if (idle) {
        const auto per_worker = median(row, metric::idle_worker_rss_bytes);
        out.idle_by_workers[table.workers] = bytes_or(per_worker, dash);
        if (out.note.empty()) out.note = row.case_label;
        if (const auto stack = median(row, metric::idle_worker_stack_rss_bytes);
            stack && table.workers >= stack_at[row.label]) {
          stack_at[row.label] = table.workers;
          out.stack = format_bytes(*stack) + fmt::format(" (K={})", table.workers);
        }
      } else if (out.queued.empty()) {  // the first pending table of a strategy: the one with fewest workers
        const auto queued = median(row, metric::pending_tasks_queued);
        out.queued = queued ? format_count(*queued) : dash;
        out.pending_rss = bytes_or(median(row, metric::pending_task_rss_bytes), dash);
        out.pending_heap = bytes_or(median(row, metric::pending_task_heap_bytes), dash);
        if (out.note.empty()) out.note = row.case_label;
      }
    }
  }
  std::string out;
  if (labels.empty()) {
    out +=
        "Per idle worker and per pending task: not measured in this run (`poolbench run -w footprint -k "
        "10,100,1000` measures both, each case in a process of its own).\n\n";
    return out;
  }
  std::optional<double> stack_reserved;
  for (const auto& table : report.tables)
    if (table.workload == footprint_workload)
      for (const auto& row : table.rows)
        if (auto reserved = median(row, metric::default_thread_stack_bytes)) stack_reserved = reserved;
  out += fmt::format(
      "Measured by the footprint cases, each in a process of its own: **per idle worker**, RSS with K "
      "workers "
      "started (K tasks held at once, so every worker really ran) and then idle, minus RSS before the pool, "
      "over K; *of which stack*: the resident pages of the thread-stack mappings per worker. **Per pending "
      "task**: RSS growth and heap bytes allocated while tasks queued behind K held workers, over the tasks "
      "queued (a bounded queue takes its capacity, then submit blocks). Every thread reserves {} of stack "
      "(the default: no strategy sets its own); only touched pages are resident.\n\n",
      stack_reserved ? format_bytes(*stack_reserved) : std::string("an unrecorded amount"));
  out += "| Strategy |";
  for (const std::size_t k : idle_workers) out += fmt::format(" Idle worker, K={} |", k);
  out += " of which stack | Pending task (RSS) | Pending task (heap) | Tasks queued | Note |\n|---|";
  for (std::size_t i = 0; i < idle_workers.size() + 4; ++i) out += "---:|";
  out += "---|\n";
  for (const auto& label : labels) {
    const FootprintRow& row = rows[label];
    out += "| " + markdown::code(label) + " |";
    for (const std::size_t k : idle_workers) {
      auto found = row.idle_by_workers.find(k);
      out += " " + (found == row.idle_by_workers.end() ? std::string(dash) : found->second) + " |";
    }
    out += fmt::format(" {} | {} | {} | {} | {} |\n", row.stack.empty() ? dash : row.stack,
                       row.pending_rss.empty() ? dash : row.pending_rss,
                       row.pending_heap.empty() ? dash : row.pending_heap,
                       row.queued.empty() ? dash : row.queued, markdown::cell(row.note));
  }
  out += "\n";
  return out;
}

}  // namespace poolbench::report
