#include "warm_state.hpp"

#include <time.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "default_workers.hpp"
#include "params.hpp"
#include "probe/shared_calibration.hpp"
#include "registry.hpp"

namespace poolbench {
namespace {

constexpr std::size_t line_count = 16;
constexpr std::size_t searches_per_job = 4;

// Pattern k of a state: a log-field extractor keyed by k, so that every pattern is distinct (no compiler or
// library could share work between them) and some of them match the lines below.
std::string pattern_text(std::size_t k) {
  return fmt::format(R"((?:^|\s)(k{}|key{})=(\d{{1,9}})(?:\s+(\w+)=([\w.-]+))?)", k, k % 97);
}

std::string line_text(std::size_t i) {
  return fmt::format("ts=1700000{:03} level=info k{}={} key{}={} user=u{} path=/api/v1/items/{} status=200",
                     i, i, 1000 + i * 37, i % 97, 40 + i, i % 5, i * 11);
}

std::atomic<std::uint64_t> next_warm_state_id{1};

struct ThreadStateCache {
  std::uint64_t owner = 0;  // instance id of the workload that built `state`
  std::unique_ptr<WarmState> state;
};
thread_local ThreadStateCache thread_state_cache;

const char* scope_name(WarmStateScope scope) {
  switch (scope) {
    case WarmStateScope::per_worker:
      return "per_worker";
    case WarmStateScope::per_task:
      return "per_task";
    case WarmStateScope::thread_local_cache:
      return "thread_local";
  }
  return "?";
}

double measure_ns_per_pattern() {
  // Compile an 8-pattern state (about 1 ms) 21 times and keep the fastest, in the thread's CPU time: another
  // process taking the core must not make the calibrated state smaller. Seven trials and one warm-up left
  // the processes of one run disagreeing; the measurement is now made once per run
  // (probe/shared_calibration.hpp), so it can afford more.
  constexpr std::size_t sample_patterns = 8;
  for (int warm_up = 0; warm_up < 3; ++warm_up) {
    const WarmState state(sample_patterns);
  }
  double best = std::numeric_limits<double>::infinity();
  for (int trial = 0; trial < 21; ++trial) {
    const double start = probe::thread_cpu_seconds();
    { const WarmState state(sample_patterns); }
    best = std::min(best, probe::thread_cpu_seconds() - start);
  }
  return best * 1e9 / sample_patterns;
}

}  // namespace

WarmState::WarmState(std::size_t pattern_count) {
  patterns_.reserve(pattern_count);
  for (std::size_t k = 0; k < pattern_count; ++k)
    patterns_.emplace_back(pattern_text(k), std::regex::ECMAScript);
}

std::uint64_t WarmState::job(std::size_t index, const std::string& line) const {
  std::uint64_t result = 0;
  std::smatch match;
  for (std::size_t j = 0; j < searches_per_job; ++j) {
    // Spread the searches over the whole set; the first is the pattern keyed by the line (which matches).
    const std::size_t k =
        (index % line_count + j * (patterns_.size() / searches_per_job + 1)) % patterns_.size();
    if (std::regex_search(line, match, patterns_[k]))
      result = result * 1000003 + std::stoull(match[2].str()) + match.length(0);
    else
      result = result * 1000003 + 7 + j;
  }
  return result;
}

std::size_t WarmStateWorkload::patterns_for(double build_ms) {
  // Shared by every process of the run (probe/shared_calibration.hpp): the same states for every case.
  static const double ns_per_pattern =
      probe::shared_calibration("warm_state.ns_per_pattern", measure_ns_per_pattern);
  return std::max<std::size_t>(1, static_cast<std::size_t>(std::llround(build_ms * 1e6 / ns_per_pattern)));
}

WarmStateWorkload::WarmStateWorkload(double build_ms, std::size_t patterns, const std::string& state,
                                     bool strategy_has_worker_state)
    : build_ms_(build_ms),
      fixed_patterns_(patterns),
      scope_(state == "thread_local"                             ? WarmStateScope::thread_local_cache
             : state == "per_task" || !strategy_has_worker_state ? WarmStateScope::per_task
                                                                 : WarmStateScope::per_worker),
      instance_id_(next_warm_state_id.fetch_add(1)) {
  if (state != "auto" && state != "per_task" && state != "thread_local")
    throw ParamError(fmt::format("state: '{}' is not one of auto, per_task, thread_local", state));
}

std::unique_ptr<WarmState> WarmStateWorkload::build_state() {
  states_built_.fetch_add(1, std::memory_order_relaxed);
  return std::make_unique<WarmState>(pattern_count_);
}

void WarmStateWorkload::prepare(std::size_t tasks) {
  pattern_count_ = fixed_patterns_ != 0 ? fixed_patterns_ : patterns_for(build_ms_);
  tasks_ = tasks;
  lines_.clear();
  for (std::size_t i = 0; i < line_count; ++i) lines_.push_back(line_text(i));
  // Every task's answer, from a state built here, outside the window (and not counted as a build).
  const WarmState reference(pattern_count_);
  expected_.resize(tasks);
  for (std::size_t i = 0; i < tasks; ++i) expected_[i] = reference.job(i, lines_[i % line_count]);
  results_ = std::make_unique<std::uint64_t[]>(tasks);
  ledger_.reset(tasks);
  states_built_.store(0);
  tasks_without_worker_state_.store(0);
}

void WarmStateWorkload::run(std::size_t index) {
  const std::string& line = lines_[index % line_count];
  std::uint64_t result = 0;
  switch (scope_) {
    case WarmStateScope::per_worker:
      if (const auto* state = dynamic_cast<const WarmState*>(current_worker_state())) {
        result = state->job(index, line);
      } else {
        // The strategy declared worker state but did not install it: still do the work, fail the case in
        // verify.
        tasks_without_worker_state_.fetch_add(1, std::memory_order_relaxed);
        result = build_state()->job(index, line);
      }
      break;
    case WarmStateScope::per_task:
      result = build_state()->job(index, line);
      break;
    case WarmStateScope::thread_local_cache: {
      ThreadStateCache& cache = thread_state_cache;
      if (cache.owner != instance_id_ || !cache.state) {
        cache.state = build_state();
        cache.owner = instance_id_;
      }
      result = cache.state->job(index, line);
      break;
    }
  }
  results_[index] = result;
  ledger_.record(index);
}

std::string WarmStateWorkload::verify() {
  if (std::string failure = ledger_.verify(); !failure.empty()) return failure;
  std::size_t wrong = 0;
  std::size_t first_wrong = tasks_;
  for (std::size_t i = 0; i < tasks_; ++i) {
    if (ledger_.rejected(i) || results_[i] == expected_[i]) continue;
    if (wrong++ == 0) first_wrong = i;
  }
  if (wrong != 0)
    return fmt::format("{} of {} tasks stored a wrong result (first: task {})", wrong, tasks_, first_wrong);
  if (const auto missing = tasks_without_worker_state_.load(); missing != 0)
    return fmt::format(
        "the strategy declares worker state, but {} tasks ran on a thread without it installed", missing);
  return {};
}

WorkerStateFactory WarmStateWorkload::worker_state_factory() {
  if (scope_ != WarmStateScope::per_worker) return {};
  return [this]() -> std::unique_ptr<WorkerState> { return build_state(); };
}

std::string WarmStateWorkload::label() const {
  return fmt::format("state_scope={} states_built={} patterns_per_state={}", scope_name(scope_),
                     states_built(), pattern_count_);
}

namespace {
const WorkloadRegistrar warm_state_registrar{WorkloadInfo{
    .name = "warm_state",
    .description =
        "each task needs an expensive state (compiled regexes, build_ms to build) for a short job; "
        "per worker where the strategy keeps worker state, else per task (or state=thread_local)",
    .params = {ParamSpec{
                   .name = "build_ms",
                   .default_value = "5",
                   .description = "time to build one state in milliseconds, calibrated once per process",
                   .kind = ParamKind::positive_number},
               // The calibration makes a state take build_ms on any machine, so its size (and the
               // allocations that build it) follow the machine's speed; a fixed count makes the same work
               // everywhere, what a comparison of allocations between machines needs (scripts/test's
               // baseline step).
               ParamSpec{
                   .name = "patterns",
                   .default_value = "0",
                   .description = "patterns per state; 0 (default): as many as take build_ms to compile",
                   .kind = ParamKind::non_negative_integer},
               ParamSpec{.name = "state",
                         .default_value = "auto",
                         .description = "where the state lives: auto (per worker if the strategy has worker "
                                        "state, else per task), per_task, thread_local",
                         .kind = ParamKind::choice,
                         .choices = {"auto", "per_task", "thread_local"}}},
    .make =
        [](const WorkloadConfig& config) {
          return std::make_unique<WarmStateWorkload>(
              config.params.number("build_ms"), static_cast<std::size_t>(config.params.integer("patterns")),
              config.params.text("state"), config.strategy_has_worker_state);
        },
    .default_tasks = {32},
    .quick_tasks = 8,
    .default_workers = oversubscribed_workers(machine_cores()),
    .default_sweep = {},
    // A build per task (the scope of every strategy without worker state) plus the short job.
    .nominal_task_ns = [](const Params& params) { return params.number("build_ms") * 1e6 + 20000.0; },
    .uses_cpu = true,
}};
}  // namespace

}  // namespace poolbench
