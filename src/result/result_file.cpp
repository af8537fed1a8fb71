// TEMPORARY minimal reader so the tree links until src/result/result_reader.cpp (the validated reader) lands;
// that change deletes this file.
#include "result/result_file.hpp"

#include <fstream>
#include <set>
#include <sstream>

namespace poolbench {

double ResultEntry::real_time_ns() const {
  const double scale = time_unit == "s" ? 1e9 : time_unit == "ms" ? 1e6 : time_unit == "us" ? 1e3 : 1;
  return real_time * scale;
}
double ResultEntry::cpu_time_ns() const {
  const double scale = time_unit == "s" ? 1e9 : time_unit == "ms" ? 1e6 : time_unit == "us" ? 1e3 : 1;
  return cpu_time * scale;
}

std::vector<const ResultEntry*> ResultFile::repetitions_of(const std::string& run_name) const {
  std::vector<const ResultEntry*> out;
  for (const auto& entry : entries)
    if (!entry.is_aggregate() && entry.run_name == run_name) out.push_back(&entry);
  return out;
}

std::vector<std::string> ResultFile::case_names() const {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& entry : entries)
    if (seen.insert(entry.run_name).second) out.push_back(entry.run_name);
  return out;
}

ResultEntry entry_from_json(const nlohmann::json& value, const std::string& origin) {
  static const std::set<std::string> known = {"name", "family_index", "per_family_instance_index", "run_name",
                                              "run_type", "repetitions", "repetition_index", "threads",
                                              "iterations", "real_time", "cpu_time", "time_unit", "error_occurred",
                                              "error_message", "label", "case", "aggregate_name", "aggregate_unit"};
  try {
    ResultEntry entry;
    entry.name = value.at("name").get<std::string>();
    entry.run_name = value.value("run_name", entry.name);
    entry.run_type = value.value("run_type", std::string("iteration"));
    entry.aggregate_name = value.value("aggregate_name", std::string());
    entry.repetitions = value.value("repetitions", std::int64_t{1});
    entry.repetition_index = value.value("repetition_index", std::int64_t{0});
    entry.real_time = value.value("real_time", 0.0);
    entry.cpu_time = value.value("cpu_time", 0.0);
    entry.time_unit = value.value("time_unit", std::string("ns"));
    entry.error_occurred = value.value("error_occurred", false);
    entry.error_message = value.value("error_message", std::string());
    entry.label = value.value("label", std::string());
    entry.family_index = value.value("family_index", std::int64_t{0});
    entry.iterations = value.value("iterations", std::int64_t{0});
    for (const auto& [key, item] : value.items())
      if (!known.count(key) && item.is_number()) entry.counters[key] = item.get<double>();
    if (value.contains("case")) {
      const auto& c = value.at("case");
      entry.case_info = CaseInfo{c.at("strategy"), c.at("workload"), c.at("tasks"), c.at("workers"),
                                 c.at("producers"), c.at("params").get<std::map<std::string, std::string>>()};
    }
    return entry;
  } catch (const nlohmann::json::exception& e) {
    throw ResultFileError(origin + ": " + e.what());
  }
}

ResultFile parse_result_document(const std::string& text, const std::string& origin) {
  try {
    const auto document = nlohmann::json::parse(text);
    ResultFile file;
    file.path = origin;
    file.context = document.at("context");
    for (const auto& entry : document.at("benchmarks")) file.entries.push_back(entry_from_json(entry, origin));
    return file;
  } catch (const nlohmann::json::exception& e) {
    throw ResultFileError(origin + ": " + e.what());
  }
}

ResultFile read_result_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ResultFileError(path + ": cannot read");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_result_document(text.str(), path);
}

}  // namespace poolbench
