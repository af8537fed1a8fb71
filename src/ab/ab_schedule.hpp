// The order of a round: which cases run, in what order, and which side of each goes first. Randomized per
// round (Abedi and Brecht, "Conducting Repeatable Experiments in Highly Variable Cloud Computing
// Environments", ICPE 2017: randomized multiple interleaved trials), so that no case and no side always meets
// the same moment of a machine's drift, and reproducible: the order depends only on the seed, the round and
// the cases still running, through std::mt19937_64 (whose output the C++ standard fixes) and a Fisher-Yates
// shuffle written here (std::shuffle's use of the generator is left to each library).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace poolbench::ab {

struct Slot {
  std::size_t case_index = 0;
  bool base_first = true;  // base runs just before new (else just after): the two of a pair are adjacent
};

std::vector<Slot> round_order(std::uint64_t seed, std::size_t round, const std::vector<std::size_t>& cases);

}  // namespace poolbench::ab
