#include "adaptive.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include <fmt/format.h>

#include "registry.hpp"
#include "support/thread_start.hpp"

namespace poolbench {

void check_adaptive_options(const AdaptiveOptions& options) {
  if (options.min_workers == 0) throw ParamError("min_workers must be at least 1");
  if (options.min_workers > options.max_workers)
    throw ParamError(fmt::format("min_workers={} is above K={}: the pool could not shrink to it",
                                 options.min_workers, options.max_workers));
  if (options.window == 0) throw ParamError("window must be at least 1 reading");
  if (options.sample_interval <= std::chrono::nanoseconds::zero())
    throw ParamError("sample_ms must be above 0");
  if (!(options.shrink_below > 0 && options.shrink_below < options.target_utilisation &&
        options.target_utilisation < options.grow_above && options.grow_above <= 1))
    throw ParamError(
        fmt::format("the thresholds must satisfy 0 < shrink_below < target_utilisation < grow_above <= 1 "
                    "(got {}, {}, {})",
                    options.shrink_below, options.target_utilisation, options.grow_above));
}

AdaptiveController::AdaptiveController(const AdaptiveOptions& options)
    : options_(options), capacity_(options.min_workers) {
  check_adaptive_options(options_);
}

std::optional<std::size_t> AdaptiveController::observe(AdaptiveReading reading) {
  readings_.push_back(reading);
  if (readings_.size() < options_.window) return std::nullopt;
  if (readings_.size() > options_.window) readings_.pop_front();
  double busy = 0;
  double demand = 0;
  for (const auto& r : readings_) {
    busy += static_cast<double>(r.busy);
    demand += static_cast<double>(r.busy + r.waiting);
  }
  const double count = static_cast<double>(readings_.size());
  const double utilisation = busy / count / static_cast<double>(capacity_);
  // The capacity at which the mean demand would keep the pool at its target utilisation.
  const double aimed = std::ceil(demand / count / options_.target_utilisation);
  const auto aimed_capacity = static_cast<std::size_t>(std::max(aimed, 0.0));
  std::size_t next = capacity_;
  if (utilisation >= options_.grow_above && capacity_ < options_.max_workers)
    next = std::min(options_.max_workers, std::max(capacity_ + 1, aimed_capacity));
  else if (utilisation < options_.shrink_below && aimed_capacity < capacity_)
    next = std::max(options_.min_workers, aimed_capacity);
  if (next == capacity_) return std::nullopt;
  capacity_ = next;
  readings_.clear();
  return next;
}

namespace {

LifoStackOptions pool_options(const AdaptiveOptions& options) {
  check_adaptive_options(options);
  LifoStackOptions pool;
  pool.capacity = options.min_workers;
  pool.expiry = options.expiry;
  return pool;
}

std::int64_t steady_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

AdaptivePool::AdaptivePool(AdaptiveOptions options)
    : options_(options), pool_(pool_options(options)), history_{{0, options.min_workers}} {
  controller_ = support::start_helper_thread<std::jthread>("adaptive's controller thread",
                                                           [this](std::stop_token stop) { control(stop); });
}

AdaptivePool::~AdaptivePool() {
  shutdown();
}

SubmitResult AdaptivePool::submit(Task task) {
  if (first_submit_ns_.load(std::memory_order_relaxed) == 0) {
    std::int64_t unset = 0;
    first_submit_ns_.compare_exchange_strong(unset, steady_now_ns(), std::memory_order_relaxed);
  }
  return pool_.submit(std::move(task));
}

std::exception_ptr AdaptivePool::wait() {
  return pool_.wait();
}

void AdaptivePool::shutdown() {
  if (controller_.joinable()) {
    controller_.request_stop();
    controller_.join();
  }
  pool_.shutdown();
}

std::int64_t AdaptivePool::since_first_submit_ns() const {
  const std::int64_t first = first_submit_ns_.load(std::memory_order_relaxed);
  return first == 0 ? 0 : std::max<std::int64_t>(0, steady_now_ns() - first);
}

void AdaptivePool::control(std::stop_token stop) {
  AdaptiveController controller(options_);
  std::unique_lock lock(sleep_mutex_);
  while (!stop.stop_requested()) {
    sleep_.wait_for(lock, stop, options_.sample_interval, [] { return false; });
    if (stop.stop_requested()) break;
    const LifoStackCounters now = pool_.pool_counters();  // running and idle from one look under the lock
    const AdaptiveReading reading{.busy = now.running > now.idle ? now.running - now.idle : 0,
                                  .waiting = pool_.waiting()};
    if (auto resized = controller.observe(reading)) {
      pool_.tune(*resized);
      std::lock_guard history_lock(history_mutex_);
      history_.emplace_back(since_first_submit_ns(), *resized);
    }
  }
}

std::vector<std::size_t> AdaptivePool::capacity_history() const {
  std::lock_guard lock(history_mutex_);
  std::vector<std::size_t> capacities;
  for (const auto& [at, capacity] : history_) capacities.push_back(capacity);
  return capacities;
}

StrategyCounters AdaptivePool::counters() const {
  const LifoStackCounters pool = pool_.pool_counters();
  StrategyCounters counters;
  counters.threads_created = pool.threads_created + 1;  // the controller
  counters.extra["workers_created"] = static_cast<double>(pool.workers_created);
  counters.extra["workers_expired"] = static_cast<double>(pool.workers_expired);
  counters.extra["submit_blocked"] = static_cast<double>(pool.submit_blocked);
  std::lock_guard lock(history_mutex_);
  std::size_t max_used = 0;
  for (const auto& [at, capacity] : history_) max_used = std::max(max_used, capacity);
  counters.extra["k_resizes"] = static_cast<double>(history_.size() - 1);
  counters.extra["k_max_used"] = static_cast<double>(max_used);
  // The capacity in force at each step since the first submit, up to now (a step function sampled).
  const std::int64_t step_ns = std::chrono::nanoseconds(series_step).count();
  const std::int64_t end_ns = since_first_submit_ns();
  std::size_t change = 0;
  for (std::size_t point = 0; point < max_series_points; ++point) {
    const std::int64_t at = static_cast<std::int64_t>(point) * step_ns;
    if (at > end_ns) break;
    while (change + 1 < history_.size() && history_[change + 1].first <= at) ++change;
    counters.extra[fmt::format("k_at_{:05}ms", at / 1'000'000)] =
        static_cast<double>(history_[change].second);
  }
  return counters;
}

namespace {

std::vector<ParamSpec> adaptive_params() {
  return {
      {.name = "min_workers",
       .default_value = "1",
       .description = "the capacity never falls below this (and starts at it); above K it is K",
       .kind = ParamKind::positive_integer},
      {.name = "sample_ms",
       .default_value = "20",
       .description = "the controller reads busy workers and blocked submitters this often",
       .kind = ParamKind::positive_number},
      {.name = "window",
       .default_value = "5",
       .description = "readings averaged by each decision",
       .kind = ParamKind::positive_integer},
      {.name = "target_utilisation",
       .default_value = "0.75",
       .description = "a resize aims at capacity = ceil(mean demand / this)",
       .kind = ParamKind::positive_number},
      {.name = "grow_above",
       .default_value = "0.9",
       .description = "grow when the mean utilisation is at least this; at most 1",
       .kind = ParamKind::positive_number},
      {.name = "shrink_below",
       .default_value = "0.6",
       .description = "shrink when the mean utilisation is below this; below target_utilisation",
       .kind = ParamKind::positive_number},
      {.name = "expiry_ms",
       .default_value = "1000",
       .description = "idle workers are stopped after this many milliseconds (lifo_stack's expiry_ms, ants' "
                      "default)",
       .kind = ParamKind::positive_number},
  };
}

AdaptiveOptions options_from(const Params& given, std::size_t workers) {
  Params params = given;
  params.apply_defaults(adaptive_params());
  AdaptiveOptions options;
  options.max_workers = workers;
  // Capped at K, so that a sweep of K (-k 1,2,16) runs with one min_workers: at or below it, a fixed pool.
  options.min_workers = std::min(workers, static_cast<std::size_t>(params.integer("min_workers")));
  options.sample_interval = std::chrono::nanoseconds(std::llround(params.number("sample_ms") * 1e6));
  options.window = static_cast<std::size_t>(params.integer("window"));
  options.target_utilisation = params.number("target_utilisation");
  options.grow_above = params.number("grow_above");
  options.shrink_below = params.number("shrink_below");
  options.expiry = std::chrono::nanoseconds(std::llround(params.number("expiry_ms") * 1e6));
  return options;
}

const StrategyRegistrar adaptive_registrar{StrategyInfo{
    .name = "adaptive",
    .description = "ants' default pool resized by a controller through Tune: capacity from the observed "
                   "utilisation and blocked submitters, between min_workers and K (--scenario adaptive)",
    .traits = {.queue_order = QueueOrder::lifo_idle_worker,
               .worker_lifecycle = WorkerLifecycle::on_demand_with_expiry,
               .when_full = WhenFull::blocks,
               .on_exception = OnException::handler_called_continues,
               .returns_results = false,
               .cancellation = false,
               .synchronous_submit = false,
               .worker_state = false},
    .params = adaptive_params(),
    .make = [](const StrategyConfig& config) -> std::unique_ptr<Strategy> {
      return std::make_unique<AdaptivePool>(options_from(config.params, config.workers));
    },
    .nominal_overhead_ns = 400,
    .in_default_matrix = false,
    .models = {{.mode = "",
                .library = "panjf2000/ants v2.11.4 (76ddb18): the default pool and `Tune()`, driven by a "
                           "controller (the guide's Exercise 3: ants has none)",
                .matches = "lifo_stack unchanged (ants.go `retrieveWorker()`, `revertWorker()`, "
                           "`purgeStaleWorkers()`); the controller calls ants.go `Tune(size)`, which stores "
                           "the capacity and wakes blocked submitters when it grows; a shrink takes effect "
                           "as workers come back (`revertWorker()` over capacity) or expire",
                .differs = "the controller is the exercise's wrapper, not ants code: it reads busy workers "
                           "and blocked submitters (not CPU utilisation) every `sample_ms` and resizes to "
                           "ceil(mean demand / target_utilisation) outside the band [shrink_below, "
                           "grow_above); the capacity starts at `min_workers`"}},
    .check_params = [](const Params& params) { check_adaptive_options(options_from(params, SIZE_MAX)); },
}};

}  // namespace
}  // namespace poolbench
