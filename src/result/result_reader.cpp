// Reading half of the result document: parses and validates poolbench's files and Google Benchmark's own
// JSON.
//
// Everything read from disk is untrusted: compare and report feed whatever they are given through here, so
// every way a document can be unusable ends in a ResultFileError whose one-line message names the file, the
// entry and what is wrong, and nothing here can crash or recurse without bound on any input (a fuzz test
// checks this). Google Benchmark writes non-finite doubles as bare NaN / Infinity, which Python's json reads
// but JSON does not allow; they are read as "no value" so that Google Benchmark's own files stay readable.
#include <sys/stat.h>
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <string_view>

#include <fmt/format.h>

#include "metrics/catalogue.hpp"
#include "result/result_file.hpp"

namespace poolbench {
namespace {

// Deeper nesting than any result file has; the limit keeps copying and destroying a hostile document bounded.
constexpr int max_nesting_depth = 64;

// Metrics compare judges (the catalogue gives them a rule): when an entry has one, it must be a non-negative
// finite number. Other counters, the catalogue's included, are carried as they are.
bool is_compared_metric(std::string_view name) {
  const metrics::Metric* metric = metrics::find(name);
  return metric != nullptr && metric->source == metrics::Source::counter &&
         metric->rule != metrics::Rule::not_compared;
}

// Fields of Google Benchmark's entry layout (and poolbench's `case`); every other numeric field is a counter.
const std::set<std::string, std::less<>> known_fields = {"name",
                                                         "family_index",
                                                         "per_family_instance_index",
                                                         "run_name",
                                                         "run_type",
                                                         "repetitions",
                                                         "repetition_index",
                                                         "threads",
                                                         "iterations",
                                                         "real_time",
                                                         "cpu_time",
                                                         "time_unit",
                                                         "aggregate_name",
                                                         "aggregate_unit",
                                                         "error_occurred",
                                                         "error_message",
                                                         "label",
                                                         "host",
                                                         "case"};

std::string clip(std::string_view text, std::size_t limit = 60) {
  std::string out;
  for (char c : text.substr(0, limit)) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
  if (text.size() > limit) out += "...";
  return out;
}

// Checks nesting depth and rewrites Google Benchmark's bare NaN / Infinity tokens (outside strings) as null.
std::string prepare(const std::string& text, const std::string& origin) {
  std::string out;
  out.reserve(text.size());
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      out += c;
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_nesting_depth)
        throw ResultFileError(
            fmt::format("{}: not a result file: JSON nested deeper than {} levels (byte {})", origin,
                        max_nesting_depth, i));
    } else if (c == ']' || c == '}') {
      --depth;
    } else if (c == 'N' || c == 'I' || c == '-') {
      const std::string_view rest(text.data() + i, text.size() - i);
      bool replaced = false;
      for (std::string_view token : {"-Infinity", "Infinity", "-NaN", "NaN"}) {
        if (rest.substr(0, token.size()) == token) {
          out += "null";
          i += token.size() - 1;
          replaced = true;
          break;
        }
      }
      if (replaced) continue;
    }
    out += c;
  }
  return out;
}

// nlohmann's messages start with "[json.exception.parse_error.101] parse error at line 1, column 5: ".
// `size`: of the text parsed; an error at its very end means the text stopped early (a file cut mid-write, or
// mid-string), which is worth saying plainly.
std::string describe_parse_error(const nlohmann::json::parse_error& error, std::size_t size) {
  std::string message = error.what();
  if (auto bracket = message.find("] ");
      message.rfind("[json.exception", 0) == 0 && bracket != std::string::npos)
    message = message.substr(bracket + 2);
  if (message.find("unexpected end of input") != std::string::npos || error.byte > size)
    return fmt::format("truncated or incomplete JSON ({})", message);
  return fmt::format("invalid JSON ({})", message);
}

class EntryReader {
 public:
  EntryReader(const nlohmann::json& value, const std::string& where) : value_(value), where_(where) {}

  [[noreturn]] void fail(const std::string& what) const {
    throw ResultFileError(fmt::format("{}: {}", where_, what));
  }

  const nlohmann::json* find(std::string_view key) const {
    auto found = value_.find(key);
    return found == value_.end() ? nullptr : &*found;
  }

  std::string text(std::string_view key, bool required, std::string fallback = {}) const {
    const nlohmann::json* field = find(key);
    if (field == nullptr) {
      if (required) fail(fmt::format("has no '{}'", key));
      return fallback;
    }
    if (!field->is_string()) fail(fmt::format("'{}' is not a string", key));
    return field->get<std::string>();
  }

  // A non-negative finite number; nullopt when absent (or null where `null_is_absent`).
  std::optional<double> number(std::string_view key, bool null_is_absent) const {
    const nlohmann::json* field = find(key);
    if (field == nullptr || (field->is_null() && null_is_absent)) return std::nullopt;
    return checked_number(key, *field);
  }

  double checked_number(std::string_view key, const nlohmann::json& field) const {
    if (!field.is_number()) fail(fmt::format("'{}' is not a number: {}", key, clip(field.dump())));
    const double value = field.get<double>();
    if (!std::isfinite(value)) fail(fmt::format("'{}' is not a finite number", key));
    if (value < 0) fail(fmt::format("'{}' is negative: {}", key, value));
    return value;
  }

  std::int64_t integer(std::string_view key, std::int64_t fallback) const {
    const nlohmann::json* field = find(key);
    if (field == nullptr) return fallback;
    return checked_integer(key, *field);
  }

  std::int64_t checked_integer(std::string_view key, const nlohmann::json& field) const {
    if (field.is_number_unsigned()) {
      const auto value = field.get<std::uint64_t>();
      if (value > static_cast<std::uint64_t>(INT64_MAX)) fail(fmt::format("'{}' is out of range", key));
      return static_cast<std::int64_t>(value);
    }
    if (field.is_number_integer()) {
      const auto value = field.get<std::int64_t>();
      if (value < 0) fail(fmt::format("'{}' is negative: {}", key, value));
      return value;
    }
    const double value = checked_number(key, field);
    // 2^63 is exactly representable; anything at or above it does not fit.
    if (value >= 9223372036854775808.0 || value != std::floor(value))
      fail(fmt::format("'{}' is not a whole number in range: {}", key, value));
    return static_cast<std::int64_t>(value);
  }

 private:
  const nlohmann::json& value_;
  const std::string& where_;
};

double unit_to_ns(const std::string& unit) {
  if (unit == "ns") return 1;
  if (unit == "us") return 1e3;
  if (unit == "ms") return 1e6;
  if (unit == "s") return 1e9;
  return 1;  // entry_from_json accepts nothing else
}

}  // namespace

double ResultEntry::real_time_ns() const {
  return real_time * unit_to_ns(time_unit);
}
double ResultEntry::cpu_time_ns() const {
  return cpu_time * unit_to_ns(time_unit);
}

std::optional<bool> ResultFile::complete() const {
  if (!is_poolbench()) return std::nullopt;
  const auto& poolbench = context["poolbench"];
  if (auto found = poolbench.find("complete"); found != poolbench.end() && found->is_boolean())
    return found->get<bool>();
  return std::nullopt;
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

std::string ResultFile::host_of(const ResultEntry& entry) const {
  if (!entry.host.empty()) return entry.host;
  if (auto found = context.find("host_name"); found != context.end() && found->is_string())
    return found->get<std::string>();
  return {};
}

std::vector<std::string> ResultFile::hosts() const {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& entry : entries)
    if (std::string host = host_of(entry); seen.insert(host).second) out.push_back(std::move(host));
  return out;
}

ResultEntry entry_from_json(const nlohmann::json& value, const std::string& origin) {
  if (!value.is_object()) throw ResultFileError(fmt::format("{}: is not an object", origin));
  const EntryReader reader(value, origin);
  ResultEntry entry;
  entry.name = reader.text("name", true);
  if (entry.name.empty()) reader.fail("has an empty 'name'");
  const std::string where = fmt::format("{} ({})", origin, clip(entry.name));
  const EntryReader named(value, where);

  entry.run_type = named.text("run_type", false, "iteration");
  if (entry.run_type != "iteration" && entry.run_type != "aggregate")
    named.fail(fmt::format("run_type '{}' is not iteration or aggregate", clip(entry.run_type)));
  entry.aggregate_name = named.text("aggregate_name", false);
  entry.aggregate_unit = named.text("aggregate_unit", false);
  entry.run_name = named.text("run_name", false);
  if (entry.run_name.empty()) {
    // Files from Google Benchmark before run_name existed: an aggregate is named run_name + "_" + statistic.
    entry.run_name = entry.name;
    const std::string suffix = "_" + entry.aggregate_name;
    if (entry.is_aggregate() && !entry.aggregate_name.empty() && entry.name.size() > suffix.size() &&
        entry.name.compare(entry.name.size() - suffix.size(), suffix.size(), suffix) == 0)
      entry.run_name = entry.name.substr(0, entry.name.size() - suffix.size());
  }

  entry.family_index = named.integer("family_index", 0);
  entry.per_family_instance_index = named.integer("per_family_instance_index", 0);
  entry.repetitions = named.integer("repetitions", 1);
  entry.repetition_index = named.integer("repetition_index", 0);
  entry.threads = named.integer("threads", 1);

  if (const nlohmann::json* error = named.find("error_occurred"); error != nullptr && !error->is_null()) {
    if (!error->is_boolean()) named.fail("'error_occurred' is not true or false");
    entry.error_occurred = error->get<bool>();
  }
  entry.error_message = named.text("error_message", false);
  entry.label = named.text("label", false);
  entry.host = named.text("host", false);

  entry.time_unit = named.text("time_unit", false, "ns");
  if (entry.time_unit != "ns" && entry.time_unit != "us" && entry.time_unit != "ms" && entry.time_unit != "s")
    named.fail(fmt::format("time_unit '{}' is not ns, us, ms or s", clip(entry.time_unit)));

  // A successful repetition must carry its timing; aggregates (Google Benchmark's BigO and RMS have no
  // real_time, and a cv over zeros is NaN) and failed runs may lack values.
  const bool lenient = entry.is_aggregate() || entry.error_occurred;
  const auto real_time = named.number("real_time", lenient);
  const auto cpu_time = named.number("cpu_time", lenient);
  if (!lenient && (!real_time || !cpu_time)) named.fail("has no real_time or cpu_time");
  entry.real_time = real_time.value_or(0);
  entry.cpu_time = cpu_time.value_or(0);
  if (const auto iterations = named.number("iterations", lenient)) {
    if (*iterations >= 9223372036854775808.0) named.fail("'iterations' is out of range");
    entry.iterations = static_cast<std::int64_t>(*iterations);
  }

  for (const auto& [key, field] : value.items()) {
    if (known_fields.count(key) != 0) continue;
    if (is_compared_metric(key)) {
      if (field.is_null() && lenient) continue;
      entry.counters[key] = named.checked_number(key, field);
    } else if (field.is_number()) {
      // Other counters are carried as they are (Google Benchmark allows any value); only non-finite ones are
      // dropped, since nothing downstream can use them.
      const double number = field.get<double>();
      if (std::isfinite(number)) entry.counters[key] = number;
    }
  }

  if (const nlohmann::json* info = named.find("case"); info != nullptr && !info->is_null()) {
    try {
      entry.case_info = case_from_json(*info);
    } catch (const CaseInfoError& error) {
      named.fail(clip(error.what(), 200));
    }
  }
  return entry;
}

void infer_param_owners(std::vector<ResultEntry>& entries) {
  // Per workload: the parameter names every previous-layout case of it carries.
  std::map<std::string, std::set<std::string>> shared;
  for (const ResultEntry& entry : entries) {
    if (!entry.case_info || !entry.case_info->params_owner_inferred) continue;
    std::set<std::string> names;
    for (const auto& [name, value] : entry.case_info->workload_params) names.insert(name);
    auto [found, first] = shared.try_emplace(entry.case_info->workload, names);
    if (!first) {
      std::set<std::string> both;
      std::set_intersection(found->second.begin(), found->second.end(), names.begin(), names.end(),
                            std::inserter(both, both.end()));
      found->second = std::move(both);
    }
  }
  for (ResultEntry& entry : entries) {
    if (!entry.case_info || !entry.case_info->params_owner_inferred) continue;
    CaseInfo& info = *entry.case_info;
    const std::set<std::string>& workload_names = shared[info.workload];
    for (auto it = info.workload_params.begin(); it != info.workload_params.end();) {
      if (workload_names.count(it->first) != 0) {
        ++it;
      } else {
        info.strategy_params.insert(*it);
        it = info.workload_params.erase(it);
      }
    }
  }
}

ResultFile parse_result_document(const std::string& text, const std::string& origin) {
  nlohmann::json document;
  const std::string prepared = prepare(text, origin);
  try {
    document = nlohmann::json::parse(prepared);
  } catch (const nlohmann::json::parse_error& error) {
    throw ResultFileError(fmt::format("{}: {}", origin, describe_parse_error(error, prepared.size())));
  } catch (const nlohmann::json::exception& error) {
    throw ResultFileError(fmt::format("{}: invalid JSON ({})", origin, error.what()));
  }
  if (!document.is_object())
    throw ResultFileError(fmt::format("{}: not a result file: the document is not a JSON object", origin));
  auto benchmarks = document.find("benchmarks");
  if (benchmarks == document.end() || !benchmarks->is_array())
    throw ResultFileError(fmt::format("{}: not a result file: no 'benchmarks' array", origin));

  ResultFile file;
  file.path = origin;
  if (auto context = document.find("context"); context != document.end()) {
    if (!context->is_object())
      throw ResultFileError(fmt::format("{}: not a result file: 'context' is not an object", origin));
    if (auto poolbench = context->find("poolbench"); poolbench != context->end() && !poolbench->is_object())
      throw ResultFileError(fmt::format("{}: 'context.poolbench' is not an object", origin));
    if (auto poolbench = context->find("poolbench"); poolbench != context->end())
      if (auto complete = poolbench->find("complete");
          complete != poolbench->end() && !complete->is_boolean())
        throw ResultFileError(fmt::format("{}: 'context.poolbench.complete' is not true or false", origin));
    file.context = std::move(*context);
  } else {
    file.context = nlohmann::json::object();
  }

  file.entries.reserve(benchmarks->size());
  std::size_t index = 0;
  for (const auto& value : *benchmarks) {
    file.entries.push_back(entry_from_json(value, fmt::format("{}: benchmarks[{}]", origin, index)));
    ++index;
  }
  infer_param_owners(file.entries);
  return file;
}

ResultFile read_result_file(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0)
    throw ResultFileError(fmt::format("{}: cannot read: {}", path, std::strerror(errno)));
  if (S_ISDIR(info.st_mode)) throw ResultFileError(fmt::format("{}: cannot read: is a directory", path));
  // A pipe (`<(...)`) ends; a device such as /dev/zero might never.
  if (!S_ISREG(info.st_mode) && !S_ISFIFO(info.st_mode))
    throw ResultFileError(fmt::format("{}: cannot read: not a regular file", path));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ResultFileError(fmt::format("{}: cannot read: {}", path, std::strerror(errno)));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw ResultFileError(fmt::format("{}: cannot read: I/O error", path));
  const std::string contents = text.str();
  if (contents.find_first_not_of(" \t\r\n") == std::string::npos)
    throw ResultFileError(fmt::format("{}: empty file (not a result file)", path));
  return parse_result_document(contents, path);
}

}  // namespace poolbench
