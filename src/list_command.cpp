// `poolbench list [--format text|json|md] [--all]`: what is registered, for people and for tools; `md` prints
// README's "What each strategy models" table, from the strategies' own ModelRows.
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "plugin/plugin_loader.hpp"
#include "registry.hpp"
#include "result/case_info.hpp"
#include "run/scenarios.hpp"

namespace poolbench {
namespace {

nlohmann::json params_to_json(const std::vector<ParamSpec>& params) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& param : params) {
    nlohmann::json spec = {
        {"name", param.name}, {"default", param.default_value}, {"description", param.description}};
    if (!param.choices.empty()) spec["choices"] = param.choices;
    out.push_back(spec);
  }
  return out;
}

void print_params(const std::vector<ParamSpec>& params) {
  for (const auto& param : params)
    fmt::print("      --param {}={}  {}\n", param.name, param.default_value, param.description);
}

nlohmann::json models_to_json(const std::vector<ModelRow>& models) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& row : models)
    out.push_back(
        {{"mode", row.mode}, {"library", row.library}, {"matches", row.matches}, {"differs", row.differs}});
  return out;
}

// `sharded` for the default row, `sharded --param mode=pond` for a mode's.
std::string model_row_name(const StrategyInfo& info, const ModelRow& row) {
  if (row.mode.empty()) return info.name;
  std::string name = info.name;
  std::string_view rest = row.mode;
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    name += fmt::format(" --param {}", rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
  }
  return name;
}

// Where an entry comes from: "built-in", or the plugin file that registered it.
std::string source_of(const LoadedPlugin* plugin) {
  return plugin == nullptr ? std::string("built-in") : plugin->path;
}

void print_plugin_source(const LoadedPlugin* plugin) {
  if (plugin != nullptr)
    fmt::print("      from plugin {} (SDK {}, sha256 {})\n", plugin->path, plugin->sdk_version,
               plugin->sha256);
}

int list_model_table(bool include_test_only) {
  fmt::print("| strategy | library and version | what matches | what differs, and why |\n");
  fmt::print("| --- | --- | --- | --- |\n");
  for (const StrategyInfo* info : strategy_registry().all(include_test_only))
    for (const ModelRow& row : info->models)
      fmt::print("| `{}` | {} | {} | {} |\n", model_row_name(*info, row), row.library, row.matches,
                 row.differs);
  return 0;
}

nlohmann::json scenarios_to_json() {
  nlohmann::json out = nlohmann::json::array();
  for (const Scenario& scenario : scenarios())
    out.push_back(
        {{"name", scenario.name}, {"question", scenario.question}, {"flags", scenario_flags(scenario)}});
  return out;
}

void print_scenarios() {
  for (const Scenario& scenario : scenarios()) {
    fmt::print("  {:<18} {}\n", scenario.name, scenario.question);
    fmt::print("      = {}\n", scenario_flags(scenario));
  }
}

int list(const std::string& format, bool include_test_only, bool only_scenarios) {
  if (only_scenarios) {
    if (format == "json") {
      std::cout << nlohmann::json{{"scenarios", scenarios_to_json()}}.dump(2) << '\n';
    } else if (format == "md") {
      fmt::print("| scenario | what it answers | the flags it stands for |\n| --- | --- | --- |\n");
      for (const Scenario& scenario : scenarios())
        fmt::print("| `{}` | {} | `{}` |\n", scenario.name, scenario.question, scenario_flags(scenario));
    } else {
      print_scenarios();
    }
    return 0;
  }
  if (format == "md") return list_model_table(include_test_only);
  if (format == "json") {
    nlohmann::json out = {{"strategies", nlohmann::json::array()},
                          {"workloads", nlohmann::json::array()},
                          {"scenarios", scenarios_to_json()}};
    for (const StrategyInfo* info : strategy_registry().all(include_test_only))
      out["strategies"].push_back({{"name", info->name},
                                   {"description", info->description},
                                   {"traits", traits_to_json(info->traits)},
                                   {"params", params_to_json(info->params)},
                                   {"models", models_to_json(info->models)},
                                   {"test_only", info->test_only},
                                   {"source", source_of(plugin_of_strategy(info->name))}});
    for (const WorkloadInfo* info : workload_registry().all(include_test_only))
      out["workloads"].push_back({{"name", info->name},
                                  {"description", info->description},
                                  {"params", params_to_json(info->params)},
                                  {"default_tasks", info->default_tasks},
                                  {"quick_tasks", info->quick_tasks},
                                  {"default_workers", info->default_workers},
                                  {"default_sweep", info->default_sweep},
                                  {"test_only", info->test_only},
                                  {"source", source_of(plugin_of_workload(info->name))}});
    std::cout << out.dump(2) << '\n';
    return 0;
  }
  fmt::print("Strategies:\n");
  for (const StrategyInfo* info : strategy_registry().all(include_test_only)) {
    fmt::print("  {:<18} {}\n", info->name, info->description);
    print_plugin_source(plugin_of_strategy(info->name));
    const auto& t = info->traits;
    fmt::print("      order={} lifecycle={} when_full={} on_exception={} results={} cancellation={}{}{}\n",
               to_string(t.queue_order), to_string(t.worker_lifecycle), to_string(t.when_full),
               to_string(t.on_exception), t.returns_results ? "yes" : "no", t.cancellation ? "yes" : "no",
               t.synchronous_submit ? " synchronous_submit" : "", t.worker_state ? " worker_state" : "");
    print_params(info->params);
    for (const ModelRow& row : info->models) {
      fmt::print("      {}: models {}\n", model_row_name(*info, row), row.library);
      fmt::print("        matches: {}\n        differs: {}\n", row.matches, row.differs);
    }
  }
  fmt::print("\nWorkloads:\n");
  for (const WorkloadInfo* info : workload_registry().all(include_test_only)) {
    fmt::print("  {:<18} {}\n", info->name, info->description);
    print_plugin_source(plugin_of_workload(info->name));
    print_params(info->params);
  }
  fmt::print("\nScenarios (poolbench run --scenario NAME):\n");
  print_scenarios();
  return 0;
}

const SubcommandRegistrar list_command_registrar{SubcommandInfo{
    .name = "list",
    .description = "list the registered strategies (with their declared traits), workloads and scenarios",
    .order = 10,
    .setup =
        [](CLI::App& command) {
          auto as_json = std::make_shared<bool>(false);
          auto format = std::make_shared<std::string>("text");
          auto include_test_only = std::make_shared<bool>(false);
          auto* json_flag = command.add_flag("--json", *as_json, "machine-readable output (--format json)");
          command
              .add_option("--format", *format,
                          "text (default), json, or md: README's table of what each strategy models")
              ->check(CLI::IsMember({"text", "json", "md"}))
              ->excludes(json_flag);
          command.add_flag("--all", *include_test_only, "include the test-only strategies and workloads");
          auto only_scenarios = std::make_shared<bool>(false);
          command.add_flag("--scenarios", *only_scenarios,
                           "only the scenarios (`run --scenario NAME`) and the flags each stands for");
          auto plugins = add_plugin_option(command);
          return std::function<int()>([=] {
            load_plugins(*plugins);
            return list(*as_json ? std::string("json") : *format, *include_test_only, *only_scenarios);
          });
        },
}};

}  // namespace
}  // namespace poolbench
