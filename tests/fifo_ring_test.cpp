// fifo_ring: the Vyukov ring itself (order, full, wrap-around, close) and the strategy's own behaviour
// (blocked submit released by a pop or by shutdown, exception handler, MPMC stress on a tiny ring). The
// conformance suite covers the Strategy contract.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <latch>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "exactly_once.hpp"
#include "fifo_ring.hpp"
#include "registry.hpp"
#include "strategy_test_support.hpp"
#include "support/bounded_task_ring.hpp"

namespace poolbench {
namespace {

using namespace std::chrono_literals;
using namespace test_support;

std::unique_ptr<FifoRingStrategy> make_ring(std::size_t workers, std::size_t capacity,
                                            bool nonblocking = false) {
  FifoRingStrategy::Options options;
  options.workers = workers;
  options.capacity = capacity;
  options.nonblocking = nonblocking;
  return std::make_unique<FifoRingStrategy>(options);
}

TEST(BoundedTaskRing, RoundsCapacityUpToAPowerOfTwo) {
  EXPECT_EQ(support::BoundedTaskRing(0).capacity(), 2u);
  EXPECT_EQ(support::BoundedTaskRing(1).capacity(), 2u);
  EXPECT_EQ(support::BoundedTaskRing(3).capacity(), 4u);
  EXPECT_EQ(support::BoundedTaskRing(1024).capacity(), 1024u);
  EXPECT_EQ(support::BoundedTaskRing(1025).capacity(), 2048u);
}

TEST(BoundedTaskRing, PopsInPushOrderAcrossManyLapsAndReportsFull) {
  support::BoundedTaskRing ring(4);
  std::vector<int> ran;
  int next_push = 0;
  int next_expected = 0;
  for (int lap = 0; lap < 50; ++lap) {
    // Fill to the brim, then one more must be refused without consuming the task.
    while (true) {
      const int value = next_push;
      Task task{[&ran, value] { ran.push_back(value); }};
      const auto pushed = ring.try_push(task);
      if (pushed == support::BoundedTaskRing::Push::full) {
        EXPECT_TRUE(static_cast<bool>(task)) << "a refused push must leave the task with the caller";
        break;
      }
      ASSERT_EQ(pushed, support::BoundedTaskRing::Push::pushed);
      EXPECT_FALSE(static_cast<bool>(task));
      ++next_push;
    }
    EXPECT_TRUE(ring.looks_full());
    EXPECT_EQ(ring.size_approx(), 4u);
    // Drain a varying number so that head and tail wrap at different offsets.
    const int drain = 1 + lap % 4;
    for (int i = 0; i < drain; ++i) {
      Task task;
      ASSERT_TRUE(ring.try_pop(task));
      task();
      ASSERT_EQ(ran.back(), next_expected++);
    }
  }
  Task task;
  while (ring.try_pop(task)) {
    task();
    ASSERT_EQ(ran.back(), next_expected++);
  }
  EXPECT_TRUE(ring.looks_empty());
  EXPECT_EQ(next_expected, next_push);
}

TEST(BoundedTaskRing, CloseRefusesPushesButKeepsWhatIsQueued) {
  support::BoundedTaskRing ring(8);
  int ran = 0;
  for (int i = 0; i < 3; ++i) {
    Task task{[&ran] { ++ran; }};
    ASSERT_EQ(ring.try_push(task), support::BoundedTaskRing::Push::pushed);
  }
  EXPECT_EQ(ring.close(), 3u);
  EXPECT_TRUE(ring.closed());
  Task late{[&ran] { ran += 100; }};
  EXPECT_EQ(ring.try_push(late), support::BoundedTaskRing::Push::closed);
  EXPECT_TRUE(static_cast<bool>(late));
  Task task;
  while (ring.try_pop(task)) task();
  EXPECT_EQ(ran, 3);
  EXPECT_EQ(ring.pushed_count(), 3u);
}

TEST(FifoRing, RegisteredWithTruthfulTraitsAndParameters) {
  const StrategyInfo* info = strategy_registry().find("fifo_ring");
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->traits.queue_order, QueueOrder::fifo);
  EXPECT_EQ(info->traits.when_full, WhenFull::blocks_or_rejects);
  EXPECT_EQ(info->traits.on_exception, OnException::handler_called_continues);
  Params params(std::map<std::string, std::string>{{"capacity", "3"}});
  params.apply_defaults(info->params);
  auto strategy = info->make(StrategyConfig{2, params, {}});
  EXPECT_EQ(strategy->counters().extra.at("ring_capacity"), 4.0);
  EXPECT_EQ(strategy->counters().threads_created, 2u);
}

TEST(FifoRing, ABlockedSubmitResumesInOrderWhenTheWorkerFreesASlot) {
  with_time_limit([] {
    auto pool = make_ring(1, 2);
    Gate gate;
    std::mutex order_mutex;
    std::vector<int> order;
    ASSERT_TRUE(pool->submit(Task{[&gate] { gate.pass(); }}).ok());
    std::atomic<int> submitted{0};
    std::jthread producer([&] {
      for (int i = 0; i < 64; ++i) {  // 32 laps of a 2-slot ring, blocking on almost every one
        ASSERT_TRUE(pool->submit(Task{[&, i] {
                          std::scoped_lock lock(order_mutex);
                          order.push_back(i);
                        }})
                        .ok());
        submitted.store(i + 1);
      }
    });
    // With the worker held, at most the ring's two slots (plus the one the worker may not have taken yet)
    // fill.
    std::this_thread::sleep_for(100ms);
    EXPECT_LE(submitted.load(), 3);
    gate.open();
    producer.join();
    EXPECT_FALSE(pool->wait());
    ASSERT_EQ(order.size(), 64u);
    for (int i = 0; i < 64; ++i) EXPECT_EQ(order[static_cast<std::size_t>(i)], i);
  });
}

TEST(FifoRing, NonBlockingModeRejectsAndCountsWhenEveryWorkerIsBusy) {
  with_time_limit([] {
    // ants' rule: with K=2 workers busy, the next submit is rejected although the ring has free slots.
    auto pool = make_ring(2, 4, /*nonblocking=*/true);
    Gate gate;
    std::atomic<int> ran{0};
    int accepted = 0;
    int rejected = 0;
    for (int i = 0; i < 20; ++i) {
      const SubmitResult result = pool->submit(Task{[&] {
        gate.pass();
        ran.fetch_add(1);
      }});
      if (result.ok()) {
        ++accepted;
      } else {
        EXPECT_EQ(result.status, SubmitStatus::overloaded);
        EXPECT_NE(result.message.find("all 2 workers are busy"), std::string::npos) << result.message;
        ++rejected;
      }
    }
    EXPECT_EQ(accepted, 2) << "one task per worker, none waiting in the ring";
    EXPECT_EQ(rejected, 18);
    EXPECT_EQ(pool->counters().extra.at("rejected"), static_cast<double>(rejected));
    gate.open();
    EXPECT_FALSE(pool->wait());
    EXPECT_EQ(ran.load(), accepted);
    EXPECT_TRUE(pool->submit(Task{[&] { ran.fetch_add(1); }}).ok()) << "room again once a worker is free";
    EXPECT_FALSE(pool->wait());
    EXPECT_EQ(ran.load(), accepted + 1);
  });
}

TEST(FifoRing, ShutdownReleasesABlockedSubmitterWithClosedAndDrains) {
  with_time_limit([] {
    auto pool = make_ring(1, 2);
    Gate gate;
    std::atomic<int> ran{0};
    std::vector<SubmitStatus> statuses;
    std::atomic<bool> blocked_returned{false};
    std::jthread producer([&] {
      for (int i = 0; i < 10; ++i) {
        statuses.push_back(pool->submit(Task{[&] {
                                 gate.pass();
                                 ran.fetch_add(1);
                               }})
                               .status);
        if (statuses.back() != SubmitStatus::ok) break;
      }
      blocked_returned.store(true);
    });
    std::this_thread::sleep_for(100ms);  // the producer is now blocked on the full ring
    std::jthread stopper([&] { pool->shutdown(); });
    while (!blocked_returned.load()) std::this_thread::sleep_for(1ms);  // closing must release it
    gate.open();
    stopper.join();
    producer.join();
    ASSERT_FALSE(statuses.empty());
    EXPECT_EQ(statuses.back(), SubmitStatus::closed);
    const auto accepted = static_cast<int>(std::count(statuses.begin(), statuses.end(), SubmitStatus::ok));
    EXPECT_EQ(ran.load(), accepted) << "every accepted task runs before shutdown returns";
  });
}

TEST(FifoRing, TheExceptionHandlerIsCalledAndThePoolGoesOn) {
  with_time_limit([] {
    auto pool = make_ring(2, 64);
    // Without a handler the first exception is kept.
    ASSERT_TRUE(pool->submit(Task{[] { throw std::runtime_error("first"); }}).ok());
    EXPECT_FALSE(pool->wait());
    ASSERT_TRUE(pool->first_exception());
    std::mutex seen_mutex;
    std::vector<std::string> seen;
    pool->set_exception_handler([&](std::exception_ptr error) {
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        std::scoped_lock lock(seen_mutex);
        seen.emplace_back(e.what());
      }
    });
    std::atomic<int> ran{0};
    for (int i = 0; i < 10; ++i) {
      ASSERT_TRUE(pool->submit(Task{[] { throw std::runtime_error("handled"); }}).ok());
      ASSERT_TRUE(pool->submit(Task{[&ran] { ran.fetch_add(1); }}).ok());
    }
    EXPECT_FALSE(pool->wait());
    EXPECT_EQ(ran.load(), 10);
    EXPECT_EQ(seen, std::vector<std::string>(10, "handled"));
    EXPECT_EQ(pool->counters().extra.at("exceptions_handled"), 11.0);
  });
}

TEST(FifoRing, ManyProducersAndWorkersOnATinyRingRunEveryTaskOnce) {
  with_time_limit([] {
    constexpr std::size_t tasks = test_support::under_sanitizer ? 20'000 : 400'000;
    constexpr std::size_t producers = 4;
    auto pool = make_ring(3, 8);
    ExactlyOnceLedger ledger(tasks);
    {
      std::latch start(1);
      std::vector<std::jthread> threads;
      for (std::size_t p = 0; p < producers; ++p) {
        threads.emplace_back([&, p] {
          start.wait();
          for (std::size_t i = p; i < tasks; i += producers)
            ASSERT_TRUE(pool->submit(Task{[&ledger, i] { ledger.record(i); }}).ok());
        });
      }
      start.count_down();
    }
    EXPECT_FALSE(pool->wait());
    EXPECT_EQ(ledger.verify(), "");
  });
}

}  // namespace
}  // namespace poolbench
