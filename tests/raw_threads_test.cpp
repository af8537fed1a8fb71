// raw_threads (go f() + WaitGroup): one new thread per task without bound, threads_created = N, every thread
// joined, a refused thread reported as an error with the live count (nothing crashes, nothing is lost), and a
// throwing task ends the process. Timings are never asserted; every test runs under a time limit.
#include "raw_threads.hpp"

#include <sys/resource.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <latch>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "cli_support.hpp"
#include "exactly_once.hpp"
#include "registry.hpp"
#include "sleep.hpp"
#include "strategy_test_support.hpp"
#include "support/fiber_runtime.hpp"

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define RAW_THREADS_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define RAW_THREADS_SANITIZED 1
#endif
#endif

namespace poolbench {
namespace {

using namespace std::chrono_literals;
using namespace test_support;

TEST(RawThreads, EveryTaskGetsItsOwnThreadWithoutBound) {
  with_time_limit([] {
    const std::size_t threads_before = live_threads();
    RawThreadsStrategy strategy;
    constexpr std::size_t tasks = 40;
    Gate gate;
    std::latch all_running(tasks);
    std::atomic<std::size_t> ran{0};
    for (std::size_t i = 0; i < tasks; ++i) {
      ASSERT_TRUE(strategy
                      .submit([&] {
                        all_running.count_down();
                        gate.pass();
                        ++ran;
                      })
                      .ok());
    }
    all_running.wait();  // all 40 run at once: no bound
    EXPECT_EQ(strategy.live_threads(), tasks);
    EXPECT_EQ(live_threads(), threads_before + tasks);
    gate.open();
    EXPECT_FALSE(strategy.wait());
    EXPECT_EQ(ran.load(), tasks);
    EXPECT_EQ(strategy.live_threads(), 0u);
    EXPECT_TRUE(eventually([&] { return live_threads() == threads_before; })) << "wait() joins the threads";
    const StrategyCounters counters = strategy.counters();
    EXPECT_EQ(counters.threads_created, tasks);
    EXPECT_EQ(counters.extra.at("peak_live_threads"), static_cast<double>(tasks));
  });
}

TEST(RawThreads, FinishedThreadsAreJoinedAsNewOnesStart) {
  with_time_limit([] {
    const std::size_t threads_before = live_threads();
    RawThreadsStrategy strategy;
    constexpr std::size_t tasks = 3000;
    std::atomic<std::size_t> ran{0};
    std::size_t most_threads = 0;
    for (std::size_t i = 0; i < tasks; ++i) {
      ASSERT_TRUE(strategy.submit([&] { ran.fetch_add(1, std::memory_order_relaxed); }).ok());
      if (i % 100 == 0) most_threads = std::max(most_threads, live_threads() - threads_before);
    }
    EXPECT_FALSE(strategy.wait());
    EXPECT_EQ(ran.load(), tasks);
    EXPECT_EQ(strategy.counters().threads_created, tasks);
    // Tiny tasks finish fast and each submit joins the finished ones: nowhere near 3000 threads pile up.
    EXPECT_LT(most_threads, tasks / 2);
    strategy.shutdown();
    EXPECT_TRUE(eventually([&] { return live_threads() == threads_before; }));
    EXPECT_EQ(strategy.submit([] {}).status, SubmitStatus::closed);
  });
}

TEST(RawThreads, IsRegisteredWithTruthfulTraits) {
  const StrategyInfo* info = strategy_registry().find("raw_threads");
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->traits.worker_lifecycle, WorkerLifecycle::thread_per_task);
  EXPECT_EQ(info->traits.when_full, WhenFull::never_full);
  EXPECT_EQ(info->traits.on_exception, OnException::terminates_process);
  auto strategy = info->make(StrategyConfig{2, {}, {}});
  std::atomic<int> ran{0};
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(strategy->submit([&] { ++ran; }).ok());
  EXPECT_FALSE(strategy->wait());
  EXPECT_EQ(ran.load(), 10);
}

// spawn=fiber: a burst of 1,000 tasks runs as fibers on the runtime's scheduler threads; the process's thread
// count, sampled by every task, never exceeds what it was plus those threads.
TEST(RawThreadsFiber, ABurstOfTasksStartsNoThreadPerTask) {
  if (under_sanitizer) GTEST_SKIP() << fiber_sanitizer_exclusion;
  with_time_limit([] {
    const std::size_t threads_before = live_threads();
    RawThreadsStrategy strategy(RawThreadsStrategy::Spawn::fiber);
    const std::size_t scheduler_threads = strategy.counters().threads_created;
    EXPECT_EQ(scheduler_threads, support::FiberRuntime::cores()) << "one scheduler thread per core";
    EXPECT_EQ(live_threads_settled(threads_before + scheduler_threads), threads_before + scheduler_threads);
    constexpr std::size_t tasks = 1000;
    ExactlyOnceLedger ledger(tasks);
    std::atomic<std::size_t> most_threads{0};
    for (std::size_t i = 0; i < tasks; ++i) {
      ASSERT_TRUE(strategy
                      .submit([&ledger, &most_threads, i] {
                        const std::size_t now = live_threads();
                        std::size_t most = most_threads.load();
                        while (now > most && !most_threads.compare_exchange_weak(most, now)) {
                        }
                        ledger.record(i);
                      })
                      .ok());
    }
    EXPECT_FALSE(strategy.wait());
    EXPECT_EQ(ledger.verify(), "");
    EXPECT_LE(most_threads.load(), threads_before + scheduler_threads)
        << "a task saw more threads than the scheduler's: a thread was started for a task";
    const StrategyCounters counters = strategy.counters();
    EXPECT_EQ(counters.threads_created, scheduler_threads);
    EXPECT_EQ(counters.extra.at("fibers_started"), static_cast<double>(tasks));
    EXPECT_EQ(counters.extra.at("fiber_stack_failures"), 0.0);
    EXPECT_GE(counters.extra.at("fiber_stacks_mapped"), 1.0);
    strategy.shutdown();
    EXPECT_EQ(live_threads_settled(threads_before), threads_before)
        << "shutdown() joins the scheduler threads";
    EXPECT_EQ(strategy.submit([] {}).status, SubmitStatus::closed);
  });
}

// Producers outside the runtime (threads with no scheduler of it) submit at once: every task runs exactly
// once, and after wait() the runtime takes the next burst.
TEST(RawThreadsFiber, SubmitsFromManyForeignThreadsRunExactlyOnce) {
  if (under_sanitizer) GTEST_SKIP() << fiber_sanitizer_exclusion;
  with_time_limit([] {
    RawThreadsStrategy strategy(RawThreadsStrategy::Spawn::fiber);
    constexpr std::size_t producers = 4;
    constexpr std::size_t tasks_each = 20'000;
    ExactlyOnceLedger ledger(producers * tasks_each);
    {
      std::vector<std::jthread> threads;
      for (std::size_t p = 0; p < producers; ++p)
        threads.emplace_back([&, p] {
          for (std::size_t i = p * tasks_each; i < (p + 1) * tasks_each; ++i)
            ASSERT_TRUE(strategy.submit([&ledger, i] { ledger.record(i); }).ok());
        });
    }
    EXPECT_FALSE(strategy.wait());
    EXPECT_EQ(ledger.verify(), "");
    // wait() returned with every fiber finished: the next burst starts from an idle runtime.
    std::atomic<std::size_t> again{0};
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(strategy.submit([&again] { again.fetch_add(1); }).ok());
    EXPECT_FALSE(strategy.wait());
    EXPECT_EQ(again.load(), 100u);
  });
}

// The SDK's sleep (sleep.hpp) parks a fiber, as time.Sleep parks a goroutine: on ONE scheduler thread, N
// tasks that each sleep until all N have started are all asleep at once. A sleep that held the thread would
// keep the first task looping alone until it gives up, and it would see 1 of N started.
TEST(FiberSleep, OnOneSchedulerThreadSleepingTasksOverlap) {
  if (under_sanitizer) GTEST_SKIP() << fiber_sanitizer_exclusion;
  with_time_limit([] {
    constexpr int tasks = 8;
    std::atomic<int> started{0};
    std::atomic<int> saw_every_task_started{0};
    std::atomic<int> ran_with_the_hook{0};
    const auto give_up = std::chrono::steady_clock::now() + 10s;  // the failing case's bound, not a timing
    support::FiberRuntime runtime([](Task& task) { task(); }, 1);
    ASSERT_EQ(runtime.threads(), 1u);
    for (int i = 0; i < tasks; ++i)
      ASSERT_TRUE(runtime.spawn([&] {
        if (installed_sleep_hook != nullptr) ran_with_the_hook.fetch_add(1);
        started.fetch_add(1);
        while (started.load() < tasks && std::chrono::steady_clock::now() < give_up)
          poolbench::sleep_for(1ms);
        if (started.load() == tasks) saw_every_task_started.fetch_add(1);
      }));
    runtime.wait_idle();
    EXPECT_EQ(ran_with_the_hook.load(), tasks) << "every scheduler thread installs the fiber sleep";
    EXPECT_EQ(saw_every_task_started.load(), tasks)
        << "a sleeping task held the runtime's only thread: the others could not start";
    runtime.shutdown();
  });
}

// Off the runtime's threads there is no hook and the thread itself sleeps, at least until the deadline; the
// hook a runtime installs is its thread's only for the scope.
TEST(FiberSleep, OffAFiberTheThreadSleepsUntilTheDeadline) {
  EXPECT_EQ(installed_sleep_hook, nullptr);
  const auto deadline = std::chrono::steady_clock::now() + 2ms;
  poolbench::sleep_until(deadline);
  EXPECT_GE(std::chrono::steady_clock::now(), deadline);
  static std::atomic<int> hooked_sleeps{0};
  {
    const SleepHookScope scope([](std::chrono::steady_clock::time_point) { hooked_sleeps.fetch_add(1); });
    poolbench::sleep_for(1h);  // the hook decides: this one returns at once
  }
  EXPECT_EQ(hooked_sleeps.load(), 1);
  EXPECT_EQ(installed_sleep_hook, nullptr);
}

TEST(RawThreadsFiber, AnUnknownSpawnValueIsOneLineAndExitStatus2) {
  const auto result = testing::run_poolbench("run -s raw_threads --param spawn=goroutine --dry-run");
  EXPECT_EQ(result.exit_status, 2) << result.err;
  EXPECT_EQ(result.out, "");
  EXPECT_NE(result.err.find("spawn"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("goroutine"), std::string::npos) << result.err;
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
}

// Address space of this process in bytes (VmSize).
std::size_t address_space_bytes() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "VmSize:") {
      std::size_t kib = 0;
      status >> kib;
      return kib * 1024;
    }
  }
  return 0;
}

// In a child process (a death test that must exit 0): with the address space capped a little above what the
// process uses, new threads (8 MiB stacks each) are soon refused. Every refusal must be a SubmitStatus::error
// naming the live thread count; every accepted task must still run exactly once.
[[maybe_unused]] void refused_thread_scenario() {  // unused where sanitizers skip its test
  RawThreadsStrategy strategy;
  Gate gate;
  constexpr std::size_t max_tasks = 4096;
  ExactlyOnceLedger ledger(max_tasks);
  std::vector<std::string> failures;
  failures.reserve(8);
  const rlimit cap{address_space_bytes() + (96u << 20), RLIM_INFINITY};
  if (setrlimit(RLIMIT_AS, &cap) != 0) std::_Exit(3);
  std::size_t accepted = 0;
  SubmitResult refused;
  for (std::size_t i = 0; i < max_tasks; ++i) {
    SubmitResult result = strategy.submit([&gate, &ledger, i] {
      gate.pass();
      ledger.record(i);
    });
    if (!result.ok()) {
      refused = std::move(result);
      break;
    }
    ++accepted;
  }
  const rlimit uncapped{RLIM_INFINITY, RLIM_INFINITY};
  setrlimit(RLIMIT_AS, &uncapped);
  if (refused.ok()) {
    std::fprintf(stderr, "no thread was refused in %zu submits\n", max_tasks);
    std::_Exit(4);
  }
  const std::string expected = "while " + std::to_string(accepted) + " raw_threads threads were live";
  std::fprintf(stderr, "refused after %zu threads: %s\n", accepted, refused.message.c_str());
  if (refused.status != SubmitStatus::error || refused.message.find(expected) == std::string::npos)
    std::_Exit(5);
  gate.open();
  if (strategy.wait()) std::_Exit(6);
  if (!ledger.verify([&](std::size_t i) { return i < accepted ? 1u : 0u; }).empty()) std::_Exit(7);
  if (strategy.counters().extra.at("thread_start_failures") != 1.0) std::_Exit(8);
  std::_Exit(0);
}

TEST(RawThreadsDeathTest, ARefusedThreadIsReportedNotFatalAndNothingIsLost) {
#ifdef RAW_THREADS_SANITIZED
  GTEST_SKIP() << "sanitizers reserve huge address ranges: an address-space cap breaks their runtime first";
#else
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(refused_thread_scenario(), ::testing::ExitedWithCode(0), "raw_threads threads were live");
#endif
}

TEST(RawThreadsDeathTest, AThrowingTaskTerminatesTheProcess) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        RawThreadsStrategy strategy;
        (void)strategy.submit([] { throw std::runtime_error("goroutine panic"); });
        (void)strategy.wait();
      },
      "raw_threads: a task threw \\(goroutine panic\\)");
}

}  // namespace
}  // namespace poolbench
