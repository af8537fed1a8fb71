#include "phased.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include <fmt/format.h>

#include "metrics/catalogue.hpp"
#include "registry.hpp"
#include "workload_clock.hpp"

namespace poolbench {
namespace {

using workload_clock::now_ns;
using workload_clock::sleep_until_ns;

// A thread's presence among the workers of the workload whose task it ran last: counted in when it runs its
// first task, out when it exits.
struct WorkerPresence {
  std::shared_ptr<PhasedWorkload::LiveLog> live;
  WorkerPresence() = default;
  WorkerPresence(const WorkerPresence&) = delete;
  WorkerPresence& operator=(const WorkerPresence&) = delete;
  ~WorkerPresence() {
    if (!live) return;
    const std::int64_t now = now_ns();
    std::lock_guard lock(live->mutex);
    live->changes.emplace_back(now, -1);
  }
};

thread_local WorkerPresence this_thread_presence;

constexpr const char* settled_names[] = {metrics::name::settled_workers_low,
                                         metrics::name::settled_workers_high,
                                         metrics::name::settled_workers_low_again};
constexpr const char* converge_names[] = {metrics::name::converge_low_ns, metrics::name::converge_high_ns,
                                          metrics::name::converge_low_again_ns};
constexpr const char* overshoot_names[] = {metrics::name::overshoot_low_workers,
                                           metrics::name::overshoot_high_workers,
                                           metrics::name::overshoot_low_again_workers};

}  // namespace

PhaseConvergence phase_convergence(std::span<const WorkerCountStep> steps, std::int64_t start_ns,
                                   std::int64_t end_ns) {
  // The count in force at `at`: the last step at or before it (0 before the first).
  const auto count_at = [&](std::int64_t at) {
    std::int64_t count = 0;
    for (const auto& step : steps) {
      if (step.at_ns > at) break;
      count = step.count;
    }
    return count;
  };
  // The pieces of the step function inside [start_ns, end_ns): (from, to, count).
  struct Piece {
    std::int64_t from, to, count;
  };
  std::vector<Piece> pieces;
  std::int64_t from = start_ns;
  std::int64_t count = count_at(start_ns);
  for (const auto& step : steps) {
    if (step.at_ns <= start_ns) continue;
    if (step.at_ns >= end_ns) break;
    if (step.at_ns > from) pieces.push_back({from, step.at_ns, count});
    from = step.at_ns;
    count = step.count;
  }
  pieces.push_back({from, end_ns, count});

  // Settled: the count held longest over the last quarter.
  const std::int64_t last_quarter = end_ns - (end_ns - start_ns) / 4;
  std::map<std::int64_t, std::int64_t> held_ns;
  for (const auto& piece : pieces) {
    const std::int64_t overlap = std::min(piece.to, end_ns) - std::max(piece.from, last_quarter);
    if (overlap > 0) held_ns[piece.count] += overlap;
  }
  PhaseConvergence out;
  std::int64_t longest = -1;
  for (const auto& [value, held] : held_ns)
    if (held > longest) {
      longest = held;
      out.settled = value;
    }
  const std::int64_t band = std::max<std::int64_t>(1, std::llround(0.2 * static_cast<double>(out.settled)));
  // Converged from the start of the last run of pieces within the band that lasts to the phase's end.
  out.converge_ns = end_ns - start_ns;
  for (auto piece = pieces.rbegin(); piece != pieces.rend(); ++piece) {
    if (std::llabs(piece->count - out.settled) > band) break;
    out.converge_ns = piece->from - start_ns;
  }
  const std::int64_t first = pieces.front().count;
  for (const auto& piece : pieces)
    out.overshoot =
        std::max(out.overshoot, out.settled >= first ? piece.count - out.settled : out.settled - piece.count);
  return out;
}

PhasedWorkload::PhasedWorkload(PhasedOptions options) : options_(options) {}

void PhasedWorkload::prepare(std::size_t tasks) {
  tasks_ = tasks;
  const double rates[phases] = {options_.low_rate, options_.high_rate, options_.low_rate};
  double total_share = 0;
  for (double rate : rates) total_share += rate;
  // Phase shares of the tasks in proportion to rate × length (the lengths are equal); the last takes the
  // remainder.
  due_ns_.assign(tasks, 0);
  std::size_t first = 0;
  double phase_start_ns = 0;
  for (std::size_t phase = 0; phase < phases; ++phase) {
    phase_first_[phase] = first;
    const std::size_t count =
        phase + 1 == phases
            ? tasks - first
            : std::min(tasks - first, static_cast<std::size_t>(std::llround(static_cast<double>(tasks) *
                                                                            rates[phase] / total_share)));
    const double interval_ns = 1e9 / rates[phase];
    for (std::size_t i = 0; i < count; ++i)
      due_ns_[first + i] = std::llround(phase_start_ns + static_cast<double>(i) * interval_ns);
    phase_start_ns += static_cast<double>(count) * interval_ns;
    first += count;
  }
  phase_first_[phases] = tasks;
  origin_ns_.store(0, std::memory_order_relaxed);
  end_ns_.store(0, std::memory_order_relaxed);
  finished_.store(0, std::memory_order_relaxed);
  live_ = std::make_shared<LiveLog>();
  ledger_.reset(tasks);
}

void PhasedWorkload::before_submit(std::size_t index) {
  std::int64_t origin = origin_ns_.load(std::memory_order_acquire);
  if (origin == 0) {
    const std::int64_t now = now_ns();
    if (origin_ns_.compare_exchange_strong(origin, now, std::memory_order_acq_rel)) origin = now;
  }
  sleep_until_ns(origin + due_ns_[index]);
}

void PhasedWorkload::run(std::size_t index) {
  const std::int64_t started = now_ns();
  WorkerPresence& me = this_thread_presence;
  if (me.live != live_) {
    me.live = live_;
    std::lock_guard lock(live_->mutex);
    live_->changes.emplace_back(started, +1);
  }
  sleep_until_ns(started + std::llround(options_.task_us * 1e3));
  ledger_.record(index);
  finished();
}

void PhasedWorkload::on_rejected(std::size_t index) {
  ledger_.mark_rejected(index);
  finished();
}

void PhasedWorkload::finished() {
  if (finished_.fetch_add(1, std::memory_order_acq_rel) + 1 == tasks_)
    end_ns_.store(now_ns(), std::memory_order_release);
}

std::string PhasedWorkload::verify() {
  return ledger_.verify();
}

std::map<std::string, double> PhasedWorkload::counters() const {
  std::map<std::string, double> out;
  const std::int64_t origin = origin_ns_.load(std::memory_order_acquire);
  const std::int64_t end = end_ns_.load(std::memory_order_acquire);
  if (!live_ || origin == 0 || end <= origin) return out;
  std::vector<std::pair<std::int64_t, int>> changes;
  {
    std::lock_guard lock(live_->mutex);
    changes = live_->changes;
  }
  std::sort(changes.begin(), changes.end());
  std::vector<WorkerCountStep> steps;
  std::int64_t count = 0;
  for (const auto& [at, change] : changes) {
    count += change;
    steps.push_back({at, count});
  }
  for (std::size_t point = 0; point < max_series_points; ++point) {
    const std::int64_t at = origin + static_cast<std::int64_t>(point) * series_step_ms * 1'000'000;
    if (at > end) break;
    std::int64_t live = 0;
    for (const auto& step : steps) {
      if (step.at_ns > at) break;
      live = step.count;
    }
    out[fmt::format("live_workers_at_{:05}ms", static_cast<std::int64_t>(point) * series_step_ms)] =
        static_cast<double>(live);
  }
  for (std::size_t phase = 0; phase < phases; ++phase) {
    if (phase_first_[phase] >= phase_first_[phase + 1]) continue;  // no task in it
    const std::int64_t start = origin + due_ns_[phase_first_[phase]];
    const std::int64_t stop = phase + 1 < phases && phase_first_[phase + 1] < tasks_
                                  ? origin + due_ns_[phase_first_[phase + 1]]
                                  : end;
    if (stop <= start) continue;
    const PhaseConvergence phase_figures = phase_convergence(steps, start, stop);
    out[settled_names[phase]] = static_cast<double>(phase_figures.settled);
    out[converge_names[phase]] = static_cast<double>(phase_figures.converge_ns);
    out[overshoot_names[phase]] = static_cast<double>(phase_figures.overshoot);
  }
  if (phase_first_[1] < tasks_)
    out[metrics::name::phase_high_start_ns] = static_cast<double>(due_ns_[phase_first_[1]]);
  if (phase_first_[2] < tasks_)
    out[metrics::name::phase_low_again_start_ns] = static_cast<double>(due_ns_[phase_first_[2]]);
  return out;
}

std::string PhasedWorkload::label() const {
  return fmt::format("phases={}/{}/{} tasks", phase_first_[1] - phase_first_[0],
                     phase_first_[2] - phase_first_[1], phase_first_[3] - phase_first_[2]);
}

namespace {

std::size_t default_task_count(const PhasedOptions& options) {
  return static_cast<std::size_t>(
      std::llround((2 * options.low_rate + options.high_rate) * options.phase_ms / 1000));
}

const WorkloadRegistrar phased_registrar{WorkloadInfo{
    .name = "phased",
    .description =
        "waiting tasks offered low, then high, then low again: how a pool's live worker count "
        "follows (converge time, overshoot per phase; the guide's Exercise 3; --scenario adaptive)",
    .params = {ParamSpec{.name = "low_rate",
                         .default_value = "400",
                         .description = "tasks per second in the first and the last phase",
                         .kind = ParamKind::positive_number},
               ParamSpec{.name = "high_rate",
                         .default_value = "3200",
                         .description = "tasks per second in the middle phase",
                         .kind = ParamKind::positive_number},
               ParamSpec{.name = "phase_ms",
                         .default_value = "1500",
                         .description = "each phase's length at the default task count (tasks = "
                                        "(2 low_rate + high_rate) x phase_ms; other counts scale it)",
                         .kind = ParamKind::positive_number},
               ParamSpec{.name = "task_us",
                         .default_value = "2500",
                         .description = "how long each task waits, without using a CPU",
                         .kind = ParamKind::positive_number}},
    .make =
        [](const WorkloadConfig& config) {
          const Params& params = config.params;
          return std::make_unique<PhasedWorkload>(PhasedOptions{.low_rate = params.number("low_rate"),
                                                                .high_rate = params.number("high_rate"),
                                                                .phase_ms = params.number("phase_ms"),
                                                                .task_us = params.number("task_us")});
        },
    .default_tasks = {default_task_count(PhasedOptions{})},
    .quick_tasks = default_task_count(PhasedOptions{}) / 2,
    .default_workers = {16},
    // A task's share of the case's wall time: the mean interval between arrivals.
    .nominal_task_ns =
        [](const Params& params) {
          return 3e9 / (2 * params.number("low_rate") + params.number("high_rate"));
        },
    .uses_cpu = false,
    .in_default_matrix = false,
    .paces_submissions = true,
}};

}  // namespace
}  // namespace poolbench
