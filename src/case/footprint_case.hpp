// The footprint case: memory per idle worker and per pending task (`-w footprint`;
// src/case/footprint_case.cpp says how each is measured). The driver hands a case of the footprint workload
// here instead of running a window of tasks.
#pragma once

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <optional>

#include "run/plan.hpp"

namespace poolbench {

void run_footprint_case(benchmark::State& state, const CaseSpec& spec);

// The thread stacks of this process as /proc/self/smaps shows them: anonymous private read-write mappings of
// `stack_bytes` less a guard page or two (glibc's layout of a stack it allocates), and their resident bytes.
// Nothing when smaps cannot be read.
struct ThreadStacks {
  std::size_t mappings = 0;
  std::uint64_t resident_bytes = 0;
};
std::optional<ThreadStacks> thread_stack_mappings(std::size_t stack_bytes);

}  // namespace poolbench
