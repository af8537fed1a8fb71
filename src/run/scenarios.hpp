// Scenarios: the guide's hard questions (overload, bursts and fairness, priorities, tenants, footprint,
// sizing, self-tuning) as named sets of `poolbench run` options, so that `poolbench run --scenario burst`
// runs one without the reader having to know its flags.
//
// A scenario is nothing but options: each field holds what the matching flag would be given, as a user types
// it, and `list --scenarios` prints it back as that command line. Adding one is adding one entry to the table
// in scenarios.cpp (tests/plan_test.cpp plans every entry, so an entry that names an unknown strategy or a
// parameter nobody declares fails the build's tests).
//
// Flags given beside --scenario take precedence, flag by flag: a flag given replaces the scenario's value of
// that flag (`--scenario burst -s lifo_stack -r 5`); `--param name=...` replaces the scenario's value of that
// one parameter and keeps its others; --filter, --out, --timeout and the other flags a scenario does not
// set apply as usual. `--quick` keeps the scenario's matrix and runs one repetition (unless -r is given).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace poolbench {

struct PlanRequest;

struct Scenario {
  std::string name;
  std::string question;  // one line: what it measures, and what to look at in the report
  // As the flags take them (comma lists allowed); empty: the flag's usual default.
  std::vector<std::string> strategies = {};     // -s
  std::vector<std::string> workloads = {};      // -w
  std::vector<std::string> tasks = {};          // -n
  std::vector<std::string> workers = {};        // -k
  std::vector<std::string> producers = {};      // -p
  std::vector<std::string> params = {};         // --param, one "name=value" or "name=v1,v2" per entry
  std::optional<std::string> arrival = {};      // --arrival
  std::vector<std::string> rates = {};          // --rate
  std::vector<std::string> loads = {};          // --load
  std::optional<std::size_t> repetitions = {};  // -r
};

// Every scenario, in the order `list` shows them.
const std::vector<Scenario>& scenarios();

// The scenario named `name`; throws UsageError naming --scenario and the known names.
const Scenario& find_scenario(const std::string& name);

// `request` with the scenario it names (PlanRequest::scenario) filled in under the flags it already has;
// unchanged when it names none. Throws UsageError for an unknown name.
PlanRequest with_scenario(const PlanRequest& request);

// The scenario as `poolbench run` flags: what `--scenario NAME` stands for.
std::string scenario_flags(const Scenario& scenario);

}  // namespace poolbench
