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

// ---- report_decision.cpp ----

Recommendation recommend(const WorkloadTable& table, double threshold);

// ---- report_rules.cpp ----

std::vector<Crossover> build_crossovers(const std::vector<WorkloadTable>& tables, double threshold);
// The guide's rules of thumb, checked against the tables (and the crossovers), in the guide's order.
std::vector<RuleCheck> check_rules(const std::vector<WorkloadTable>& tables,
                                   const std::vector<Crossover>& crossovers, double threshold);

// ---- report_capabilities.cpp ----

std::vector<CapabilityCell> capability_cells(const StrategyTraits& traits);

// ---- report_header.cpp ----

void fill_header(const ResultFile& file, Report& report);

}  // namespace poolbench::report
