// Under -fsanitize=thread GCC rejects std::atomic_thread_fence (-Wtsan), which Boost.Asio's handler
// invocation (std_fenced_block) uses internally; this baseline is third-party code, so the warning is
// silenced for this file alone (before any include, so that it covers the headers).
#if defined(__SANITIZE_THREAD__)
#pragma GCC diagnostic ignored "-Wtsan"
#endif
#include "ref_asio_thread_pool.hpp"

#include <algorithm>

#include <boost/asio/post.hpp>

#include "registry.hpp"

namespace poolbench {

RefAsioThreadPoolStrategy::RefAsioThreadPoolStrategy(std::size_t workers)
    : worker_count_(std::max<std::size_t>(workers, 1)), pool_(worker_count_ == 1 ? 1 : 0) {
  if (worker_count_ > 1)
    attached_.start(
        worker_count_, "ref_asio_thread_pool", [this](std::size_t) { pool_.attach(); },
        [this] { pool_.stop(); });
}

RefAsioThreadPoolStrategy::~RefAsioThreadPoolStrategy() {
  shutdown();
}

SubmitResult RefAsioThreadPoolStrategy::submit(Task task) {
  if (!submitted_.try_admit()) {
    finished_.wake();  // a wait() may have counted our increment
    return SubmitResult::closed();
  }
  boost::asio::post(pool_, [this, task = std::move(task)]() mutable {
    task();
    task.reset();
    finished_.task_finished();
  });
  return SubmitResult::accepted();
}

std::exception_ptr RefAsioThreadPoolStrategy::wait() {
  // The target is re-read: it may include a submit that is being refused after shutdown began, which takes
  // its increment back (and wakes us).
  finished_.wait_until([this] { return submitted_.admitted(); });
  return nullptr;
}

void RefAsioThreadPoolStrategy::shutdown() {
  std::call_once(shutdown_once_, [this] {
    const std::uint64_t accepted = submitted_.close();
    finished_.wait_until([accepted] { return accepted; });
    // Every accepted task has finished: stopping drops nothing. The threads return from run() and are joined.
    pool_.stop();
    pool_.join();
    attached_.join();
  });
}

StrategyCounters RefAsioThreadPoolStrategy::counters() const {
  StrategyCounters counters;
  counters.threads_created = worker_count_;
  return counters;
}

namespace {
const StrategyRegistrar ref_asio_thread_pool_registrar{StrategyInfo{
    .name = "ref_asio_thread_pool",
    .description =
        "baseline: boost::asio::thread_pool with K threads (mutex-guarded FIFO of posted handlers)",
    .traits = {.queue_order = QueueOrder::fifo,
               .worker_lifecycle = WorkerLifecycle::fixed_workers,
               .when_full = WhenFull::never_full,
               .on_exception = OnException::terminates_process,
               .returns_results = false,
               .cancellation = false,
               .synchronous_submit = false,
               .worker_state = false},
    .params = {},
    .make =
        [](const StrategyConfig& config) {
          return std::make_unique<RefAsioThreadPoolStrategy>(config.workers);
        },
    .nominal_overhead_ns = 300,
    .in_default_matrix = false,
    .models =
        {
            {.mode = "",
             .library =
                 "boost::asio::thread_pool, Boost 1.74 (Debian libboost-dev); a baseline, not a Go model",
             .matches =
                 "`boost::asio::post()` onto the pool's scheduler: one mutex-guarded FIFO of handlers, "
                 "idle threads sleep on its condition variable; K threads run the scheduler",
             .differs =
                 "with K > 1 the K threads are this strategy's, calling `thread_pool::attach()` (the "
                 "constructor deadlocks when the OS refuses a thread); wait() counts finished handlers, as "
                 "`thread_pool::wait()` joins the pool"},
        },
}};
}  // namespace

}  // namespace poolbench
