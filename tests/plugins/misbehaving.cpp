// Plugins whose strategies load fine but misbehave, for plugin_test: one crashes the process inside a case
// (the runner must record a failed case and run the others), one loses tasks (`poolbench conform` must fail
// it).
#include <atomic>
#include <csignal>
#include <memory>

#include <poolbench/plugin.hpp>

namespace {

using namespace poolbench;

class CrashingStrategy final : public Strategy {
 public:
  // The default disposition first: ASan and UBSan builds turn a SIGSEGV into exit status 1, and the test
  // checks the runner's "crashed: signal 11" in every build.
  SubmitResult submit(Task) override {
    std::signal(SIGSEGV, SIG_DFL);
    std::raise(SIGSEGV);
    return SubmitResult::failed("still alive after SIGSEGV");
  }
  std::exception_ptr wait() override { return nullptr; }
  void shutdown() override {}
  StrategyCounters counters() const override { return {}; }
};

// Runs tasks in the submitting thread but silently drops every 100th one: a broken exactly-once guarantee.
class LossyStrategy final : public Strategy {
 public:
  SubmitResult submit(Task task) override {
    if (submitted_.fetch_add(1, std::memory_order_relaxed) % 100 != 99) task();
    return SubmitResult::accepted();
  }
  std::exception_ptr wait() override { return nullptr; }
  void shutdown() override {}
  StrategyCounters counters() const override { return {}; }

 private:
  std::atomic<std::uint64_t> submitted_{0};
};

constexpr StrategyTraits caller_traits{.queue_order = QueueOrder::caller,
                                       .worker_lifecycle = WorkerLifecycle::caller_thread,
                                       .when_full = WhenFull::never_full,
                                       .on_exception = OnException::propagates_to_submitter,
                                       .synchronous_submit = true};

}  // namespace

POOLBENCH_PLUGIN("test_plugin_misbehaving", registry) {
  registry.add_strategy(StrategyInfo{
      .name = "test_plugin_crash",
      .description = "a plugin's strategy that crashes (SIGSEGV) on its first submit",
      .traits = caller_traits,
      .make = [](const StrategyConfig&) { return std::make_unique<CrashingStrategy>(); },
  });
  registry.add_strategy(StrategyInfo{
      .name = "test_plugin_lossy",
      .description = "a plugin's strategy that loses every 100th task",
      .traits = caller_traits,
      .make = [](const StrategyConfig&) { return std::make_unique<LossyStrategy>(); },
  });
}
