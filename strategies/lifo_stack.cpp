#include "lifo_stack.hpp"

#include <cmath>

#include "registry.hpp"

namespace poolbench {

StrategyCounters LifoStackPool::counters() const {
  const LifoStackCounters pool = pool_.counters();
  StrategyCounters counters;
  counters.threads_created = pool.threads_created;
  counters.extra["workers_created"] = static_cast<double>(pool.workers_created);
  counters.extra["workers_expired"] = static_cast<double>(pool.workers_expired);
  counters.extra["submit_blocked"] = static_cast<double>(pool.submit_blocked);
  counters.extra["rejected"] = static_cast<double>(pool.rejected);
  counters.extra["exceptions_handled"] = static_cast<double>(pool.exceptions_handled);
  return counters;
}

namespace {

std::vector<ParamSpec> lifo_stack_params() {
  return {
      {.name = "nonblocking",
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
       .kind = ParamKind::positive_number},
      {.name = "prealloc",
       .default_value = "false",
       .description = "idle workers in a preallocated FIFO loop queue of K slots: the longest idle one is "
                      "reused, not the most recent (WithPreAlloc); not with unlimited",
       .kind = ParamKind::boolean},
      {.name = "disable_purge",
       .default_value = "false",
       .description = "no purge thread: idle workers never expire (WithDisablePurge)",
       .kind = ParamKind::boolean},
      {.name = "unlimited",
       .default_value = "false",
       .description = "no capacity: K is ignored and a worker starts whenever none is idle (NewPool with "
                      "size -1)",
       .kind = ParamKind::boolean}};
}

const StrategyRegistrar lifo_stack_registrar{StrategyInfo{
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
          options.capacity = params.boolean("unlimited") ? LifoStackOptions::unlimited : config.workers;
          options.prealloc = params.boolean("prealloc");
          options.disable_purge = params.boolean("disable_purge");
          options.nonblocking = params.boolean("nonblocking");
          options.max_blocking_tasks = static_cast<std::size_t>(params.integer("max_blocking_tasks"));
          options.expiry = std::chrono::nanoseconds(std::llround(params.number("expiry_ms") * 1e6));
          return std::make_unique<LifoStackPool>(options);
        },
    .nominal_overhead_ns = 400,
    .adjust_for_mode =
        [](const Params& params, StrategyTraits& traits, double&) {
          if (params.boolean("prealloc")) traits.queue_order = QueueOrder::fifo_idle_worker;
          if (params.boolean("disable_purge")) traits.worker_lifecycle = WorkerLifecycle::on_demand_resident;
          if (params.boolean("unlimited")) traits.when_full = WhenFull::never_full;
        },
    .models =
        {
            {.mode = "",
             .library = "panjf2000/ants v2.11.4 (76ddb18): the default pool (NewPool, worker stack)",
             .matches =
                 "ants.go `retrieveWorker()`: under the pool lock pop the most recently idle worker "
                 "(worker_stack.go `detach()`), else start one below K, else `ErrPoolOverload` "
                 "(`nonblocking`, `max_blocking_tasks`, which counts every submitter that found the pool "
                 "full, "
                 "as `addWaiting()`) or wait on `cond`; `revertWorker()` pushes it back with its last-used "
                 "time; `purgeStaleWorkers()` every `expiry_ms` (a thread, counted); PanicHandler",
             .differs =
                 "workers are OS threads, started after the lock is released (ants starts the goroutine "
                 "under it: `w.run()`); a submitter finding the pool full spins briefly before it sleeps, "
                 "unless others already sleep; a woken waiter is not re-checked against "
                 "`max_blocking_tasks`"},
            {.mode = "prealloc=true",
             .library = "panjf2000/ants v2.11.4 (76ddb18): `WithPreAlloc`",
             .matches =
                 "worker_loop_queue.go: idle workers in a ring of K slots allocated up front, `insert()` at "
                 "the tail, `detach()` from the head (the longest idle worker takes the next task), "
                 "`refresh()` by binary search from the head; under the same lock as the stack; `Tune()` "
                 "ignored; not with unlimited (`ErrInvalidPreAllocSize`)",
             .differs = "as the default mode"},
            {.mode = "disable_purge=true",
             .library = "panjf2000/ants v2.11.4 (76ddb18): `WithDisablePurge`",
             .matches = "ants.go `goPurge()` returns at once: no purge thread, idle workers never expire",
             .differs = "as the default mode"},
            {.mode = "unlimited=true",
             .library = "panjf2000/ants v2.11.4 (76ddb18): `NewPool(-1)` (any size <= 0)",
             .matches = "`retrieveWorker()` with `capacity == -1`: a worker starts whenever none is idle, so "
                        "submit never waits nor rejects; `Tune()` ignored; K is not used",
             .differs =
                 "as the default mode; each new worker is an OS thread, tens of microseconds to start"},
        },
    .check_params =
        [](const Params& params) {
          if (params.boolean("prealloc") && params.boolean("unlimited"))  // ants: ErrInvalidPreAllocSize
            throw ParamError(
                "prealloc needs a capacity: an unlimited pool cannot preallocate its loop queue");
        },
}};

}  // namespace
}  // namespace poolbench
