#include "run/plan_options.hpp"

namespace poolbench {

void add_plan_options(CLI::App& command, PlanRequest& request) {
  command.add_option("-s,--strategies", request.strategies, "strategies to run (comma list; default: all)")
      ->delimiter(',');
  command.add_option("-w,--workloads", request.workloads, "workloads to run (comma list; default: all)")
      ->delimiter(',');
  command.add_option("-n,--tasks", request.tasks, "tasks per case, N (comma list; default: per workload)")
      ->delimiter(',');
  command.add_option("-k,--workers", request.workers, "workers K (comma list; default: per workload)")
      ->delimiter(',');
  command.add_option("-p,--producers", request.producers, "producer threads P (comma list; default: 1,4)")
      ->delimiter(',');
  command.add_option("--param", request.params,
                     "a strategy or workload parameter, name=value or name=v1,v2 to sweep (repeatable)");
  command.add_option("--filter", request.filter, "run only cases whose name matches this regex (RE2 syntax)");
  command.add_option("--arrival", request.arrival,
                     "how tasks arrive: closed (default: each producer submits when submit() returns), "
                     "or an open loop at a fixed offered rate: uniform, poisson");
  command
      .add_option("--rate", request.rates,
                  "open loop: offered tasks per second, all producers together (comma list: a case each)")
      ->delimiter(',');
  command
      .add_option("--load", request.loads,
                  "open loop: offered load as a fraction of the case's calibrated closed-loop capacity "
                  "(comma list: a case each)")
      ->delimiter(',');
  command.add_option("--seed", request.seed, "open loop: seed of the arrival schedule (default 1)");
  command
      .add_option("--scenario", request.scenario,
                  "a named set of these options (`poolbench list --scenarios`); flags given beside it "
                  "replace the scenario's value of that flag, --param of that parameter")
      ->type_name("NAME");
  command
      .add_option("--affinity", request.affinity,
                  "none (default): the kernel places threads; spread: producers and workers on the cores "
                  "round-robin; compact: in blocks of consecutive cores (recorded in the context)")
      ->type_name("none|spread|compact");
  command.add_flag("--quick", request.quick, "the quick matrix: fewer tasks, one repetition (CI)");
}

}  // namespace poolbench
