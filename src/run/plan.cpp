#include "run/plan.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <re2/re2.h>
#include <nlohmann/json.hpp>

#include "errors.hpp"
#include "probe/placement.hpp"
#include "registry.hpp"
#include "result/case_name.hpp"
#include "run/scenarios.hpp"

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
    const std::size_t parsed = parse_count(flag, value);
    if (std::find(out.begin(), out.end(), parsed) == out.end()) out.push_back(parsed);
  }
  return out;
}

// Strings that end up in the result file (JSON) must be UTF-8.
bool is_utf8(const std::string& text) {
  try {
    (void)nlohmann::json(text).dump();
    return true;
  } catch (const nlohmann::json::type_error&) {
    return false;
  }
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
    if (!is_utf8(item)) throw UsageError("--param: a name or value is not valid UTF-8");
    const std::string name = item.substr(0, equals);
    const auto values = split(item.substr(equals + 1), ',');
    // Two --param for one name, or one value twice, would silently drop a value or make two cases with one
    // name (read back as one case with twice the repetitions): refused, naming the parameter.
    if (out.count(name) != 0)
      throw UsageError(
          fmt::format("--param: '{}' is given twice; sweep it with one --param {}=v1,v2", name, name));
    for (auto value = values.begin(); value != values.end(); ++value)
      if (std::find(values.begin(), value, *value) != value)
        throw UsageError(fmt::format("--param: '{}' lists the value '{}' twice", name, *value));

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
  Params params(info.workload_params);
  double task_ns = 10;
  try {
    task_ns = workload.nominal_task_ns(params);
  } catch (const std::exception&) {
  }
  const double cores = std::max(1u, std::thread::hardware_concurrency());
  const Params strategy_params(info.strategy_params);
  const StrategyTraits traits = traits_for(strategy, strategy_params);
  const auto lifecycle = traits.worker_lifecycle;
  double parallel = 1;
  if (lifecycle == WorkerLifecycle::caller_thread) {
    parallel = static_cast<double>(info.effective_producers);
  } else if ((lifecycle == WorkerLifecycle::thread_per_task ||
              lifecycle == WorkerLifecycle::fiber_per_task) &&
             traits.when_full == WhenFull::never_full) {
    parallel = static_cast<double>(info.tasks);
  } else {
    parallel = static_cast<double>(info.workers);
  }
  if (workload.uses_cpu) parallel = std::min(parallel, cores);
  parallel = std::max(1.0, std::min(parallel, static_cast<double>(info.tasks)));
  const double tasks = static_cast<double>(info.tasks);
  return per_process_seconds +
         tasks * (task_ns / parallel + nominal_overhead_for(strategy, strategy_params)) * 1e-9;
}

// Constructing a workload checks its parameters together (simulated_io: p99_ms at least median_ms); its
// constructor only checks and stores, the work is in prepare(). Throws UsageError naming the workload.
void check_workload_params(const WorkloadInfo& workload, const std::map<std::string, std::string>& params,
                           std::set<std::map<std::string, std::string>>& checked) {
  std::map<std::string, std::string> own;
  for (const auto& spec : workload.params)
    if (auto found = params.find(spec.name); found != params.end()) own[spec.name] = found->second;
  if (!checked.insert(own).second) return;
  try {
    WorkloadConfig config;
    config.params = Params(own);
    (void)workload.make(config);
  } catch (const std::exception& error) {
    throw UsageError(fmt::format("--param: {}: {}", workload.name, error.what()));
  }
}

// One point of the arrival sweep: how tasks arrive, and the parts it adds to a case's name (none for the
// closed loop; `arrival:poisson/rate:20000` or `arrival:uniform/load:0.8` for an open loop).
struct ArrivalPoint {
  Arrival arrival;
  std::map<std::string, std::string> name_params;
};

// A positive number at most `max` (--rate, --load). Throws UsageError naming `flag`.
double parse_positive(const char* flag, const std::string& value, double max) {
  double parsed = 0;
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), parsed);
  if (value.empty() || error != std::errc{} || end != value.data() + value.size() || !std::isfinite(parsed) ||
      !(parsed > 0) || parsed > max)
    throw UsageError(fmt::format("{}: '{}' is not a number above 0 and at most {:g}", flag, value, max));
  return parsed;
}

// --arrival, --rate, --load, --seed: the closed loop alone, or one open-loop point per rate or load.
std::vector<ArrivalPoint> arrival_points(const PlanRequest& request) {
  const std::string process_name = request.arrival.value_or("closed");
  const auto process = arrival_process_named(process_name);
  if (!process)
    throw UsageError(fmt::format("--arrival: '{}' is not closed, uniform or poisson", process_name));
  const auto rates = flatten(request.rates);
  const auto loads = flatten(request.loads);
  if (!rates.empty() && !loads.empty()) throw UsageError("--rate and --load: give one of them, not both");
  if (*process == ArrivalProcess::closed) {
    if (!rates.empty() || !loads.empty())
      throw UsageError(
          fmt::format("{}: an offered load needs an open loop (--arrival uniform or poisson); the "
                      "closed loop submits as fast as submit() returns",
                      rates.empty() ? "--load" : "--rate"));
    if (request.seed)
      throw UsageError("--seed: only an open loop (--arrival uniform or poisson) has a schedule");
    return {ArrivalPoint{}};
  }
  if (rates.empty() && loads.empty())
    throw UsageError(
        fmt::format("--arrival {}: give the offered load with --rate R,... or --load L,...", process_name));
  const std::uint64_t seed = request.seed ? parse_count("--seed", *request.seed) : 1;
  const bool by_rate = !rates.empty();
  std::vector<ArrivalPoint> points;
  for (const auto& text : by_rate ? rates : loads) {
    const double value = by_rate ? parse_positive("--rate", text, max_arrival_rate)
                                 : parse_positive("--load", text, max_arrival_load);
    ArrivalPoint point;
    point.arrival = Arrival{.process = *process,
                            .rate_per_second = by_rate ? value : 0.0,
                            .load = by_rate ? 0.0 : value,
                            .seed = seed};
    if (std::any_of(points.begin(), points.end(),
                    [&](const ArrivalPoint& other) { return other.arrival == point.arrival; }))
      continue;
    // The one formatting of the value, shared with CaseInfo::load_params(): "20000", "0.8".
    point.name_params = {{"arrival", process_name}, {by_rate ? "rate" : "load", fmt::format("{}", value)}};
    points.push_back(std::move(point));
  }
  return points;
}

// An open loop runs for at least tasks / rate; --load first calibrates, closed loop, on two eighths of the
// tasks.
double estimate_open_loop_seconds(double closed_seconds, const Arrival& arrival, std::size_t tasks) {
  constexpr double per_process_seconds = 0.1;
  if (!arrival.open_loop()) return closed_seconds;
  const double closed_work = std::max(0.0, closed_seconds - per_process_seconds);
  if (arrival.load > 0) return per_process_seconds + closed_work / 4 + closed_work / arrival.load;
  return std::max(closed_seconds, per_process_seconds + static_cast<double>(tasks) / arrival.rate_per_second);
}

// How many cases the matrix expands to before --filter, saturating instead of overflowing.
double candidate_count(const std::vector<const StrategyInfo*>& strategies,
                       const std::vector<const WorkloadInfo*>& workloads,
                       const std::map<std::string, std::vector<std::string>>& given_params, std::size_t tasks,
                       std::size_t workers, std::size_t producers, std::size_t arrival_points, bool quick) {
  double total = 0;
  for (const WorkloadInfo* workload : workloads) {
    const double task_count = static_cast<double>(tasks != 0 ? tasks
                                                  : quick    ? 1
                                                             : workload->default_tasks.size());
    const double worker_count =
        static_cast<double>(workers != 0 ? workers : workload->default_workers.size());
    for (const StrategyInfo* strategy : strategies) {
      std::map<std::string, std::size_t> values_per_param;  // as make_plan names them: one entry per name
      for (const auto& spec : strategy->params)
        if (auto given = given_params.find(spec.name); given != given_params.end())
          values_per_param[spec.name] = given->second.size();
      for (const auto& spec : workload->params)
        if (auto given = given_params.find(spec.name); given != given_params.end())
          values_per_param[spec.name] = given->second.size();
        else if (auto sweep = workload->default_sweep.find(spec.name); sweep != workload->default_sweep.end())
          values_per_param[spec.name] = sweep->second.size();
      double assignments = 1;
      for (const auto& [name, count] : values_per_param) assignments *= static_cast<double>(count);
      total += assignments * task_count * worker_count * static_cast<double>(producers) *
               static_cast<double>(arrival_points);
    }
  }
  return total;
}

}  // namespace

std::size_t parse_count(const char* flag, const std::string& value) {
  std::size_t parsed = 0;
  auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), parsed);
  const bool is_number = !value.empty() && end == value.data() + value.size() &&
                         (error == std::errc{} || error == std::errc::result_out_of_range);
  if (is_number && (error == std::errc::result_out_of_range ||
                    parsed > static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max())))
    throw UsageError(fmt::format("{}: '{}' is too large (at most {})", flag, value,
                                 std::numeric_limits<std::int64_t>::max()));
  if (!is_number || parsed == 0)
    throw UsageError(fmt::format("{}: '{}' is not a positive integer", flag, value));
  return parsed;
}

double Plan::estimate_seconds() const {
  double total = 0;
  for (const auto& spec : cases) total += spec.estimate_seconds;
  return total * static_cast<double>(repetitions);
}

Plan make_plan(const PlanRequest& given) {
  const PlanRequest request = with_scenario(given);
  probe::parse_affinity(request.affinity);  // UsageError naming --affinity before anything runs
  const auto strategies = resolve<StrategyInfo>(
      strategy_registry(), request.strategies, "--strategies", "strategy",
      [](const StrategyInfo& info) { return !info.test_only && info.in_default_matrix; });
  const auto workloads = resolve<WorkloadInfo>(
      workload_registry(), request.workloads, "--workloads", "workload",
      [](const WorkloadInfo& info) { return !info.test_only && info.in_default_matrix; });
  if (strategies.empty()) throw UsageError("--strategies: no strategy selected");
  if (workloads.empty()) throw UsageError("--workloads: no workload selected");
  const auto tasks = parse_sizes(request.tasks, "--tasks");
  const auto workers = parse_sizes(request.workers, "--workers");
  auto producers = parse_sizes(request.producers, "--producers");
  if (producers.empty()) producers = default_producers;
  const auto given_params = parse_params(request.params, strategies, workloads);
  const auto arrivals = arrival_points(request);
  for (const WorkloadInfo* workload : workloads)
    if (workload->paces_submissions && arrivals.front().arrival.open_loop())
      throw UsageError(
          fmt::format("--arrival: the workload '{}' paces its own submissions; it runs in the "
                      "closed loop only",
                      workload->name));
  const std::optional<Shard> shard =
      request.shard ? std::optional<Shard>(parse_shard(*request.shard)) : std::nullopt;
  // The innermost coordinate pairs: every producer count with every arrival point.
  std::vector<std::pair<std::size_t, ArrivalPoint>> producers_and_arrivals;
  for (std::size_t producer_count : producers)
    for (const ArrivalPoint& point : arrivals) producers_and_arrivals.emplace_back(producer_count, point);

  Plan plan;
  plan.repetitions = request.repetitions.value_or(request.quick ? 1 : 3);
  plan.warmup_tasks = request.warmup_tasks;
  plan.probe_enabled = request.probe_enabled;
  plan.affinity = request.affinity;
  if (plan.repetitions < 1) throw UsageError("--repetitions: must be at least 1");
  if (plan.repetitions > static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max()))
    throw UsageError(fmt::format("--repetitions: {} is too large (at most {})", plan.repetitions,
                                 std::numeric_limits<std::int64_t>::max()));

  // Counted before anything is expanded: a matrix too large to hold fails here, not with bad_alloc.
  const double candidates = candidate_count(strategies, workloads, given_params, tasks.size(), workers.size(),
                                            producers.size(), arrivals.size(), request.quick);
  if (candidates > static_cast<double>(max_plan_cases))
    throw UsageError(
        fmt::format("the matrix has {:.3g} cases; at most {} in one run (give fewer values to "
                    "--strategies, --workloads, --tasks, --workers, --producers or --param)",
                    candidates, max_plan_cases));

  // RE2 matches in time linear in the name: no pattern can hang the planner (std::regex backtracks).
  std::optional<RE2> filter;
  if (request.filter) {
    RE2::Options options;
    options.set_log_errors(false);
    filter.emplace(*request.filter, options);
    if (!filter->ok())
      throw UsageError(fmt::format("--filter: '{}' is not a valid regular expression ({})", *request.filter,
                                   filter->error()));
  }
  std::set<std::map<std::string, std::string>> checked_workload_params;

  for (const WorkloadInfo* workload : workloads) {
    std::vector<std::size_t> workload_tasks = tasks;
    if (workload_tasks.empty())
      workload_tasks =
          request.quick ? std::vector<std::size_t>{workload->quick_tasks} : workload->default_tasks;
    const std::vector<std::size_t> workload_workers = workers.empty() ? workload->default_workers : workers;

    for (const StrategyInfo* strategy : strategies) {
      // Parameters that vary or were chosen appear in the name; the others run at their defaults.
      std::map<std::string, std::vector<std::string>> named;
      for (const auto& spec : strategy->params) {
        if (auto given = given_params.find(spec.name); given != given_params.end())
          named[spec.name] = given->second;
        else if (auto sweep = strategy->default_sweep.find(spec.name); sweep != strategy->default_sweep.end())
          named[spec.name] = sweep->second;
      }
      for (const auto& spec : workload->params) {
        if (auto given = given_params.find(spec.name); given != given_params.end())
          named[spec.name] = given->second;
        else if (auto sweep = workload->default_sweep.find(spec.name); sweep != workload->default_sweep.end())
          named[spec.name] = sweep->second;
      }

      for (const auto& assignment : product(named))
        for (std::size_t task_count : workload_tasks)
          for (std::size_t worker_count : workload_workers)
            for (const auto& [producer_count, point] : producers_and_arrivals) {
              CaseSpec spec;
              spec.info.strategy = strategy->name;
              spec.info.workload = workload->name;
              spec.info.tasks = task_count;
              spec.info.workers = worker_count;
              spec.info.producers = producer_count;
              spec.info.effective_producers =
                  effective_producers(strategy->traits, producer_count, worker_count);
              spec.info.strategy_description = strategy->description;
              spec.info.strategy_traits = strategy->traits;
              spec.info.arrival = point.arrival;
              CaseName name{.strategy = strategy->name,
                            .workload = workload->name,
                            .params = {},
                            .tasks = task_count,
                            .workers = worker_count,
                            .producers = producer_count};
              for (const auto& param : strategy->params) {
                const auto chosen = assignment.find(param.name);
                spec.info.strategy_params[param.name] =
                    chosen != assignment.end() ? chosen->second : param.default_value;
              }
              for (const auto& param : workload->params) {
                const auto chosen = assignment.find(param.name);
                spec.info.workload_params[param.name] =
                    chosen != assignment.end() ? chosen->second : param.default_value;
              }
              // The mode's own traits (spawn=fiber is fiber_per_task): what the case records and the report
              // shows.
              spec.info.strategy_traits = traits_for(*strategy, Params(spec.info.strategy_params));
              spec.info.effective_producers =
                  effective_producers(*spec.info.strategy_traits, producer_count, worker_count);
              name.params = assignment;
              name.params.insert(point.name_params.begin(), point.name_params.end());
              std::string formatted;
              try {
                formatted = name.str();
              } catch (const CaseNameError& error) {
                throw UsageError(fmt::format("--param: {}", error.what()));
              }
              if (filter && !RE2::PartialMatch(formatted, *filter)) continue;
              check_workload_params(*workload, spec.info.workload_params, checked_workload_params);
              if (strategy->check_params) {
                try {
                  strategy->check_params(Params(spec.info.strategy_params));
                } catch (const std::exception& error) {
                  throw UsageError(fmt::format("--param: {}: {}", strategy->name, error.what()));
                }
              }
              spec.name = std::move(formatted);
              spec.family_index = plan.cases.size();
              spec.repetitions = plan.repetitions;
              spec.warmup_tasks = request.warmup_tasks;
              spec.probe_enabled = request.probe_enabled;
              spec.affinity = request.affinity;
              spec.estimate_seconds = estimate_open_loop_seconds(
                  estimate_case_seconds(*strategy, *workload, spec.info), point.arrival, task_count);
              // The warm-up's tasks cost what the window's do.
              spec.estimate_seconds *=
                  1.0 + static_cast<double>(request.warmup_tasks) / static_cast<double>(spec.info.tasks);
              // The timeout scales with the estimate: an estimate beyond any sensible run (huge parameters or
              // task counts) would make it overflow.
              if (!(spec.estimate_seconds >= 0 && spec.estimate_seconds <= max_case_estimate_seconds))
                throw UsageError(fmt::format(
                    "{}: estimated at {:.3g} s per repetition, more than the {:g} s poolbench accepts (fewer "
                    "tasks, or smaller --param values)",
                    spec.name, spec.estimate_seconds, max_case_estimate_seconds));
              plan.cases.push_back(std::move(spec));
            }
    }
  }
  if (plan.cases.empty())
    throw UsageError(request.filter ? fmt::format("--filter: no case matches '{}'", *request.filter)
                                    : std::string("the matrix is empty"));
  plan.plan_cases = plan.cases.size();
  plan.plan_digest = plan_digest(plan.cases);
  if (shard) {
    // family_index stays the case's index in the whole plan: merge puts the shards back in plan order.
    std::vector<CaseSpec> mine;
    for (std::size_t index : shard_case_indices(plan.cases, *shard))
      mine.push_back(std::move(plan.cases[index]));
    plan.cases = std::move(mine);
    plan.shard = shard;
  }
  return plan;
}

}  // namespace poolbench
