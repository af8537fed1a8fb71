#include "params.hpp"

#include <charconv>
#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace poolbench {
namespace {

bool parse_integer(const std::string& value, std::int64_t& out) {
  const char* first = value.data();
  const char* last = value.data() + value.size();
  auto [end, error] = std::from_chars(first, last, out);
  return error == std::errc{} && end == last && !value.empty();
}

bool parse_number(const std::string& value, double& out) {
  const char* first = value.data();
  const char* last = value.data() + value.size();
  auto [end, error] = std::from_chars(first, last, out);
  return error == std::errc{} && end == last && !value.empty() && std::isfinite(out);
}

bool parse_boolean(const std::string& value, bool& out) {
  if (value == "true" || value == "1" || value == "yes" || value == "on") {
    out = true;
    return true;
  }
  if (value == "false" || value == "0" || value == "no" || value == "off") {
    out = false;
    return true;
  }
  return false;
}

}  // namespace

void validate_param(const ParamSpec& spec, const std::string& value) {
  std::int64_t integer = 0;
  double number = 0;
  bool flag = false;
  switch (spec.kind) {
    case ParamKind::positive_integer:
      if (!parse_integer(value, integer) || integer < 1)
        throw ParamError(fmt::format("parameter {}: '{}' is not a positive integer", spec.name, value));
      return;
    case ParamKind::non_negative_integer:
      if (!parse_integer(value, integer) || integer < 0)
        throw ParamError(fmt::format("parameter {}: '{}' is not a non-negative integer", spec.name, value));
      return;
    case ParamKind::positive_number:
      if (!parse_number(value, number) || number <= 0 || number > max_param_number)
        throw ParamError(fmt::format("parameter {}: '{}' is not a positive number of at most {:g}", spec.name,
                                     value, max_param_number));
      return;
    case ParamKind::boolean:
      if (!parse_boolean(value, flag))
        throw ParamError(fmt::format("parameter {}: '{}' is not true or false", spec.name, value));
      return;
    case ParamKind::choice:
      for (const auto& choice : spec.choices)
        if (choice == value) return;
      throw ParamError(fmt::format("parameter {}: '{}' is not one of {}", spec.name, value,
                                   fmt::join(spec.choices, ", ")));
    case ParamKind::text:
      return;
  }
}

void Params::apply_defaults(const std::vector<ParamSpec>& specs) {
  for (const auto& spec : specs) values_.try_emplace(spec.name, spec.default_value);
}

std::string Params::text(const std::string& name) const {
  auto found = values_.find(name);
  if (found == values_.end()) throw ParamError(fmt::format("parameter {} is not set", name));
  return found->second;
}

std::int64_t Params::integer(const std::string& name) const {
  std::int64_t out = 0;
  if (!parse_integer(text(name), out))
    throw ParamError(fmt::format("parameter {}: '{}' is not an integer", name, text(name)));
  return out;
}

double Params::number(const std::string& name) const {
  double out = 0;
  if (!parse_number(text(name), out))
    throw ParamError(fmt::format("parameter {}: '{}' is not a number", name, text(name)));
  return out;
}

bool Params::boolean(const std::string& name) const {
  bool out = false;
  if (!parse_boolean(text(name), out))
    throw ParamError(fmt::format("parameter {}: '{}' is not true or false", name, text(name)));
  return out;
}

}  // namespace poolbench
