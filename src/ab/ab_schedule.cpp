#include "ab/ab_schedule.hpp"

#include <random>

namespace poolbench::ab {
namespace {

// A uniform draw from [0, bound) without modulo bias (rejection of the top partial range).
std::uint64_t below(std::mt19937_64& generator, std::uint64_t bound) {
  const std::uint64_t limit = std::mt19937_64::max() - (std::mt19937_64::max() % bound + 1) % bound;
  std::uint64_t value = generator();
  while (value > limit) value = generator();
  return value % bound;
}

}  // namespace

std::vector<Slot> round_order(std::uint64_t seed, std::size_t round, const std::vector<std::size_t>& cases) {
  std::seed_seq sequence{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32),
                         static_cast<std::uint32_t>(round)};
  std::mt19937_64 generator(sequence);
  std::vector<Slot> order;
  order.reserve(cases.size());
  for (std::size_t case_index : cases) order.push_back(Slot{case_index, true});
  for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[below(generator, i)]);
  for (Slot& slot : order) slot.base_first = below(generator, 2) == 0;
  return order;
}

}  // namespace poolbench::ab
