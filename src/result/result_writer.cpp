// Writing half of the result document: entries in Google Benchmark's layout, its aggregates, atomic writes.
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>

#include "metrics/statistics.hpp"
#include "result/result_file.hpp"

namespace poolbench {
nlohmann::ordered_json entry_to_json(const ResultEntry& entry) {
  // nlohmann::ordered_json keeps Google Benchmark's field order, which people reading the file expect.
  nlohmann::ordered_json out;
  out["name"] = entry.name;
  out["family_index"] = entry.family_index;
  out["per_family_instance_index"] = entry.per_family_instance_index;
  out["run_name"] = entry.run_name;
  out["run_type"] = entry.run_type;
  out["repetitions"] = entry.repetitions;
  if (entry.is_aggregate()) {
    out["threads"] = entry.threads;
    out["aggregate_name"] = entry.aggregate_name;
    out["aggregate_unit"] = entry.aggregate_unit;
  } else {
    out["repetition_index"] = entry.repetition_index;
    out["threads"] = entry.threads;
  }
  if (entry.error_occurred) {
    out["error_occurred"] = true;
    out["error_message"] = entry.error_message;
  }
  out["iterations"] = entry.iterations;
  out["real_time"] = entry.real_time;
  out["cpu_time"] = entry.cpu_time;
  out["time_unit"] = entry.time_unit;
  for (const auto& [name, value] : entry.counters) out[name] = value;
  if (!entry.label.empty()) out["label"] = entry.label;
  if (!entry.host.empty()) out["host"] = entry.host;
  if (entry.case_info) out["case"] = case_to_json(*entry.case_info);
  return out;
}

std::vector<ResultEntry> aggregates_of(const std::vector<const ResultEntry*>& repetitions) {
  std::vector<const ResultEntry*> successful;
  for (const ResultEntry* entry : repetitions)
    if (!entry->error_occurred) successful.push_back(entry);
  if (successful.size() < 2) return {};

  const ResultEntry& first = *successful.front();
  auto column = [&](auto field) {
    std::vector<double> values;
    for (const ResultEntry* entry : successful) values.push_back(field(*entry));
    return values;
  };
  const auto real_times = column([](const ResultEntry& e) { return e.real_time; });
  const auto cpu_times = column([](const ResultEntry& e) { return e.cpu_time; });

  struct Statistic {
    const char* name;
    double (*compute)(const std::vector<double>&);
    const char* unit;
  };
  const Statistic statistics[] = {
      {"mean", metrics::mean, "time"},
      {"median", [](const std::vector<double>& v) { return metrics::median(v); }, "time"},
      {"stddev", metrics::stddev, "time"},
      {"cv", metrics::cv, "percentage"},
  };

  std::vector<ResultEntry> out;
  for (const Statistic& statistic : statistics) {
    ResultEntry aggregate;
    aggregate.name = first.run_name + "_" + statistic.name;
    aggregate.run_name = first.run_name;
    aggregate.run_type = "aggregate";
    aggregate.aggregate_name = statistic.name;
    aggregate.aggregate_unit = statistic.unit;
    aggregate.family_index = first.family_index;
    aggregate.per_family_instance_index = first.per_family_instance_index;
    aggregate.repetitions = first.repetitions;
    aggregate.threads = first.threads;
    aggregate.iterations = static_cast<std::int64_t>(successful.size());
    aggregate.time_unit = first.time_unit;
    aggregate.real_time = statistic.compute(real_times);
    aggregate.cpu_time = statistic.compute(cpu_times);
    for (const auto& [counter, value] : first.counters) {
      std::vector<double> values;
      for (const ResultEntry* entry : successful)
        if (auto found = entry->counters.find(counter); found != entry->counters.end())
          values.push_back(found->second);
      if (values.size() == successful.size()) aggregate.counters[counter] = statistic.compute(values);
    }
    aggregate.case_info = first.case_info;
    aggregate.host = first.host;
    out.push_back(std::move(aggregate));
  }
  return out;
}

// Strings from the command line (paths, --filter) may hold bytes that are not UTF-8: written as U+FFFD
// rather than failing the write.
void write_json_atomically(const std::string& path, const nlohmann::json& document) {
  write_text_atomically(path, document.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

void write_json_atomically(const std::string& path, const nlohmann::ordered_json& document) {
  write_text_atomically(path, document.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

}  // namespace poolbench
