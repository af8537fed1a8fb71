// --shard I/N (one part of the plan per machine) and the plan's digest, which the result file records so that
// `poolbench merge` can tell shards and repeated runs of one plan from files of different plans.
#include <algorithm>
#include <charconv>
#include <cstdint>
#include <map>
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

std::string configuration_key(const CaseSpec& spec) {
  std::string key;
  std::size_t begin = spec.name.find('/');  // the strategy's own segment is left out
  while (begin != std::string::npos) {
    const std::size_t end = spec.name.find('/', begin + 1);
    const std::string segment = spec.name.substr(begin + 1, end == std::string::npos ? end : end - begin - 1);
    if (spec.info.strategy_params.count(segment.substr(0, segment.find(':'))) == 0) key += segment + "/";
    begin = end;
  }
  return key;
}

std::vector<std::size_t> shard_case_indices(const std::vector<CaseSpec>& cases, const Shard& shard) {
  // The configurations, each with its cases, ordered by the hash of the configuration.
  std::map<std::string, std::vector<std::size_t>> by_configuration;
  for (std::size_t index = 0; index < cases.size(); ++index)
    by_configuration[configuration_key(cases[index])].push_back(index);
  std::vector<std::pair<std::uint64_t, const std::vector<std::size_t>*>> by_hash;
  for (const auto& [key, indices] : by_configuration) {
    Fnv1a hash;
    hash.add(key);
    by_hash.emplace_back(hash.value(), &indices);
  }
  std::sort(by_hash.begin(), by_hash.end());
  if (by_hash.size() < shard.count)
    throw UsageError(
        fmt::format("--shard: {}/{}: the plan has {} configurations (the cases one table compares, "
                    "which stay together), fewer than {} shards",
                    shard.index, shard.count, by_hash.size(), shard.count));
  // Each configuration to the shard with the fewest cases so far (the first of those tied).
  std::vector<std::size_t> shard_sizes(shard.count, 0);
  std::vector<std::size_t> mine;
  for (const auto& [hash, indices] : by_hash) {
    const auto smallest = static_cast<std::size_t>(std::min_element(shard_sizes.begin(), shard_sizes.end()) -
                                                   shard_sizes.begin());
    shard_sizes[smallest] += indices->size();
    if (smallest == shard.index - 1) mine.insert(mine.end(), indices->begin(), indices->end());
  }
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
