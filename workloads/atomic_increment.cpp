#include "atomic_increment.hpp"

#include <fmt/format.h>

#include "registry.hpp"

namespace poolbench {

void AtomicIncrementWorkload::prepare(std::size_t tasks) {
  tasks_ = tasks;
  counter_.store(0);
  runs_ = std::make_unique<std::atomic<std::uint8_t>[]>(tasks);
}

void AtomicIncrementWorkload::run(std::size_t index) {
  counter_.fetch_add(1, std::memory_order_relaxed);
  runs_[index].fetch_add(1, std::memory_order_relaxed);
}

std::string AtomicIncrementWorkload::verify() {
  std::size_t lost = 0;
  std::size_t duplicated = 0;
  std::size_t first_bad = tasks_;
  for (std::size_t i = 0; i < tasks_; ++i) {
    const auto runs = runs_[i].load(std::memory_order_relaxed);
    if (runs == 1) continue;
    if (first_bad == tasks_) first_bad = i;
    (runs == 0 ? lost : duplicated) += 1;
  }
  const auto counted = counter_.load();
  if (lost == 0 && duplicated == 0 && counted == tasks_) return {};
  return fmt::format(
      "exactly-once violated: {} of {} tasks lost, {} ran more than once (first: task {}), counter {}", lost,
      tasks_, duplicated, first_bad, counted);
}

namespace {
const WorkloadRegistrar registrar{WorkloadInfo{
    .name = "atomic_increment",
    .description = "each task increments one shared atomic counter: measures pure per-task overhead",
    .params = {},
    .make = [](const WorkloadConfig&) { return std::make_unique<AtomicIncrementWorkload>(); },
    .default_tasks = {100000},
    .quick_tasks = 20000,
    .default_workers = {2},
    .default_sweep = {},
    .nominal_task_ns = [](const Params&) { return 5.0; },
}};
}  // namespace

}  // namespace poolbench
