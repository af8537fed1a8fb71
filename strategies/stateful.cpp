#include "stateful.hpp"

#include "registry.hpp"

namespace poolbench {

namespace stateful_detail {
void terminate_after_worker_exception() noexcept {
  try {
    throw;
  } catch (const std::exception& e) {
    std::fprintf(stderr,
                 "stateful: a worker's process() threw (%s); terminating, as a panic in a tunny worker\n",
                 e.what());
  } catch (...) {
    std::fprintf(stderr, "stateful: a worker's process() threw; terminating, as a panic in a tunny worker\n");
  }
  std::terminate();
}
}  // namespace stateful_detail

// A tunny Worker that runs Tasks with the workload's per-worker state installed.
class StatefulStrategy::TaskWorker final : public TaskPool::Worker {
 public:
  explicit TaskWorker(std::unique_ptr<WorkerState> state) : state_(std::move(state)) {}
  std::monostate process(Task& task) override {
    const WorkerStateScope scope(state_.get());
    task();
    return {};
  }

 private:
  std::unique_ptr<WorkerState> state_;
};

StatefulStrategy::StatefulStrategy(std::size_t workers, WorkerStateFactory factory)
    : factory_(std::move(factory)), pool_(workers, [this]() -> std::unique_ptr<TaskPool::Worker> {
        std::unique_ptr<WorkerState> state;
        if (factory_) {
          state = factory_();
          worker_states_built_.fetch_add(1, std::memory_order_relaxed);
        }
        return std::make_unique<TaskWorker>(std::move(state));
      }) {}

SubmitResult StatefulStrategy::submit(Task task) {
  const auto outcome = pool_.process(std::move(task), std::stop_token{});
  if (outcome.status == ProcessStatus::closed) return SubmitResult::closed();
  return SubmitResult::accepted();
}

ResultSubmission StatefulStrategy::submit_for_result(Task task) {
  const auto outcome = pool_.process(std::move(task), context_.get_token());
  if (outcome.status == ProcessStatus::closed) return {SubmitResult::closed(), {}};
  if (!outcome.handed_to_worker)
    return {SubmitResult::closed("the context was cancelled while waiting for a worker (ProcessCtx)"), {}};
  std::promise<void> delivered;
  if (outcome.ok())
    delivered.set_value();
  else
    delivered.set_exception(std::make_exception_ptr(TaskCancelled{}));
  return {SubmitResult::accepted(), delivered.get_future()};
}

StrategyCounters StatefulStrategy::counters() const {
  StrategyCounters counters;
  counters.threads_created = pool_.threads_created();
  counters.extra["worker_states_built"] =
      static_cast<double>(worker_states_built_.load(std::memory_order_relaxed));
  return counters;
}

namespace {
const StrategyRegistrar stateful_registrar{StrategyInfo{
    .name = "stateful",
    .description =
        "tunny: K fixed workers, each with state built once; a synchronous process() pairs the caller "
        "with an idle worker",
    .traits = {.queue_order = QueueOrder::fifo,
               .worker_lifecycle = WorkerLifecycle::fixed_workers,
               .when_full = WhenFull::blocks,
               .on_exception = OnException::terminates_process,
               .returns_results = true,
               .cancellation = true,
               .synchronous_submit = true,
               .worker_state = true},
    .params = {},
    .make =
        [](const StrategyConfig& config) {
          return std::make_unique<StatefulStrategy>(config.workers, config.worker_state_factory);
        },
    .nominal_overhead_ns = 5000,
    .models =
        {
            {.mode = "",
             .library = "Jeffail/tunny v0.1.4-3-ga274c3c",
             .matches =
                 "tunny.go `Process()`: take an idle worker's request from the unbuffered `reqChan`, send "
                 "it the payload, wait for the result (synchronous, callers served in arrival order); "
                 "worker.go `run()`: each worker's state built once by the constructor; "
                 "`ProcessTimed`/`ProcessCtx` interrupt and drop the result (`submit_for_result` is "
                 "`ProcessCtx` with the strategy's context, which `cancel()` cancels); `SetSize`, "
                 "`QueueLength`",
             .differs =
                 "the constructor runs on the worker's own thread (tunny runs it in `SetSize`); the "
                 "caller, not the worker, re-offers the worker after taking the result (same order, one "
                 "wake-up fewer); no `BlockUntilReady`; a closed pool throws where tunny panics; workers "
                 "are OS threads"},
        },
}};
}  // namespace

}  // namespace poolbench
