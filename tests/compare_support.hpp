// Result files built in memory for compare's tests, and the fixture files of tests/data.
#pragma once

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "compare/compare.hpp"
#include "result/case_name.hpp"
#include "result/result_file.hpp"

namespace poolbench::compare::testing {

inline std::string data(const std::string& name) {
  return std::string(POOLBENCH_SOURCE_DIR) + "/tests/data/" + name;
}

struct CaseValues {
  std::string strategy;
  std::string workload = "atomic_increment";
  std::size_t workers = 2;
  std::vector<double> times = {};                            // real_time in ns, one per repetition
  std::map<std::string, std::vector<double>> counters = {};  // one value per repetition
  std::map<std::string, std::string> strategy_params = {};   // named in the case's name too
  bool failed = false;
  std::optional<StrategyTraits> traits = {};  // recorded in the case as a run records them
};

inline std::string name_of(const CaseValues& values) {
  return CaseName{values.strategy, values.workload, values.strategy_params, 1000, values.workers, 1}.str();
}

inline ResultFile make_file(const std::string& path, const std::vector<CaseValues>& cases) {
  ResultFile file;
  file.path = path;
  file.context = {{"poolbench", {{"version", "test"}}}};
  for (const auto& values : cases) {
    for (std::size_t i = 0; i < values.times.size(); ++i) {
      ResultEntry entry;
      entry.name = entry.run_name = name_of(values);
      entry.repetitions = static_cast<std::int64_t>(values.times.size());
      entry.repetition_index = static_cast<std::int64_t>(i);
      entry.iterations = 1;
      entry.real_time = values.times[i];
      entry.cpu_time = values.times[i];
      entry.error_occurred = values.failed;
      if (values.failed) entry.error_message = "crashed";
      for (const auto& [counter, series] : values.counters) entry.counters[counter] = series.at(i);
      CaseInfo& info = entry.case_info.emplace();
      info.strategy = values.strategy;
      info.workload = values.workload;
      info.tasks = 1000;
      info.workers = values.workers;
      info.producers = 1;
      info.strategy_params = values.strategy_params;
      info.strategy_traits = values.traits;
      file.entries.push_back(entry);
    }
  }
  return file;
}

inline std::vector<double> scaled(const std::vector<double>& values, double factor) {
  std::vector<double> out;
  for (double v : values) out.push_back(v * factor);
  return out;
}

inline const std::vector<double> five = {1000, 1010, 995, 1005, 990};

inline const MetricComparison& metric_of(const Comparison& comparison, const std::string& case_prefix,
                                         const std::string& metric) {
  for (const auto& result : comparison.cases)
    if (result.name.rfind(case_prefix, 0) == 0)
      for (const auto& m : result.metrics)
        if (m.metric == metric) return m;
  throw std::runtime_error("no " + metric + " for " + case_prefix);
}

}  // namespace poolbench::compare::testing
