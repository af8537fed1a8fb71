// The adaptive strategy's controller and the phased workload against known answers: the control rule on
// readings the test writes, the real pool under load the test holds (tasks held at a gate keep submitters
// blocked until the capacity reaches K; released, the pool goes idle and falls back to min_workers), no task
// lost or run twice across resizes, bad parameters refused, and the phased workload's convergence figures on
// step functions whose answers are computed by hand. Sequencing only: bounded waits for states the pool must
// reach, never a timing.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "adaptive.hpp"
#include "cli_support.hpp"
#include "metrics/catalogue.hpp"
#include "phased.hpp"
#include "registry.hpp"
#include "strategy_test_support.hpp"

namespace poolbench {
namespace {

using namespace std::chrono_literals;
using test_support::eventually;
using test_support::Gate;
using test_support::with_time_limit;

AdaptiveOptions small_options(std::size_t min_workers, std::size_t max_workers) {
  AdaptiveOptions options;
  options.min_workers = min_workers;
  options.max_workers = max_workers;
  options.window = 3;
  options.sample_interval = 2ms;
  options.expiry = 20ms;
  return options;
}

// ---- the control rule on known readings ----

TEST(AdaptiveController, StartsAtTheMinimumAndDecidesOnlyOnAFullWindow) {
  AdaptiveController controller(small_options(2, 8));
  EXPECT_EQ(controller.capacity(), 2u);
  EXPECT_EQ(controller.observe({.busy = 2, .waiting = 1}), std::nullopt);
  EXPECT_EQ(controller.observe({.busy = 2, .waiting = 1}), std::nullopt);
  // Mean demand 3 at target 0.75: ceil(3 / 0.75) = 4.
  EXPECT_EQ(controller.observe({.busy = 2, .waiting = 1}), std::optional<std::size_t>(4));
  EXPECT_EQ(controller.capacity(), 4u);
}

TEST(AdaptiveController, RisesToKAndNoFurtherUnderSustainedQueueing) {
  AdaptiveController controller(small_options(1, 10));
  std::vector<std::size_t> capacities{controller.capacity()};
  for (int reading = 0; reading < 200; ++reading) {
    // Saturated: every worker busy and one producer blocked.
    if (auto resized = controller.observe({.busy = controller.capacity(), .waiting = 1}))
      capacities.push_back(*resized);
  }
  EXPECT_EQ(controller.capacity(), 10u);
  for (std::size_t i = 1; i < capacities.size(); ++i) {
    EXPECT_GT(capacities[i], capacities[i - 1]) << "at resize " << i;
    EXPECT_LE(capacities[i], 10u);
  }
}

TEST(AdaptiveController, FallsBackToTheMinimumWhenIdleAndNoFurther) {
  AdaptiveController controller(small_options(3, 12));
  for (int reading = 0; reading < 100; ++reading)
    controller.observe({.busy = controller.capacity(), .waiting = 2});
  ASSERT_EQ(controller.capacity(), 12u);
  std::vector<std::size_t> capacities{controller.capacity()};
  for (int reading = 0; reading < 200; ++reading)
    if (auto resized = controller.observe({.busy = 0, .waiting = 0})) capacities.push_back(*resized);
  EXPECT_EQ(controller.capacity(), 3u);
  for (std::size_t i = 1; i < capacities.size(); ++i) {
    EXPECT_LT(capacities[i], capacities[i - 1]) << "at resize " << i;
    EXPECT_GE(capacities[i], 3u);
  }
}

TEST(AdaptiveController, HoldsASteadyLoadInsideTheBand) {
  AdaptiveController controller(small_options(1, 16));
  // Demand 6 settles the capacity at ceil(6 / 0.75) = 8; utilisation 0.75 then lies inside [0.6, 0.9).
  for (int reading = 0; reading < 100; ++reading)
    controller.observe({.busy = std::min<std::size_t>(6, controller.capacity()),
                        .waiting = controller.capacity() < 6 ? 1u : 0u});
  EXPECT_EQ(controller.capacity(), 8u);
  for (int reading = 0; reading < 100; ++reading)
    EXPECT_EQ(controller.observe({.busy = 6, .waiting = 0}), std::nullopt);
}

TEST(AdaptiveController, ADemandOfOneWorkerSettlesWithoutSwinging) {
  AdaptiveController controller(small_options(1, 16));
  // One task always running; at capacity 1 the producer also waits for the next (demand 2).
  const auto reading = [&] {
    return AdaptiveReading{.busy = 1, .waiting = controller.capacity() == 1 ? 1u : 0u};
  };
  for (int i = 0; i < 30; ++i) controller.observe(reading());
  const std::size_t settled = controller.capacity();
  EXPECT_EQ(settled, 2u);  // 1 -> ceil(2 / 0.75) = 3 -> ceil(1 / 0.75) = 2, where 1/2 < 0.6 aims at 2 itself
  for (int i = 0; i < 100; ++i) EXPECT_EQ(controller.observe(reading()), std::nullopt) << "reading " << i;
}

TEST(AdaptiveController, ShrinksToTheDemandNotPastIt) {
  AdaptiveController controller(small_options(1, 16));
  for (int reading = 0; reading < 100; ++reading)
    controller.observe({.busy = controller.capacity(), .waiting = 1});
  ASSERT_EQ(controller.capacity(), 16u);
  // Demand 3 (utilisation 3/16, below 0.6): the capacity comes down to ceil(3 / 0.75) = 4, where the
  // utilisation (0.75) lies inside the band, and stays there.
  for (int reading = 0; reading < 100; ++reading)
    if (auto resized = controller.observe({.busy = 3, .waiting = 0})) {
      EXPECT_GE(*resized, 4u);
    }
  EXPECT_EQ(controller.capacity(), 4u);
}

TEST(AdaptiveOptions, RefusesOptionsOutOfRange) {
  const auto refused = [](auto change) {
    AdaptiveOptions options = small_options(1, 4);
    change(options);
    EXPECT_THROW(check_adaptive_options(options), ParamError);
  };
  refused([](AdaptiveOptions& o) { o.min_workers = 0; });
  refused([](AdaptiveOptions& o) { o.min_workers = 5; });
  refused([](AdaptiveOptions& o) { o.window = 0; });
  refused([](AdaptiveOptions& o) { o.sample_interval = 0ns; });
  refused([](AdaptiveOptions& o) { o.shrink_below = 0.8; });  // above the target
  refused([](AdaptiveOptions& o) { o.grow_above = 0.7; });    // below the target
  refused([](AdaptiveOptions& o) { o.grow_above = 1.5; });
  EXPECT_NO_THROW(check_adaptive_options(small_options(4, 4)));
}

// ---- the real pool ----

TEST(AdaptivePool, GrowsToKWhileSubmittersQueueThenFallsBackToTheMinimumAndLosesNoTask) {
  with_time_limit([] {
    constexpr std::size_t max_workers = 6;
    constexpr std::size_t tasks = 40;
    AdaptivePool pool(small_options(1, max_workers));
    ASSERT_EQ(pool.capacity(), 1u);
    Gate gate;
    std::vector<std::atomic<int>> runs(tasks);
    std::atomic<std::size_t> peak_running{0};
    std::thread producer([&] {
      for (std::size_t i = 0; i < tasks; ++i)
        ASSERT_TRUE(pool.submit([&, i] {
                          std::size_t seen = peak_running.load();
                          const std::size_t now = pool.running();
                          while (now > seen && !peak_running.compare_exchange_weak(seen, now)) {
                          }
                          gate.pass();
                          runs[i].fetch_add(1);
                        })
                        .ok());
    });
    // Every worker held, the producer blocked: the controller must raise the capacity to K.
    EXPECT_TRUE(eventually([&] { return pool.capacity() == max_workers && pool.running() == max_workers; }))
        << "capacity " << pool.capacity() << ", running " << pool.running();
    gate.open();
    producer.join();
    EXPECT_EQ(pool.wait(), nullptr);
    for (std::size_t i = 0; i < tasks; ++i) EXPECT_EQ(runs[i].load(), 1) << "task " << i;
    // Idle: the capacity falls back to the minimum, and the idle workers above it expire.
    EXPECT_TRUE(eventually([&] { return pool.capacity() == 1u && pool.running() <= 1u; }))
        << "capacity " << pool.capacity() << ", running " << pool.running();
    const std::vector<std::size_t> history = pool.capacity_history();
    ASSERT_FALSE(history.empty());
    EXPECT_EQ(history.front(), 1u);
    for (std::size_t capacity : history) {
      EXPECT_GE(capacity, 1u);
      EXPECT_LE(capacity, max_workers);
    }
    EXPECT_LE(peak_running.load(), max_workers);
    pool.shutdown();
  });
}

TEST(AdaptivePool, RunsEveryTaskExactlyOnceWhileItIsResizedUnderAStream) {
  with_time_limit([] {
    constexpr std::size_t tasks = 3000;
    AdaptiveOptions options = small_options(1, 4);
    options.window = 1;  // a decision on every reading: as many resizes as the stream allows
    AdaptivePool pool(options);
    std::vector<std::atomic<int>> runs(tasks);
    std::vector<std::thread> producers;
    for (std::size_t p = 0; p < 2; ++p)
      producers.emplace_back([&, p] {
        for (std::size_t i = p; i < tasks; i += 2) {
          ASSERT_TRUE(pool.submit([&, i] {
                            if (i % 50 == 0) std::this_thread::sleep_for(1ms);  // bursts of held workers
                            runs[i].fetch_add(1);
                          })
                          .ok());
          if (i % 500 == 0) std::this_thread::sleep_for(10ms);  // idle stretches: room to shrink
        }
      });
    for (auto& producer : producers) producer.join();
    EXPECT_EQ(pool.wait(), nullptr);
    // Stopped before it is read: the controller goes on deciding while the pool lives, and a resize between
    // the two reads below made them disagree by one (under TSan in CI).
    pool.shutdown();
    for (std::size_t i = 0; i < tasks; ++i) EXPECT_EQ(runs[i].load(), 1) << "task " << i;
    const std::vector<std::size_t> history = pool.capacity_history();
    for (std::size_t capacity : history) {
      EXPECT_GE(capacity, 1u);
      EXPECT_LE(capacity, 4u);
    }
    const StrategyCounters counters = pool.counters();
    EXPECT_EQ(counters.extra.at("k_resizes"), static_cast<double>(history.size() - 1));
    EXPECT_TRUE(counters.extra.contains("k_at_00000ms"));
  });
}

TEST(AdaptivePool, RefusesBadParametersWithOneLineAndStatusTwo) {
  for (const char* bad : {"min_workers=0", "shrink_below=0.9", "grow_above=2", "window=0", "sample_ms=0"}) {
    const auto result = testing::run_poolbench(std::string("run -s adaptive -w phased -n 60 -k 4 -r 1 -q ") +
                                               "--param " + bad + " --out /dev/null");
    EXPECT_EQ(result.exit_status, 2) << bad << ": " << result.err;
    EXPECT_EQ(testing::count_lines(result.err), 1u) << bad << ": " << result.err;
  }
}

// ---- the phased workload's figures ----

TEST(PhaseConvergence, RisingStepFunctionWithOvershoot) {
  // 0 ns: 1 worker; 100: 4; 200: 9 (overshoot); 300: 8 until the end (1000): settled 8, band ±2, so the
  // count is in the band from 200 on; overshoot 9 - 8 = 1.
  const std::vector<WorkerCountStep> steps{{0, 1}, {100, 4}, {200, 9}, {300, 8}};
  const PhaseConvergence figures = phase_convergence(steps, 0, 1000);
  EXPECT_EQ(figures.settled, 8);
  EXPECT_EQ(figures.converge_ns, 200);
  EXPECT_EQ(figures.overshoot, 1);
}

TEST(PhaseConvergence, FallingStepFunctionWithUndershootAndALateExcursion) {
  // Starts at 10 (before the phase), falls to 2 at 150, 1 at 250 (undershoot), 3 at 300, 5 at 500 (out of
  // the band [2, 4]), 3 from 600 to the end (1000): settled 3, converged at 600, undershoot 3 - 1 = 2.
  const std::vector<WorkerCountStep> steps{{-50, 10}, {150, 2}, {250, 1}, {300, 3}, {500, 5}, {600, 3}};
  const PhaseConvergence figures = phase_convergence(steps, 100, 1100);
  EXPECT_EQ(figures.settled, 3);
  EXPECT_EQ(figures.converge_ns, 500);
  EXPECT_EQ(figures.overshoot, 2);
}

TEST(PhaseConvergence, AConstantCountConvergesAtOnce) {
  const std::vector<WorkerCountStep> steps{{0, 16}};
  const PhaseConvergence figures = phase_convergence(steps, 10, 500);
  EXPECT_EQ(figures.settled, 16);
  EXPECT_EQ(figures.converge_ns, 0);
  EXPECT_EQ(figures.overshoot, 0);
}

TEST(PhasedWorkload, SplitsTheTasksIntoPhasesAtTheirRates) {
  PhasedWorkload workload(PhasedOptions{.low_rate = 100, .high_rate = 800, .phase_ms = 100, .task_us = 1});
  workload.prepare(100);  // shares 10 : 80 : 10
  EXPECT_EQ(workload.phase_first_task(0), 0u);
  EXPECT_EQ(workload.phase_first_task(1), 10u);
  EXPECT_EQ(workload.phase_first_task(2), 90u);
  EXPECT_EQ(workload.due_ns(1), 10'000'000);    // 100/s: 10 ms apart
  EXPECT_EQ(workload.due_ns(10), 100'000'000);  // the high phase starts after 10 low tasks
  EXPECT_EQ(workload.due_ns(11), 101'250'000);  // 800/s: 1.25 ms apart
  EXPECT_EQ(workload.due_ns(90), 200'000'000);
}

// Through the real driver, short phases: counters reach the result file, the live worker count never
// exceeds K, and every task ran once (the driver's exactly-once check passes).
TEST(PhasedWorkload, RunsThroughTheDriverWithTheAdaptivePool) {
  testing::TempDir dir;
  const auto out = dir / "phased.json";
  const auto result = testing::run_poolbench(
      "run -s adaptive,lifo_stack -w phased -n 200 -k 4 -p 1 -r 1 -q --param low_rate=500 --param "
      "high_rate=3000 --param phase_ms=50 --param task_us=1000 --param sample_ms=2 --param window=2 --out " +
      out.string());
  ASSERT_EQ(result.exit_status, 0) << result.err;
  const auto document = nlohmann::json::parse(testing::slurp(out));
  std::size_t entries = 0;
  for (const auto& entry : document.at("benchmarks")) {
    ++entries;
    SCOPED_TRACE(entry.at("name").get<std::string>());
    EXPECT_FALSE(entry.value("error_occurred", false));
    EXPECT_TRUE(entry.contains(metrics::name::converge_high_ns));
    EXPECT_TRUE(entry.contains(metrics::name::overshoot_high_workers));
    EXPECT_TRUE(entry.contains(metrics::name::phase_low_again_start_ns));
    std::size_t points = 0;
    for (const auto& [name, value] : entry.items())
      if (name.starts_with("live_workers_at_")) {
        ++points;
        EXPECT_LE(value.get<double>(), 4) << name;
        EXPECT_TRUE(metrics::time_series_point(name));
      }
    EXPECT_GE(points, 1u);
    if (entry.at("name").get<std::string>().find("adaptive") != std::string::npos) {
      EXPECT_TRUE(entry.contains("k_at_00000ms"));
      EXPECT_LE(entry.at("k_max_used").get<double>(), 4);
    }
  }
  EXPECT_EQ(entries, 2u);

  // The report carries the series and the per-phase figures: a table row per strategy, the series in the
  // JSON form's row metrics (what scripts/plot.py draws).
  const auto markdown = testing::run_poolbench("report " + out.string());
  ASSERT_EQ(markdown.exit_status, 0) << markdown.err;
  EXPECT_NE(markdown.out.find("## Self-tuning K\n"), std::string::npos);
  EXPECT_NE(markdown.out.find("| `adaptive (sample_ms=2, window=2)` |"), std::string::npos) << markdown.out;
  EXPECT_NE(markdown.out.find("**`adaptive (sample_ms=2, window=2)`**: live workers settled at"),
            std::string::npos);
  const auto json = testing::run_poolbench("report " + out.string() + " --format json");
  ASSERT_EQ(json.exit_status, 0) << json.err;
  const auto report = nlohmann::json::parse(json.out);
  std::size_t phased_rows = 0;
  for (const auto& table : report.at("tables")) {
    if (table.at("workload") != "phased") continue;
    for (const auto& row : table.at("rows")) {
      ++phased_rows;
      const auto& metrics = row.at("metrics");
      EXPECT_TRUE(metrics.contains("live_workers_at_00000ms")) << row.at("label");
      EXPECT_TRUE(metrics.contains(metrics::name::converge_high_ns)) << row.at("label");
      EXPECT_EQ(metrics.contains("k_at_00000ms"), row.at("strategy") == "adaptive") << row.at("label");
    }
  }
  EXPECT_EQ(phased_rows, 2u);
}

TEST(PhasedWorkload, TheReportSaysNotMeasuredWithoutPhasedCases) {
  testing::TempDir dir;
  const auto out = dir / "other.json";
  const auto result = testing::run_poolbench(
      "run -s adaptive -w atomic_increment -n 200 -k 2 -p 1 -r 1 -q --out " + out.string());
  ASSERT_EQ(result.exit_status, 0) << result.err;
  const auto markdown = testing::run_poolbench("report " + out.string());
  ASSERT_EQ(markdown.exit_status, 0) << markdown.err;
  EXPECT_NE(markdown.out.find("## Self-tuning K\n\nNot measured in this run: no `phased` cases"),
            std::string::npos);
}

}  // namespace
}  // namespace poolbench
