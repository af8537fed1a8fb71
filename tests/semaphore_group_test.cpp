// semaphore_group (errgroup with SetLimit) and WeightedSemaphore (x/sync/semaphore.Weighted): the limit
// bounds concurrency with a new thread per task, TryGo fails without running the task, the first error is
// returned by wait() and cancels the group's stop token, the weighted form acquires task_weight units; the
// semaphore serves waiters FIFO without barging and its acquire is cancellable. Timings are never asserted;
// every test runs under a time limit.
#include "semaphore_group.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <latch>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/fiber/operations.hpp>

#include "registry.hpp"
#include "strategy_test_support.hpp"
#include "support/fiber_runtime.hpp"
#include "weighted_semaphore.hpp"

namespace poolbench {
namespace {

using namespace std::chrono_literals;
using namespace test_support;

// Tracks how many tasks run at once.
class Concurrency {
 public:
  void enter() {
    const int now = ++current_;
    int seen = peak_.load();
    while (now > seen && !peak_.compare_exchange_weak(seen, now)) {
    }
  }
  void leave() { --current_; }
  int peak() const { return peak_.load(); }

 private:
  std::atomic<int> current_{0};
  std::atomic<int> peak_{0};
};

std::string what(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  }
}

SemaphoreGroup::Options counting(std::size_t limit) {
  SemaphoreGroup::Options options;
  options.limit = limit;
  return options;
}

TEST(SemaphoreGroup, LimitBoundsConcurrencyWithANewThreadPerTask) {
  with_time_limit([] {
    SemaphoreGroup group(counting(3));
    Concurrency concurrency;
    std::atomic<int> ran{0};
    constexpr int tasks = 30;
    for (int i = 0; i < tasks; ++i) {
      ASSERT_TRUE(group
                      .go([&] {
                        concurrency.enter();
                        std::this_thread::sleep_for(1ms);
                        concurrency.leave();
                        ++ran;
                      })
                      .ok());
    }
    EXPECT_FALSE(group.wait());
    EXPECT_EQ(ran.load(), tasks);
    EXPECT_LE(concurrency.peak(), 3);
    const StrategyCounters counters = group.counters();
    EXPECT_EQ(counters.threads_created, static_cast<std::uint64_t>(tasks))
        << "errgroup never reuses a goroutine";
    EXPECT_GE(counters.extra.at("submit_blocked"), 1.0) << "30 tasks of 1 ms on 3 slots must have waited";
  });
}

// spawn=fiber: the limit still bounds concurrency, though each task suspends its fiber (a fiber-aware sleep)
// and so frees its scheduler thread for the next one; every task is a fiber, and the only threads started are
// the runtime's, one per core whatever K is.
TEST(SemaphoreGroupFiber, LimitBoundsConcurrencyWithAFiberPerTaskAndNoThreadPerTask) {
  if (under_sanitizer) GTEST_SKIP() << fiber_sanitizer_exclusion;
  with_time_limit([] {
    const std::size_t threads_before = live_threads();
    SemaphoreGroup::Options options = counting(3);
    options.fibers = true;
    SemaphoreGroup group(options);
    Concurrency concurrency;
    std::atomic<int> ran{0};
    std::atomic<std::size_t> most_threads{0};
    constexpr int tasks = 300;
    for (int i = 0; i < tasks; ++i) {
      ASSERT_TRUE(group
                      .go([&] {
                        concurrency.enter();
                        const std::size_t now = live_threads();
                        std::size_t most = most_threads.load();
                        while (now > most && !most_threads.compare_exchange_weak(most, now)) {
                        }
                        boost::this_fiber::sleep_for(200us);
                        concurrency.leave();
                        ++ran;
                      })
                      .ok());
    }
    EXPECT_FALSE(group.wait());
    EXPECT_EQ(ran.load(), tasks);
    EXPECT_LE(concurrency.peak(), 3);
    const StrategyCounters counters = group.counters();
    EXPECT_EQ(counters.threads_created, support::FiberRuntime::cores());
    EXPECT_EQ(counters.extra.at("fibers_started"), static_cast<double>(tasks));
    EXPECT_LE(most_threads.load(), threads_before + support::FiberRuntime::cores());
    EXPECT_GE(counters.extra.at("submit_blocked"), 1.0) << "300 tasks of 200 us on 3 slots must have waited";
    group.shutdown();
    EXPECT_EQ(live_threads_settled(threads_before), threads_before);
  });
}

TEST(SemaphoreGroupFiber, TheWeightedLimiterIsRefused) {
  SemaphoreGroup::Options options = counting(2);
  options.limiter = SemaphoreGroup::Limiter::weighted;
  options.fibers = true;
  EXPECT_THROW(SemaphoreGroup{options}, std::invalid_argument);
}

TEST(SemaphoreGroup, TryGoFailsWhenAllSlotsAreTakenAndTheTaskNeverRuns) {
  with_time_limit([] {
    SemaphoreGroup group(counting(2));
    Gate gate;
    std::atomic<int> ran{0};
    ASSERT_TRUE(group
                    .try_go([&] {
                      gate.pass();
                      ++ran;
                    })
                    .ok());
    ASSERT_TRUE(group
                    .try_go([&] {
                      gate.pass();
                      ++ran;
                    })
                    .ok());
    std::atomic<bool> refused_ran{false};
    const SubmitResult refused = group.try_go([&] { refused_ran = true; });
    EXPECT_EQ(refused.status, SubmitStatus::overloaded) << refused.message;
    gate.open();
    EXPECT_FALSE(group.wait());
    EXPECT_EQ(ran.load(), 2);
    EXPECT_FALSE(refused_ran.load());
    EXPECT_TRUE(group.try_submit([&] { ++ran; }).ok()) << "slots are free again";
    EXPECT_FALSE(group.wait());
    EXPECT_EQ(ran.load(), 3);
    EXPECT_EQ(group.counters().extra.at("rejected"), 1.0);
  });
}

TEST(SemaphoreGroup, TheFirstErrorIsReturnedByWaitAndCancelsTheGroup) {
  with_time_limit([] {
    SemaphoreGroup group(counting(4));
    const std::stop_token context = group.stop_token();
    EXPECT_FALSE(context.stop_requested());
    std::atomic<bool> saw_cancel{false};
    ASSERT_TRUE(group
                    .go([&] {
                      // A long task that honours the group's context (as ctx.Done() in Go).
                      while (!group.stop_token().stop_requested()) std::this_thread::sleep_for(1ms);
                      saw_cancel = true;
                    })
                    .ok());
    ASSERT_TRUE(group.go([] { throw std::runtime_error("first"); }).ok());
    ASSERT_TRUE(eventually([&] { return context.stop_requested(); }))
        << "the first error cancels the context";
    ASSERT_TRUE(group.go([] { throw std::runtime_error("second"); }).ok());
    std::atomic<bool> later_ran{false};
    ASSERT_TRUE(group.go([&] { later_ran = group.stop_token().stop_requested(); }).ok())
        << "errgroup keeps accepting after an error";
    const std::exception_ptr error = group.wait();
    ASSERT_TRUE(error);
    EXPECT_EQ(what(error), "first");
    EXPECT_TRUE(saw_cancel.load());
    EXPECT_TRUE(later_ran.load()) << "a task started after the error sees the cancelled context";
    EXPECT_EQ(group.counters().extra.at("failed"), 2.0);
    EXPECT_EQ(what(group.wait()), "first") << "the first error stays";
  });
}

TEST(SemaphoreGroup, WaitCancelsTheContextAsGoDoes) {
  with_time_limit([] {
    SemaphoreGroup group(counting(2));
    ASSERT_TRUE(group.go([] {}).ok());
    EXPECT_FALSE(group.wait());
    EXPECT_TRUE(group.stop_token().stop_requested());
  });
}

TEST(SemaphoreGroup, WeightedLimiterTakesTaskWeightUnitsPerTask) {
  with_time_limit([] {
    const StrategyInfo* info = strategy_registry().find("semaphore_group");
    ASSERT_NE(info, nullptr);
    Params params({{"semaphore", "weighted"}, {"task_weight", "2"}});
    params.apply_defaults(info->params);
    auto strategy = info->make(StrategyConfig{4, params, {}});
    Concurrency concurrency;
    std::atomic<int> ran{0};
    for (int i = 0; i < 20; ++i) {
      ASSERT_TRUE(strategy
                      ->submit([&] {
                        concurrency.enter();
                        std::this_thread::sleep_for(1ms);
                        concurrency.leave();
                        ++ran;
                      })
                      .ok());
    }
    EXPECT_FALSE(strategy->wait());
    EXPECT_EQ(ran.load(), 20);
    EXPECT_LE(concurrency.peak(), 2) << "4 units, 2 per task";
    strategy->shutdown();

    Params too_heavy({{"semaphore", "weighted"}, {"task_weight", "5"}});
    too_heavy.apply_defaults(info->params);
    EXPECT_THROW((void)info->make(StrategyConfig{4, too_heavy, {}}), std::invalid_argument);
  });
}

TEST(SemaphoreGroup, NonblockingParameterMakesSubmitTryGo) {
  with_time_limit([] {
    const StrategyInfo* info = strategy_registry().find("semaphore_group");
    ASSERT_NE(info, nullptr);
    for (const char* limiter : {"counting", "weighted"}) {
      Params params({{"nonblocking", "true"}, {"semaphore", limiter}});
      params.apply_defaults(info->params);
      auto strategy = info->make(StrategyConfig{1, params, {}});
      Gate gate;
      ASSERT_TRUE(strategy->submit([&] { gate.pass(); }).ok());
      EXPECT_EQ(strategy->submit([] {}).status, SubmitStatus::overloaded) << limiter;
      gate.open();
      EXPECT_FALSE(strategy->wait());
      strategy->shutdown();
      EXPECT_EQ(strategy->submit([] {}).status, SubmitStatus::closed) << limiter;
    }
  });
}

TEST(SemaphoreGroup, ShutdownCancelsABlockedWeightedSubmit) {
  with_time_limit([] {
    SemaphoreGroup::Options options;
    options.limit = 1;
    options.limiter = SemaphoreGroup::Limiter::weighted;
    SemaphoreGroup group(options);
    Gate gate;
    ASSERT_TRUE(group.go([&] { gate.pass(); }).ok());
    std::promise<SubmitResult> blocked_result;
    std::atomic<bool> blocked_ran{false};
    std::thread blocked([&] { blocked_result.set_value(group.go([&] { blocked_ran = true; })); });
    ASSERT_TRUE(eventually([&] { return group.counters().extra.at("submit_blocked") == 1.0; }));
    std::thread closer([&] { group.shutdown(); });
    blocked.join();  // released by shutdown while the running task still holds the unit
    EXPECT_EQ(blocked_result.get_future().get().status, SubmitStatus::closed);
    gate.open();
    closer.join();
    EXPECT_FALSE(blocked_ran.load());
  });
}

// --- WeightedSemaphore on its own
// ----------------------------------------------------------------------------

TEST(WeightedSemaphore, AcquiresAndReleasesUnits) {
  WeightedSemaphore semaphore(4);
  EXPECT_TRUE(semaphore.try_acquire(3));
  EXPECT_FALSE(semaphore.try_acquire(2));
  EXPECT_TRUE(semaphore.try_acquire(1));
  EXPECT_EQ(semaphore.available(), 0);
  semaphore.release(4);
  EXPECT_EQ(semaphore.available(), 4);
  EXPECT_THROW(semaphore.release(1), std::logic_error);
  EXPECT_THROW(WeightedSemaphore(0), std::invalid_argument);
}

TEST(WeightedSemaphore, WaitersAreServedInOrderWithoutBarging) {
  with_time_limit([] {
    WeightedSemaphore semaphore(4);
    ASSERT_TRUE(semaphore.acquire(4));
    std::mutex order_mutex;
    std::vector<char> granted;
    auto waiter = [&](char name, std::int64_t units) {
      return std::thread([&, name, units] {
        ASSERT_TRUE(semaphore.acquire(units));
        std::lock_guard lock(order_mutex);
        granted.push_back(name);
      });
    };
    std::thread big = waiter('A', 3);  // first in line
    ASSERT_TRUE(eventually([&] { return semaphore.waiters() == 1; }));
    std::thread small = waiter('B', 1);  // behind A
    ASSERT_TRUE(eventually([&] { return semaphore.waiters() == 2; }));

    semaphore.release(1);  // 1 free: enough for B, but A is first and B must not skip ahead
    EXPECT_FALSE(semaphore.try_acquire(1)) << "try_acquire barged past waiters";
    EXPECT_EQ(semaphore.waiters(), 2u) << "release skipped the front waiter";
    semaphore.release(2);  // 3 free: A
    ASSERT_TRUE(eventually([&] { return semaphore.waiters() == 1; }));
    EXPECT_EQ(semaphore.available(), 0);
    // A was granted; let it record that before B can be, so the recorded order is the grant order.
    ASSERT_TRUE(eventually([&] {
      std::lock_guard lock(order_mutex);
      return granted.size() == 1;
    }));
    semaphore.release(1);  // B
    big.join();
    small.join();
    EXPECT_EQ(granted, (std::vector<char>{'A', 'B'}));
    EXPECT_EQ(semaphore.available(), 0);
    semaphore.release(4);
    EXPECT_EQ(semaphore.available(), 4);
  });
}

TEST(WeightedSemaphore, ACancelledAcquireLeavesTheSemaphoreUnchanged) {
  with_time_limit([] {
    WeightedSemaphore semaphore(2);
    ASSERT_TRUE(semaphore.acquire(2));
    std::stop_source stop;
    std::promise<bool> acquired;
    std::thread waiting([&] { acquired.set_value(semaphore.acquire(1, stop.get_token())); });
    ASSERT_TRUE(eventually([&] { return semaphore.waiters() == 1; }));
    stop.request_stop();
    waiting.join();
    EXPECT_FALSE(acquired.get_future().get());
    EXPECT_EQ(semaphore.waiters(), 0u);
    EXPECT_EQ(semaphore.available(), 0);
    semaphore.release(2);
    EXPECT_EQ(semaphore.available(), 2);
  });
}

TEST(WeightedSemaphore, CancellingTheFrontWaiterServesTheOnesBehindIt) {
  with_time_limit([] {
    WeightedSemaphore semaphore(4);
    ASSERT_TRUE(semaphore.acquire(3));  // 1 free
    std::stop_source stop_front;
    std::promise<bool> front;
    std::thread front_waiter([&] { front.set_value(semaphore.acquire(2, stop_front.get_token())); });
    ASSERT_TRUE(eventually([&] { return semaphore.waiters() == 1; }));
    std::promise<bool> behind;
    std::thread behind_waiter([&] { behind.set_value(semaphore.acquire(1)); });
    ASSERT_TRUE(eventually([&] { return semaphore.waiters() == 2; }));
    stop_front.request_stop();
    front_waiter.join();
    behind_waiter.join();  // the free unit goes to it once the front waiter left
    EXPECT_FALSE(front.get_future().get());
    EXPECT_TRUE(behind.get_future().get());
    EXPECT_EQ(semaphore.available(), 0);
  });
}

TEST(WeightedSemaphore, ARequestLargerThanTheSizeWaitsForCancellation) {
  with_time_limit([] {
    WeightedSemaphore semaphore(2);
    std::stop_source stop;
    std::promise<bool> acquired;
    std::thread waiting([&] { acquired.set_value(semaphore.acquire(3, stop.get_token())); });
    std::this_thread::sleep_for(20ms);
    EXPECT_TRUE(semaphore.try_acquire(1)) << "a doomed request must not make others queue";
    stop.request_stop();
    waiting.join();
    EXPECT_FALSE(acquired.get_future().get());
    EXPECT_THROW((void)semaphore.acquire(3), std::invalid_argument)
        << "no way to cancel: refuse instead of hang";
  });
}

}  // namespace
}  // namespace poolbench
