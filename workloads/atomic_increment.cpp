#include "atomic_increment.hpp"

#include <fmt/format.h>

#include "default_workers.hpp"
#include "registry.hpp"

namespace poolbench {

void AtomicIncrementWorkload::prepare(std::size_t tasks) {
  tasks_ = tasks;
  counter_.store(0);
  ledger_.reset(tasks);
}

void AtomicIncrementWorkload::run(std::size_t index) {
  counter_.fetch_add(1, std::memory_order_relaxed);
  ledger_.record(index);
}

std::string AtomicIncrementWorkload::verify() {
  if (std::string failure = ledger_.verify(); !failure.empty()) return failure;
  const std::size_t accepted = tasks_ - ledger_.rejected_count();
  if (const auto counted = counter_.load(); counted != accepted)
    return fmt::format("the shared counter reads {} after {} tasks that each ran once", counted, accepted);
  return {};
}

namespace {
const WorkloadRegistrar atomic_increment_registrar{WorkloadInfo{
    .name = "atomic_increment",
    .description = "each task increments one shared atomic counter: measures pure per-task overhead",
    .params = {},
    .make = [](const WorkloadConfig&) { return std::make_unique<AtomicIncrementWorkload>(); },
    .default_tasks = {100000},
    .quick_tasks = 20000,
    .default_workers = cpu_work_workers(machine_cores()),
    .default_sweep = {},
    .nominal_task_ns = [](const Params&) { return 5.0; },
}};
}  // namespace

}  // namespace poolbench
