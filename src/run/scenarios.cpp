#include "run/scenarios.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "errors.hpp"
#include "run/plan.hpp"

namespace poolbench {
namespace {

// The table. Each entry must run in under a minute on 2 cores (repetitions included): size its tasks and
// parameters for that, and say in `question` what its figures answer.
const std::vector<Scenario> scenario_table = {
    {
        .name = "overload",
        .question = "issue 13 (1): offered 1.5x its capacity, does a pool block the producer, queue or drop? "
                    "rejected_tasks, queue_wait and e2e p99, submit p99 per strategy and mode",
        .strategies = {"fifo_ring,lifo_stack,dispatcher"},
        .workloads = {"cpu_burst"},
        .tasks = {"3000"},
        .workers = {"2"},
        .producers = {"1"},
        .params = {"duration_us=100", "nonblocking=false,true"},
        .arrival = "poisson",
        .loads = {"1.5"},
        .repetitions = 3,
    },
    {
        .name = "footprint",
        .question = "issue 13 (6): bytes per idle worker at K = 10, 100, 1000 and per pending task, every "
                    "strategy: the report's Memory footprint table",
        .strategies = {"inline,raw_threads,semaphore_group,fifo_ring,lifo_stack,dispatcher,stateful,sharded"},
        .workloads = {"footprint"},
        .tasks = {"20000"},
        .workers = {"10,100,1000"},
        .producers = {"1"},
        .repetitions = 1,
    },
    {
        .name = "sizing",
        .question = "issue 13 (7): tasks/s and e2e p99 against K for CPU and waiting work, Little's K = λ·W "
                    "beside the smallest K that is enough: the report's Sizing K section and sizing plot",
        .strategies = {"fifo_ring,lifo_stack"},
        .workloads = {"cpu_burst,simulated_io"},
        .tasks = {"1000"},
        .workers = {"1,2,4,8,64,256,1000"},
        .producers = {"1"},
        .params = {"duration_us=100", "median_ms=1", "p99_ms=2"},
        .repetitions = 3,
    },
    {
        .name = "priority",
        .question = "issue 13 (3), the guide's Exercise 2: does an urgent task wait behind normal ones? "
                    "queue_wait_urgent_p99_ns and queue_wait_normal_p99_ns of priority against fifo_ring, at "
                    "the same Poisson rates (about 30% and 60% of two workers' capacity)",
        .strategies = {"priority,fifo_ring"},
        .workloads = {"mixed_priority"},
        .tasks = {"3000"},
        .workers = {"2"},
        .producers = {"1"},
        .params = {"duration_us=200", "urgent_share=0.1"},
        .arrival = "poisson",
        .rates = {"3000,6000"},
        .repetitions = 5,
    },
    {
        .name = "tenants",
        .question =
            "issue 13 (4), the guide's Exercise 5: tenant A's 250 or 1000 tasks and then B's one arrive "
            "at once (a burst: uniform at 1e9/s); queue_wait_tenant_b_max_ns of fair_tenants against "
            "fifo_ring and lifo_stack, and against A's",
        .strategies = {"fair_tenants,fifo_ring,lifo_stack"},
        .workloads = {"tenants"},
        .tasks = {"251,1001"},
        .workers = {"2"},
        .producers = {"1"},
        .params = {"duration_us=100"},
        .arrival = "uniform",
        .rates = {"1000000000"},
        .repetitions = 5,
    },
    {
        .name = "burst",
        .question =
            "issue 13 (2), the guide's Exercise 4: under bursts, does ants' LIFO default (lifo_stack) "
            "pile the work on its newest workers and let the old ones expire, where its FIFO loop "
            "queue (prealloc=true) spreads it? worker_fairness_jain, worker_exits_during_run, the "
            "first task's wait after a gap shorter and one longer than the 40 ms expiry; fifo_ring (K "
            "fixed workers) for reference",
        .strategies = {"lifo_stack,fifo_ring"},
        .workloads = {"burst"},
        .tasks = {"2400"},
        .workers = {"8"},
        .producers = {"1"},
        .params = {"prealloc=false,true", "expiry_ms=40", "burst_tasks=200", "short_gap_ms=10",
                   "long_gap_ms=120"},
        .repetitions = 5,
    },
    {
        .name = "adaptive",
        .question =
            "issue 13 (5), the guide's Exercise 3: does a self-tuning K converge? adaptive (ants' pool "
            "resized through Tune by a controller) against lifo_stack (K = 16, idle expiry alone) under "
            "the phased workload's low, high, low load: live workers over time, converge_*_ns and "
            "overshoot_*_workers per phase",
        .strategies = {"adaptive,lifo_stack"},
        .workloads = {"phased"},
        .tasks = {"6000"},
        .workers = {"16"},
        .producers = {"1"},
        .params = {"expiry_ms=200", "low_rate=400", "high_rate=3200", "phase_ms=1500", "task_us=2500"},
        .repetitions = 3,
    },
};

// Where a flag was given, the flag; else the scenario's value.
template <class Value>
void fill(Value& given, const Value& scenario_value) {
  if (given.empty()) given = scenario_value;
}

std::string param_name(const std::string& item) {
  return item.substr(0, item.find('='));
}

}  // namespace

const std::vector<Scenario>& scenarios() {
  return scenario_table;
}

const Scenario& find_scenario(const std::string& name) {
  for (const Scenario& scenario : scenario_table)
    if (scenario.name == name) return scenario;
  std::vector<std::string> known;
  for (const Scenario& scenario : scenario_table) known.push_back(scenario.name);
  throw UsageError(fmt::format("--scenario: unknown scenario '{}'; known: {}", name, fmt::join(known, ", ")));
}

PlanRequest with_scenario(const PlanRequest& request) {
  PlanRequest out = request;
  if (!request.scenario) return out;
  const Scenario& scenario = find_scenario(*request.scenario);
  fill(out.strategies, scenario.strategies);
  fill(out.workloads, scenario.workloads);
  fill(out.tasks, scenario.tasks);
  fill(out.workers, scenario.workers);
  fill(out.producers, scenario.producers);
  // An open loop is one setting: --arrival, --rate and --load replace the scenario's together.
  if (!out.arrival && out.rates.empty() && out.loads.empty()) {
    out.arrival = scenario.arrival;
    out.rates = scenario.rates;
    out.loads = scenario.loads;
  }
  if (!out.repetitions && !out.quick) out.repetitions = scenario.repetitions;
  // The scenario's parameters first, each unless --param names it: the plan refuses a name given twice.
  std::vector<std::string> params;
  for (const std::string& item : scenario.params)
    if (std::none_of(request.params.begin(), request.params.end(),
                     [&](const std::string& given) { return param_name(given) == param_name(item); }))
      params.push_back(item);
  params.insert(params.end(), request.params.begin(), request.params.end());
  out.params = std::move(params);
  return out;
}

std::string scenario_flags(const Scenario& scenario) {
  std::string out;
  auto add = [&out](const char* flag, const std::vector<std::string>& values) {
    if (!values.empty()) out += fmt::format(" {} {}", flag, fmt::join(values, ","));
  };
  add("-s", scenario.strategies);
  add("-w", scenario.workloads);
  add("-n", scenario.tasks);
  add("-k", scenario.workers);
  add("-p", scenario.producers);
  for (const std::string& item : scenario.params) out += fmt::format(" --param {}", item);
  if (scenario.arrival) out += fmt::format(" --arrival {}", *scenario.arrival);
  add("--rate", scenario.rates);
  add("--load", scenario.loads);
  if (scenario.repetitions) out += fmt::format(" -r {}", *scenario.repetitions);
  return out.empty() ? out : out.substr(1);
}

}  // namespace poolbench
