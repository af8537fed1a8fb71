// Registry: strategies and workloads register themselves by name with a static registrar in their own .cpp,
// so adding one is adding one file pair under strategies/ or workloads/ (CMake globs those folders).
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "params.hpp"
#include "strategy.hpp"
#include "workload.hpp"

namespace poolbench {

// One row of README's "What each strategy models" table, printed by `poolbench list` (and as the table itself
// by `list --format md`): what a strategy, or one mode of it, models and how faithfully. It lives in the
// strategy's own registration, so the file that changes the design changes its row; a test checks that README
// holds exactly the table `list --format md` prints. Plain text, one line each, no `|`.
struct ModelRow {
  std::string mode;     // the parameters that select this mode ("mode=pond"), empty for the default
  std::string library;  // the library and version modelled ("alitto/pond v2.7.0"), or what it is instead
  std::string matches;  // what matches the library, citing its file and function
  std::string differs;  // what differs, and why
};

struct StrategyInfo {
  std::string name;
  std::string description;  // one line
  StrategyTraits traits{};
  std::vector<ParamSpec> params{};
  std::function<std::unique_ptr<Strategy>(const StrategyConfig&)> make;
  // Rough submit-to-finish overhead per task in nanoseconds on a small machine; only for --dry-run estimates.
  double nominal_overhead_ns = 500;
  // Optional: what a mode changes from the default mode's traits and nominal overhead above (spawn=fiber is
  // fiber_per_task, api=arena_enqueue cannot cancel), given the case's parameters with defaults applied. A
  // case records its own mode's traits (traits_for), and --dry-run estimates with its overhead.
  std::function<void(const Params&, StrategyTraits&, double& nominal_overhead_ns)> adjust_for_mode = nullptr;
  // Values of its own parameters the default matrix sweeps where the user gives none (the no-pool baselines
  // run as threads and as fibers, so that every per-workload table shows both).
  std::map<std::string, std::vector<std::string>> default_sweep = {};
  bool test_only = false;  // hidden from the default matrix and `list` (shown with `list --all`)
  // false for third-party baselines (a moodycamel queue pool, oneTBB, Boost.Asio): listed and runnable by
  // name, left out of the default matrix so that it stays about the designs the guide compares.
  bool in_default_matrix = true;
  std::vector<ModelRow> models{};  // the default mode's row first; every registered strategy has one
  // Optional: throws (naming the parameters) for values that are valid alone but not together; called in the
  // parent for every case, so that such input is refused before anything runs.
  std::function<void(const Params&)> check_params = nullptr;
};

// The traits and nominal overhead of `strategy` in the mode `params` selects (defaults applied).
StrategyTraits traits_for(const StrategyInfo& strategy, const Params& params);
double nominal_overhead_for(const StrategyInfo& strategy, const Params& params);

struct WorkloadInfo {
  std::string name;
  std::string description;  // one line
  std::vector<ParamSpec> params{};
  std::function<std::unique_ptr<Workload>(const WorkloadConfig&)> make;
  // The matrix this workload runs when the user does not choose: tasks, workers, and parameter sweeps
  // (e.g. cpu_burst's task duration at 1, 10 and 100 us). --quick uses quick_tasks.
  std::vector<std::size_t> default_tasks = {100000};
  std::size_t quick_tasks = 10000;
  std::vector<std::size_t> default_workers = {2};
  std::map<std::string, std::vector<std::string>> default_sweep{};
  // Nominal time of one task's own work in nanoseconds (for --dry-run estimates).
  std::function<double(const Params&)> nominal_task_ns = [](const Params&) { return 10.0; };
  // Whether the task's own work uses a CPU (false: it waits, so K workers overlap K tasks on any core count).
  bool uses_cpu = true;
  bool test_only = false;  // hidden from the default matrix and `list`; used by tests
  // false for scenario workloads (mixed_priority, tenants): listed and runnable by name, left out of the
  // default matrix, whose tables compare throughput.
  bool in_default_matrix = true;
  // true: the producers call Workload::before_submit(i) before each submit, and the case runs in the closed
  // loop only.
  bool paces_submissions = false;
};

template <class Info>
class Registry {
 public:
  void add(Info info) {
    const std::string name = info.name;
    entries_.insert_or_assign(name, std::move(info));
  }
  const Info* find(const std::string& name) const {
    auto found = entries_.find(name);
    return found == entries_.end() ? nullptr : &found->second;
  }
  // Sorted by name; test-only entries only when asked.
  std::vector<const Info*> all(bool include_test_only = false) const {
    std::vector<const Info*> out;
    for (const auto& [name, info] : entries_)
      if (include_test_only || !info.test_only) out.push_back(&info);
    return out;
  }
  std::vector<std::string> names(bool include_test_only = false) const {
    std::vector<std::string> out;
    for (const Info* info : all(include_test_only)) out.push_back(info->name);
    return out;
  }

 private:
  std::map<std::string, Info> entries_;
};

Registry<StrategyInfo>& strategy_registry();
Registry<WorkloadInfo>& workload_registry();

struct StrategyRegistrar {
  explicit StrategyRegistrar(StrategyInfo info) { strategy_registry().add(std::move(info)); }
};

struct WorkloadRegistrar {
  explicit WorkloadRegistrar(WorkloadInfo info) { workload_registry().add(std::move(info)); }
};

}  // namespace poolbench
