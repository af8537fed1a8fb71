#include "footprint.hpp"

#include "registry.hpp"

namespace poolbench {
namespace {
const WorkloadRegistrar footprint_registrar{WorkloadInfo{
    .name = footprint_workload_name,
    .description =
        "memory per idle worker (K workers started, then idle) and per pending task (queued behind "
        "K held workers): RSS before and after, per worker or per task",
    .params =
        {{footprint_measure_param,
          footprint_idle_workers,
          "idle_workers: RSS with K idle workers minus RSS before the pool, over K; pending_tasks: RSS of "
          "the tasks queued behind K held workers, over the tasks queued",
          ParamKind::choice,
          {footprint_idle_workers, footprint_pending_tasks}}},
    .make = [](const WorkloadConfig&) { return std::make_unique<FootprintWorkload>(); },
    .default_tasks = {100000},
    .quick_tasks = 10000,
    .default_workers = {10, 100, 1000},
    .default_sweep = {{footprint_measure_param, {footprint_idle_workers, footprint_pending_tasks}}},
    .nominal_task_ns = [](const Params&) { return 5.0; },
    // Not a speed: kept out of the default matrix (and its throughput tables); run it by name, `-w
    // footprint`.
    .test_only = true,
}};
}  // namespace
}  // namespace poolbench
