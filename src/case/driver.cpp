#include "case/driver.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <latch>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "registry.hpp"

namespace poolbench {
namespace {

// The values of the parameters `specs` declares, taken from the case (defaults already applied by the plan).
Params params_for(const std::vector<ParamSpec>& specs, const CaseInfo& info) {
  Params params;
  for (const auto& spec : specs) {
    auto given = info.params.find(spec.name);
    params.set(spec.name, given != info.params.end() ? given->second : spec.default_value);
  }
  return params;
}

// Keeps the first failure reported by any thread.
class FirstError {
 public:
  void set(std::string message) {
    std::scoped_lock lock(mutex_);
    if (message_.empty()) message_ = std::move(message);
  }
  std::string get() const {
    std::scoped_lock lock(mutex_);
    return message_;
  }

 private:
  mutable std::mutex mutex_;
  std::string message_;
};

std::string describe(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown exception";
  }
}

}  // namespace

void run_case_benchmark(benchmark::State& state, const CaseSpec& spec) {
  const CaseInfo& info = spec.info;
  const StrategyInfo* strategy_info = strategy_registry().find(info.strategy);
  const WorkloadInfo* workload_info = workload_registry().find(info.workload);
  if (strategy_info == nullptr || workload_info == nullptr) {
    state.SkipWithError(fmt::format("unknown strategy or workload in case {}", spec.name).c_str());
    return;
  }

  std::unique_ptr<Workload> workload;
  std::unique_ptr<Strategy> strategy;
  try {
    workload = workload_info->make(WorkloadConfig{params_for(workload_info->params, info),
                                                  strategy_info->traits.worker_state});
    workload->prepare(info.tasks);
    StrategyConfig config{info.workers, params_for(strategy_info->params, info), {}};
    if (strategy_info->traits.worker_state) config.worker_state_factory = workload->worker_state_factory();
    strategy = strategy_info->make(config);
  } catch (const std::exception& e) {
    state.SkipWithError(fmt::format("setting up the case failed: {}", e.what()).c_str());
    return;
  }

  const std::size_t producers = effective_producers(info.strategy, info.producers, info.workers);
  FirstError first_error;
  std::atomic<std::size_t> rejected{0};
  std::latch start{1};
  std::vector<std::jthread> producer_threads;
  producer_threads.reserve(producers);
  Workload* work = workload.get();
  for (std::size_t p = 0; p < producers; ++p) {
    // Producer p submits tasks [begin, end): contiguous ranges, the remainder spread over the first producers.
    const std::size_t begin = info.tasks * p / producers;
    const std::size_t end = info.tasks * (p + 1) / producers;
    producer_threads.emplace_back([&, begin, end] {
      start.wait();
      for (std::size_t index = begin; index < end; ++index) {
        SubmitResult result;
        try {
          result = strategy->submit(Task{[work, index] { work->run(index); }});
        } catch (const std::exception& e) {
          result = SubmitResult::failed(fmt::format("submit threw: {}", e.what()));
        }
        if (!result.ok()) {
          rejected.fetch_add(1, std::memory_order_relaxed);
          first_error.set(fmt::format("submit of task {} failed: {}", index, result.message));
          return;  // a producer that cannot submit stops; the case fails below
        }
      }
    });
  }

  std::exception_ptr wait_error;
  for (auto _ : state) {
    start.count_down();
    for (auto& thread : producer_threads) thread.join();
    wait_error = strategy->wait();
  }
  const StrategyCounters strategy_counters = strategy->counters();
  strategy->shutdown();

  std::string failure = first_error.get();
  if (failure.empty() && wait_error) failure = "wait() reported: " + describe(wait_error);
  if (failure.empty()) failure = workload->verify();
  if (!failure.empty()) {
    state.SkipWithError(failure.c_str());
    return;
  }

  state.SetItemsProcessed(static_cast<std::int64_t>(info.tasks));
  state.counters["threads_created"] = static_cast<double>(strategy_counters.threads_created);
  state.counters["producers_used"] = static_cast<double>(producers);
  for (const auto& [name, value] : strategy_counters.extra) state.counters[name] = value;
  if (auto label = workload->label(); !label.empty()) state.SetLabel(label);
}

}  // namespace poolbench
