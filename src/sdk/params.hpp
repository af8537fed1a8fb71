// Parameters of strategies and workloads: declared with a kind and a default, given as `--param name=value`,
// validated once in the parent (so bad input fails before anything runs) and read, typed, in the child.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace poolbench {

enum class ParamKind {
  positive_integer,      // 1, 2, ... (sizes, counts)
  non_negative_integer,  // 0, 1, ... (0 often means "off" or "unlimited")
  positive_number,       // > 0 and at most max_param_number, may be fractional (durations in us or ms)
  boolean,               // true / false
  choice,                // one of `choices`
  text,                  // anything
};

// The largest positive_number: a duration in any unit up to this converts to nanoseconds without overflow.
inline constexpr double max_param_number = 1e9;

struct ParamSpec {
  std::string name;
  std::string default_value;
  std::string description;
  ParamKind kind = ParamKind::text;
  std::vector<std::string> choices = {};  // for ParamKind::choice
};

// Thrown for a value that does not fit its declared kind; the message names the parameter and what is
// accepted.
struct ParamError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

// Checks one value against its spec; throws ParamError naming the parameter and what it accepts.
void validate_param(const ParamSpec& spec, const std::string& value);

// A case's parameter values: defaults of its strategy and workload, overridden by what the user gave.
class Params {
 public:
  Params() = default;
  explicit Params(std::map<std::string, std::string> values) : values_(std::move(values)) {}

  // Fills in defaults for every spec not already set.
  void apply_defaults(const std::vector<ParamSpec>& specs);
  void set(const std::string& name, std::string value) { values_[name] = std::move(value); }
  bool has(const std::string& name) const { return values_.count(name) != 0; }

  // Typed reads; throw ParamError when the value is missing or does not parse.
  std::string text(const std::string& name) const;
  std::int64_t integer(const std::string& name) const;
  double number(const std::string& name) const;
  bool boolean(const std::string& name) const;

  const std::map<std::string, std::string>& values() const { return values_; }

 private:
  std::map<std::string, std::string> values_;
};

}  // namespace poolbench
