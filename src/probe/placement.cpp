#include "probe/placement.hpp"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "errors.hpp"

namespace poolbench::probe {
namespace detail {
std::atomic<bool> placement_active{false};
constinit thread_local bool thread_placed = false;
}  // namespace detail

namespace {

Affinity mode = Affinity::none;
std::size_t producer_count = 0;
std::size_t thread_total = 1;
std::vector<int> allowed_cores;  // written before any producer starts, read-only after
std::atomic<std::size_t> next_worker{0};

int core_for(std::size_t thread) {
  const std::size_t cores = allowed_cores.size();
  if (mode == Affinity::spread) return allowed_cores[thread % cores];
  return allowed_cores[(thread % thread_total) * cores / thread_total];
}

void pin(int core) noexcept {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(core, &set);
  ::pthread_setaffinity_np(::pthread_self(), sizeof(set), &set);
  detail::thread_placed = true;
}

}  // namespace

Affinity parse_affinity(const std::string& text) {
  if (text == "none") return Affinity::none;
  if (text == "spread") return Affinity::spread;
  if (text == "compact") return Affinity::compact;
  throw UsageError(fmt::format("--affinity: '{}' is not one of none, spread, compact", text));
}

std::string to_string(Affinity affinity) {
  switch (affinity) {
    case Affinity::none:
      return "none";
    case Affinity::spread:
      return "spread";
    case Affinity::compact:
      return "compact";
  }
  return "none";
}

void configure_placement(Affinity affinity, std::size_t producers, std::size_t workers) {
  mode = affinity;
  producer_count = producers;
  thread_total = std::max<std::size_t>(producers + workers, 1);
  next_worker.store(0, std::memory_order_relaxed);
  allowed_cores.clear();
  cpu_set_t set;
  CPU_ZERO(&set);
  if (affinity != Affinity::none && ::sched_getaffinity(0, sizeof(set), &set) == 0)
    for (int core = 0; core < CPU_SETSIZE; ++core)
      if (CPU_ISSET(core, &set)) allowed_cores.push_back(core);
  detail::placement_active.store(affinity != Affinity::none && !allowed_cores.empty(),
                                 std::memory_order_relaxed);
}

void place_producer(std::size_t index) noexcept {
  if (!detail::placement_active.load(std::memory_order_relaxed)) return;
  pin(core_for(index));
}

namespace detail {
void place_worker_slow() noexcept {
  pin(core_for(producer_count + next_worker.fetch_add(1, std::memory_order_relaxed)));
}
}  // namespace detail

}  // namespace poolbench::probe
