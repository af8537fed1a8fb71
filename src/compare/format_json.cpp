// compare output for other tools: everything the verdicts rest on, numbers as numbers.
#include <nlohmann/json.hpp>

#include "compare/compare.hpp"

namespace poolbench::compare {
namespace {

nlohmann::ordered_json optional_number(const std::optional<double>& value) {
  return value ? nlohmann::ordered_json(*value) : nlohmann::ordered_json(nullptr);
}

std::vector<std::string> regressed_cases(const Comparison& comparison) {
  std::vector<std::string> out;
  for (const auto& result : comparison.cases)
    if (result.regressed()) out.push_back(result.name);
  return out;
}

}  // namespace

std::string format_json(const Comparison& comparison) {
  const Options& options = comparison.options;
  nlohmann::ordered_json out;
  out["base"] = comparison.base_path;
  out["new"] = comparison.new_path;
  out["options"] = {{"profile", options.profile},
                    {"alpha", options.alpha},
                    {"adjustment", to_string(options.adjustment)},
                    {"min_effect", options.min_effect},
                    {"exact_tolerance", options.exact_tolerance},
                    {"spread_factor", options.spread_factor},
                    {"alloc_tolerance", options.alloc_tolerance},
                    {"min_time_ns", options.min_time_ns},
                    {"rss_threshold", options.rss_threshold},
                    {"strict", options.strict},
                    {"fail_on_missing", options.fail_on_missing},
                    {"normalize_to", options.normalize_to ? nlohmann::ordered_json(*options.normalize_to)
                                                          : nlohmann::ordered_json(nullptr)}};
  auto complete = [](const std::optional<bool>& value) {
    return value ? nlohmann::ordered_json(*value) : nlohmann::ordered_json(nullptr);
  };
  out["base_complete"] = complete(comparison.base_complete);
  out["new_complete"] = complete(comparison.new_complete);
  const Summary& s = comparison.summary;
  out["summary"] = {
      {"regressions", s.regressions},
      {"improvements", s.improvements},
      {"unchanged", s.unchanged},
      {"not_compared", s.not_compared},
      {"cases_compared", s.cases_compared},
      {"cases_regressed", s.cases_regressed},
      {"cases_improved", s.cases_improved},
      {"only_in_base", s.only_in_base},
      {"only_in_new", s.only_in_new},
      {"decided_without_u_test", s.threshold_only},
      {"too_few_repetitions", s.too_few_repetitions},
      {"u_tests", s.tests},
      {"cases_too_few_repetitions", s.cases_too_few},
      {"regressed_cases", regressed_cases(comparison)},
      {"gate_failure", comparison.gate_failure.empty() ? nlohmann::ordered_json(nullptr)
                                                       : nlohmann::ordered_json(comparison.gate_failure)},
      {"exit_status", exit_status(comparison)},
      {"line", summary_line(comparison)}};
  nlohmann::ordered_json cases = nlohmann::ordered_json::array();
  for (const auto& result : comparison.cases) {
    nlohmann::ordered_json item;
    item["name"] = result.name;
    item["status"] = to_string(result.status);
    item["regressed"] = result.regressed();
    item["improved"] = result.improved();
    item["base_repetitions"] = result.base_repetitions;
    item["new_repetitions"] = result.new_repetitions;
    if (!result.error.empty()) item["error"] = result.error;
    if (!result.note.empty()) item["note"] = result.note;
    nlohmann::ordered_json metrics = nlohmann::ordered_json::array();
    for (const auto& metric : result.metrics) {
      nlohmann::ordered_json m;
      m["metric"] = metric.metric;
      m["verdict"] = to_string(metric.verdict);
      m["decision"] = to_string(metric.decision);
      m["base_median"] = metric.base_count > 0 ? nlohmann::ordered_json(metric.base_median) : nullptr;
      m["new_median"] = metric.new_count > 0 ? nlohmann::ordered_json(metric.new_median) : nullptr;
      m["change"] = optional_number(metric.change);
      m["p_value"] = optional_number(metric.p_value);
      m["adjusted_p_value"] = optional_number(metric.adjusted_p_value);
      m["base_count"] = metric.base_count;
      m["new_count"] = metric.new_count;
      m["normalized"] = metric.normalized;
      if (metric.decision == Decision::exact) m["spread"] = metric.spread;
      if (!metric.note.empty()) m["note"] = metric.note;
      metrics.push_back(std::move(m));
    }
    item["metrics"] = std::move(metrics);
    cases.push_back(std::move(item));
  }
  if (comparison.confirmation) {
    const auto& confirmation = *comparison.confirmation;
    out["confirmation"] = {{"command", confirmation.command},
                           {"result_file", confirmation.path},
                           {"rerun", confirmation.rerun},
                           {"confirmed", confirmation.confirmed},
                           {"not_confirmed", confirmation.not_confirmed}};
  }
  out["cases"] = std::move(cases);
  out["only_in_base"] = comparison.only_in_base;
  out["only_in_new"] = comparison.only_in_new;
  // File paths may hold bytes that are not UTF-8: written as U+FFFD.
  return out.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace poolbench::compare
