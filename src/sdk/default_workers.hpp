// Default worker counts that fit the machine: a workload's `default_workers` (the K it runs when the user
// does not choose, registry.hpp) derive from the core count, so a 32-core machine does not measure K=2. Pure
// functions of the core count, so tests can check them for any machine.
#pragma once

#include <algorithm>
#include <cstddef>
#include <thread>
#include <vector>

namespace poolbench {

// The machine's cores as the standard library reports them, at least 1.
inline std::size_t machine_cores() {
  return std::max<std::size_t>(1, std::thread::hardware_concurrency());
}

// CPU work: one worker per core (at least 2, so that a single-core machine still measures concurrency);
// more would only time-slice the same cores.
inline std::vector<std::size_t> cpu_work_workers(std::size_t cores) {
  return {std::max<std::size_t>(2, cores)};
}

// CPU work where a worker's state is the point (warm_state): two per core, so that tasks queue behind busy
// workers and per-worker state is reused, as in the guide's tunny example.
inline std::vector<std::size_t> oversubscribed_workers(std::size_t cores) {
  return {2 * std::max<std::size_t>(2, cores)};
}

// Waiting work (simulated I/O): K overlaps K waits on any core count; the guide sizes such pools at 100 and
// more, and a larger machine drives more at once.
inline std::vector<std::size_t> io_workers(std::size_t cores) {
  return {std::max<std::size_t>(100, 4 * cores)};
}

}  // namespace poolbench
