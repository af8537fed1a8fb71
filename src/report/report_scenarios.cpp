// The report's section on issue 13's class scenarios: urgent before normal (the guide's Exercise 2, the
// `priority` strategy on the mixed_priority workload) and tenant B behind tenant A (Exercise 5,
// `fair_tenants` on the tenants workload), each against the single-queue pools of the same configuration;
// "not measured" where the file has no such cases.
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

std::string range_of(const StrategyRow& row, const char* key) {
  const Spread* spread = row.find(key);
  return spread ? format_range(spread->median, spread->min, spread->max, spread->samples, format_duration_ns)
                : dash;
}

// `row`'s median of `key` against `reference`'s, as "3.10x", where both have it.
std::string ratio_to(const StrategyRow& row, const StrategyRow* reference, const char* key) {
  const Spread* mine = row.find(key);
  const Spread* theirs = reference ? reference->find(key) : nullptr;
  if (mine == nullptr || theirs == nullptr || !(theirs->median > 0)) return dash;
  return format_ratio(mine->median / theirs->median);
}

void scenario_table_header(std::string& out, const std::vector<std::string>& columns) {
  out += "|";
  for (const auto& column : columns) out += " " + column + " |";
  out += "\n|";
  for (std::size_t i = 0; i < columns.size(); ++i) out += i == 0 ? "---|" : "---:|";
  out += "\n";
}

void scenario_table_row(std::string& out, const std::vector<std::string>& cells) {
  out += "|";
  for (const auto& value : cells) out += " " + value + " |";
  out += "\n";
}

// The tables of `report` in which some row has `key`.
std::vector<const WorkloadTable*> tables_with(const Report& report, const char* key) {
  std::vector<const WorkloadTable*> out;
  for (const auto& table : report.tables)
    for (const auto& row : table.rows)
      if (row.find(key) != nullptr) {
        out.push_back(&table);
        break;
      }
  return out;
}

void render_priorities(const Report& report, std::string& out) {
  out += "## Urgent before normal\n\n";
  const auto tables = tables_with(report, metric::queue_wait_urgent_p99_ns);
  if (tables.empty()) {
    out +=
        "Not measured in this run: no workload tagged tasks urgent (`poolbench run --scenario priority`: "
        "`priority` against `fifo_ring` on `mixed_priority`, the guide's Exercise 2).\n\n";
    return;
  }
  out +=
      "The guide's Exercise 2: queue wait per class (median with min–max over repetitions; each class "
      "sampled on its own). `priority` takes an urgent task whenever one is queued; a single-queue pool "
      "takes "
      "them in arrival order, so its urgent tasks wait as long as its normal ones. ÷ fifo_ring: the urgent "
      "p99 against `fifo_ring`'s in the same configuration.\n\n";
  for (const WorkloadTable* table : tables) {
    out += "### " + cell(table->title) + "\n\n";
    scenario_table_header(
        out, {"Strategy", "Urgent p50", "Urgent p99", "Normal p50", "Normal p99", "Urgent p99 ÷ fifo_ring"});
    const StrategyRow* reference = table->find("fifo_ring");
    for (const auto& row : table->rows)
      scenario_table_row(out, {code(row.label), range_of(row, metric::queue_wait_urgent_p50_ns),
                               range_of(row, metric::queue_wait_urgent_p99_ns),
                               range_of(row, metric::queue_wait_normal_p50_ns),
                               range_of(row, metric::queue_wait_normal_p99_ns),
                               ratio_to(row, reference, metric::queue_wait_urgent_p99_ns)});
    out += "\n";
  }
}

void render_tenants(const Report& report, std::string& out) {
  out += "## Tenant B behind tenant A\n\n";
  const auto tables = tables_with(report, metric::queue_wait_tenant_b_max_ns);
  if (tables.empty()) {
    out +=
        "Not measured in this run: no workload had a tenant B (`poolbench run --scenario tenants`: "
        "`fair_tenants` against `fifo_ring` and `lifo_stack` on `tenants`, the guide's Exercise 5).\n\n";
    return;
  }
  out +=
      "The guide's Exercise 5: tenant A submits its tasks, then tenant B its own; B's queue wait against "
      "A's (median with min–max over repetitions). A per-tenant fair pool bounds B's wait by A's quantum, "
      "about one task's time; a single queue makes B wait for A's backlog. ÷ fifo_ring: B's wait against "
      "`fifo_ring`'s in the same configuration.\n\n";
  for (const WorkloadTable* table : tables) {
    out += "### " + cell(table->title) + "\n\n";
    scenario_table_header(out, {"Strategy", "B's wait (longest)", "A's wait p50", "A's wait (longest)",
                                "B's wait ÷ fifo_ring"});
    const StrategyRow* reference = table->find("fifo_ring");
    for (const auto& row : table->rows)
      scenario_table_row(out, {code(row.label), range_of(row, metric::queue_wait_tenant_b_max_ns),
                               range_of(row, metric::queue_wait_tenant_a_p50_ns),
                               range_of(row, metric::queue_wait_tenant_a_max_ns),
                               ratio_to(row, reference, metric::queue_wait_tenant_b_max_ns)});
    out += "\n";
  }
}

}  // namespace

void render_class_scenarios(const Report& report, std::string& out) {
  render_priorities(report, out);
  render_tenants(report, out);
}

}  // namespace poolbench::report
