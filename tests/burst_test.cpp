// The burst workload's accounting against known answers: Jain's index on known vectors, per-worker counts
// from workers whose assignment the test decides, churn counted from threads whose exits the test orders,
// and the schedule's order (a burst starts only after the previous one finished). Short sleeps only: bursts
// of a few tasks, gaps under a millisecond.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "burst.hpp"
#include "cli_support.hpp"
#include "metrics/catalogue.hpp"
#include "registry.hpp"

namespace poolbench {
namespace {

namespace metric = metrics::name;

TEST(JainFairnessIndex, KnownVectors) {
  EXPECT_DOUBLE_EQ(jain_fairness_index(std::vector<double>{5, 5, 5, 5}), 1.0);
  EXPECT_DOUBLE_EQ(jain_fairness_index(std::vector<double>{8, 0, 0, 0}), 0.25);  // 1/n: one did it all
  EXPECT_DOUBLE_EQ(jain_fairness_index(std::vector<double>{1, 2, 3}), 36.0 / 42.0);
  EXPECT_DOUBLE_EQ(jain_fairness_index(std::vector<double>{9, 3}), 144.0 / 180.0);
  EXPECT_DOUBLE_EQ(jain_fairness_index(std::vector<double>{7}), 1.0);
  EXPECT_DOUBLE_EQ(jain_fairness_index(std::vector<double>{}), 0.0);
  EXPECT_DOUBLE_EQ(jain_fairness_index(std::vector<double>{0, 0}), 0.0);
}

// Threads whose task assignment the test decides: the n-th submitted task goes to worker assign(n), each
// worker a thread with its own FIFO queue.
class AssigningWorkers {
 public:
  AssigningWorkers(std::size_t workers, std::function<std::size_t(std::size_t)> assign)
      : assign_(std::move(assign)), queues_(workers) {
    for (std::size_t w = 0; w < workers; ++w) threads_.emplace_back([this, w] { work(w); });
  }
  ~AssigningWorkers() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    changed_.notify_all();
    threads_.clear();  // joins
  }
  void submit(std::function<void()> task) {
    {
      std::lock_guard lock(mutex_);
      queues_[assign_(submitted_++)].push_back(std::move(task));
      ++outstanding_;
    }
    changed_.notify_all();
  }
  void wait() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return outstanding_ == 0; });
  }

 private:
  void work(std::size_t w) {
    std::unique_lock lock(mutex_);
    for (;;) {
      changed_.wait(lock, [&] { return stopping_ || !queues_[w].empty(); });
      if (queues_[w].empty()) return;
      auto task = std::move(queues_[w].front());
      queues_[w].pop_front();
      lock.unlock();
      task();
      lock.lock();
      --outstanding_;
      changed_.notify_all();
    }
  }

  std::function<std::size_t(std::size_t)> assign_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::deque<std::function<void()>>> queues_;
  std::size_t submitted_ = 0;
  std::size_t outstanding_ = 0;
  bool stopping_ = false;
  std::vector<std::jthread> threads_;  // last: joined before the queues go
};

BurstOptions small_bursts() {
  return BurstOptions{
      .burst_tasks = 4, .short_gap_ms = 0.2, .long_gap_ms = 0.5, .task_us = 20, .spacing_us = 10, .seed = 7};
}

TEST(BurstWorkload, CountsTasksPerWorkerAsTheWorkersRanThem) {
  BurstWorkload workload(small_bursts());
  constexpr std::size_t tasks = 12;  // three bursts: no gap, a short one, a long one
  workload.prepare(tasks);
  ASSERT_EQ(workload.bursts(), 3u);
  {
    // Every fourth task to worker 1, the rest to worker 0: 9 and 3 tasks.
    AssigningWorkers workers(2, [](std::size_t n) { return n % 4 == 0 ? 1u : 0u; });
    for (std::size_t i = 0; i < tasks; ++i) {
      workload.before_submit(i);
      workers.submit([&workload, i] { workload.run(i); });
    }
    workers.wait();
  }
  ASSERT_EQ(workload.verify(), "");
  for (std::size_t i = 0; i < tasks; ++i) {
    EXPECT_EQ(workload.worker_of(i), workload.worker_of(i % 4 == 0 ? 0 : 1)) << "task " << i;
    EXPECT_NE(workload.worker_of(i), 0u);
  }
  EXPECT_NE(workload.worker_of(0), workload.worker_of(1));
  const auto counters = workload.counters();
  EXPECT_EQ(counters.at(metric::worker_threads_used), 2);
  EXPECT_EQ(counters.at(metric::tasks_per_worker_max), 9);
  EXPECT_EQ(counters.at(metric::tasks_per_worker_min), 3);
  EXPECT_DOUBLE_EQ(counters.at(metric::busiest_worker_share), 0.75);
  EXPECT_DOUBLE_EQ(counters.at(metric::worker_fairness_jain), 0.8);  // (9 + 3)^2 / (2 (81 + 9))
  // Each burst: 3 and 1 tasks, (3 + 1)^2 / (2 (9 + 1)).
  EXPECT_DOUBLE_EQ(counters.at(metric::worker_fairness_jain_per_burst), 0.8);
  EXPECT_EQ(counters.at(metric::worker_exits_during_run), 0);  // both exited after the last task
  // One wait after each gap, each kind once.
  EXPECT_TRUE(counters.contains(metric::first_after_short_gap_wait_ns));
  EXPECT_TRUE(counters.contains(metric::first_after_long_gap_wait_ns));
  // Every counter the workload writes is in the catalogue.
  for (const auto& [name, value] : counters) EXPECT_NE(metrics::find(name), nullptr) << name;
}

// A worker alive but given nothing in a burst counts in that burst's index with 0 tasks.
TEST(BurstWorkload, AnIdleWorkerCountsAsStarvedInTheBurstsItSitsOut) {
  BurstWorkload workload(small_bursts());
  constexpr std::size_t tasks = 12;
  workload.prepare(tasks);
  {
    // Burst 0 alternates between the two workers; bursts 1 and 2 all go to worker 0.
    AssigningWorkers workers(2, [](std::size_t n) { return n < 4 ? n % 2 : 0u; });
    for (std::size_t i = 0; i < tasks; ++i) {
      workload.before_submit(i);
      workers.submit([&workload, i] { workload.run(i); });
    }
    workers.wait();
  }
  ASSERT_EQ(workload.verify(), "");
  const auto counters = workload.counters();
  EXPECT_DOUBLE_EQ(counters.at(metric::worker_fairness_jain), 144.0 / 208.0);  // 10 and 2 tasks
  // Burst 0: 2 and 2 (1.0); bursts 1 and 2: 4 and 0 (0.5 each).
  EXPECT_DOUBLE_EQ(counters.at(metric::worker_fairness_jain_per_burst), 2.0 / 3.0);
  EXPECT_EQ(counters.at(metric::worker_exits_during_run), 0);
}

TEST(BurstWorkload, CountsEveryThreadThatExitsWhileTasksRemain) {
  BurstWorkload workload(small_bursts());
  constexpr std::size_t tasks = 12;  // three bursts: no gap, a short one, a long one
  workload.prepare(tasks);
  // A thread per task, joined before the next submit: every thread but the last exits while tasks remain.
  for (std::size_t i = 0; i < tasks; ++i) {
    workload.before_submit(i);
    std::thread([&workload, i] { workload.run(i); }).join();
  }
  ASSERT_EQ(workload.verify(), "");
  const auto counters = workload.counters();
  EXPECT_EQ(counters.at(metric::worker_threads_used), 12);
  EXPECT_EQ(counters.at(metric::worker_exits_during_run), 11);
  // The thread of task 7, the last of burst 1, exited in the long gap before burst 2; the others during a
  // burst or the short gap.
  EXPECT_EQ(counters.at(metric::worker_exits_outside_long_gaps), 10);
  EXPECT_DOUBLE_EQ(counters.at(metric::worker_fairness_jain_per_burst), 1.0);
  EXPECT_DOUBLE_EQ(counters.at(metric::worker_fairness_jain), 1.0);
  EXPECT_EQ(counters.at(metric::tasks_per_worker_max), 1);
}

TEST(BurstWorkload, ABurstStartsOnlyAfterThePreviousOneFinished) {
  BurstWorkload workload(small_bursts());
  constexpr std::size_t tasks = 12;
  workload.prepare(tasks);
  // Per task, when it started: had the previous burst finished, and had every earlier task started?
  std::vector<int> previous_burst_finished(tasks, -1);
  std::vector<int> earlier_tasks_started(tasks, -1);
  {
    AssigningWorkers workers(3, [](std::size_t n) { return n % 3; });
    for (std::size_t i = 0; i < tasks; ++i) {
      workload.before_submit(i);
      workers.submit([&, i] {
        const std::size_t burst = i / 4;
        previous_burst_finished[i] = burst == 0 || workload.burst_finished(burst - 1) ? 1 : 0;
        bool all_started = true;
        for (std::size_t earlier = 0; earlier < burst * 4; ++earlier)
          all_started = all_started && workload.worker_of(earlier) != 0;
        earlier_tasks_started[i] = all_started ? 1 : 0;
        workload.run(i);
      });
    }
    workers.wait();
  }
  ASSERT_EQ(workload.verify(), "");
  for (std::size_t i = 0; i < tasks; ++i) {
    EXPECT_EQ(previous_burst_finished[i], 1) << "task " << i << " started before the previous burst ended";
    EXPECT_EQ(earlier_tasks_started[i], 1) << "task " << i;
  }
  EXPECT_TRUE(workload.burst_finished(2));
}

TEST(BurstWorkload, RejectedTasksNeverRunAndStillEndTheirBurst) {
  BurstWorkload workload(small_bursts());
  constexpr std::size_t tasks = 8;
  workload.prepare(tasks);
  for (std::size_t i = 0; i < tasks; ++i) {
    workload.before_submit(i);  // would wait forever if a rejected task did not count as done
    if (i == 3) {
      workload.on_rejected(i);
      continue;
    }
    std::jthread([&workload, i] { workload.run(i); });
  }
  EXPECT_EQ(workload.verify(), "");
  EXPECT_EQ(workload.worker_of(3), 0u);
  EXPECT_EQ(workload.counters().at(metric::worker_threads_used), 7);
}

TEST(BurstWorkload, IsRegisteredOutsideTheDefaultMatrixAndPacesItsSubmissions) {
  const WorkloadInfo* info = workload_registry().find("burst");
  ASSERT_NE(info, nullptr);
  EXPECT_FALSE(info->in_default_matrix);
  EXPECT_TRUE(info->paces_submissions);
  EXPECT_FALSE(info->uses_cpu);
}

// Through the real driver: the producers pace themselves, the counters reach the result file, and pools
// whose workers never exit (K fixed threads; lifo_stack without its purge) report no churn.
TEST(BurstWorkload, RunsThroughTheDriverAndWritesItsCounters) {
  testing::TempDir dir;
  const auto out = dir / "burst.json";
  const auto result = testing::run_poolbench(
      "run -s fifo_ring,lifo_stack -w burst -n 24 -k 3 -p 1 -r 1 -q --param burst_tasks=8 --param "
      "short_gap_ms=0.5 --param long_gap_ms=1 --param task_us=50 --param spacing_us=20 --param "
      "disable_purge=true --out " +
      out.string());
  ASSERT_EQ(result.exit_status, 0) << result.err;
  const auto document = nlohmann::json::parse(testing::slurp(out));
  std::size_t entries = 0;
  for (const auto& entry : document.at("benchmarks")) {
    ++entries;
    SCOPED_TRACE(entry.at("name").get<std::string>());
    EXPECT_FALSE(entry.value("error_occurred", false));
    const double threads = entry.at(metric::worker_threads_used);
    EXPECT_GE(threads, 1);
    EXPECT_LE(threads, 3);  // K = 3 workers, none ever replaced
    EXPECT_EQ(entry.at(metric::worker_exits_during_run), 0);
    const double jain = entry.at(metric::worker_fairness_jain);
    EXPECT_GE(jain, 1 / threads - 1e-12);
    EXPECT_LE(jain, 1 + 1e-12);
    EXPECT_LE(entry.at(metric::tasks_per_worker_max).get<double>(), 24);
    EXPECT_TRUE(entry.contains(metric::first_after_short_gap_wait_ns));
    EXPECT_TRUE(entry.contains(metric::first_after_long_gap_wait_ns));
  }
  EXPECT_EQ(entries, 2u);
}

}  // namespace
}  // namespace poolbench
