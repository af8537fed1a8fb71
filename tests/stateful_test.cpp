// stateful's own API (tunny): per-worker state built once on each worker's thread, process() returning the
// worker's result, timed and cancellable calls (the worker finishes, the result is dropped), callers served
// in arrival order, set_size() growing and shrinking, close(). Timings are never asserted; every test runs
// under a time limit.
#include "stateful.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <latch>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "probe/alloc_counter.hpp"
#include "registry.hpp"
#include "strategy_test_support.hpp"

namespace poolbench {
namespace {

using namespace std::chrono_literals;
using namespace test_support;

// A payload: a number, and optionally a gate the worker waits at before answering.
struct Job {
  int value = 0;
  const Gate* hold = nullptr;
};

// A worker with an identity (its per-worker state): answers value * 10 + id, records interrupts.
class NumberWorker final : public StatefulPool<Job, int>::Worker {
 public:
  NumberWorker(int id, std::atomic<int>& interrupts, std::vector<int>* order, std::mutex* order_mutex)
      : id_(id), interrupts_(interrupts), order_(order), order_mutex_(order_mutex) {}
  int process(Job& job) override {
    if (job.hold != nullptr) job.hold->pass();
    if (order_ != nullptr) {
      std::lock_guard lock(*order_mutex_);
      order_->push_back(job.value);
    }
    return job.value * 10 + id_;
  }
  void interrupt() override { interrupts_.fetch_add(1); }

 private:
  int id_;
  std::atomic<int>& interrupts_;
  std::vector<int>* order_;
  std::mutex* order_mutex_;
};

struct Fixture {
  std::atomic<int> constructed{0};
  std::atomic<int> interrupts{0};
  std::vector<int> order;
  std::mutex order_mutex;
  StatefulPool<Job, int>::Constructor constructor(bool record_order = false) {
    return [this, record_order] {
      return std::make_unique<NumberWorker>(constructed.fetch_add(1), interrupts,
                                            record_order ? &order : nullptr, &order_mutex);
    };
  }
};

TEST(Stateful, ProcessReturnsTheWorkersResult) {
  with_time_limit([] {
    Fixture fixture;
    StatefulPool<Job, int> pool(1, fixture.constructor());
    EXPECT_EQ(pool.process(Job{7}), 70);  // worker 0: 7 * 10 + 0
    EXPECT_EQ(pool.process(Job{8}), 80);
    EXPECT_EQ(fixture.constructed.load(), 1);
    EXPECT_EQ(pool.queue_length(), 0);
  });
}

TEST(Stateful, StateIsBuiltOncePerWorkerOnItsThreadAndSeenByItsTasks) {
  with_time_limit([] {
    struct CountedState : WorkerState {
      std::thread::id built_on = std::this_thread::get_id();
    };
    std::mutex mutex;
    std::set<const WorkerState*> states_built;
    const StrategyInfo* info = strategy_registry().find("stateful");
    ASSERT_NE(info, nullptr);
    ASSERT_TRUE(info->traits.worker_state);
    StrategyConfig config{3, {}, [&]() -> std::unique_ptr<WorkerState> {
                            auto state = std::make_unique<CountedState>();
                            std::lock_guard lock(mutex);
                            states_built.insert(state.get());
                            return state;
                          }};
    auto strategy = info->make(config);
    std::map<const WorkerState*, std::set<std::thread::id>> seen;  // state -> threads that ran with it
    std::atomic<int> wrong_thread{0};
    constexpr int producers = 3;
    constexpr int tasks_per_producer = 300;
    {
      std::vector<std::jthread> threads;
      for (int p = 0; p < producers; ++p) {
        threads.emplace_back([&] {
          for (int i = 0; i < tasks_per_producer; ++i) {
            ASSERT_TRUE(strategy
                            ->submit([&] {
                              auto* state = static_cast<CountedState*>(current_worker_state());
                              if (state == nullptr || state->built_on != std::this_thread::get_id())
                                ++wrong_thread;
                              std::lock_guard lock(mutex);
                              seen[state].insert(std::this_thread::get_id());
                            })
                            .ok());
          }
        });
      }
    }
    EXPECT_FALSE(strategy->wait());
    EXPECT_EQ(wrong_thread.load(), 0)
        << "a task ran without its worker's state, or not on the thread that built it";
    EXPECT_EQ(states_built.size(), 3u);
    for (const auto& [state, threads] : seen) {
      EXPECT_TRUE(states_built.count(state)) << "a task saw a state no worker built";
      EXPECT_EQ(threads.size(), 1u) << "one state, one worker thread";
    }
    EXPECT_EQ(strategy->counters().extra.at("worker_states_built"), 3.0);
    EXPECT_EQ(strategy->counters().threads_created, 3u);
    EXPECT_EQ(current_worker_state(), nullptr) << "nothing installed on the producer's thread";
    strategy->shutdown();
  });
}

TEST(Stateful, TimedProcessGivesUpWaitingForAWorker) {
  with_time_limit([] {
    Fixture fixture;
    StatefulPool<Job, int> pool(1, fixture.constructor());
    Gate gate;
    std::promise<int> held_result;
    std::thread holder([&] { held_result.set_value(pool.process(Job{1, &gate})); });
    ASSERT_TRUE(eventually([&] { return pool.queue_length() == 1 && pool.idle_workers() == 0; }));
    const auto timed = pool.process_timed(Job{2}, 20ms);
    EXPECT_EQ(timed.status, ProcessStatus::timed_out);
    EXPECT_FALSE(timed.result.has_value());
    EXPECT_EQ(fixture.interrupts.load(), 0) << "no worker was taken, none is interrupted";
    gate.open();
    holder.join();
    EXPECT_EQ(held_result.get_future().get(), 10);
    EXPECT_EQ(pool.process(Job{3}), 30);
  });
}

TEST(Stateful, TimedProcessGivesUpOnABusyWorkerWhichFinishesAndDropsTheResult) {
  with_time_limit([] {
    Fixture fixture;
    std::vector<int>& order = fixture.order;
    StatefulPool<Job, int> pool(1, fixture.constructor(/*record_order=*/true));
    Gate gate;
    const auto timed = pool.process_timed(Job{5, &gate}, 20ms);
    EXPECT_EQ(timed.status, ProcessStatus::timed_out);
    EXPECT_EQ(fixture.interrupts.load(), 1) << "tunny interrupts the worker of an abandoned call";
    gate.open();  // the worker finishes job 5; its result goes nowhere
    EXPECT_EQ(pool.process(Job{6}), 60) << "the next caller gets its own result, not the dropped one";
    std::lock_guard lock(fixture.order_mutex);
    EXPECT_EQ(order, (std::vector<int>{5, 6})) << "the abandoned job still ran to the end";
    EXPECT_EQ(pool.abandoned_calls(), 1u);
  });
}

TEST(Stateful, ProcessWithAStopTokenIsCancellable) {
  with_time_limit([] {
    Fixture fixture;
    StatefulPool<Job, int> pool(1, fixture.constructor());
    Gate gate;
    std::stop_source stop;
    std::promise<ProcessOutcome<int>> outcome;
    std::thread caller([&] { outcome.set_value(pool.process(Job{4, &gate}, stop.get_token())); });
    ASSERT_TRUE(eventually([&] { return pool.queue_length() == 1 && pool.idle_workers() == 0; }));
    stop.request_stop();
    caller.join();
    EXPECT_EQ(outcome.get_future().get().status, ProcessStatus::cancelled);
    EXPECT_EQ(fixture.interrupts.load(), 1);
    gate.open();
    EXPECT_EQ(pool.process(Job{9}), 90);
    // An uncancelled token behaves like plain process().
    std::stop_source unused;
    const auto done = pool.process(Job{2}, unused.get_token());
    ASSERT_TRUE(done.ok());
    EXPECT_EQ(*done.result, 20);
  });
}

TEST(Stateful, WaitingCallersAreServedInArrivalOrder) {
  with_time_limit([] {
    Fixture fixture;
    StatefulPool<Job, int> pool(1, fixture.constructor(/*record_order=*/true));
    Gate gate;
    std::thread holder([&] { (void)pool.process(Job{0, &gate}); });
    ASSERT_TRUE(eventually([&] { return pool.queue_length() == 1 && pool.idle_workers() == 0; }));
    std::vector<std::thread> callers;
    for (int k = 1; k <= 4; ++k) {
      callers.emplace_back([&pool, k] { EXPECT_EQ(pool.process(Job{k}), k * 10); });
      // Caller k is on the channel before caller k + 1 starts.
      ASSERT_TRUE(eventually([&] { return pool.waiting_callers() == static_cast<std::size_t>(k); }));
    }
    gate.open();
    holder.join();
    for (auto& caller : callers) caller.join();
    std::lock_guard lock(fixture.order_mutex);
    EXPECT_EQ(fixture.order, (std::vector<int>{0, 1, 2, 3, 4}));
  });
}

TEST(Stateful, SetSizeGrowsAndShrinksJoiningTheSurplus) {
  with_time_limit([] {
    const std::size_t threads_before = live_threads();
    Fixture fixture;
    StatefulPool<Job, int> pool(1, fixture.constructor());
    pool.set_size(3);
    EXPECT_EQ(pool.size(), 3u);
    EXPECT_EQ(fixture.constructed.load(), 3);
    EXPECT_EQ(pool.threads_created(), 3u);
    // Three calls held at once: three workers.
    Gate gate;
    std::vector<std::thread> callers;
    std::set<int> answers;
    std::mutex answers_mutex;
    for (int k = 0; k < 3; ++k) {
      callers.emplace_back([&] {
        const int answer = pool.process(Job{1, &gate});
        std::lock_guard lock(answers_mutex);
        answers.insert(answer);
      });
    }
    ASSERT_TRUE(eventually([&] { return pool.queue_length() == 3 && pool.idle_workers() == 0; }));
    // Shrinking while all are busy waits for the surplus workers to finish their job.
    std::thread shrinker([&] { pool.set_size(1); });
    gate.open();
    for (auto& caller : callers) caller.join();
    shrinker.join();
    EXPECT_EQ(answers, (std::set<int>{10, 11, 12})) << "three distinct workers answered";
    EXPECT_EQ(pool.size(), 1u);
    EXPECT_TRUE(eventually([&] { return live_threads() == threads_before + 1; }))
        << "the two surplus worker threads are joined";
    EXPECT_EQ(pool.process(Job{2}) / 10, 2);
    pool.close();
    EXPECT_TRUE(eventually([&] { return live_threads() == threads_before; }));
  });
}

TEST(Stateful, CloseWakesWaitingCallersAndLaterCallsReportClosed) {
  with_time_limit([] {
    Fixture fixture;
    StatefulPool<Job, int> pool(1, fixture.constructor());
    Gate gate;
    std::promise<int> held_result;
    std::thread holder([&] { held_result.set_value(pool.process(Job{3, &gate})); });
    ASSERT_TRUE(eventually([&] { return pool.queue_length() == 1 && pool.idle_workers() == 0; }));
    std::promise<ProcessOutcome<int>> waiting_outcome;
    std::thread waiting([&] { waiting_outcome.set_value(pool.process_timed(Job{4}, 60s)); });
    ASSERT_TRUE(eventually([&] { return pool.waiting_callers() == 1; }));
    std::thread closer([&] { pool.close(); });
    waiting.join();  // woken by close, while the worker is still busy
    EXPECT_EQ(waiting_outcome.get_future().get().status, ProcessStatus::closed);
    gate.open();
    holder.join();
    closer.join();
    EXPECT_EQ(held_result.get_future().get(), 30) << "a call in progress completes";
    EXPECT_THROW((void)pool.process(Job{1}), StatefulPoolClosed);
    EXPECT_EQ(pool.process_timed(Job{1}, 1s).status, ProcessStatus::closed);
    pool.close();  // idempotent
  });
}

TEST(Stateful, AConstructorThatThrowsFailsTheConstructionAndLeavesNoThread) {
  with_time_limit([] {
    const std::size_t threads_before = live_threads();
    std::atomic<int> calls{0};
    std::atomic<int> interrupts{0};
    auto constructor = [&]() -> std::unique_ptr<StatefulPool<Job, int>::Worker> {
      if (calls.fetch_add(1) == 1) throw std::runtime_error("no state today");
      return std::make_unique<NumberWorker>(0, interrupts, nullptr, nullptr);
    };
    EXPECT_THROW((StatefulPool<Job, int>(3, constructor)), std::runtime_error);
    EXPECT_TRUE(eventually([&] { return live_threads() == threads_before; }));
  });
}

TEST(Stateful, ProcessAllocatesNothingOnceTheWorkersExist) {
  with_time_limit([] {
    Fixture fixture;
    StatefulPool<Job, int> pool(2, fixture.constructor());
    constexpr int calls = 5000;
    std::atomic<long> sum{0};
    auto producer = [&] {
      for (int i = 0; i < calls; ++i) sum += pool.process(Job{i}) / 10;
    };
    {
      // Warm up with two callers, as measured below: the request channel's caller list and idle ring reach
      // the size two concurrent callers need before the count starts.
      std::thread warm(producer);
      producer();
      warm.join();
    }
    sum = 0;
    probe::start_counting_allocations();
    std::thread second(producer);  // two callers, so that callers also wait on the channel
    producer();
    second.join();
    const probe::AllocationTotals counted = probe::stop_counting_allocations();
    EXPECT_EQ(sum.load(), 2L * calls * (calls - 1) / 2);
    // Starting the second producer's thread is the only allocation allowed (std::thread's state).
    EXPECT_LE(counted.allocations, 1u) << counted.bytes << " bytes in " << 2 * calls << " calls";
  });
}

TEST(Stateful, SubmitIsSynchronousAndRunsOnAWorker) {
  with_time_limit([] {
    const StrategyInfo* info = strategy_registry().find("stateful");
    ASSERT_NE(info, nullptr);
    EXPECT_TRUE(info->traits.synchronous_submit);
    auto strategy = info->make(StrategyConfig{2, {}, {}});
    std::atomic<bool> ran{false};
    std::thread::id ran_on;
    ASSERT_TRUE(strategy
                    ->submit([&] {
                      ran_on = std::this_thread::get_id();
                      ran = true;
                    })
                    .ok());
    EXPECT_TRUE(ran.load()) << "submit returned before the task ran";
    EXPECT_NE(ran_on, std::this_thread::get_id());
    strategy->shutdown();
    EXPECT_EQ(strategy->submit([] {}).status, SubmitStatus::closed);
  });
}

TEST(StatefulDeathTest, AThrowingWorkerTerminatesTheProcess) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        auto strategy = strategy_registry().find("stateful")->make(StrategyConfig{1, {}, {}});
        (void)strategy->submit([] { throw std::runtime_error("tunny panic"); });
      },
      "stateful: a worker's process\\(\\) threw \\(tunny panic\\)");
}

}  // namespace
}  // namespace poolbench
