// Conformance: one value-parameterised suite over every registered strategy (test-only ones excepted,
// third-party baselines included) and every mode listed in modes_under_test(), checking each declared trait
// against behaviour. A new strategy gets the whole suite by registering itself; a new mode, by a line there.
//
// Conventions the suite relies on (beyond the Strategy contract):
//  * a strategy declaring WhenFull::blocks_or_rejects has a boolean parameter named `nonblocking` that
//  switches
//    submit from blocking to failing with `overloaded`;
//  * a counter published in StrategyCounters::extra under one of these names is checked when present:
//    `exceptions_handled` (tasks whose exception a handler received), `failed` (tasks that threw), `dropped`
//    or `rejected` (tasks refused with overloaded).
//
// Every test body runs under a time limit that fails the test (and ends the process) instead of hanging CI.
// Timings are never asserted; the idle-CPU test bounds spinning, not speed. Task counts shrink under
// sanitizers.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <future>
#include <latch>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "conformance_checks.hpp"
#include "exactly_once.hpp"
#include "registry.hpp"
#include "strategy_test_support.hpp"

#if defined(__SANITIZE_THREAD__)
#define CONFORMANCE_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CONFORMANCE_TSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define CONFORMANCE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CONFORMANCE_ASAN 1
#endif
#endif

namespace poolbench {
namespace {

using namespace std::chrono_literals;
using namespace test_support;

#ifdef CONFORMANCE_TSAN
constexpr bool under_tsan = true;
#else
constexpr bool under_tsan = false;
#endif
#ifdef CONFORMANCE_ASAN
constexpr bool under_asan = true;
#else
constexpr bool under_asan = false;
#endif
constexpr bool under_sanitizer = under_tsan || under_asan;

constexpr const char* boom = "conformance-boom";

double process_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

// Modes a strategy runs in besides its default one, each checked as if it were a strategy of its own: the
// parameters that select it; its traits are what its registration declares for them (traits_for). A test
// names one as "<strategy>:<param>=<value>,...".
struct ModeUnderTest {
  std::string strategy;
  std::map<std::string, std::string> params;
};

const std::vector<ModeUnderTest>& modes_under_test() {
  // Each mode's traits are its registration's (StrategyInfo::adjust_for_mode, through traits_for).
  static const std::vector<ModeUnderTest> modes = {
      // Not workerpool: the batching pool the strategy used to be; same traits.
      {"dispatcher", {{"batching", "true"}}},
      // pond v2 as it is: one FIFO queue, a thread per submit up to K that exits when the queue is empty;
      // unbounded by default (never full), blocks or drops with a queue size.
      {"sharded", {{"mode", "pond"}}},
      {"sharded", {{"mode", "pond"}, {"pond_queue_size", "64"}}},
      // go f() at a goroutine's cost: a fiber per task on the fiber runtime's fixed scheduler threads.
      {"raw_threads", {{"spawn", "fiber"}}},
      // errgroup with SetLimit(K) whose Go starts a fiber, not a thread.
      {"semaphore_group", {{"spawn", "fiber"}}},
      // task_arena(K)::enqueue: no completion or error channel of oneTBB's; a throwing task terminates.
      {"ref_tbb_task_group", {{"api", "arena_enqueue"}}},
      // ants' WithPreAlloc: idle workers in a FIFO loop queue, the longest idle one takes the next task.
      {"lifo_stack", {{"prealloc", "true"}}},
      // ants' WithDisablePurge: no purge, idle workers stay.
      {"lifo_stack", {{"disable_purge", "true"}}},
      // ants' size -1: no capacity, a worker starts whenever none is idle, so never full.
      {"lifo_stack", {{"unlimited", "true"}}},
  };
  return modes;
}

std::string mode_name(const ModeUnderTest& mode) {
  std::string name = mode.strategy + ":";
  for (const auto& [param, value] : mode.params)
    name += (name.back() == ':' ? "" : ",") + param + "=" + value;
  return name;
}

// A registered strategy by name, or a mode from modes_under_test() as a StrategyInfo of its own: the
// strategy's entry with the mode's parameters as defaults and the mode's traits.
const StrategyInfo& info_of(const std::string& name) {
  static std::mutex modes_mutex;
  static std::map<std::string, StrategyInfo> modes;
  if (const StrategyInfo* info = strategy_registry().find(name)) return *info;
  std::scoped_lock lock(modes_mutex);
  if (auto found = modes.find(name); found != modes.end()) return found->second;
  for (const ModeUnderTest& mode : modes_under_test()) {
    if (mode_name(mode) != name) continue;
    const StrategyInfo* base = strategy_registry().find(mode.strategy);
    if (base == nullptr) throw std::logic_error("strategy " + mode.strategy + " is not registered");
    StrategyInfo info = *base;
    info.name = name;
    for (ParamSpec& spec : info.params)
      if (auto value = mode.params.find(spec.name); value != mode.params.end())
        spec.default_value = value->second;
    for (const auto& entry : mode.params) {
      const std::string& param = entry.first;  // not a binding: clang 14 cannot capture one in a lambda
      if (std::none_of(info.params.begin(), info.params.end(),
                       [&](const ParamSpec& spec) { return spec.name == param; }))
        throw std::logic_error(mode.strategy + " has no parameter " + param);
    }
    Params params(mode.params);
    params.apply_defaults(base->params);
    info.traits = traits_for(*base, params);
    return modes.emplace(name, std::move(info)).first->second;
  }
  throw std::logic_error("strategy " + name + " is not registered");
}

bool has_param(const StrategyInfo& info, const std::string& name) {
  return std::any_of(info.params.begin(), info.params.end(),
                     [&](const ParamSpec& spec) { return spec.name == name; });
}

std::unique_ptr<Strategy> make_strategy(const StrategyInfo& info, std::size_t workers,
                                        std::map<std::string, std::string> overrides = {}) {
  Params params(std::move(overrides));
  params.apply_defaults(info.params);
  StrategyConfig config{workers, params, {}};
  if (info.traits.worker_state) config.worker_state_factory = [] { return std::make_unique<WorkerState>(); };
  return info.make(config);
}

bool thread_per_task(const StrategyInfo& info) {
  return info.traits.worker_lifecycle == WorkerLifecycle::thread_per_task;
}

// A strategy that is never full and has no task queue must start a thread for every task that finds no idle
// worker (ants with size -1): K does not bound its threads.
bool unbounded_workers(const StrategyTraits& traits) {
  return traits.when_full == WhenFull::never_full && (traits.queue_order == QueueOrder::lifo_idle_worker ||
                                                      traits.queue_order == QueueOrder::fifo_idle_worker);
}

std::size_t exactly_once_tasks(const StrategyInfo& info, std::size_t producers) {
  if (thread_per_task(info)) return under_sanitizer ? 300 : 2000;
  // A fiber per task costs microseconds where a pool's hand-off costs nanoseconds (and errgroup's producer
  // waits for a slot per task): fewer, to stay in time on a loaded machine.
  if (info.traits.worker_lifecycle == WorkerLifecycle::fiber_per_task) return 100000;
  // A synchronous submit pairs each task with a worker through a hand-off round trip: fewer, to stay in time.
  if (info.traits.synchronous_submit && info.traits.worker_lifecycle != WorkerLifecycle::caller_thread)
    return under_sanitizer ? 2000 : 20000;
  // Two or more producers on a pool whose submit blocks while every worker is busy: nearly every task waits
  // for a hand-off, which costs microseconds when the producers and the pool's two workers outnumber the
  // cores (ants' idle-worker stack, the adaptive pool) where a queue takes one in nanoseconds. A million such
  // tasks made these cases much of the release suite's time, with two producers as slow as eight
  // (results/ci-time.md); a fifth of that still hands off contended for every task.
  const bool contended_hand_off = producers >= 2 && info.traits.when_full != WhenFull::never_full;
  if (under_tsan) return 20000;
  if (under_asan) return contended_hand_off ? 40000 : 100000;
  if (contended_hand_off) return 200000;
  return 1000000;
}

std::string describe(const std::exception_ptr& error) {
  if (!error) return "no error";
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "a non-std exception";
  }
}

// Checks the counter if the strategy publishes it.
void expect_counter_if_published(const StrategyCounters& counters, const std::string& name, double expected) {
  auto found = counters.extra.find(name);
  if (found == counters.extra.end()) return;
  EXPECT_EQ(found->second, expected) << "counter `" << name << "`";
}

std::vector<std::string> strategies_under_test() {
  std::vector<std::string> names = strategy_registry().names(/*include_test_only=*/false);
  for (const ModeUnderTest& mode : modes_under_test()) names.push_back(mode_name(mode));
  return names;
}

std::string test_name(const ::testing::TestParamInfo<std::string>& param) {
  return test_name_for(param.param);
}

// Third-party baselines whose synchronisation ThreadSanitizer cannot see; the other builds still check them.
std::string tsan_blind_spot(const std::string& strategy) {
  if (!under_tsan) return {};
  if (strategy.starts_with("ref_tbb_task_group"))  // every mode
    return "oneTBB's library is not built with ThreadSanitizer: the ordering its atomics give is invisible "
           "to "
           "TSan, which then reports races between tasks and wait()";
  if (strategy == "ref_moodycamel")
    return "moodycamel::ConcurrentQueue orders the reuse of its blocks with std::atomic_thread_fence, which "
           "TSan "
           "does not model: it reports races between a Task's enqueue and an earlier dequeue from the same "
           "slot";
  return {};
}

// Modes this sanitizer build does not run (the release build does): the fiber runtime's stack switches.
std::string sanitizer_exclusion(const std::string& strategy) {
  if (under_sanitizer && strategy.find("spawn=fiber") != std::string::npos) return fiber_sanitizer_exclusion;
  return tsan_blind_spot(strategy);
}

class Conformance : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (const std::string why = sanitizer_exclusion(GetParam()); !why.empty()) GTEST_SKIP() << why;
  }
  const StrategyInfo& info() const { return info_of(GetParam()); }
  const StrategyTraits& traits() const { return info().traits; }
  // Why the running test does not check this strategy, from the conformance table
  // (src/sdk/conformance_checks.hpp); empty when it does.
  std::string skip_reason() const {
    std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    test = test.substr(0, test.find('/'));
    const ConformanceCheck* check = find_conformance_check(test);
    if (check == nullptr) {
      ADD_FAILURE() << test << " is not in the conformance table";
      return "not in the conformance table";
    }
    if (check->applies(traits())) return {};
    return "the conformance table does not check " + std::string(check->trait) + " as " + GetParam() +
           " declares it" + (traits().synchronous_submit ? " (synchronous submit)" : "");
  }
};

// ---------------------------------------------------------------------------------------------------------------
// Exactly once, from 1, 2 and 8 producers.

class ExactlyOnce : public ::testing::TestWithParam<std::tuple<std::string, std::size_t>> {
 protected:
  void SetUp() override {
    if (const std::string why = sanitizer_exclusion(std::get<0>(GetParam())); !why.empty())
      GTEST_SKIP() << why;
  }
};

TEST_P(ExactlyOnce, EveryTaskRunsOnce) {
  // Plain variables, not a structured binding: clang 14 (the asan build) cannot capture bindings in lambdas.
  const std::string& name = std::get<0>(GetParam());
  const std::size_t producers = std::get<1>(GetParam());
  const StrategyInfo& info = info_of(name);
  with_time_limit([&] {
    const std::size_t tasks = exactly_once_tasks(info, producers);
    ExactlyOnceLedger counts(tasks);
    auto strategy = make_strategy(info, 2);
    std::atomic<std::size_t> not_ok{0};
    std::string first_problem;
    std::mutex problem_mutex;
    {
      std::latch start(1);
      std::vector<std::jthread> threads;
      for (std::size_t p = 0; p < producers; ++p) {
        threads.emplace_back([&, p] {
          start.wait();
          for (std::size_t i = tasks * p / producers; i < tasks * (p + 1) / producers; ++i) {
            const SubmitResult result = strategy->submit(Task{[&counts, i] { counts.record(i); }});
            if (!result.ok()) {
              if (not_ok.fetch_add(1) == 0) {
                std::scoped_lock lock(problem_mutex);
                first_problem = "submit of task " + std::to_string(i) + " failed: " + result.message;
              }
              return;
            }
          }
        });
      }
      start.count_down();
    }
    const std::exception_ptr error = strategy->wait();
    EXPECT_EQ(not_ok.load(), 0u) << first_problem;
    EXPECT_FALSE(error) << "wait() reported " << describe(error);
    EXPECT_EQ(counts.verify(), "") << "after wait(), with " << producers << " producers";
    strategy->shutdown();
    EXPECT_EQ(counts.verify(), "") << "after shutdown()";
  });
}

std::vector<std::tuple<std::string, std::size_t>> exactly_once_cases() {
  std::vector<std::tuple<std::string, std::size_t>> cases;
  for (const auto& name : strategies_under_test())
    for (std::size_t producers : {1, 2, 8}) cases.emplace_back(name, producers);
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Strategies, ExactlyOnce, ::testing::ValuesIn(exactly_once_cases()),
                         [](const auto& param) {
                           return test_name_for(std::get<0>(param.param)) + "_producers_" +
                                  std::to_string(std::get<1>(param.param));
                         });

// ---------------------------------------------------------------------------------------------------------------
// wait() and shutdown().

TEST_P(Conformance, WaitReturnsOnlyAfterEverySubmittedTaskFinished) {
  with_time_limit([&] {
    auto strategy = make_strategy(info(), 2);
    EXPECT_FALSE(strategy->wait()) << "wait() with nothing submitted";
    constexpr std::size_t tasks = 24;
    std::vector<std::atomic<bool>> finished(tasks);
    for (std::size_t i = 0; i < tasks; ++i) {
      ASSERT_TRUE(strategy
                      ->submit(Task{[&finished, i] {
                        std::this_thread::sleep_for(2ms);
                        finished[i].store(true, std::memory_order_release);
                      }})
                      .ok());
    }
    EXPECT_FALSE(strategy->wait());
    std::size_t unfinished = 0;
    for (auto& flag : finished) unfinished += flag.load(std::memory_order_acquire) ? 0 : 1;
    EXPECT_EQ(unfinished, 0u) << "wait() returned before every task finished";

    // Usable again after wait().
    std::atomic<bool> again{false};
    ASSERT_TRUE(strategy->submit(Task{[&again] { again.store(true); }}).ok());
    EXPECT_FALSE(strategy->wait());
    EXPECT_TRUE(again.load()) << "a task submitted after wait() did not run by the next wait()";
    strategy->shutdown();
  });
}

TEST_P(Conformance, ShutdownDrainsAcceptedTasksAndJoinsEveryThread) {
  // Runs for every strategy; the conformance table marks worker_lifecycle verified only for the two
  // lifecycles whose thread counts it asserts below.
  with_time_limit([&] {
    const std::size_t threads_before = live_threads();
    constexpr std::size_t workers = 3;
    const std::size_t tasks = thread_per_task(info()) ? 60 : 300;
    ExactlyOnceLedger counts(tasks);
    std::mutex ids_mutex;
    std::set<std::thread::id> ran_on;
    auto strategy = make_strategy(info(), workers);
    for (std::size_t i = 0; i < tasks; ++i) {
      const SubmitResult result = strategy->submit(Task{[&, i] {
        std::this_thread::sleep_for(50us);  // so that work is still queued when shutdown() starts
        {
          std::scoped_lock lock(ids_mutex);
          ran_on.insert(std::this_thread::get_id());
        }
        counts.record(i);
      }});
      ASSERT_TRUE(result.ok()) << "submit " << i << ": " << result.message;
    }
    strategy->shutdown();  // no wait(): shutdown itself must drain what it accepted
    EXPECT_EQ(counts.verify(), "") << "after shutdown(), every accepted task must have run exactly once";
    EXPECT_EQ(live_threads_settled(threads_before), threads_before)
        << "shutdown() left threads running (before construction: " << threads_before << ")";

    const SubmitResult late = strategy->submit(Task{[] {}});
    EXPECT_EQ(late.status, SubmitStatus::closed) << "submit after shutdown(): " << late.message;
    strategy->shutdown();  // idempotent

    const StrategyCounters counters = strategy->counters();
    std::set<std::thread::id> workers_seen = ran_on;
    if (traits().worker_lifecycle == WorkerLifecycle::caller_thread) {
      EXPECT_EQ(counters.threads_created, 0u);
      EXPECT_EQ(workers_seen, std::set<std::thread::id>{std::this_thread::get_id()});
    } else {
      workers_seen.erase(
          std::this_thread::get_id());  // a synchronous strategy may run some work on the caller
      EXPECT_GE(counters.threads_created, workers_seen.size())
          << "threads_created is less than the number of distinct threads that ran tasks";
      EXPECT_GE(counters.threads_created, 1u);
      if (thread_per_task(info())) {
        EXPECT_GE(counters.threads_created, tasks);
      }
    }
    strategy.reset();
    EXPECT_EQ(live_threads_settled(threads_before), threads_before) << "after destruction";
  });
}

TEST_P(Conformance, DestructorShutsDownAndJoins) {
  with_time_limit([&] {
    const std::size_t threads_before = live_threads();
    constexpr std::size_t tasks = 100;
    ExactlyOnceLedger counts(tasks);
    {
      auto strategy = make_strategy(info(), 2);
      for (std::size_t i = 0; i < tasks; ++i)
        ASSERT_TRUE(strategy->submit(Task{[&counts, i] { counts.record(i); }}).ok());
    }
    EXPECT_EQ(counts.verify(), "") << "destroyed without wait(): accepted tasks must still run once";
    EXPECT_EQ(live_threads_settled(threads_before), threads_before);
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Order.

TEST_P(Conformance, FifoStrategiesStartTasksInSubmissionOrder) {
  if (const std::string why = skip_reason(); !why.empty()) GTEST_SKIP() << why;
  const QueueOrder order = traits().queue_order;
  with_time_limit([&] {
    // One producer, one worker; the first task holds the worker so that the rest really queue up behind it.
    auto strategy = make_strategy(info(), 1);
    Gate gate;
    std::mutex order_mutex;
    std::vector<std::size_t> started;
    constexpr std::size_t tasks = 500;
    started.reserve(tasks);
    std::jthread opener;
    if (order != QueueOrder::caller) {
      // Started first: a synchronous submit of the gate task returns only once the gate opens.
      opener = std::jthread([&gate] {
        std::this_thread::sleep_for(50ms);
        gate.open();
      });
      ASSERT_TRUE(strategy->submit(Task{[&gate] { gate.pass(); }}).ok());
    }
    for (std::size_t i = 0; i < tasks; ++i) {
      ASSERT_TRUE(strategy
                      ->submit(Task{[&, i] {
                        std::scoped_lock lock(order_mutex);
                        started.push_back(i);
                      }})
                      .ok());
    }
    EXPECT_FALSE(strategy->wait());
    ASSERT_EQ(started.size(), tasks);
    for (std::size_t i = 0; i < tasks; ++i) {
      ASSERT_EQ(started[i], i) << "task " << started[i] << " started in position " << i << " (declares "
                               << to_string(order) << ")";
    }
    strategy->shutdown();
  });
}

// Three workers made idle in the order 0, 1, 2; then three tasks, each submitted while the previous ones
// still hold their workers. Returns which of the three idle workers each took (its index; 3: another one).
std::vector<std::size_t> idle_workers_taken_in_turn(Strategy& strategy) {
  constexpr std::size_t workers = 3;
  std::vector<std::thread::id> warm(workers);
  std::vector<Gate> release(workers);
  std::vector<std::atomic<bool>> done(workers);
  std::latch all_running(workers);
  for (std::size_t i = 0; i < workers; ++i) {
    EXPECT_TRUE(strategy
                    .submit(Task{[&, i] {
                      warm[i] = std::this_thread::get_id();
                      all_running.count_down();
                      release[i].pass();
                      done[i].store(true, std::memory_order_release);
                    }})
                    .ok());
  }
  all_running.wait();
  EXPECT_EQ(std::set<std::thread::id>(warm.begin(), warm.end()).size(), workers)
      << "needs three distinct workers";
  for (std::size_t i = 0; i < workers; ++i) {
    release[i].open();
    while (!done[i].load(std::memory_order_acquire)) std::this_thread::sleep_for(1ms);
    // Sequencing, not a timing assertion: let the worker return itself to the idle queue before the next one.
    std::this_thread::sleep_for(100ms);
  }
  std::vector<std::size_t> taken;
  std::vector<Gate> hold(workers);
  for (std::size_t k = 0; k < workers; ++k) {
    std::thread::id took;
    std::latch running(1);
    EXPECT_TRUE(strategy
                    .submit(Task{[&, k] {
                      took = std::this_thread::get_id();
                      running.count_down();
                      hold[k].pass();
                    }})
                    .ok());
    running.wait();
    taken.push_back(static_cast<std::size_t>(std::find(warm.begin(), warm.end(), took) - warm.begin()));
  }
  for (auto& gate : hold) gate.open();
  EXPECT_FALSE(strategy.wait());
  return taken;
}

TEST_P(Conformance, LifoStrategiesHandTheNextTaskToTheMostRecentlyIdleWorker) {
  if (const std::string why = skip_reason(); !why.empty()) GTEST_SKIP() << why;
  with_time_limit([&] {
    // A self-tuning pool (adaptive) pinned at K: one that shrinks while the test's workers sit idle stops
    // some of them, and the order is about which idle worker takes the next task, not how many stay.
    std::map<std::string, std::string> overrides;
    if (std::ranges::any_of(info().params, [](const ParamSpec& spec) { return spec.name == "min_workers"; }))
      overrides["min_workers"] = "3";
    auto strategy = make_strategy(info(), 3, overrides);
    EXPECT_EQ(idle_workers_taken_in_turn(*strategy), (std::vector<std::size_t>{2, 1, 0}))
        << "each next task must go to the most recently idle worker still idle";
    strategy->shutdown();
  });
}

TEST_P(Conformance, FifoIdleWorkerStrategiesHandTheNextTaskToTheLongestIdleWorker) {
  if (const std::string why = skip_reason(); !why.empty()) GTEST_SKIP() << why;
  with_time_limit([&] {
    auto strategy = make_strategy(info(), 3);
    EXPECT_EQ(idle_workers_taken_in_turn(*strategy), (std::vector<std::size_t>{0, 1, 2}))
        << "each next task must go to the worker idle longest";
    strategy->shutdown();
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Worker lifecycle, counted by the kernel (/proc/self/task), not by the strategy's own counters.

TEST_P(Conformance, FixedWorkersKeepOneThreadCountUnderLoad) {
  if (const std::string why = skip_reason(); !why.empty()) GTEST_SKIP() << why;
  if (GetParam().rfind("ref_tbb_task_group", 0) == 0)
    GTEST_SKIP()
        << "oneTBB starts its worker threads on first use, in its process-wide market, and keeps them: "
           "they are oneTBB's, not the strategy's (it declares fixed_workers for its arena's fixed "
           "concurrency, not for when its threads start)";
  with_time_limit([&] {
    constexpr std::size_t workers = 3;
    constexpr std::size_t producers = 2;
    const std::size_t tasks_per_producer = under_sanitizer ? 2'000 : 20'000;
    const std::size_t before = live_threads();
    auto strategy = make_strategy(info(), workers);
    const std::size_t started = live_threads() - before;
    // At least one: a fiber scheduler's threads are one per core, not K.
    EXPECT_GE(started, 1u) << "fixed workers start with the strategy";
    std::atomic<std::size_t> ran{0};
    std::latch go(1);
    std::latch submitted(producers);
    std::latch leave(1);
    std::vector<std::jthread> threads;
    for (std::size_t p = 0; p < producers; ++p) {
      threads.emplace_back([&] {
        go.wait();
        for (std::size_t i = 0; i < tasks_per_producer; ++i) {
          // Every 64th task holds its worker a little, so that work piles up behind it.
          const bool slow = i % 64 == 0;
          EXPECT_TRUE(strategy
                          ->submit(Task{[&ran, slow] {
                            if (slow) std::this_thread::sleep_for(50us);
                            ran.fetch_add(1, std::memory_order_relaxed);
                          }})
                          .ok());
        }
        submitted.count_down();
        leave.wait();  // stays alive until the sampling ends, so that it counts in every sample
      });
    }
    const std::size_t expected = live_threads();  // the strategy's threads, the producers and this one
    std::set<std::size_t> seen;
    go.count_down();
    while (!submitted.try_wait()) {
      seen.insert(live_threads());
      std::this_thread::sleep_for(100us);
    }
    seen.insert(live_threads());
    leave.count_down();
    threads.clear();
    EXPECT_FALSE(strategy->wait());
    EXPECT_EQ(ran.load(), producers * tasks_per_producer);
    EXPECT_EQ(seen, std::set<std::size_t>{expected})
        << "the thread count changed under load (before load: " << expected << ")";
    strategy->shutdown();
  });
}

TEST_P(Conformance, OnDemandWorkersRiseToKUnderLoadAndExpireOrStayWhenIdle) {
  if (const std::string why = skip_reason(); !why.empty()) GTEST_SKIP() << why;
  const bool expires = traits().worker_lifecycle == WorkerLifecycle::on_demand_with_expiry;
  with_time_limit([&] {
    constexpr std::size_t workers = 3;
    std::map<std::string, std::string> overrides;
    for (const char* expiry : {"expiry_ms", "idle_timeout_ms"})
      if (has_param(info(), expiry)) overrides[expiry] = "20";
    // Further submits must not wait for the held tasks: a strategy that can block is asked not to.
    const bool can_reject = traits().when_full == WhenFull::blocks_or_rejects;
    if (can_reject) overrides["nonblocking"] = "true";
    auto strategy = make_strategy(info(), workers, overrides);
    const std::size_t idle = live_threads();
    Gate gate;
    std::latch all_running(workers);
    for (std::size_t i = 0; i < workers; ++i)
      ASSERT_TRUE(strategy
                      ->submit(Task{[&] {
                        all_running.count_down();
                        gate.pass();
                      }})
                      .ok());
    all_running.wait();
    EXPECT_EQ(live_threads(), idle + workers) << "K held tasks: K worker threads";
    if (!unbounded_workers(traits()) && (can_reject || traits().when_full == WhenFull::never_full)) {
      // More work while all K are held: queued or rejected, but no thread beyond K.
      for (std::size_t i = 0; i < 2 * workers; ++i) {
        const SubmitResult result = strategy->submit(Task{[&gate] { gate.pass(); }});
        EXPECT_TRUE(result.ok() || result.status == SubmitStatus::overloaded) << result.message;
      }
      std::set<std::size_t> seen;
      for (int i = 0; i < 50; ++i) {
        seen.insert(live_threads());
        std::this_thread::sleep_for(1ms);
      }
      EXPECT_EQ(seen, std::set<std::size_t>{idle + workers}) << "threads beyond K while K were busy";
    }
    gate.open();
    EXPECT_FALSE(strategy->wait());
    if (expires) {
      EXPECT_TRUE(eventually([&] { return live_threads() == idle; }, 5s))
          << live_threads() << " threads, " << idle
          << " before any worker started: idle workers did not expire";
    } else {
      std::this_thread::sleep_for(100ms);  // five expiry periods
      EXPECT_EQ(live_threads(), idle + workers) << "resident workers must not expire";
    }
    strategy->shutdown();
  });
}

// ---------------------------------------------------------------------------------------------------------------
// When full.

TEST_P(Conformance, NonBlockingSubmitOnASaturatedStrategyReportsOverloadAndLosesNothing) {
  // Synchronous submit is not checked here: saturating it needs a thread per worker.
  if (const std::string why = skip_reason(); !why.empty()) GTEST_SKIP() << why;
  ASSERT_TRUE(has_param(info(), "nonblocking"))
      << "declares blocks_or_rejects but has no boolean `nonblocking` parameter (the suite's convention)";
  with_time_limit([&] {
    constexpr std::size_t max_attempts = 1'000'000;
    constexpr std::size_t extra_rejections = 5;
    auto strategy = make_strategy(info(), 2, {{"nonblocking", "true"}});
    Gate gate;
    std::vector<SubmitStatus> status;
    std::size_t rejected = 0;
    ExactlyOnceLedger counts(max_attempts);
    for (std::size_t i = 0; i < max_attempts && rejected <= extra_rejections; ++i) {
      const SubmitResult result = strategy->submit(Task{[&gate, &counts, i] {
        gate.pass();
        counts.record(i);
      }});
      status.push_back(result.status);
      if (result.status == SubmitStatus::overloaded) {
        ++rejected;
      } else {
        // (An accept after an overload is possible: a worker may take its first task from the queue late.)
        ASSERT_TRUE(result.ok()) << "attempt " << i << ": " << result.message;
      }
    }
    ASSERT_GT(rejected, 0u) << "never reported overloaded in " << max_attempts << " non-blocking submits";
    const std::size_t attempts = status.size();
    const StrategyCounters while_full = strategy->counters();
    gate.open();
    EXPECT_FALSE(strategy->wait());
    EXPECT_EQ(
        counts.verify([&](std::size_t i) { return i < attempts && status[i] == SubmitStatus::ok ? 1u : 0u; }),
        "")
        << "accepted tasks must run once, rejected ones never";
    expect_counter_if_published(while_full, "dropped", static_cast<double>(rejected));
    expect_counter_if_published(while_full, "rejected", static_cast<double>(rejected));
    strategy->shutdown();
  });
}

TEST_P(Conformance, BlockedSubmitResumesWhenRoomFrees) {
  // Synchronous submit is not checked here: it blocks on every task by design.
  if (const std::string why = skip_reason(); !why.empty()) GTEST_SKIP() << why;
  const WhenFull when_full = traits().when_full;
  with_time_limit([&] {
    // Enough to fill any default queue; after the gate opens every one of them still runs (a thread each, for
    // a thread-per-task strategy).
    const std::size_t max_tasks = thread_per_task(info()) ? 500 : under_sanitizer ? 20'000 : 200'000;
    auto strategy = make_strategy(info(), 2);
    Gate gate;
    ExactlyOnceLedger counts(max_tasks);
    std::atomic<std::size_t> submitted{0};
    std::atomic<bool> producer_done{false};
    std::string problem;
    std::jthread producer([&] {
      for (std::size_t i = 0; i < max_tasks; ++i) {
        const SubmitResult result = strategy->submit(Task{[&gate, &counts, i] {
          gate.pass();
          counts.record(i);
        }});
        if (!result.ok()) {
          problem = "submit " + std::to_string(i) + ": " + result.message;
          break;
        }
        submitted.store(i + 1, std::memory_order_release);
      }
      producer_done.store(true, std::memory_order_release);
    });
    // The producer is blocked once its count stops moving for a while with every worker held by the gate.
    std::size_t last = submitted.load();
    int still = 0;
    while (!producer_done.load(std::memory_order_acquire) && still < 20) {
      std::this_thread::sleep_for(10ms);
      const std::size_t now = submitted.load();
      still = now == last ? still + 1 : 0;
      last = now;
    }
    const bool blocked = !producer_done.load(std::memory_order_acquire);
    gate.open();
    producer.join();
    EXPECT_TRUE(blocked) << "declares " << to_string(when_full) << " but " << max_tasks
                         << " submits never blocked with every worker busy";
    EXPECT_EQ(problem, "");
    EXPECT_EQ(submitted.load(), max_tasks) << "the blocked submit did not resume after room freed";
    EXPECT_FALSE(strategy->wait());
    EXPECT_EQ(counts.verify([&](std::size_t i) { return i < submitted.load() ? 1u : 0u; }), "");
    strategy->shutdown();
  });
}

TEST_P(Conformance, NeverFullStrategiesAcceptWithoutBlocking) {
  // Synchronous submit is not checked here: it runs the task before returning.
  if (const std::string why = skip_reason(); !why.empty()) GTEST_SKIP() << why;
  with_time_limit([&] {
    // Each held task holds a thread where the strategy starts one per task or per task without an idle
    // worker.
    const std::size_t tasks = thread_per_task(info()) || unbounded_workers(traits()) ? 100 : 20'000;
    auto strategy = make_strategy(info(), 2);
    Gate gate;
    ExactlyOnceLedger counts(tasks);
    for (std::size_t i = 0; i < tasks; ++i) {
      const SubmitResult result = strategy->submit(Task{[&gate, &counts, i] {
        gate.pass();
        counts.record(i);
      }});
      ASSERT_TRUE(result.ok()) << "submit " << i << " with every worker busy: " << result.message;
    }
    gate.open();
    EXPECT_FALSE(strategy->wait());
    EXPECT_EQ(counts.verify(), "");
    strategy->shutdown();
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Exceptions.

TEST_P(Conformance, AThrowingTaskGetsTheDeclaredBehaviour) {
  if (const std::string why = skip_reason(); !why.empty()) GTEST_SKIP() << why;
  const OnException declared = traits().on_exception;
  if (declared == OnException::terminates_process) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    const StrategyInfo& strategy_info = info();
    // The statement must die: if it returns (after a bounded wait) the death test fails.
    EXPECT_EXIT(
        {
          auto strategy = make_strategy(strategy_info, 2);
          (void)strategy->submit(Task{[] { throw std::runtime_error(boom); }});
          (void)strategy->wait();
          std::this_thread::sleep_for(10s);
          std::_Exit(0);
        },
        ::testing::KilledBySignal(SIGABRT), "");
    return;
  }
  with_time_limit([&] {
    auto strategy = make_strategy(info(), 2);
    constexpr std::size_t normal_tasks = 100;
    constexpr std::size_t throwing_tasks = 3;
    ExactlyOnceLedger counts(normal_tasks);
    switch (declared) {
      case OnException::propagates_to_submitter: {
        try {
          (void)strategy->submit(Task{[] { throw std::runtime_error(boom); }});
          ADD_FAILURE() << "declares propagates_to_submitter but submit() returned";
        } catch (const std::runtime_error& e) {
          EXPECT_STREQ(e.what(), boom);
        }
        for (std::size_t i = 0; i < normal_tasks; ++i)
          ASSERT_TRUE(strategy->submit(Task{[&counts, i] { counts.record(i); }}).ok());
        EXPECT_FALSE(strategy->wait());
        EXPECT_EQ(counts.verify(), "") << "the strategy must keep working after the exception";
        break;
      }
      case OnException::first_error_from_wait: {
        ASSERT_TRUE(strategy->submit(Task{[] { throw std::runtime_error(boom); }}).ok());
        const std::exception_ptr error = strategy->wait();
        ASSERT_TRUE(error) << "declares first_error_from_wait but wait() returned no error";
        EXPECT_EQ(describe(error), boom);
        break;
      }
      case OnException::handler_called_continues:
      case OnException::stored_in_task_handle: {
        for (std::size_t k = 0; k < throwing_tasks; ++k)
          ASSERT_TRUE(strategy->submit(Task{[] { throw std::runtime_error(boom); }}).ok());
        for (std::size_t i = 0; i < normal_tasks; ++i)
          ASSERT_TRUE(strategy->submit(Task{[&counts, i] { counts.record(i); }}).ok());
        const std::exception_ptr error = strategy->wait();
        EXPECT_FALSE(error) << "declares " << to_string(declared)
                            << ": the error goes to the handler or handle, not wait(); got "
                            << describe(error);
        EXPECT_EQ(counts.verify(), "") << "the pool must keep working after a task threw";
        const StrategyCounters counters = strategy->counters();
        expect_counter_if_published(counters, "exceptions_handled", throwing_tasks);
        expect_counter_if_published(counters, "failed", throwing_tasks);
        break;
      }
      case OnException::terminates_process:
        break;  // handled above
    }
    strategy->shutdown();
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Optional capabilities: returned results and cancellation (Strategy::submit_for_result, Strategy::cancel).

// returns_results: the handle's outcome is there only once the task has run, and carries the task's exception
// where the strategy stores exceptions in the handle.
TEST_P(Conformance, ResultHandleDeliversTheTasksOutcome) {
  if (const std::string why = skip_reason(); !why.empty()) GTEST_SKIP() << why;
  with_time_limit([&] {
    auto strategy = make_strategy(info(), 2);
    for (int i = 0; i < 100; ++i) {
      std::atomic<int> value{0};
      ResultSubmission submission =
          strategy->submit_for_result(Task{[&value, i] { value.store(i + 1, std::memory_order_relaxed); }});
      ASSERT_TRUE(submission.submitted.ok()) << submission.submitted.message;
      ASSERT_TRUE(submission.outcome.valid());
      submission.outcome.get();
      ASSERT_EQ(value.load(std::memory_order_relaxed), i + 1) << "the outcome came before the task's value";
    }
    if (!traits().synchronous_submit) {
      // Not ready while the task is held (a synchronous submit returns only after its task ran).
      Gate gate;
      ResultSubmission held = strategy->submit_for_result(Task{[&gate] { gate.pass(); }});
      ASSERT_TRUE(held.submitted.ok()) << held.submitted.message;
      std::this_thread::sleep_for(20ms);  // sequencing only: the task is blocked on the gate
      EXPECT_EQ(held.outcome.wait_for(0s), std::future_status::timeout) << "ready before the task returned";
      gate.open();
      held.outcome.get();
    }
    // Kept until the strategy's threads are joined: the exception object is shared (reference-counted inside
    // libstdc++, which TSan does not see) with the handle's state, which a worker may free; released here,
    // after the join, the last reference goes on this thread.
    std::exception_ptr delivered;
    if (traits().on_exception == OnException::stored_in_task_handle) {
      ResultSubmission failing = strategy->submit_for_result(Task{[] { throw std::runtime_error(boom); }});
      ASSERT_TRUE(failing.submitted.ok()) << failing.submitted.message;
      try {
        failing.outcome.get();
        ADD_FAILURE() << "the task's exception did not come out of its outcome";
      } catch (const std::runtime_error& error) {
        delivered = std::current_exception();
        EXPECT_STREQ(error.what(), boom);
      }
    }
    EXPECT_FALSE(strategy->wait()) << "an exception delivered through a handle is not wait()'s";
    strategy->shutdown();
  });
}

// cancellation: with the one worker held by a running task, the tasks behind it (queued, or blocked in a
// synchronous submit) never run once cancel() returns; the running task finishes and wait() returns. Tasks
// go in through submit_for_result where the strategy returns results (pond and tunny bind only those to their
// context), through submit otherwise.
TEST_P(Conformance, CancelKeepsTasksThatHaveNotStartedFromStarting) {
  if (const std::string why = skip_reason(); !why.empty()) GTEST_SKIP() << why;
  with_time_limit([&] {
    auto strategy = make_strategy(info(), 1);
    Gate gate;
    std::atomic<bool> holder_started{false};
    std::atomic<bool> holder_finished{false};
    std::atomic<int> behind_ran{0};
    auto behind = [&] { return Task{[&behind_ran] { behind_ran.fetch_add(1); }}; };
    const bool with_handles = traits().returns_results;
    const bool synchronous = traits().synchronous_submit;
    std::jthread holder_submitter;
    auto submit_holder = [&] {
      return strategy->submit(Task{[&] {
        holder_started.store(true);
        gate.pass();
        holder_finished.store(true);
      }});
    };
    if (synchronous) {
      holder_submitter = std::jthread([&] { EXPECT_TRUE(submit_holder().ok()); });
    } else {
      ASSERT_TRUE(submit_holder().ok());
    }
    ASSERT_TRUE(eventually([&] { return holder_started.load(); }));

    constexpr int behind_count = 20;
    std::vector<std::future<void>> outcomes;
    if (synchronous) {
      // Callers blocked waiting for the held worker: cancel() must make them give up.
      constexpr int callers_count = 3;
      std::atomic<int> returned{0};
      std::atomic<int> refused{0};
      std::vector<std::jthread> callers;
      for (int i = 0; i < callers_count; ++i) {
        callers.emplace_back([&] {
          const bool ok = with_handles ? strategy->submit_for_result(behind()).submitted.ok()
                                       : strategy->submit(behind()).ok();
          if (!ok) refused.fetch_add(1);
          returned.fetch_add(1);
        });
      }
      std::this_thread::sleep_for(50ms);  // sequencing only: the callers wait for the worker (or, if not yet
                                          // there, find the context cancelled: the same outcome)
      ASSERT_TRUE(strategy->cancel());
      EXPECT_TRUE(eventually([&] { return returned.load() == callers_count; }))
          << "a caller waiting for a worker did not give up when the context was cancelled";
      gate.open();
      callers.clear();
      EXPECT_EQ(refused.load(), callers_count) << "a caller's submit succeeded after the cancellation";
    } else {
      for (int i = 0; i < behind_count; ++i) {
        if (with_handles) {
          ResultSubmission submission = strategy->submit_for_result(behind());
          ASSERT_TRUE(submission.submitted.ok()) << submission.submitted.message;
          outcomes.push_back(std::move(submission.outcome));
        } else {
          ASSERT_TRUE(strategy->submit(behind()).ok());
        }
      }
      ASSERT_TRUE(strategy->cancel());
      gate.open();
    }
    holder_submitter = {};   // joins
    (void)strategy->wait();  // what wait() returns after a cancellation is the design's (oneTBB: canceled)
    EXPECT_TRUE(holder_finished.load()) << "the running task did not finish";
    EXPECT_EQ(behind_ran.load(), 0) << "tasks that had not started ran after cancel()";
    for (auto& outcome : outcomes) EXPECT_THROW(outcome.get(), TaskCancelled);
    strategy->shutdown();
    EXPECT_EQ(behind_ran.load(), 0);
  });
}

// The other half of the declarations: a strategy that does not declare a capability refuses it, so that the
// report's capability table claims exactly what the strategy does.
TEST_P(Conformance, UndeclaredCapabilitiesAreRefused) {
  with_time_limit([&] {
    auto strategy = make_strategy(info(), 2);
    if (!traits().returns_results) {
      std::atomic<bool> ran{false};
      const ResultSubmission submission = strategy->submit_for_result(Task{[&ran] { ran.store(true); }});
      EXPECT_EQ(submission.submitted.status, SubmitStatus::error);
      EXPECT_FALSE(submission.outcome.valid());
      (void)strategy->wait();
      EXPECT_FALSE(ran.load()) << "a refused submit_for_result ran its task";
    }
    if (!traits().cancellation) {
      EXPECT_FALSE(strategy->cancel()) << "cancel() works but is not declared";
    }
    strategy->shutdown();
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Idle.

TEST_P(Conformance, AnIdleStrategyUsesNoCpu) {
  with_time_limit([&] {
    auto strategy = make_strategy(info(), 2);
    constexpr std::size_t tasks = 1000;
    std::atomic<std::size_t> ran{0};
    for (std::size_t i = 0; i < tasks; ++i)
      ASSERT_TRUE(strategy->submit(Task{[&ran] { ran.fetch_add(1); }}).ok());
    EXPECT_FALSE(strategy->wait());
    ASSERT_EQ(ran.load(), tasks);
    std::this_thread::sleep_for(100ms);  // let any spin-before-park phase end
    const double cpu_before = process_cpu_seconds();
    const auto wall_before = std::chrono::steady_clock::now();
    std::this_thread::sleep_for(500ms);
    const double cpu_used = process_cpu_seconds() - cpu_before;
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_before).count();
    // A bound on spinning, not a timing: one spinning thread alone would use about `wall` seconds.
    EXPECT_LT(cpu_used, 0.1 * wall) << "the idle strategy used " << cpu_used << " s of CPU in " << wall
                                    << " s: its threads spin instead of parking";
    strategy->shutdown();
  });
}

// Every row of the conformance table names a test of this suite, so the report's "verified" marks point at
// tests that run.
TEST(ConformanceTable, EveryRowNamesATestOfTheSuite) {
  std::set<std::string> tests;
  const auto* unit = ::testing::UnitTest::GetInstance();
  for (int i = 0; i < unit->total_test_suite_count(); ++i) {
    const auto* suite = unit->GetTestSuite(i);
    if (std::string(suite->name()) != "Strategies/Conformance") continue;
    for (int k = 0; k < suite->total_test_count(); ++k) {
      const std::string name = suite->GetTestInfo(k)->name();
      tests.insert(name.substr(0, name.find('/')));
    }
  }
  ASSERT_FALSE(tests.empty());
  for (const ConformanceCheck& check : conformance_checks)
    EXPECT_TRUE(tests.count(std::string(check.test))) << check.test;
}

INSTANTIATE_TEST_SUITE_P(Strategies, Conformance, ::testing::ValuesIn(strategies_under_test()), test_name);

}  // namespace
}  // namespace poolbench
