#include "ref_bs_thread_pool.hpp"

#include <algorithm>
#include <shared_mutex>
#include <system_error>
#include <thread>
#include <utility>

#include <BS_thread_pool.hpp>

#include "registry.hpp"
#include "support/thread_start.hpp"

namespace poolbench {
namespace {

// The test seam of support::start_thread, for threads the pool starts itself: one call per thread.
void consult_thread_start_hook(std::size_t threads) {
  if (const support::ThreadStartHook hook = support::thread_start_hook.load(std::memory_order_acquire))
    for (std::size_t i = 0; i < threads; ++i) hook();
}

}  // namespace

struct RefBsThreadPoolStrategy::Pool {
  explicit Pool(std::size_t workers) : pool(workers) {}
  BS::thread_pool<> pool;
};

RefBsThreadPoolStrategy::RefBsThreadPoolStrategy(std::size_t workers)
    : worker_count_(std::max<std::size_t>(workers, 1)) {
  try {
    consult_thread_start_hook(worker_count_);
    pool_ = std::make_unique<Pool>(worker_count_);
  } catch (const std::system_error& refused) {
    throw support::out_of_threads(
        refused, "ref_bs_thread_pool could not start its " + std::to_string(worker_count_) + " threads");
  }
}

RefBsThreadPoolStrategy::~RefBsThreadPoolStrategy() {
  shutdown();
}

SubmitResult RefBsThreadPoolStrategy::submit(Task task) {
  // Announce the submit before checking `closed`, so that shutdown() can wait for every one it let through.
  if (!submits_started_.try_admit()) return SubmitResult::closed();
  pool_->pool.detach_task(std::move(task));
  submits_done_.fetch_add(1, std::memory_order_release);
  return SubmitResult::accepted();
}

std::exception_ptr RefBsThreadPoolStrategy::wait() {
  const std::shared_lock lock(pool_lifetime_);  // shutdown() destroys the pool only when no wait() uses it
  if (pool_) pool_->pool.wait();
  return nullptr;
}

void RefBsThreadPoolStrategy::shutdown() {
  std::call_once(shutdown_once_, [this] {
    const std::uint64_t accepted = submits_started_.close();
    while (submits_done_.load(std::memory_order_acquire) < accepted) std::this_thread::yield();
    pool_->pool.wait();
    const std::scoped_lock lock(pool_lifetime_);
    pool_.reset();  // ~thread_pool: waits (nothing left), stops and joins its threads
  });
}

StrategyCounters RefBsThreadPoolStrategy::counters() const {
  StrategyCounters counters;
  counters.threads_created = worker_count_;
  return counters;
}

namespace {
const StrategyRegistrar ref_bs_thread_pool_registrar{StrategyInfo{
    .name = "ref_bs_thread_pool",
    .description = "baseline: BS::thread_pool v5.1.0 with K threads, detach_task and wait() (one "
                   "mutex-guarded FIFO, no futures)",
    .traits = {.queue_order = QueueOrder::fifo,
               .worker_lifecycle = WorkerLifecycle::fixed_workers,
               .when_full = WhenFull::never_full,
               .on_exception = OnException::handler_called_continues,
               .returns_results = false,
               .cancellation = false,
               .synchronous_submit = false,
               .worker_state = false},
    .params = {},
    .make =
        [](const StrategyConfig& config) {
          return std::make_unique<RefBsThreadPoolStrategy>(config.workers);
        },
    .nominal_overhead_ns = 300,
    .in_default_matrix = false,
    .models =
        {
            {.mode = "",
             .library =
                 "BS::thread_pool v5.1.0 (bshoshany/thread-pool, vendored: Debian 12 does not package it); "
                 "a baseline, not a Go model",
             .matches =
                 "the README's fast path when no result is needed: `detach_task()` (no future) and the "
                 "pool's `wait()`; BS_thread_pool.hpp `worker()`: one mutex-guarded FIFO, a condition "
                 "variable, K fixed threads; a throwing detached task is caught and dropped, the pool goes "
                 "on",
             .differs = "submit and shutdown count submits in flight, so that shutdown cannot race a "
                        "`detach_task()`; a thread refusal is reported as out of threads"},
        },
}};
}  // namespace

}  // namespace poolbench
