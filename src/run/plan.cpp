#include "run/plan.hpp"

#include <algorithm>
#include <charconv>
#include <regex>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "errors.hpp"
#include "registry.hpp"

namespace poolbench {
namespace {

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::size_t begin = 0;
  while (true) {
    const std::size_t end = text.find(separator, begin);
    parts.push_back(text.substr(begin, end == std::string::npos ? std::string::npos : end - begin));
    if (end == std::string::npos) return parts;
    begin = end + 1;
  }
}

// Comma lists may be given as one flag ("a,b") or repeated flags; both flatten here.
std::vector<std::string> flatten(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const auto& value : values)
    for (auto& part : split(value, ',')) out.push_back(std::move(part));
  return out;
}

std::vector<std::size_t> parse_sizes(const std::vector<std::string>& values, const char* flag) {
  std::vector<std::size_t> out;
  for (const auto& value : flatten(values)) {
    std::size_t parsed = 0;
    auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), parsed);
    if (value.empty() || error != std::errc{} || end != value.data() + value.size() || parsed == 0)
      throw UsageError(fmt::format("{}: '{}' is not a positive integer", flag, value));
    if (std::find(out.begin(), out.end(), parsed) == out.end()) out.push_back(parsed);
  }
  return out;
}

template <class Info>
std::vector<const Info*> resolve(const Registry<Info>& registry, const std::vector<std::string>& requested,
                                 const char* flag, const char* what, bool (*in_default)(const Info&)) {
  std::vector<const Info*> out;
  if (requested.empty()) {
    for (const Info* info : registry.all())
      if (in_default(*info)) out.push_back(info);
    return out;
  }
  for (const auto& name : flatten(requested)) {
    const Info* info = registry.find(name);
    if (info == nullptr)
      throw UsageError(
          fmt::format("{}: unknown {} '{}'; known: {}", flag, what, name, fmt::join(registry.names(), ", ")));
    if (std::find(out.begin(), out.end(), info) == out.end()) out.push_back(info);
  }
  return out;
}

const ParamSpec* find_spec(const std::vector<ParamSpec>& specs, const std::string& name) {
  for (const auto& spec : specs)
    if (spec.name == name) return &spec;
  return nullptr;
}

// --param name=v1,v2 -> {name: [v1, v2]}, each value checked against every selected component declaring
// `name`.
std::map<std::string, std::vector<std::string>> parse_params(
    const std::vector<std::string>& given, const std::vector<const StrategyInfo*>& strategies,
    const std::vector<const WorkloadInfo*>& workloads) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& item : given) {
    const auto equals = item.find('=');
    if (equals == std::string::npos || equals == 0 || equals + 1 == item.size())
      throw UsageError(fmt::format("--param: '{}' is not name=value", item));
    const std::string name = item.substr(0, equals);
    const auto values = split(item.substr(equals + 1), ',');

    std::vector<const ParamSpec*> specs;
    std::set<std::string> declared;
    for (const StrategyInfo* info : strategies) {
      for (const auto& spec : info->params) declared.insert(spec.name);
      if (const ParamSpec* spec = find_spec(info->params, name)) specs.push_back(spec);
    }
    for (const WorkloadInfo* info : workloads) {
      for (const auto& spec : info->params) declared.insert(spec.name);
      if (const ParamSpec* spec = find_spec(info->params, name)) specs.push_back(spec);
    }
    if (specs.empty())
      throw UsageError(
          fmt::format("--param: no selected strategy or workload has a parameter '{}'; they have: {}", name,
                      declared.empty() ? "none" : fmt::format("{}", fmt::join(declared, ", "))));
    for (const auto& value : values) {
      if (value.empty()) throw UsageError(fmt::format("--param: '{}' has an empty value", item));
      for (const ParamSpec* spec : specs) {
        try {
          validate_param(*spec, value);
        } catch (const ParamError& error) {
          throw UsageError(fmt::format("--param: {}", error.what()));
        }
      }
    }
    out[name] = values;
  }
  return out;
}

// The cartesian product of parameter value lists, as name -> value assignments.
std::vector<std::map<std::string, std::string>> product(
    const std::map<std::string, std::vector<std::string>>& lists) {
  std::vector<std::map<std::string, std::string>> out{{}};
  for (const auto& [name, values] : lists) {
    std::vector<std::map<std::string, std::string>> next;
    for (const auto& partial : out)
      for (const auto& value : values) {
        auto extended = partial;
        extended[name] = value;
        next.push_back(std::move(extended));
      }
    out = std::move(next);
  }
  return out;
}

double estimate_case_seconds(const StrategyInfo& strategy, const WorkloadInfo& workload,
                             const CaseInfo& info) {
  // Spawning the child, Google Benchmark's start-up, the probe's calibration: measured at about 0.1 s here.
  constexpr double per_process_seconds = 0.1;
  Params params(info.params);
  double task_ns = 10;
  try {
    task_ns = workload.nominal_task_ns(params);
  } catch (const std::exception&) {
  }
  const double cores = std::max(1u, std::thread::hardware_concurrency());
  const auto lifecycle = strategy.traits.worker_lifecycle;
  double parallel = 1;
  if (lifecycle == WorkerLifecycle::caller_thread) {
    parallel = static_cast<double>(effective_producers(info.strategy, info.producers, info.workers));
  } else if (lifecycle == WorkerLifecycle::thread_per_task &&
             strategy.traits.when_full == WhenFull::never_full) {
    parallel = static_cast<double>(info.tasks);
  } else {
    parallel = static_cast<double>(info.workers);
  }
  if (workload.uses_cpu) parallel = std::min(parallel, cores);
  parallel = std::max(1.0, std::min(parallel, static_cast<double>(info.tasks)));
  const double tasks = static_cast<double>(info.tasks);
  return per_process_seconds + tasks * (task_ns / parallel + strategy.nominal_overhead_ns) * 1e-9;
}

}  // namespace

double Plan::estimate_seconds() const {
  double total = 0;
  for (const auto& spec : cases) total += spec.estimate_seconds;
  return total * static_cast<double>(repetitions);
}

Plan make_plan(const PlanRequest& request) {
  const auto strategies = resolve<StrategyInfo>(
      strategy_registry(), request.strategies, "--strategies", "strategy",
      [](const StrategyInfo& info) { return !info.test_only && info.in_default_matrix; });
  const auto workloads =
      resolve<WorkloadInfo>(workload_registry(), request.workloads, "--workloads", "workload",
                            [](const WorkloadInfo& info) { return !info.test_only; });
  if (strategies.empty()) throw UsageError("--strategies: no strategy selected");
  if (workloads.empty()) throw UsageError("--workloads: no workload selected");
  const auto tasks = parse_sizes(request.tasks, "--tasks");
  const auto workers = parse_sizes(request.workers, "--workers");
  auto producers = parse_sizes(request.producers, "--producers");
  if (producers.empty()) producers = default_producers;
  const auto given_params = parse_params(request.params, strategies, workloads);

  Plan plan;
  plan.repetitions = request.repetitions.value_or(request.quick ? 1 : 3);
  if (plan.repetitions < 1) throw UsageError("--repetitions: must be at least 1");

  std::optional<std::regex> filter;
  if (request.filter) {
    try {
      filter.emplace(*request.filter);
    } catch (const std::regex_error& error) {
      throw UsageError(fmt::format("--filter: '{}' is not a valid regular expression ({})", *request.filter,
                                   error.what()));
    }
  }

  for (const WorkloadInfo* workload : workloads) {
    std::vector<std::size_t> workload_tasks = tasks;
    if (workload_tasks.empty())
      workload_tasks =
          request.quick ? std::vector<std::size_t>{workload->quick_tasks} : workload->default_tasks;
    const std::vector<std::size_t> workload_workers = workers.empty() ? workload->default_workers : workers;

    for (const StrategyInfo* strategy : strategies) {
      // Parameters that vary or were chosen appear in the name; the others run at their defaults.
      std::map<std::string, std::vector<std::string>> named;
      for (const auto& spec : strategy->params)
        if (auto given = given_params.find(spec.name); given != given_params.end())
          named[spec.name] = given->second;
      for (const auto& spec : workload->params) {
        if (auto given = given_params.find(spec.name); given != given_params.end())
          named[spec.name] = given->second;
        else if (auto sweep = workload->default_sweep.find(spec.name); sweep != workload->default_sweep.end())
          named[spec.name] = sweep->second;
      }

      for (const auto& assignment : product(named))
        for (std::size_t task_count : workload_tasks)
          for (std::size_t worker_count : workload_workers)
            for (std::size_t producer_count : producers) {
              CaseSpec spec;
              spec.info.strategy = strategy->name;
              spec.info.workload = workload->name;
              spec.info.tasks = task_count;
              spec.info.workers = worker_count;
              spec.info.producers = producer_count;
              for (const auto& param : strategy->params) spec.info.params[param.name] = param.default_value;
              for (const auto& param : workload->params) spec.info.params[param.name] = param.default_value;
              std::string name = strategy->name + "/" + workload->name;
              for (const auto& [param, value] : assignment) {
                spec.info.params[param] = value;
                name += fmt::format("/{}:{}", param, value);
              }
              name +=
                  fmt::format("/tasks:{}/workers:{}/producers:{}", task_count, worker_count, producer_count);
              if (filter && !std::regex_search(name, *filter)) continue;
              spec.name = std::move(name);
              spec.family_index = plan.cases.size();
              spec.repetitions = plan.repetitions;
              spec.estimate_seconds = estimate_case_seconds(*strategy, *workload, spec.info);
              plan.cases.push_back(std::move(spec));
            }
    }
  }
  if (plan.cases.empty())
    throw UsageError(request.filter ? fmt::format("--filter: no case matches '{}'", *request.filter)
                                    : std::string("the matrix is empty"));
  return plan;
}

}  // namespace poolbench
