// The workloads of issue 4: each one's exactly-once check catches a lost and a duplicated task;
// simulated_io's waits are reproducible per seed and have the configured quantiles; warm_state's state lives
// where the issue says (per task, per OS thread, per worker) and the scope is recorded; parameters that make
// no sense are refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "default_workers.hpp"
#include "registry.hpp"
#include "simulated_io.hpp"
#include "sleep.hpp"
#include "truth_support.hpp"
#include "warm_state.hpp"

namespace poolbench {
namespace {

using testing::make_case;
using testing::run_in_process;

std::unique_ptr<Workload> make_workload(const std::string& name,
                                        std::map<std::string, std::string> given = {},
                                        bool strategy_has_worker_state = false) {
  const WorkloadInfo* info = workload_registry().find(name);
  EXPECT_NE(info, nullptr) << name;
  Params params(std::move(given));
  params.apply_defaults(info->params);
  return info->make(WorkloadConfig{params, strategy_has_worker_state});
}

class EveryWorkload : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryWorkload, VerifyCatchesALostAndADuplicatedTask) {
  std::map<std::string, std::string> small;
  if (GetParam() == "simulated_io") small = {{"median_ms", "0.01"}, {"p99_ms", "0.02"}};
  if (GetParam() == "warm_state") small = {{"build_ms", "0.2"}};
  if (GetParam() == "test_touch_memory") small = {{"megabytes", "1"}};
  if (GetParam() == "cpu_burst") small = {{"duration_us", "1"}};
  constexpr std::size_t tasks = 20;

  auto complete = make_workload(GetParam(), small);
  complete->prepare(tasks);
  for (std::size_t i = 0; i < tasks; ++i) complete->run(i);
  EXPECT_EQ(complete->verify(), "");

  // Every workload reports through the one ledger, in its one format.
  auto lost = make_workload(GetParam(), small);
  lost->prepare(tasks);
  for (std::size_t i = 0; i + 1 < tasks; ++i) lost->run(i);
  EXPECT_EQ(lost->verify(),
            "exactly-once violated: 1 of 20 tasks lost, 0 ran more than once (first: task 19 ran 0 times)");

  auto duplicated = make_workload(GetParam(), small);
  duplicated->prepare(tasks);
  for (std::size_t i = 0; i < tasks; ++i) duplicated->run(i);
  duplicated->run(3);
  EXPECT_EQ(duplicated->verify(),
            "exactly-once violated: 0 of 20 tasks lost, 1 ran more than once (first: task 3 ran 2 times)");
}

INSTANTIATE_TEST_SUITE_P(Workloads, EveryWorkload,
                         ::testing::Values("atomic_increment", "cpu_burst", "simulated_io", "warm_state",
                                           "test_known_allocations", "test_touch_memory"));

// Default workers derive from the core count: the rules at fixed core counts (so this test does not depend on
// the host's), and the registered workloads use them with this machine's.
TEST(Defaults, WorkersFollowTheCoreCount) {
  using V = std::vector<std::size_t>;
  EXPECT_EQ(cpu_work_workers(1), V{2});
  EXPECT_EQ(cpu_work_workers(2), V{2});  // the 2-core CI machine keeps the baseline's case names
  EXPECT_EQ(cpu_work_workers(32), V{32});
  EXPECT_EQ(oversubscribed_workers(2), V{4});
  EXPECT_EQ(oversubscribed_workers(32), V{64});
  EXPECT_EQ(io_workers(2), V{100});
  EXPECT_EQ(io_workers(64), V{256});
  const std::size_t cores = machine_cores();
  EXPECT_EQ(workload_registry().find("atomic_increment")->default_workers, cpu_work_workers(cores));
  EXPECT_EQ(workload_registry().find("cpu_burst")->default_workers, cpu_work_workers(cores));
  EXPECT_EQ(workload_registry().find("warm_state")->default_workers, oversubscribed_workers(cores));
  EXPECT_EQ(workload_registry().find("simulated_io")->default_workers, io_workers(cores));
}

TEST(Defaults, FollowTheGuide) {
  const auto* io = workload_registry().find("simulated_io");
  const auto* warm = workload_registry().find("warm_state");
  const auto* cpu = workload_registry().find("cpu_burst");
  ASSERT_TRUE(io && warm && cpu);
  EXPECT_GE(io->default_workers.front(), 100u);
  EXPECT_FALSE(io->uses_cpu);
  EXPECT_EQ(cpu->default_sweep.at("duration_us"), (std::vector<std::string>{"1", "10", "100"}));
  for (const auto* test_only : {"test_known_allocations", "test_touch_memory"})
    EXPECT_TRUE(workload_registry().find(test_only)->test_only) << test_only;
}

// ---- simulated_io ----

TEST(SimulatedIo, SameSeedSameWaitsOtherSeedOtherWaits) {
  SimulatedIoWorkload first(5, 20, 7);
  SimulatedIoWorkload again(5, 20, 7);
  SimulatedIoWorkload other(5, 20, 8);
  first.prepare(500);
  again.prepare(500);
  other.prepare(500);
  EXPECT_EQ(first.waits_ns(), again.waits_ns());
  EXPECT_NE(first.waits_ns(), other.waits_ns());
}

TEST(SimulatedIo, DrawnWaitsHaveTheConfiguredQuantiles) {
  SimulatedIoWorkload workload(5, 20, 1);
  workload.prepare(1000);
  auto waits = workload.waits_ns();
  std::sort(waits.begin(), waits.end());
  // Stratified draws: the k-th smallest wait lies in stratum k, so the nearest-rank median and p99 are within
  // one stratum of the distribution's (for 1000 draws: 0.3% at the median, 2.2% at p99).
  EXPECT_NEAR(static_cast<double>(waits[499]), 5e6, 0.005 * 5e6);
  EXPECT_NEAR(static_cast<double>(waits[989]), 20e6, 0.025 * 20e6);
  EXPECT_GT(waits.front(), 0);
}

TEST(SimulatedIo, RefusesAP99BelowTheMedian) {
  EXPECT_THROW(SimulatedIoWorkload(5, 4, 1), ParamError);
  const auto outcome = run_in_process(make_case("inline", "simulated_io", 10, 1, 1, {{"p99_ms", "1"}}));
  EXPECT_TRUE(outcome.error);
  EXPECT_NE(outcome.error_message.find("p99_ms"), std::string::npos) << outcome.error_message;
}

TEST(SimulatedIo, WaitsWithoutUsingTheCpu) {
  const auto outcome =
      run_in_process(make_case("inline", "simulated_io", 40, 1, 4, {{"median_ms", "5"}, {"p99_ms", "10"}}));
  ASSERT_FALSE(outcome.error) << outcome.error_message;
  // 40 waits of about 5 ms on 4 threads: ~50 ms of wall time, a few ms of CPU at most.
  EXPECT_LT(outcome.counter("cpu_cores"), 0.5);
}

// Each wait goes through the SDK's sleep (sleep.hpp), so under spawn=fiber it parks the fiber: with a hook
// installed, every task's wait reaches it with that task's deadline (its drawn wait after the task started).
TEST(SimulatedIo, WaitsThroughTheSdkSleepHook) {
  struct HookCall {
    std::chrono::steady_clock::time_point deadline, called_at;
  };
  static std::vector<HookCall> calls;
  calls.clear();
  SimulatedIoWorkload workload(0.2, 0.5, 3);
  workload.prepare(4);
  const SleepHookScope scope([](std::chrono::steady_clock::time_point deadline) {
    calls.push_back({deadline, std::chrono::steady_clock::now()});
    std::this_thread::sleep_until(deadline);  // a hook returns no earlier than the deadline
  });
  for (std::size_t i = 0; i < 4; ++i) {
    const auto before = std::chrono::steady_clock::now();
    workload.run(i);
    ASSERT_EQ(calls.size(), i + 1) << "task " << i << " did not wait through the hook";
    const std::chrono::nanoseconds wait(workload.waits_ns()[i]);
    EXPECT_GE(calls[i].deadline, before + wait) << i;
    EXPECT_LE(calls[i].deadline, calls[i].called_at + wait) << i;
  }
  EXPECT_EQ(workload.verify(), "");
}

// ---- warm_state ----

int states_built(const std::string& label) {
  const auto at = label.find("states_built=");
  return at == std::string::npos ? -1 : std::stoi(label.substr(at + 13));
}

TEST(WarmState, PerTaskWithoutWorkerStateBuildsOnePerTask) {
  const auto outcome = run_in_process(make_case("inline", "warm_state", 12, 1, 2, {{"build_ms", "0.5"}}));
  ASSERT_FALSE(outcome.error) << outcome.error_message;
  EXPECT_NE(outcome.label.find("state_scope=per_task"), std::string::npos) << outcome.label;
  EXPECT_EQ(states_built(outcome.label), 12) << outcome.label;
}

TEST(WarmState, ThreadLocalBuildsOnePerThread) {
  const auto outcome = run_in_process(
      make_case("inline", "warm_state", 12, 1, 3, {{"build_ms", "0.5"}, {"state", "thread_local"}}));
  ASSERT_FALSE(outcome.error) << outcome.error_message;
  EXPECT_NE(outcome.label.find("state_scope=thread_local"), std::string::npos) << outcome.label;
  EXPECT_EQ(states_built(outcome.label), 3) << outcome.label;  // inline: the three producer threads
}

TEST(WarmState, PerWorkerWhereTheStrategyHasWorkerState) {
  std::string strategy;
  for (const StrategyInfo* info : strategy_registry().all())
    if (info->traits.worker_state) strategy = info->name;
  if (strategy.empty()) GTEST_SKIP() << "no strategy with worker state registered";
  const auto outcome = run_in_process(make_case(strategy, "warm_state", 24, 3, 1, {{"build_ms", "0.5"}}));
  ASSERT_FALSE(outcome.error) << outcome.error_message;
  EXPECT_NE(outcome.label.find("state_scope=per_worker"), std::string::npos) << outcome.label;
  EXPECT_EQ(states_built(outcome.label), 3) << strategy << ": " << outcome.label;
  const auto forced = run_in_process(
      make_case(strategy, "warm_state", 24, 3, 1, {{"build_ms", "0.5"}, {"state", "per_task"}}));
  ASSERT_FALSE(forced.error) << forced.error_message;
  EXPECT_EQ(states_built(forced.label), 24) << forced.label;
}

TEST(WarmState, AFixedPatternCountIsTheSameWorkWhateverBuildMsAndTheMachine) {
  // patterns=N bypasses the calibration: the state's size, and the allocations that build it, are the same
  // on every machine (what scripts/test's baseline comparison of allocations needs).
  for (double build_ms : {0.01, 50.0}) {
    WarmStateWorkload workload(build_ms, /*patterns=*/5, "per_task", /*strategy_has_worker_state=*/false);
    workload.prepare(2);
    for (std::size_t i = 0; i < 2; ++i) workload.run(i);
    EXPECT_EQ(workload.verify(), "");
    EXPECT_NE(workload.label().find("patterns_per_state=5"), std::string::npos) << workload.label();
  }
}

TEST(WarmState, VerifyFailsWhenDeclaredWorkerStateIsMissing) {
  WarmStateWorkload workload(0.2, /*patterns=*/0, "auto", /*strategy_has_worker_state=*/true);
  ASSERT_EQ(workload.scope(), WarmStateScope::per_worker);
  workload.prepare(4);
  for (std::size_t i = 0; i < 4; ++i) workload.run(i);  // no WorkerStateScope installed on this thread
  EXPECT_NE(workload.verify().find("worker state"), std::string::npos);
}

TEST(WarmState, StateBuildTakesAboutBuildMs) {
  // The calibration is per process; its result is a pattern count that a build of build_ms needs.
  const std::size_t one_ms = WarmStateWorkload::patterns_for(1);
  const std::size_t ten_ms = WarmStateWorkload::patterns_for(10);
  EXPECT_GE(one_ms, 1u);
  EXPECT_NEAR(static_cast<double>(ten_ms), 10.0 * static_cast<double>(one_ms), 10.0);
}

}  // namespace
}  // namespace poolbench
