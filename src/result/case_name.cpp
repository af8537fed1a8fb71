#include "result/case_name.hpp"

#include <array>
#include <charconv>
#include <vector>

#include <fmt/format.h>

namespace poolbench {
namespace {

constexpr std::array<std::string_view, 3> coordinate_keys = {"tasks", "workers", "producers"};

bool is_coordinate(std::string_view key) {
  for (std::string_view coordinate : coordinate_keys)
    if (key == coordinate) return true;
  return false;
}

// Why `text` cannot be this part of a name, or "" when it can. `colon_allowed`: a value may contain ':'
// (the parser splits a segment at its first ':').
std::string unusable(std::string_view text, bool colon_allowed) {
  if (text.empty()) return "is empty";
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '/') return "contains '/'";
    if (c == ':' && !colon_allowed) return "contains ':'";
    if (byte <= 0x20 || byte == 0x7f) return "contains white space or a control character";
  }
  return {};
}

void check(std::string_view what, std::string_view text, bool colon_allowed) {
  if (std::string why = unusable(text, colon_allowed); !why.empty())
    throw CaseNameError(fmt::format("{} '{}' cannot be part of a case name: it {}", what, text, why));
}

std::size_t parse_coordinate(std::string_view key, std::string_view value, std::string_view name) {
  std::size_t parsed = 0;
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), parsed);
  if (value.empty() || error != std::errc{} || end != value.data() + value.size())
    throw CaseNameError(fmt::format("case name '{}': {} '{}' is not a whole number", name, key, value));
  return parsed;
}

}  // namespace

std::string CaseName::str() const {
  check("strategy", strategy, false);
  check("workload", workload, false);
  std::string name = strategy + "/" + workload;
  for (const auto& [key, value] : params) {
    check("parameter name", key, false);
    if (is_coordinate(key))
      throw CaseNameError(
          fmt::format("parameter name '{}' cannot be part of a case name: it is a coordinate", key));
    check(fmt::format("parameter {}'s value", key), value, true);
    name += fmt::format("/{}:{}", key, value);
  }
  return name + fmt::format("/tasks:{}/workers:{}/producers:{}", tasks, workers, producers);
}

CaseName CaseName::parse(std::string_view name) {
  std::vector<std::string_view> parts;
  for (std::size_t begin = 0;;) {
    const std::size_t slash = name.find('/', begin);
    parts.push_back(
        name.substr(begin, slash == std::string_view::npos ? std::string_view::npos : slash - begin));
    if (slash == std::string_view::npos) break;
    begin = slash + 1;
  }
  if (parts.size() < 2 + coordinate_keys.size())
    throw CaseNameError(
        fmt::format("'{}' is not a poolbench case name (strategy/workload/.../tasks:N/workers:K/"
                    "producers:P)",
                    name));
  CaseName out;
  out.strategy = parts[0];
  out.workload = parts[1];
  check("strategy", out.strategy, false);
  check("workload", out.workload, false);
  std::map<std::string, std::size_t, std::less<>> coordinates;
  for (std::size_t i = 2; i < parts.size(); ++i) {
    const std::string_view part = parts[i];
    const std::size_t colon = part.find(':');
    if (colon == std::string_view::npos)
      throw CaseNameError(fmt::format("case name '{}': part '{}' is not key:value", name, part));
    const std::string_view key = part.substr(0, colon);
    const std::string_view value = part.substr(colon + 1);
    check("parameter name", key, false);
    check(fmt::format("parameter {}'s value", key), value, true);
    const bool repeated = is_coordinate(key)
                              ? !coordinates.emplace(key, parse_coordinate(key, value, name)).second
                              : !out.params.emplace(key, value).second;
    if (repeated) throw CaseNameError(fmt::format("case name '{}': '{}' appears twice", name, key));
  }
  for (std::string_view key : coordinate_keys)
    if (coordinates.find(key) == coordinates.end())
      throw CaseNameError(fmt::format("case name '{}' has no {}", name, key));
  out.tasks = coordinates.find("tasks")->second;
  out.workers = coordinates.find("workers")->second;
  out.producers = coordinates.find("producers")->second;
  return out;
}

}  // namespace poolbench
