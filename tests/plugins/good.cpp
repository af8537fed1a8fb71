// A well-formed plugin for plugin_test: a strategy that runs each task in the submitting thread (it passes
// the conformance suite) and a workload, each reading a parameter through the host's SDK functions. With
// expect_sleep_hook, every task of the workload also checks that it sees the host's sleep hook (sleep.hpp),
// as it must on a fiber of spawn=fiber, and sleeps through it.
#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>

#include <poolbench/exactly_once.hpp>
#include <poolbench/plugin.hpp>
#include <poolbench/sleep.hpp>

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
  CountingWorkload(std::int64_t weight, bool expect_sleep_hook)
      : weight_(weight), expect_sleep_hook_(expect_sleep_hook) {}
  void prepare(std::size_t tasks) override { ledger_.reset(tasks); }
  void run(std::size_t index) override {
    if (expect_sleep_hook_) {
      if (installed_sleep_hook == nullptr) without_hook_.fetch_add(1, std::memory_order_relaxed);
      sleep_for(std::chrono::microseconds(10));
    }
    sum_.fetch_add(weight_, std::memory_order_relaxed);
    ledger_.record(index);
  }
  std::string verify() override {
    if (std::string failure = ledger_.verify(); !failure.empty()) return failure;
    if (const auto missed = without_hook_.load(); missed != 0)
      return std::to_string(missed) + " tasks did not see the host's sleep hook";
    const auto expected = weight_ * static_cast<std::int64_t>(ledger_.tasks());
    return sum_.load() == expected ? std::string() : "the weighted sum is wrong";
  }

 private:
  std::int64_t weight_;
  bool expect_sleep_hook_;
  std::atomic<std::int64_t> sum_{0};
  std::atomic<std::int64_t> without_hook_{0};
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
      .params = {{"weight", "3", "what each task adds", ParamKind::positive_integer},
                 {"expect_sleep_hook", "false", "fail a task that does not see the host's sleep hook",
                  ParamKind::boolean}},
      .make =
          [](const WorkloadConfig& config) {
            return std::make_unique<CountingWorkload>(config.params.integer("weight"),
                                                      config.params.boolean("expect_sleep_hook"));
          },
  });
}
