#include "test_known_allocations.hpp"

#include <cstdlib>
#include <new>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "probe/latency_recorder.hpp"
#include "registry.hpp"

namespace poolbench {

KnownAllocationsWorkload::KnownAllocationsWorkload(std::size_t allocations, std::size_t bytes, Via via)
    : allocations_(allocations), bytes_(bytes), via_(via) {}

void KnownAllocationsWorkload::prepare(std::size_t tasks) {
  ledger_.reset(tasks);
  tasks_on_worker_threads_.store(0);
  failed_allocations_.store(0);
}

void KnownAllocationsWorkload::run(std::size_t index) {
  for (std::size_t k = 0; k < allocations_; ++k) {
    const bool use_malloc = via_ == Via::malloc || (via_ == Via::alternate && k % 2 == 1);
    void* block = use_malloc ? std::malloc(bytes_) : ::operator new(bytes_, std::nothrow);
    if (block == nullptr) {
      failed_allocations_.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    static_cast<volatile unsigned char*>(block)[0] = static_cast<unsigned char>(index);
    benchmark::DoNotOptimize(block);
    if (use_malloc)
      std::free(block);
    else
      ::operator delete(block);
  }
  if (!probe::on_producer_thread()) tasks_on_worker_threads_.fetch_add(1, std::memory_order_relaxed);
  ledger_.record(index);
}

std::string KnownAllocationsWorkload::verify() {
  if (std::string failure = ledger_.verify(); !failure.empty()) return failure;
  if (const auto failed = failed_allocations_.load(); failed != 0)
    return fmt::format("{} allocations failed", failed);
  return {};
}

std::string KnownAllocationsWorkload::label() const {
  return fmt::format("tasks_on_worker_threads={}", tasks_on_worker_threads_.load());
}

namespace {
const WorkloadRegistrar test_known_allocations_registrar{WorkloadInfo{
    .name = "test_known_allocations",
    .description = "test only: each task makes `allocations` heap allocations of `bytes` bytes",
    .params = {ParamSpec{.name = "allocations",
                         .default_value = "3",
                         .description = "allocations per task",
                         .kind = ParamKind::non_negative_integer},
               ParamSpec{.name = "bytes",
                         .default_value = "200",
                         .description = "bytes per allocation",
                         .kind = ParamKind::positive_integer},
               ParamSpec{.name = "via",
                         .default_value = "operator_new",
                         .description = "operator_new, malloc, or alternate (new, malloc, new, ...)",
                         .kind = ParamKind::choice,
                         .choices = {"operator_new", "malloc", "alternate"}}},
    .make =
        [](const WorkloadConfig& config) {
          const std::string via = config.params.text("via");
          return std::make_unique<KnownAllocationsWorkload>(
              static_cast<std::size_t>(config.params.integer("allocations")),
              static_cast<std::size_t>(config.params.integer("bytes")),
              via == "malloc"      ? KnownAllocationsWorkload::Via::malloc
              : via == "alternate" ? KnownAllocationsWorkload::Via::alternate
                                   : KnownAllocationsWorkload::Via::operator_new);
        },
    .default_tasks = {1000},
    .quick_tasks = 1000,
    .default_workers = {2},
    .default_sweep = {},
    .nominal_task_ns = [](const Params&) { return 100.0; },
    .uses_cpu = true,
    .test_only = true,
}};
}  // namespace

}  // namespace poolbench
