// The report model's pieces, for its own files: report_model.cpp groups the entries into tables (and holds
// the helpers below), report_decision.cpp applies the guide's adopt rule, report_rules.cpp checks the guide's
// rules of thumb and builds the crossovers, report_capabilities.cpp the declared traits and their verified
// marks, report_header.cpp the machine and run header. Not part of the report's interface (report_model.hpp).
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "report/report_model.hpp"

namespace poolbench::report {

// What a table cell shows where there is no value.
inline constexpr const char* dash = "—";

// ---- report_model.cpp ----

// cpu_burst's task duration, in microseconds, and the parameter that gave it; nullopt where none does.
std::optional<std::pair<std::string, double>> task_duration_us(
    const std::map<std::string, std::string>& params);
std::string join_params(const std::map<std::string, std::string>& params, const char* separator = ", ");
std::string plural(std::size_t count, const char* one, const char* many);
std::string config_title(const std::string& workload, const std::map<std::string, std::string>& params,
                         std::size_t tasks, std::size_t workers, std::optional<std::size_t> producers);
// Reading order of strategies: the lower bound, the unbounded thread per task, the default choice, the rest.
int strategy_rank(const std::string& strategy);
// Whether the table's cases ran open loop (an `arrival` parameter).
bool open_loop(const WorkloadTable& table);
// A row's median of `key` in `format`, or the dash where the row has no such metric.
std::string median_of(const StrategyRow& row, const char* key, std::string (*format)(double));
// A row's median of `key` with its range over the repetitions (format_range), or the dash.
std::string spread_cell(const StrategyRow& row, const char* key, std::string (*format)(double));

// ---- report_decision.cpp ----

// Whether `a`'s values of `key` are significantly lower than `b`'s: both have at least
// min_decision_repetitions values, and either their ranges do not overlap or the U test's p is below
// decision_alpha with `a`'s median the lower.
struct Significance {
  bool enough = false;  // both have enough repetitions for a test
  std::optional<double> p_value;
  bool separated = false;  // a's slowest is faster than b's fastest
  bool significant = false;
};
Significance faster_than(const StrategyRow& a, const StrategyRow& b, const std::string& key);

// Whether a row meets --slo-p99, and the figure that says so.
struct SloVerdict {
  bool met = true;
  bool measured = false;
  std::string evidence;
};
// Per row label of `table`: judged on the open-loop runs of the same configuration in `all` where present.
std::map<std::string, SloVerdict> judge_slo(const WorkloadTable& table, const std::vector<WorkloadTable>& all,
                                            double slo_p99_ns);

// `slo`: the verdicts of judge_slo, or nullptr without a latency objective.
Recommendation recommend(const WorkloadTable& table, double threshold,
                         const std::map<std::string, SloVerdict>* slo = nullptr);

// ---- report_warnings.cpp ----

// The trust signals of Report::warnings, from the file's context and the built tables.
std::vector<std::string> build_warnings(const ResultFile& file, const Report& report);

// ---- report_rules.cpp ----

std::vector<Crossover> build_crossovers(const std::vector<WorkloadTable>& tables, double threshold);
// The guide's rules of thumb, checked against the tables (and the crossovers), in the guide's order.
std::vector<RuleCheck> check_rules(const std::vector<WorkloadTable>& tables,
                                   const std::vector<Crossover>& crossovers, double threshold);

// ---- report_capabilities.cpp ----

std::vector<CapabilityCell> capability_cells(const StrategyTraits& traits);

// ---- report_scenarios.cpp ----

// Urgent before normal, tenant B behind tenant A: the class scenarios' sections (Markdown).
void render_class_scenarios(const Report& report, std::string& out);

// ---- report_fairness.cpp ----

// "Bursts and worker fairness" (the guide's Exercise 4) from the burst workload's cases; "not measured"
// without them.
void render_burst_fairness(const Report& report, std::string& out);

// ---- report_adaptive.cpp ----

// "Self-tuning K" (the guide's Exercise 3) from the phased workload's cases; "not measured" without them.
void render_self_tuning(const Report& report, std::string& out);

// ---- report_header.cpp ----

void fill_header(const ResultFile& file, Report& report);

}  // namespace poolbench::report
