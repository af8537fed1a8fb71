// JSON rendering of the report: the same tables as data, raw numbers with units in the key names, for tools
// and for scripts/plot.py.
#include <nlohmann/json.hpp>

#include "report/report_render.hpp"
#include "report/report_sizing.hpp"

namespace poolbench::report {
namespace {

using Json = nlohmann::ordered_json;

Json spread_json(const Spread& spread) {
  return {{"median", spread.median}, {"min", spread.min}, {"max", spread.max}, {"samples", spread.samples}};
}

Json optional_spread(const std::optional<Spread>& spread) {
  return spread ? spread_json(*spread) : Json(nullptr);
}

template <class T>
Json optional_value(const std::optional<T>& value) {
  return value ? Json(*value) : Json(nullptr);
}

Json params_json(const std::map<std::string, std::string>& params) {
  Json out = Json::object();
  for (const auto& [name, value] : params) out[name] = value;
  return out;
}

Json recommendation_json(const Recommendation& r) {
  return {{"decision", to_string(r.decision)},
          {"choice", r.choice},
          {"fastest_pool", r.fastest_pool.empty() ? Json(nullptr) : Json(r.fastest_pool)},
          {"speedup_over_baseline", optional_value(r.speedup)},
          {"beyond_spread", optional_value(r.beyond_spread)},
          {"fastest_pool_max_total_time_ns", optional_value(r.fastest_pool_max_ns)},
          {"baseline_min_total_time_ns", optional_value(r.baseline_min_ns)},
          {"fastest_pool_time_over_lower_bound", optional_value(r.lower_bound_speedup)},
          {"u_test_p_value", optional_value(r.p_value)},
          {"significant", r.significant},
          {"tied_with", r.tied_with},
          {"runner_up_u_test_p_value", optional_value(r.runner_up_p_value)},
          {"missed_slo", r.missed_slo},
          {"reason", r.reason}};
}

Json row_json(const StrategyRow& row) {
  Json metrics = Json::object();
  for (const auto& [name, spread] : row.metrics) metrics[name] = spread_json(spread);
  return {{"strategy", row.strategy},
          {"label", row.label},
          {"case_name", row.case_name},
          {"case_label", row.case_label},
          {"traits_recorded", row.known_strategy},
          {"is_pool", row.is_pool},
          {"bounded", row.bounded},
          {"successful_repetitions", row.successful_repetitions},
          {"failed_repetitions", row.failed_repetitions},
          {"metrics", metrics},
          {"time_ratio_to_baseline", optional_value(row.time_ratio_to_baseline)},
          {"time_ratio_to_lower_bound", optional_value(row.time_ratio_to_lower_bound)}};
}

}  // namespace

Json report_to_json(const Report& report) {
  Json out;
  out["schema"] = "poolbench-report/2";
  out["source"] = report.source;
  out["baseline_strategy"] = report.baseline;  // --baseline, as given
  out["baseline_note"] = baseline_note(report);
  out["lower_bound_strategy"] = lower_bound_strategy;
  out["adopt_threshold"] = report.adopt_threshold;
  out["slo_p99_ns"] = optional_value(report.slo_p99_ns);
  out["warnings"] = report.warnings;
  out["metrics"] = report.metric_catalogue;
  out["metrics_from"] =
      report.metric_catalogue_from_file ? "result file" : "this build (the file records none)";

  Json header = Json::object();
  for (const auto& [label, value] : report.header) header[label] = value;
  out["header"] = header;
  Json details = Json::object();
  for (const auto& [key, value] : report.run_details) details[key] = value;
  out["run_details"] = details;

  Json tables = Json::array();
  for (const auto& table : report.tables) {
    Json rows = Json::array();
    for (const auto& row : table.rows) rows.push_back(row_json(row));
    tables.push_back({{"title", table.title},
                      {"workload", table.workload},
                      {"params", params_json(table.workload_params)},
                      {"tasks", table.tasks},
                      {"workers", table.workers},
                      {"producers", table.producers},
                      {"compared_time", table.compared_time},
                      {"rows", rows},
                      {"baseline", table.baseline},
                      {"recommendation", recommendation_json(table.recommendation)}});
  }
  out["tables"] = tables;

  Json costs = Json::array();
  for (const auto& cost : report.submit_costs) {
    Json rows = Json::array();
    for (const auto& row : cost.rows)
      rows.push_back({{"label", row.label},
                      {"low_submit_p50_ns", optional_spread(row.low_p50_ns)},
                      {"low_submit_p99_ns", optional_spread(row.low_p99_ns)},
                      {"high_submit_p50_ns", optional_spread(row.high_p50_ns)},
                      {"high_submit_p99_ns", optional_spread(row.high_p99_ns)},
                      {"p50_growth", optional_value(row.p50_growth)}});
    costs.push_back({{"title", cost.title},
                     {"workload", cost.workload},
                     {"params", params_json(cost.workload_params)},
                     {"tasks", cost.tasks},
                     {"workers", cost.workers},
                     {"low_producers", cost.low_producers},
                     {"high_producers", cost.high_producers},
                     {"rows", rows}});
  }
  out["submit_costs"] = costs;

  Json verified = Json::array();
  for (const auto& trait : conformance_verified_traits())
    verified.push_back({{"trait", trait.trait}, {"how", trait.how}});
  Json capabilities = Json::array();
  for (const auto& row : report.capabilities) {
    Json traits = Json::object();
    for (const auto& c : row.cells) traits[c.trait] = {{"value", c.value}, {"verified", c.verified}};
    capabilities.push_back({{"strategy", row.strategy},
                            {"traits_recorded", row.known},
                            {"description", row.description},
                            {"traits", traits}});
  }
  out["conformance_verified_traits"] = verified;
  out["capabilities"] = capabilities;

  Json rules = Json::array();
  for (const auto& rule : report.rules)
    rules.push_back({{"id", rule.id},
                     {"claim", rule.claim},
                     {"criterion", rule.criterion},
                     {"outcome", to_string(rule.outcome)},
                     {"evidence", rule.evidence}});
  out["rules_of_thumb"] = rules;

  Json crossovers = Json::array();
  for (const auto& crossover : report.crossovers) {
    Json series = Json::array();
    for (const auto& s : crossover.series) {
      Json points = Json::array();
      for (const auto& point : s.points)
        points.push_back({{"task_duration_us", point.task_duration_us},
                          {metric::time_per_task_ns, spread_json(point.time_per_task_ns)}});
      series.push_back({{"label", s.label}, {"points", points}});
    }
    Json gaps = Json::array();
    for (const auto& gap : crossover.gaps)
      gaps.push_back({{"task_duration_us", gap.task_duration_us},
                      {"fastest_pool", gap.fastest_pool},
                      {"speedup_over_baseline", gap.speedup}});
    crossovers.push_back({{"title", crossover.title},
                          {"duration_param", crossover.duration_param},
                          {"workers", crossover.workers},
                          {"producers", crossover.producers},
                          {"params", params_json(crossover.other_params)},
                          {"series", series},
                          {"gaps", gaps},
                          {"adopt_crossover_us", optional_value(crossover.adopt_crossover_us)},
                          {"adopt_crossover", crossover.adopt_crossover},
                          {"parity_crossover_us", optional_value(crossover.parity_crossover_us)},
                          {"parity_crossover", crossover.parity_crossover}});
  }
  out["crossovers"] = crossovers;
  out["sizing"] = sizing_to_json(report);

  Json failures = Json::array();
  for (const auto& failure : report.failures)
    failures.push_back({{"case", failure.name},
                        {"repetition_index", failure.repetition_index},
                        {"error_message", failure.message}});
  out["failed_cases"] = failures;
  out["complete"] = report.complete ? Json(*report.complete) : Json(nullptr);
  out["notes"] = report.notes;
  return out;
}

}  // namespace poolbench::report
