// lifo_stack's own API (ants' Pool and PoolWithFunc): LIFO hand-off to the most recently idle worker,
// non-blocking overload, max_blocking_tasks, expiry of idle workers, the exception handler, tune(), shutdown
// with blocked submitters, and a payload form that allocates nothing per call. Timings are never asserted;
// every test runs under a time limit.
#include "lifo_stack.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <latch>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "probe/alloc_counter.hpp"
#include "registry.hpp"
#include "strategy_test_support.hpp"

namespace poolbench {
namespace {

using namespace std::chrono_literals;
using namespace test_support;

LifoStackOptions options(std::size_t capacity) {
  LifoStackOptions result;
  result.capacity = capacity;
  result.expiry = std::chrono::hours(1);  // no expiry unless a test wants it
  return result;
}

TEST(LifoStack, HandsTheNextTaskToTheMostRecentlyIdleWorker) {
  with_time_limit([] {
    constexpr std::size_t workers = 3;
    LifoStackPool pool(options(workers));
    std::vector<std::thread::id> warm(workers);
    std::vector<Gate> release(workers);
    std::latch all_running(workers);
    for (std::size_t i = 0; i < workers; ++i) {
      ASSERT_TRUE(pool.submit([&, i] {
                        warm[i] = std::this_thread::get_id();
                        all_running.count_down();
                        release[i].pass();
                      })
                      .ok());
    }
    all_running.wait();
    ASSERT_EQ(std::set<std::thread::id>(warm.begin(), warm.end()).size(), workers);
    // Release in the order 0, 1, 2, each back on the stack before the next: the stack is (top first) 2, 1, 0.
    for (std::size_t i = 0; i < workers; ++i) {
      release[i].open();
      ASSERT_TRUE(eventually([&] { return pool.idle_workers() == i + 1; }));
    }
    // Tasks that hold their worker take the workers of tasks 2, 1, 0, in that order.
    std::vector<Gate> hold(workers);
    for (std::size_t k = 0; k < workers; ++k) {
      std::thread::id took;
      std::latch running(1);
      ASSERT_TRUE(pool.submit([&, k] {
                        took = std::this_thread::get_id();
                        running.count_down();
                        hold[k].pass();
                      })
                      .ok());
      running.wait();
      EXPECT_EQ(took, warm[workers - 1 - k]) << "task " << k;
    }
    for (auto& gate : hold) gate.open();
    pool.wait();
    // One task at a time, each after the previous one's worker is idle again: always the top of the stack.
    std::set<std::thread::id> sequential;
    for (int k = 0; k < 20; ++k) {
      ASSERT_TRUE(pool.submit([&sequential] { sequential.insert(std::this_thread::get_id()); }).ok());
      pool.wait();
    }
    EXPECT_EQ(sequential.size(), 1u) << "sequential tasks must all go to the top worker";
    EXPECT_EQ(pool.pool_counters().workers_created, workers);
  });
}

// Three workers made idle in the order 0, 1, 2, then tasks submitted one at a time, each after the previous
// one's worker is idle again: which warm worker ran each (its index), in order.
std::vector<std::size_t> workers_of_sequential_tasks(LifoStackOptions opts, std::size_t tasks) {
  constexpr std::size_t workers = 3;
  opts.capacity = workers;
  LifoStackPool pool(opts);
  std::vector<std::thread::id> warm(workers);
  std::vector<Gate> release(workers);
  std::latch all_running(workers);
  for (std::size_t i = 0; i < workers; ++i) {
    EXPECT_TRUE(pool.submit([&, i] {
                      warm[i] = std::this_thread::get_id();
                      all_running.count_down();
                      release[i].pass();
                    })
                    .ok());
  }
  all_running.wait();
  for (std::size_t i = 0; i < workers; ++i) {
    release[i].open();
    EXPECT_TRUE(eventually([&] { return pool.idle_workers() == i + 1; }));
  }
  std::vector<std::size_t> ran_on;
  for (std::size_t k = 0; k < tasks; ++k) {
    std::thread::id took;
    EXPECT_TRUE(pool.submit([&took] { took = std::this_thread::get_id(); }).ok());
    pool.wait();  // returns once the worker is back in the idle queue
    ran_on.push_back(static_cast<std::size_t>(std::find(warm.begin(), warm.end(), took) - warm.begin()));
  }
  EXPECT_EQ(pool.pool_counters().workers_created, workers) << "only the three warm workers may run tasks";
  return ran_on;
}

TEST(LifoStack, SequentialTasksReuseTheMostRecentlyIdleWorkerByDefaultAndTheLongestIdleWithPrealloc) {
  with_time_limit([] {
    EXPECT_EQ(workers_of_sequential_tasks(options(3), 6), (std::vector<std::size_t>{2, 2, 2, 2, 2, 2}))
        << "the stack: always its top";
    auto prealloc = options(3);
    prealloc.prealloc = true;
    EXPECT_EQ(workers_of_sequential_tasks(prealloc, 7), (std::vector<std::size_t>{0, 1, 2, 0, 1, 2, 0}))
        << "the loop queue: the longest idle worker, each in turn";
  });
}

// The idle queue's two forms on their own, with a stand-in worker whose time is a number: the purge's binary
// search finds the expired prefix in the stack and across the loop queue's wrap-around.
struct StampedWorker {
  int last_used = 0;
};

TEST(LifoStack, IdleQueueExpiresTheOldestPrefixInBothForms) {
  using lifo_stack_detail::IdleOrder;
  using lifo_stack_detail::IdleWorkerQueue;
  std::vector<StampedWorker> w(6);
  for (int i = 0; i < 6; ++i) w[static_cast<std::size_t>(i)].last_used = i;

  IdleWorkerQueue<StampedWorker> ring(IdleOrder::fifo_loop_queue, 4);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(ring.insert(&w[static_cast<std::size_t>(i)]));
  EXPECT_FALSE(ring.insert(&w[4])) << "K slots: a fifth idle worker does not fit (errQueueIsFull)";
  EXPECT_EQ(ring.detach(), &w[0]);
  EXPECT_EQ(ring.detach(), &w[1]);
  ASSERT_TRUE(ring.insert(&w[4]));  // the tail wraps to slot 0, then 1
  ASSERT_TRUE(ring.insert(&w[5]));
  std::vector<StampedWorker*> stale;
  ring.refresh(4, stale);  // stamped at or before 4: 2, 3 (slots 2, 3) and 4 (slot 0, past the wrap)
  EXPECT_EQ(stale, (std::vector<StampedWorker*>{&w[2], &w[3], &w[4]}));
  EXPECT_EQ(ring.size(), 1u);
  EXPECT_EQ(ring.removed(), 5u);
  EXPECT_EQ(ring.detach(), &w[5]);
  EXPECT_EQ(ring.detach(), nullptr);
  stale.clear();
  ring.refresh(100, stale);
  EXPECT_TRUE(stale.empty());

  IdleWorkerQueue<StampedWorker> stack(IdleOrder::lifo_stack, 0);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(stack.insert(&w[static_cast<std::size_t>(i)]));
  stack.refresh(1, stale);
  EXPECT_EQ(stale, (std::vector<StampedWorker*>{&w[0], &w[1]}));
  EXPECT_EQ(stack.detach(), &w[4]) << "the stack serves its top";
  stale.clear();
  stack.reset(stale);
  EXPECT_EQ(stale.size(), 2u);
  EXPECT_TRUE(stack.empty());
}

TEST(LifoStack, PreallocWorkersExpireAfterTheQueueWrapped) {
  with_time_limit([] {
    auto opts = options(3);
    opts.prealloc = true;
    opts.expiry = 50ms;
    LifoStackPool pool(opts);
    Gate gate;
    std::latch all_running(3);
    for (int i = 0; i < 3; ++i)
      ASSERT_TRUE(pool.submit([&] {
                        all_running.count_down();
                        gate.pass();
                      })
                      .ok());
    all_running.wait();
    gate.open();
    pool.wait();
    for (int k = 0; k < 4; ++k) {  // the head goes round the ring of three slots
      ASSERT_TRUE(pool.submit([] {}).ok());
      pool.wait();
    }
    ASSERT_TRUE(eventually([&] { return pool.running() == 0; })) << "idle workers never expired";
    EXPECT_EQ(pool.counters().extra.at("workers_expired"), 3.0);
    EXPECT_TRUE(pool.submit([] {}).ok());
    pool.wait();
    pool.tune(5);  // ignored with prealloc, as in ants
    EXPECT_EQ(pool.capacity(), 3u);
  });
}

TEST(LifoStack, DisablePurgeStartsNoPurgeThreadAndWorkersNeverExpire) {
  with_time_limit([] {
    const std::size_t threads_before = live_threads();
    auto opts = options(2);
    opts.expiry = 1ms;
    opts.disable_purge = true;
    LifoStackPool pool(opts);
    EXPECT_EQ(live_threads(), threads_before) << "no purge thread";
    Gate gate;
    std::latch both_running(2);
    for (int i = 0; i < 2; ++i)
      ASSERT_TRUE(pool.submit([&] {
                        both_running.count_down();
                        gate.pass();
                      })
                      .ok());
    both_running.wait();
    gate.open();
    pool.wait();
    std::this_thread::sleep_for(50ms);  // fifty expiry periods: with a purge, both would have expired
    EXPECT_EQ(pool.running(), 2u);
    EXPECT_EQ(pool.idle_workers(), 2u);
    EXPECT_EQ(pool.counters().extra.at("workers_expired"), 0.0);
    EXPECT_EQ(pool.counters().threads_created, 2u) << "two workers, no purge thread";
    EXPECT_EQ(live_threads(), threads_before + 2);
  });
}

TEST(LifoStack, UnlimitedPoolStartsAWorkerWheneverNoneIsIdleAndNeverRejects) {
  with_time_limit([] {
    auto opts = options(LifoStackOptions::unlimited);
    opts.nonblocking = true;  // would reject at any capacity
    LifoStackPool pool(opts);
    constexpr std::size_t tasks = 12;
    Gate gate;
    std::latch all_running(tasks);
    for (std::size_t i = 0; i < tasks; ++i)
      ASSERT_TRUE(pool.submit([&] {
                        all_running.count_down();
                        gate.pass();
                      })
                      .ok());
    all_running.wait();  // twelve tasks hold twelve workers at once
    EXPECT_EQ(pool.running(), tasks);
    gate.open();
    pool.wait();
    pool.tune(2);  // ignored for an unlimited pool, as in ants
    EXPECT_EQ(pool.capacity(), LifoStackOptions::unlimited);
    EXPECT_EQ(pool.counters().extra.at("rejected"), 0.0);
    auto prealloc = opts;
    prealloc.prealloc = true;
    EXPECT_THROW(LifoStackPool{prealloc}, std::invalid_argument) << "ants: ErrInvalidPreAllocSize";
  });
}

TEST(LifoStack, MaxBlockingTasksCountsEverySubmitterThatWaitsSpinningOrAsleep) {
  with_time_limit([] {
    auto opts = options(1);
    opts.max_blocking_tasks = 1;
    LifoStackPool pool(opts);
    Gate gate;
    ASSERT_TRUE(pool.submit([&] { gate.pass(); }).ok());
    // Eight submitters arrive at once at a full pool: one may wait, seven are rejected, whoever spins first.
    constexpr int submitters = 8;
    std::latch start(1);
    std::atomic<int> accepted{0};
    std::atomic<int> overloaded{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < submitters; ++i) {
      threads.emplace_back([&] {
        start.wait();
        const SubmitResult result = pool.submit([] {});
        (result.ok() ? accepted : overloaded).fetch_add(1);
      });
    }
    start.count_down();
    ASSERT_TRUE(eventually([&] { return overloaded.load() == submitters - 1; }))
        << overloaded.load() << " rejected: a submitter that spins must count against max_blocking_tasks";
    EXPECT_EQ(pool.waiting(), 1u);
    gate.open();
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(accepted.load(), 1);
    EXPECT_EQ(overloaded.load(), submitters - 1);
    pool.wait();
  });
}

TEST(LifoStack, NonBlockingSubmitAtCapacityIsOverloadedAndTheTaskNeverRuns) {
  with_time_limit([] {
    auto opts = options(2);
    opts.nonblocking = true;
    LifoStackPool pool(opts);
    Gate gate;
    std::atomic<int> ran{0};
    for (int i = 0; i < 2; ++i)
      ASSERT_TRUE(pool.submit([&] {
                        gate.pass();
                        ++ran;
                      })
                      .ok());
    std::atomic<bool> rejected_ran{false};
    const SubmitResult full = pool.submit([&] { rejected_ran = true; });
    EXPECT_EQ(full.status, SubmitStatus::overloaded) << full.message;
    gate.open();
    pool.wait();
    EXPECT_EQ(ran.load(), 2);
    EXPECT_FALSE(rejected_ran.load());
    EXPECT_EQ(pool.counters().extra.at("rejected"), 1.0);
    EXPECT_TRUE(pool.submit([&] { ++ran; }).ok()) << "room again after the workers came back";
    pool.wait();
    EXPECT_EQ(ran.load(), 3);
  });
}

TEST(LifoStack, MaxBlockingTasksRejectsOnceThatManySubmittersWait) {
  with_time_limit([] {
    auto opts = options(1);
    opts.max_blocking_tasks = 1;
    LifoStackPool pool(opts);
    Gate gate;
    std::atomic<int> ran{0};
    ASSERT_TRUE(pool.submit([&] {
                      gate.pass();
                      ++ran;
                    })
                    .ok());
    std::promise<SubmitResult> blocked_result;
    std::thread blocked([&] { blocked_result.set_value(pool.submit([&] { ++ran; })); });
    ASSERT_TRUE(eventually([&] { return pool.waiting() == 1; }));
    const SubmitResult second = pool.submit([&] { ++ran; });
    EXPECT_EQ(second.status, SubmitStatus::overloaded) << second.message;
    gate.open();
    blocked.join();
    EXPECT_TRUE(blocked_result.get_future().get().ok())
        << "the blocked submit resumes when the worker is back";
    pool.wait();
    EXPECT_EQ(ran.load(), 2);
    EXPECT_GE(pool.counters().extra.at("submit_blocked"), 1.0);
    EXPECT_EQ(pool.counters().extra.at("rejected"), 1.0);
  });
}

TEST(LifoStack, IdleWorkersExpireAndTheirThreadsAreJoined) {
  with_time_limit([] {
    const std::size_t threads_before = live_threads();
    auto opts = options(4);
    opts.expiry = 50ms;
    LifoStackPool pool(opts);
    Gate gate;
    std::latch all_running(4);
    for (int i = 0; i < 4; ++i)
      ASSERT_TRUE(pool.submit([&] {
                        all_running.count_down();
                        gate.pass();
                      })
                      .ok());
    all_running.wait();
    gate.open();
    pool.wait();
    ASSERT_TRUE(eventually([&] { return pool.running() == 0; })) << "idle workers never expired";
    EXPECT_EQ(pool.counters().extra.at("workers_expired"), 4.0);
    // The purge thread joins the exited workers on its next round: only the purge thread itself remains.
    EXPECT_TRUE(eventually([&] { return live_threads() == threads_before + 1; }))
        << live_threads() << " threads, expected " << threads_before + 1;
    std::atomic<bool> ran{false};
    ASSERT_TRUE(pool.submit([&] { ran = true; }).ok()) << "a pool whose workers expired starts new ones";
    pool.wait();
    EXPECT_TRUE(ran.load());
    EXPECT_EQ(pool.pool_counters().workers_created, 5u);
    EXPECT_EQ(pool.counters().threads_created, 6u) << "five workers and the purge thread";
  });
}

TEST(LifoStack, ExceptionHandlerIsCalledAndThePoolGoesOn) {
  with_time_limit([] {
    LifoStackPool pool(options(2));
    std::atomic<int> handled{0};
    std::string message;
    pool.set_exception_handler([&](std::exception_ptr error) {
      try {
        std::rethrow_exception(error);
      } catch (const std::runtime_error& e) {
        message = e.what();
      }
      ++handled;
    });
    ASSERT_TRUE(pool.submit([] { throw std::runtime_error("lifo boom"); }).ok());
    pool.wait();
    EXPECT_EQ(handled.load(), 1);
    EXPECT_EQ(message, "lifo boom");
    std::atomic<int> ran{0};
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(pool.submit([&] { ++ran; }).ok());
    EXPECT_FALSE(pool.wait());
    EXPECT_EQ(ran.load(), 100);
    EXPECT_EQ(pool.counters().extra.at("exceptions_handled"), 1.0);
  });
}

TEST(LifoStack, TuneGrowsWakingBlockedSubmittersAndShrinksAsWorkersFinish) {
  with_time_limit([] {
    LifoStackPool pool(options(1));
    Gate gate;
    std::latch three_running(3);
    ASSERT_TRUE(pool.submit([&] {
                      three_running.count_down();
                      gate.pass();
                    })
                    .ok());
    std::promise<SubmitResult> blocked_result;
    std::thread blocked([&] {
      blocked_result.set_value(pool.submit([&] {
        three_running.count_down();
        gate.pass();
      }));
    });
    ASSERT_TRUE(eventually([&] { return pool.waiting() == 1; }));
    pool.tune(3);
    blocked.join();
    EXPECT_TRUE(blocked_result.get_future().get().ok());
    ASSERT_TRUE(pool.submit([&] {
                      three_running.count_down();
                      gate.pass();
                    })
                    .ok());
    three_running.wait();  // three tasks hold three workers at once: the capacity grew
    EXPECT_EQ(pool.running(), 3u);
    EXPECT_EQ(pool.capacity(), 3u);
    pool.tune(1);
    gate.open();
    pool.wait();
    // Workers finishing over capacity exit instead of going idle. At most one stays; it can be none: as in
    // ants (revertWorker() checks Running() > Cap(), and a worker leaves Running only as it exits), workers
    // that finish at once can all see the pool over capacity and all exit (seen under ASan on a loaded
    // machine).
    EXPECT_LE(pool.running(), 1u) << "workers finishing over capacity exit instead of going idle";
    EXPECT_EQ(pool.idle_workers(), pool.running());
    pool.tune(0);  // ignored, as in ants
    EXPECT_EQ(pool.capacity(), 1u);
  });
}

TEST(LifoStack, ShutdownWakesBlockedSubmittersWithClosedAndLetsRunningTasksFinish) {
  with_time_limit([] {
    LifoStackPool pool(options(1));
    Gate gate;
    std::atomic<bool> first_done{false};
    std::atomic<bool> blocked_task_ran{false};
    ASSERT_TRUE(pool.submit([&] {
                      gate.pass();
                      first_done = true;
                    })
                    .ok());
    std::promise<SubmitResult> blocked_result;
    std::thread blocked([&] { blocked_result.set_value(pool.submit([&] { blocked_task_ran = true; })); });
    ASSERT_TRUE(eventually([&] { return pool.waiting() == 1; }));
    std::thread closer([&] { pool.shutdown(); });
    blocked.join();  // woken by shutdown before the running task finishes
    EXPECT_EQ(blocked_result.get_future().get().status, SubmitStatus::closed);
    gate.open();
    closer.join();
    EXPECT_TRUE(first_done.load()) << "shutdown lets an accepted task finish";
    EXPECT_FALSE(blocked_task_ran.load());
    EXPECT_EQ(pool.submit([] {}).status, SubmitStatus::closed);
  });
}

TEST(LifoStack, PayloadFormAndTaskFormAllocateNothingPerCall) {
  with_time_limit([] {
    constexpr std::size_t workers = 2;
    std::atomic<std::uint64_t> sum{0};
    Gate warm_gate;
    LifoStackFuncPool<std::uint64_t> func_pool(options(workers), [&](std::uint64_t& value) {
      if (value == 0) warm_gate.pass();
      sum.fetch_add(value, std::memory_order_relaxed);
    });
    LifoStackPool task_pool(options(workers));
    // Start all K workers of both pools first (starting a thread allocates): K calls that hold their worker.
    std::latch task_workers_running(workers);
    for (std::size_t i = 0; i < workers; ++i) {
      ASSERT_TRUE(task_pool
                      .submit([&] {
                        task_workers_running.count_down();
                        warm_gate.pass();
                      })
                      .ok());
      ASSERT_TRUE(func_pool.invoke(0).ok());
    }
    task_workers_running.wait();
    EXPECT_EQ(func_pool.running(), workers);
    warm_gate.open();
    func_pool.wait_idle();
    task_pool.wait();
    ASSERT_EQ(func_pool.counters().workers_created, workers);
    ASSERT_EQ(task_pool.pool_counters().workers_created, workers);

    // At capacity with no expiry no thread can start: what the window counts is per call.
    constexpr std::uint64_t calls = 20000;
    std::atomic<std::uint64_t> task_runs{0};
    probe::start_counting_allocations();
    for (std::uint64_t i = 1; i <= calls; ++i) {
      (void)func_pool.invoke(i);
      (void)task_pool.submit([&task_runs] { task_runs.fetch_add(1, std::memory_order_relaxed); });
    }
    func_pool.wait_idle();
    task_pool.wait();
    const probe::AllocationTotals counted = probe::stop_counting_allocations();
    EXPECT_EQ(sum.load(), calls * (calls + 1) / 2);
    EXPECT_EQ(task_runs.load(), calls);
    EXPECT_EQ(func_pool.counters().workers_created, workers);
    EXPECT_EQ(task_pool.pool_counters().workers_created, workers);
    EXPECT_EQ(counted.allocations, 0u) << counted.bytes << " bytes in " << 2 * calls << " calls";

    // The counter does count in this binary (so the zero above means something).
    probe::start_counting_allocations();
    auto one_allocation = std::make_unique<std::uint64_t>(1);
    EXPECT_GE(probe::stop_counting_allocations().allocations, 1u);
  });
}

TEST(LifoStack, RegisteredStrategyTakesItsParameters) {
  with_time_limit([] {
    const StrategyInfo* info = strategy_registry().find("lifo_stack");
    ASSERT_NE(info, nullptr);
    EXPECT_EQ(info->traits.queue_order, QueueOrder::lifo_idle_worker);
    Params params({{"nonblocking", "true"}, {"expiry_ms", "0.5"}});
    params.apply_defaults(info->params);
    auto strategy = info->make(StrategyConfig{1, params, {}});
    Gate gate;
    ASSERT_TRUE(strategy->submit([&] { gate.pass(); }).ok());
    EXPECT_EQ(strategy->submit([] {}).status, SubmitStatus::overloaded) << "nonblocking=true was not applied";
    gate.open();
    EXPECT_FALSE(strategy->wait());
    // expiry_ms=0.5: the idle worker expires soon.
    EXPECT_TRUE(eventually([&] { return strategy->counters().extra.at("workers_expired") == 1.0; }));
    strategy->shutdown();
    strategy->shutdown();  // idempotent
    EXPECT_EQ(strategy->submit([] {}).status, SubmitStatus::closed);
  });
}

}  // namespace
}  // namespace poolbench
