// --shard I/N (one part of the plan per machine) and the plan's digest, which the result file records so that
// `poolbench merge` can tell shards and repeated runs of one plan from files of different plans.
#include <algorithm>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "errors.hpp"
#include "run/plan.hpp"

namespace poolbench {
namespace {

// FNV-1a, 64 bits: fixed by definition, so the same names hash alike in every build and on every machine.
class Fnv1a {
 public:
  void add(std::string_view text) {
    for (const char c : text) {
      hash_ ^= static_cast<unsigned char>(c);
      hash_ *= 1099511628211ULL;
    }
  }
  std::uint64_t value() const { return hash_; }

 private:
  std::uint64_t hash_ = 14695981039346656037ULL;
};

std::optional<std::size_t> positive(std::string_view text) {
  std::size_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc{} || end != text.data() + text.size() || value == 0)
    return std::nullopt;
  return value;
}

}  // namespace

Shard parse_shard(const std::string& value) {
  const std::size_t slash = value.find('/');
  const std::string_view text(value);
  const auto index = slash == std::string::npos ? std::nullopt : positive(text.substr(0, slash));
  const auto count = slash == std::string::npos ? std::nullopt : positive(text.substr(slash + 1));
  if (!index || !count || *index > *count)
    throw UsageError(
        fmt::format("--shard: '{}' is not I/N with 1 <= I <= N (e.g. 2/4: the second of four)", value));
  return Shard{.index = *index, .count = *count};
}

std::vector<std::size_t> shard_case_indices(const std::vector<CaseSpec>& cases, const Shard& shard) {
  std::vector<std::pair<std::uint64_t, std::size_t>> by_hash;
  for (std::size_t index = 0; index < cases.size(); ++index) {
    Fnv1a hash;
    hash.add(cases[index].name);
    by_hash.emplace_back(hash.value(), index);
  }
  std::sort(by_hash.begin(), by_hash.end());
  std::vector<std::size_t> mine;
  for (std::size_t position = shard.index - 1; position < by_hash.size(); position += shard.count)
    mine.push_back(by_hash[position].second);
  std::sort(mine.begin(), mine.end());
  return mine;
}

std::string plan_digest(const std::vector<CaseSpec>& cases) {
  Fnv1a hash;
  // A newline, which no name holds, separates the names, so that their boundaries count.
  for (const CaseSpec& spec : cases) hash.add(spec.name + "\n");
  return fmt::format("{:016x}", hash.value());
}

}  // namespace poolbench
