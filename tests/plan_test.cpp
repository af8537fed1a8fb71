// The plan: matrix expansion, Google Benchmark style names, defaults, and every bad input it must refuse.
// GCC 12 reports a std::optional<std::string> member of a default-initialized aggregate (PlanRequest::scenario)
// as "may be used uninitialized" when it is assigned (a known false positive, GCC bug 105562), depending on the
// aggregate's layout.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "errors.hpp"
#include "registry.hpp"
#include "run/plan.hpp"
#include "run/scenarios.hpp"

namespace poolbench {
namespace {

using ::testing::HasSubstr;

PlanRequest request(std::vector<std::string> strategies, std::vector<std::string> workloads) {
  PlanRequest out;
  out.strategies = std::move(strategies);
  out.workloads = std::move(workloads);
  return out;
}

std::string usage_error(const PlanRequest& req) {
  try {
    make_plan(req);
  } catch (const UsageError& error) {
    return error.what();
  }
  return "no error";
}

TEST(Plan, ExpandsTheMatrixInOrderWithGoogleBenchmarkNames) {
  auto req = request({"inline"}, {"atomic_increment"});
  req.tasks = {"1000,2000"};
  req.workers = {"2"};
  req.producers = {"1", "4"};
  const Plan plan = make_plan(req);
  std::vector<std::string> names;
  for (const auto& spec : plan.cases) names.push_back(spec.name);
  EXPECT_THAT(names, ::testing::ElementsAre("inline/atomic_increment/tasks:1000/workers:2/producers:1",
                                            "inline/atomic_increment/tasks:1000/workers:2/producers:4",
                                            "inline/atomic_increment/tasks:2000/workers:2/producers:1",
                                            "inline/atomic_increment/tasks:2000/workers:2/producers:4"));
  for (std::size_t i = 0; i < plan.cases.size(); ++i) {
    EXPECT_EQ(plan.cases[i].family_index, i);
    EXPECT_EQ(plan.cases[i].info.strategy, "inline");
    EXPECT_EQ(plan.cases[i].info.workers, 2u);
    EXPECT_GT(plan.cases[i].estimate_seconds, 0);
  }
  EXPECT_EQ(plan.cases[3].info.tasks, 2000u);
  EXPECT_EQ(plan.cases[3].info.producers, 4u);
  EXPECT_EQ(plan.repetitions, 3u);
  EXPECT_DOUBLE_EQ(plan.estimate_seconds(),
                   3 * (plan.cases[0].estimate_seconds + plan.cases[1].estimate_seconds +
                        plan.cases[2].estimate_seconds + plan.cases[3].estimate_seconds));
}

TEST(Plan, DefaultMatrixCoversEveryRegisteredNonTestStrategyAndWorkload) {
  const Plan plan = make_plan(PlanRequest{});
  std::set<std::string> strategies, workloads;
  for (const auto& spec : plan.cases) {
    strategies.insert(spec.info.strategy);
    workloads.insert(spec.info.workload);
    EXPECT_EQ(spec.name.rfind(spec.info.strategy + "/" + spec.info.workload + "/", 0), 0u) << spec.name;
  }
  for (const StrategyInfo* info : strategy_registry().all())
    EXPECT_EQ(strategies.count(info->name), info->in_default_matrix ? 1u : 0u) << info->name;
  for (const WorkloadInfo* info : workload_registry().all())
    EXPECT_EQ(workloads.count(info->name), info->in_default_matrix ? 1u : 0u) << info->name;
  for (const WorkloadInfo* info : workload_registry().all(true)) {
    if (info->test_only) {
      EXPECT_EQ(workloads.count(info->name), 0u) << info->name;
    }
  }
  EXPECT_GE(plan.repetitions, 3u);
}

TEST(Plan, QuickUsesEachWorkloadsQuickTasksAndOneRepetition) {
  auto req = request({"inline"}, {"atomic_increment"});
  req.quick = true;
  const Plan plan = make_plan(req);
  EXPECT_EQ(plan.repetitions, 1u);
  for (const auto& spec : plan.cases)
    EXPECT_EQ(spec.info.tasks, workload_registry().find("atomic_increment")->quick_tasks);
}

TEST(Plan, ParamListsSweepAndAppearInTheName) {
  auto req = request({"inline"}, {"test_crash"});
  req.tasks = {"10"};
  req.workers = {"1"};
  req.producers = {"1"};
  req.params = {"at=3,5", "how=abort"};
  const Plan plan = make_plan(req);
  ASSERT_EQ(plan.cases.size(), 2u);
  EXPECT_EQ(plan.cases[0].name, "inline/test_crash/at:3/how:abort/tasks:10/workers:1/producers:1");
  EXPECT_EQ(plan.cases[1].name, "inline/test_crash/at:5/how:abort/tasks:10/workers:1/producers:1");
  EXPECT_EQ(plan.cases[1].info.workload_params.at("at"), "5");
  EXPECT_EQ(plan.cases[1].info.workload_params.at("how"), "abort");
}

TEST(Plan, UndeclaredParamsRunAtTheirDefaultsAndAreRecorded) {
  auto req = request({"inline"}, {"test_crash"});
  req.tasks = {"10"};
  req.producers = {"1"};
  req.workers = {"1"};
  const Plan plan = make_plan(req);
  ASSERT_EQ(plan.cases.size(), 1u);
  EXPECT_EQ(plan.cases[0].info.workload_params.at("at"), "0");
  EXPECT_EQ(plan.cases[0].info.workload_params.at("how"), "segv");
  EXPECT_EQ(plan.cases[0].name, "inline/test_crash/tasks:10/workers:1/producers:1");
}

TEST(Plan, CasesRecordParameterOwnersTraitsAndTheProducersUsed) {
  auto req = request({"fifo_ring", "stateful"}, {"cpu_burst"});
  req.tasks = {"10"};
  req.workers = {"4"};
  req.producers = {"1"};
  req.params = {"duration_us=5", "nonblocking=true"};
  const Plan plan = make_plan(req);
  ASSERT_EQ(plan.cases.size(), 2u);
  const CaseInfo& ring = plan.cases[0].info;
  EXPECT_EQ(plan.cases[0].name,
            "fifo_ring/cpu_burst/duration_us:5/nonblocking:true/tasks:10/workers:4/producers:1");
  EXPECT_EQ(ring.strategy_params.at("nonblocking"), "true");
  EXPECT_EQ(ring.strategy_params.count("duration_us"), 0u);
  EXPECT_EQ(ring.workload_params, (std::map<std::string, std::string>{{"duration_us", "5"}}));
  EXPECT_EQ(ring.strategy_traits, strategy_registry().find("fifo_ring")->traits);
  EXPECT_EQ(ring.strategy_description, strategy_registry().find("fifo_ring")->description);
  EXPECT_EQ(ring.effective_producers, 1u);
  // A synchronous pool is driven with one producer per worker, decided here and carried to the child.
  const CaseInfo& stateful = plan.cases[1].info;
  EXPECT_TRUE(stateful.strategy_traits->synchronous_submit);
  EXPECT_EQ(stateful.effective_producers, 4u);
  EXPECT_EQ(case_spec_from_json(case_spec_to_json(plan.cases[1])).info.effective_producers, 4u);
}

// Both no-pool baselines in every table: the default and quick matrices run raw_threads and semaphore_group
// with spawn=thread and spawn=fiber (their default_sweep), each case with its own mode's traits; a --param
// value replaces the sweep.
TEST(Plan, DefaultMatricesRunBothNoPoolBaselinesEachWithItsModesTraits) {
  for (const bool quick : {false, true}) {
    PlanRequest req;
    req.quick = quick;
    const Plan plan = make_plan(req);
    for (const std::string strategy : {"raw_threads", "semaphore_group"}) {
      std::map<std::string, WorkerLifecycle> lifecycle_by_spawn;
      for (const auto& spec : plan.cases)
        if (spec.info.strategy == strategy)
          lifecycle_by_spawn[spec.info.strategy_params.at("spawn")] =
              spec.info.strategy_traits->worker_lifecycle;
      EXPECT_EQ(lifecycle_by_spawn,
                (std::map<std::string, WorkerLifecycle>{{"fiber", WorkerLifecycle::fiber_per_task},
                                                        {"thread", WorkerLifecycle::thread_per_task}}))
          << strategy << (quick ? " (quick)" : "");
    }
  }
  auto req = request({"raw_threads"}, {"atomic_increment"});
  req.params = {"spawn=thread"};
  for (const auto& spec : make_plan(req).cases) EXPECT_EQ(spec.info.strategy_params.at("spawn"), "thread");
}

// A mode's traits are the case's (what the report's capability table shows): lifo_stack prealloc=true hands
// work to the longest idle worker, ref_tbb_task_group api=arena_enqueue cannot cancel.
TEST(Plan, CasesRecordTheirModesTraits) {
  auto req = request({"lifo_stack", "ref_tbb_task_group"}, {"atomic_increment"});
  req.params = {"prealloc=false,true", "api=task_group,arena_enqueue"};
  req.tasks = {"1000"};
  req.producers = {"1"};
  for (const auto& spec : make_plan(req).cases) {
    const StrategyTraits& traits = *spec.info.strategy_traits;
    if (spec.info.strategy == "lifo_stack")
      EXPECT_EQ(traits.queue_order, spec.info.strategy_params.at("prealloc") == "true"
                                        ? QueueOrder::fifo_idle_worker
                                        : QueueOrder::lifo_idle_worker);
    else
      EXPECT_EQ(traits.cancellation, spec.info.strategy_params.at("api") == "task_group");
  }
}

TEST(Plan, AValueThatCannotBePartOfACaseNameIsRefused) {
  auto req = request({"test_slowed"}, {"atomic_increment"});
  req.params = {"wraps=a b"};
  EXPECT_THAT(usage_error(req), HasSubstr("cannot be part of a case name"));
}

TEST(Plan, FilterSelectsByRegex) {
  auto req = request({"inline"}, {"atomic_increment"});
  req.producers = {"1,2,3"};
  req.filter = "producers:[23]$";
  const Plan plan = make_plan(req);
  ASSERT_EQ(plan.cases.size(), 2u);
  EXPECT_THAT(plan.cases[0].name, HasSubstr("producers:2"));
  EXPECT_EQ(plan.cases[1].family_index, 1u);
}

TEST(Plan, SpecRoundTripsThroughJson) {
  auto req = request({"inline"}, {"test_crash"});
  req.params = {"at=7"};
  req.tasks = {"10"};
  req.producers = {"2"};
  CaseSpec spec = make_plan(req).cases.at(0);
  spec.repetition_index = 2;
  const CaseSpec back = case_spec_from_json(case_spec_to_json(spec));
  EXPECT_EQ(back.name, spec.name);
  EXPECT_EQ(back.info, spec.info);
  EXPECT_EQ(back.info.tasks, 10u);
  EXPECT_EQ(back.info.producers, 2u);
  EXPECT_EQ(back.repetition_index, 2u);
  EXPECT_THROW(case_spec_from_json(nlohmann::json{{"name", 1}}), UsageError);
}

TEST(Plan, RefusesBadInputNamingTheFlag) {
  EXPECT_THAT(usage_error(request({"no_such_pool"}, {})),
              HasSubstr("--strategies: unknown strategy 'no_such_pool'"));
  EXPECT_THAT(usage_error(request({"no_such_pool"}, {})), HasSubstr("known: "));
  EXPECT_THAT(usage_error(request({}, {"nope"})), HasSubstr("--workloads: unknown workload 'nope'"));
  for (const char* bad : {"0", "-1", "abc", "", "1.5", "10x"}) {
    auto req = request({"inline"}, {"atomic_increment"});
    req.tasks = {bad};
    EXPECT_THAT(usage_error(req), HasSubstr("--tasks: '" + std::string(bad) + "' is not a positive integer"));
    req = request({"inline"}, {"atomic_increment"});
    req.workers = {bad};
    EXPECT_THAT(usage_error(req), HasSubstr("--workers:"));
    req = request({"inline"}, {"atomic_increment"});
    req.producers = {bad};
    EXPECT_THAT(usage_error(req), HasSubstr("--producers:"));
  }
  auto req = request({"inline"}, {"atomic_increment"});
  req.repetitions = 0;
  EXPECT_THAT(usage_error(req), HasSubstr("--repetitions"));
  for (const char* bad : {"noequals", "=1", "at=", "at=1,,2"}) {
    req = request({"inline"}, {"test_crash"});
    req.params = {bad};
    EXPECT_THAT(usage_error(req), HasSubstr("--param")) << bad;
  }
  req = request({"inline"}, {"atomic_increment"});
  req.params = {"unknown_knob=1"};
  EXPECT_THAT(usage_error(req), HasSubstr("no selected strategy or workload has a parameter 'unknown_knob'"));
  req = request({"inline"}, {"test_crash"});
  req.params = {"at=-2"};
  EXPECT_THAT(usage_error(req), HasSubstr("parameter at: '-2' is not a non-negative integer"));
  req = request({"inline"}, {"test_crash"});
  req.params = {"how=explode"};
  EXPECT_THAT(usage_error(req), HasSubstr("is not one of segv, abort"));
  req = request({"inline"}, {"atomic_increment"});
  req.filter = "([";
  EXPECT_THAT(usage_error(req), HasSubstr("--filter: '([' is not a valid regular expression"));
  req.filter = "matches_nothing";
  EXPECT_THAT(usage_error(req), HasSubstr("--filter: no case matches 'matches_nothing'"));
}

TEST(Plan, OpenLoopRatesAndLoadsAreCasesOfTheirOwnNamedByTheirValue) {
  auto req = request({"inline"}, {"atomic_increment"});
  req.tasks = {"1000"};
  req.producers = {"1", "2"};
  req.arrival = "poisson";
  req.rates = {"20000,1e5", "20000.0"};  // 20000.0 is 20000 again: one case
  const Plan plan = make_plan(req);
  std::vector<std::string> names;
  for (const auto& spec : plan.cases) names.push_back(spec.name);
  EXPECT_THAT(names,
              ::testing::ElementsAre(
                  "inline/atomic_increment/arrival:poisson/rate:20000/tasks:1000/workers:2/producers:1",
                  "inline/atomic_increment/arrival:poisson/rate:100000/tasks:1000/workers:2/producers:1",
                  "inline/atomic_increment/arrival:poisson/rate:20000/tasks:1000/workers:2/producers:2",
                  "inline/atomic_increment/arrival:poisson/rate:100000/tasks:1000/workers:2/producers:2"));
  const Arrival& arrival = plan.cases[1].info.arrival;
  EXPECT_EQ(arrival.process, ArrivalProcess::poisson);
  EXPECT_EQ(arrival.rate_per_second, 1e5);
  EXPECT_EQ(arrival.load, 0);
  EXPECT_EQ(arrival.seed, 1u);
  // An open loop at 1000 tasks and 20,000/s lasts at least 50 ms.
  EXPECT_GE(plan.cases[0].estimate_seconds, 0.05);
  // The case object records it, and reads it back; the load parameters carry it as the name does.
  const CaseSpec back = case_spec_from_json(case_spec_to_json(plan.cases[1]));
  EXPECT_EQ(back.info, plan.cases[1].info);
  EXPECT_EQ(back.info.load_params().at("rate"), "100000");
  EXPECT_EQ(back.info.load_params().at("arrival"), "poisson");

  req.rates.clear();
  req.loads = {"0.5,0.95"};
  req.arrival = "uniform";
  req.seed = "7";
  req.producers = {"1"};
  const Plan by_load = make_plan(req);
  ASSERT_EQ(by_load.cases.size(), 2u);
  EXPECT_EQ(by_load.cases[1].name,
            "inline/atomic_increment/arrival:uniform/load:0.95/tasks:1000/workers:2/producers:1");
  EXPECT_EQ(by_load.cases[1].info.arrival.load, 0.95);
  EXPECT_EQ(by_load.cases[1].info.arrival.seed, 7u);
  EXPECT_EQ(case_spec_from_json(case_spec_to_json(by_load.cases[1])).info, by_load.cases[1].info);

  // The default stays the closed loop, with names and case objects as before.
  const Plan closed = make_plan(request({"inline"}, {"atomic_increment"}));
  EXPECT_FALSE(closed.cases[0].info.arrival.open_loop());
  EXPECT_FALSE(case_to_json(closed.cases[0].info).contains("arrival"));
  EXPECT_EQ(closed.cases[0].name.find("arrival"), std::string::npos);
}

TEST(Plan, RefusesBadOpenLoopInput) {
  auto req = request({"inline"}, {"atomic_increment"});
  req.arrival = "bursty";
  EXPECT_THAT(usage_error(req), HasSubstr("--arrival: 'bursty' is not closed, uniform or poisson"));
  req.arrival = "poisson";
  EXPECT_THAT(usage_error(req), HasSubstr("give the offered load with --rate"));
  for (const char* bad : {"0", "-5", "abc", "", "nan", "inf", "1e10", "5x"}) {
    req.rates = {bad};
    EXPECT_THAT(usage_error(req), HasSubstr("--rate: '" + std::string(bad) + "' is not a number above 0"));
  }
  req.rates.clear();
  for (const char* bad : {"0", "-0.5", "10.5", "nan"}) {
    req.loads = {bad};
    EXPECT_THAT(usage_error(req), HasSubstr("--load: '" + std::string(bad) + "' is not a number above 0"));
  }
  req.loads = {"0.5"};
  req.rates = {"1000"};
  EXPECT_THAT(usage_error(req), HasSubstr("--rate and --load: give one of them, not both"));
  req.loads.clear();
  req.seed = "0";
  EXPECT_THAT(usage_error(req), HasSubstr("--seed: '0' is not a positive integer"));
  req.seed.reset();
  req.arrival = "closed";
  EXPECT_THAT(usage_error(req), HasSubstr("--rate: an offered load needs an open loop"));
  req.arrival.reset();
  EXPECT_THAT(usage_error(req), HasSubstr("--rate: an offered load needs an open loop"));
  req.rates.clear();
  req.loads = {"0.5"};
  EXPECT_THAT(usage_error(req), HasSubstr("--load: an offered load needs an open loop"));
  req.loads.clear();
  req.seed = "3";
  EXPECT_THAT(usage_error(req), HasSubstr("--seed: only an open loop"));
}

TEST(Scenario, EveryScenarioPlansAndSaysWhatItAnswers) {
  std::set<std::string> names;
  for (const Scenario& scenario : scenarios()) {
    EXPECT_TRUE(names.insert(scenario.name).second) << "two scenarios named " << scenario.name;
    EXPECT_FALSE(scenario.question.empty()) << scenario.name;
    EXPECT_FALSE(scenario.strategies.empty()) << scenario.name << ": a scenario names its strategies";
    EXPECT_FALSE(scenario.workloads.empty()) << scenario.name << ": a scenario names its workloads";
    PlanRequest req;
    req.scenario = scenario.name;
    const Plan plan = make_plan(req);  // an unknown strategy or an undeclared parameter throws here
    EXPECT_FALSE(plan.cases.empty()) << scenario.name;
    EXPECT_EQ(plan.repetitions, scenario.repetitions.value_or(3)) << scenario.name;
  }
}

TEST(Scenario, FillsWhatTheFlagsLeaveUnset) {
  PlanRequest req;
  req.scenario = "overload";
  const Plan plan = make_plan(req);
  std::set<std::string> strategies;
  for (const auto& spec : plan.cases) {
    strategies.insert(spec.info.strategy);
    EXPECT_EQ(spec.info.workload, "cpu_burst");
    EXPECT_EQ(spec.info.tasks, 3000u);
    EXPECT_EQ(spec.info.workers, 2u);
    EXPECT_EQ(spec.info.producers, 1u);
    EXPECT_EQ(spec.info.workload_params.at("duration_us"), "100");
    EXPECT_EQ(spec.info.arrival.process, ArrivalProcess::poisson);
    EXPECT_DOUBLE_EQ(spec.info.arrival.load, 1.5);
  }
  EXPECT_EQ(strategies, (std::set<std::string>{"fifo_ring", "lifo_stack", "dispatcher"}));
  // nonblocking=false,true sweeps the two strategies that declare it; dispatcher runs once.
  EXPECT_EQ(plan.cases.size(), 5u);
  EXPECT_EQ(plan.repetitions, 3u);
}

TEST(Scenario, AFlagGivenReplacesTheScenariosValueAndParamsMergeByName) {
  PlanRequest req;
  req.scenario = "overload";
  req.strategies = {"lifo_stack"};
  req.tasks = {"500"};
  req.params = {"nonblocking=true", "expiry_ms=50"};
  req.repetitions = 1;
  const Plan plan = make_plan(req);
  ASSERT_EQ(plan.cases.size(), 1u);
  const CaseInfo& info = plan.cases[0].info;
  EXPECT_EQ(info.strategy, "lifo_stack");
  EXPECT_EQ(info.tasks, 500u);
  EXPECT_EQ(info.workers, 2u);                                // the scenario's
  EXPECT_EQ(info.workload_params.at("duration_us"), "100");   // the scenario's, not named by --param
  EXPECT_EQ(info.strategy_params.at("nonblocking"), "true");  // --param replaced the scenario's sweep
  EXPECT_EQ(info.strategy_params.at("expiry_ms"), "50");      // --param added
  EXPECT_EQ(plan.repetitions, 1u);

  // An open loop is one setting: a closed loop given replaces the scenario's arrival, load included.
  PlanRequest closed;
  closed.scenario = "overload";
  closed.arrival = "closed";
  for (const auto& spec : make_plan(closed).cases) EXPECT_FALSE(spec.info.arrival.open_loop());

  // --quick keeps the scenario's matrix and runs it once.
  PlanRequest quick;
  quick.scenario = "overload";
  quick.quick = true;
  const Plan quick_plan = make_plan(quick);
  EXPECT_EQ(quick_plan.repetitions, 1u);
  EXPECT_EQ(quick_plan.cases.front().info.tasks, 3000u);
}

TEST(Scenario, AnUnknownNameIsRefusedNamingTheKnownOnes) {
  PlanRequest req;
  req.scenario = "nope";
  const std::string error = usage_error(req);
  EXPECT_THAT(error, HasSubstr("--scenario: unknown scenario 'nope'; known: "));
  for (const Scenario& scenario : scenarios()) EXPECT_THAT(error, HasSubstr(scenario.name));
}

TEST(Scenario, FlagsSpellTheScenarioAsACommandLine) {
  EXPECT_EQ(scenario_flags(find_scenario("overload")),
            "-s fifo_ring,lifo_stack,dispatcher -w cpu_burst -n 3000 -k 2 -p 1 --param duration_us=100 "
            "--param nonblocking=false,true --arrival poisson --load 1.5 -r 3");
}

}  // namespace
}  // namespace poolbench
