#include "lifo_stack.hpp"

#include <cmath>

#include "registry.hpp"

namespace poolbench {

StrategyCounters LifoStackPool::counters() const {
  const LifoStackCounters pool = pool_.counters();
  StrategyCounters counters;
  counters.threads_created = pool.threads_created + 1;  // the workers and the purge thread the pool starts
  counters.extra["workers_expired"] = static_cast<double>(pool.workers_expired);
  counters.extra["submit_blocked"] = static_cast<double>(pool.submit_blocked);
  counters.extra["rejected"] = static_cast<double>(pool.rejected);
  counters.extra["exceptions_handled"] = static_cast<double>(pool.exceptions_handled);
  return counters;
}

namespace {

std::vector<ParamSpec> lifo_stack_params() {
  return {{.name = "nonblocking",
           .default_value = "false",
           .description =
               "fail with overloaded instead of blocking when all K workers are busy (WithNonblocking)",
           .kind = ParamKind::boolean},
          {.name = "max_blocking_tasks",
           .default_value = "0",
           .description = "fail with overloaded once this many submitters are blocked; 0: no limit "
                          "(WithMaxBlockingTasks)",
           .kind = ParamKind::non_negative_integer},
          {.name = "expiry_ms",
           .default_value = "1000",
           .description = "idle workers are stopped after this many milliseconds (WithExpiryDuration)",
           .kind = ParamKind::positive_number}};
}

const StrategyRegistrar registrar{StrategyInfo{
    .name = "lifo_stack",
    .description = "ants' default pool: no task queue, a stack of idle workers with one-task slots, up to K, "
                   "idle ones expire",
    .traits = {.queue_order = QueueOrder::lifo_idle_worker,
               .worker_lifecycle = WorkerLifecycle::on_demand_with_expiry,
               .when_full = WhenFull::blocks_or_rejects,
               .on_exception = OnException::handler_called_continues,
               .returns_results = false,
               .cancellation = false,
               .synchronous_submit = false,
               .worker_state = false},
    .params = lifo_stack_params(),
    .make =
        [](const StrategyConfig& config) {
          Params params = config.params;
          params.apply_defaults(lifo_stack_params());
          LifoStackOptions options;
          options.capacity = config.workers;
          options.nonblocking = params.boolean("nonblocking");
          options.max_blocking_tasks = static_cast<std::size_t>(params.integer("max_blocking_tasks"));
          options.expiry = std::chrono::nanoseconds(std::llround(params.number("expiry_ms") * 1e6));
          return std::make_unique<LifoStackPool>(options);
        },
    .nominal_overhead_ns = 400,
    .models =
        {
            {.mode = "",
             .library = "panjf2000/ants v2.11.4 (76ddb18): the default pool (NewPool, worker stack)",
             .matches =
                 "ants.go `retrieveWorker()`: under the pool lock pop the most recently idle worker "
                 "(worker_stack.go `detach()`), else start one below K, else `ErrPoolOverload` "
                 "(`nonblocking`, `max_blocking_tasks`) or wait on `cond`; `revertWorker()` pushes it back "
                 "with its last-used time; `purgeStaleWorkers()` every `expiry_ms`; PanicHandler",
             .differs =
                 "K is exact (ants bumps `running` outside the lock); a submitter finding the pool full "
                 "spins briefly before waiting, and `max_blocking_tasks` counts only the waiting ones; no "
                 "PreAlloc, DisablePurge or unlimited size (-1); workers are OS threads"},
        },
}};

}  // namespace
}  // namespace poolbench
