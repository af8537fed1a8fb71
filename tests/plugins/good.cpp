// A well-formed plugin for plugin_test: a strategy that runs each task in the submitting thread (it passes
// the conformance suite) and a workload, each reading a parameter through the host's SDK functions.
#include <atomic>
#include <memory>
#include <stdexcept>

#include <poolbench/exactly_once.hpp>
#include <poolbench/plugin.hpp>

namespace {

using namespace poolbench;

class CallerRunsStrategy final : public Strategy {
 public:
  SubmitResult submit(Task task) override {
    if (closed_.load(std::memory_order_relaxed)) return SubmitResult::closed();
    task();
    return SubmitResult::accepted();
  }
  std::exception_ptr wait() override { return nullptr; }
  void shutdown() override { closed_.store(true, std::memory_order_relaxed); }
  StrategyCounters counters() const override { return {}; }

 private:
  std::atomic<bool> closed_{false};
};

class CountingWorkload final : public Workload {
 public:
  explicit CountingWorkload(std::int64_t weight) : weight_(weight) {}
  void prepare(std::size_t tasks) override { ledger_.reset(tasks); }
  void run(std::size_t index) override {
    sum_.fetch_add(weight_, std::memory_order_relaxed);
    ledger_.record(index);
  }
  std::string verify() override {
    if (std::string failure = ledger_.verify(); !failure.empty()) return failure;
    const auto expected = weight_ * static_cast<std::int64_t>(ledger_.tasks());
    return sum_.load() == expected ? std::string() : "the weighted sum is wrong";
  }

 private:
  std::int64_t weight_;
  std::atomic<std::int64_t> sum_{0};
  ExactlyOnceLedger ledger_;
};

}  // namespace

POOLBENCH_PLUGIN("test_plugin_good", registry) {
  registry.add_strategy(StrategyInfo{
      .name = "test_plugin_caller_runs",
      .description = "a plugin's strategy: runs each task in the submitting thread",
      .traits = {.queue_order = QueueOrder::caller,
                 .worker_lifecycle = WorkerLifecycle::caller_thread,
                 .when_full = WhenFull::never_full,
                 .on_exception = OnException::propagates_to_submitter,
                 .synchronous_submit = true},
      .params = {{"unused_flag", "false", "a parameter the host parses for the plugin", ParamKind::boolean}},
      .make =
          [](const StrategyConfig& config) {
            if (config.params.boolean("unused_flag")) throw std::invalid_argument("unused_flag is unused");
            return std::make_unique<CallerRunsStrategy>();
          },
  });
  registry.add_workload(WorkloadInfo{
      .name = "test_plugin_weighted_sum",
      .description = "a plugin's workload: each task adds a weight to a shared sum",
      .params = {{"weight", "3", "what each task adds", ParamKind::positive_integer}},
      .make =
          [](const WorkloadConfig& config) {
            return std::make_unique<CountingWorkload>(config.params.integer("weight"));
          },
  });
}
