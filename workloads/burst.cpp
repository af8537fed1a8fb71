#include "burst.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

#include "metrics/catalogue.hpp"
#include "registry.hpp"
#include "workload_clock.hpp"

namespace poolbench {
namespace {

using workload_clock::now_ns;
using workload_clock::sleep_until_ns;

// How often a producer looks whether the burst it waits for has ended (or started): well below any gap.
constexpr std::int64_t poll_ns = 50'000;

// Waits until `value` is set (non-zero) and returns it.
std::int64_t await_set(const std::atomic<std::int64_t>& value) {
  std::int64_t seen = 0;
  while ((seen = value.load(std::memory_order_acquire)) == 0) sleep_until_ns(now_ns() + poll_ns);
  return seen;
}

// The identity of the thread running a task, made the first time it runs one; its destructor runs when the
// thread exits, which is how churn is seen from the threads themselves.
std::atomic<std::uint64_t> next_thread_serial{1};

struct ThreadIdentity {
  std::uint64_t serial = next_thread_serial.fetch_add(1, std::memory_order_relaxed);
  std::shared_ptr<BurstWorkload::ExitLog> exits;  // of the workload whose task it ran last
  ThreadIdentity() = default;
  ThreadIdentity(const ThreadIdentity&) = delete;
  ThreadIdentity& operator=(const ThreadIdentity&) = delete;
  ~ThreadIdentity() {
    if (!exits || exits->run_finished.load(std::memory_order_acquire)) return;
    const std::int64_t now = now_ns();
    std::lock_guard lock(exits->mutex);
    exits->exit_ns[serial] = now;
  }
};

thread_local ThreadIdentity this_thread_identity;

template <class T>
std::unique_ptr<std::atomic<T>[]> zeroed(std::size_t count) {
  auto values = std::make_unique<std::atomic<T>[]>(count);
  for (std::size_t i = 0; i < count; ++i) values[i].store(T{}, std::memory_order_relaxed);
  return values;
}

double median_of(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t middle = values.size() / 2;
  return values.size() % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
}

}  // namespace

double jain_fairness_index(std::span<const double> amounts) {
  const double sum = std::accumulate(amounts.begin(), amounts.end(), 0.0);
  const double sum_of_squares = std::accumulate(amounts.begin(), amounts.end(), 0.0,
                                                [](double total, double x) { return total + x * x; });
  if (amounts.empty() || !(sum_of_squares > 0)) return 0;
  return sum * sum / (static_cast<double>(amounts.size()) * sum_of_squares);
}

BurstWorkload::BurstWorkload(BurstOptions options) : options_(options) {}

std::size_t BurstWorkload::burst_size(std::size_t burst) const noexcept {
  return std::min(options_.burst_tasks, tasks_ - burst * options_.burst_tasks);
}

void BurstWorkload::prepare(std::size_t tasks) {
  tasks_ = tasks;
  bursts_ = (tasks + options_.burst_tasks - 1) / options_.burst_tasks;
  // Seeded exponential intervals (splitmix64, so the schedule is the same on every platform), restarting at
  // every burst's first task.
  offset_ns_.assign(tasks, 0);
  std::uint64_t state = options_.seed;
  double offset = 0;
  for (std::size_t i = 0; i < tasks; ++i) {
    if (i % options_.burst_tasks == 0) {
      offset = 0;
    } else {
      state += 0x9e3779b97f4a7c15ULL;
      std::uint64_t z = state;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      z ^= z >> 31;
      const double uniform = static_cast<double>(z >> 11) * 0x1.0p-53;  // [0, 1)
      offset += -std::log1p(-uniform) * options_.spacing_us * 1e3;
    }
    offset_ns_[i] = std::llround(offset);
  }
  worker_of_ = zeroed<std::uint64_t>(tasks);
  started_ns_ = zeroed<std::int64_t>(bursts_);
  ended_ns_ = zeroed<std::int64_t>(bursts_);
  finished_ = zeroed<std::size_t>(bursts_);
  first_submitted_ns_ = zeroed<std::int64_t>(bursts_);
  first_started_ns_ = zeroed<std::int64_t>(bursts_);
  finished_total_.store(0, std::memory_order_relaxed);
  exits_ = std::make_shared<ExitLog>();
  ledger_.reset(tasks);
}

void BurstWorkload::before_submit(std::size_t index) {
  const std::size_t burst = index / options_.burst_tasks;
  if (index % options_.burst_tasks != 0) {
    sleep_until_ns(await_set(started_ns_[burst]) + offset_ns_[index]);
    return;
  }
  if (burst > 0) {
    const double gap_ms = long_gap_before(burst) ? options_.long_gap_ms : options_.short_gap_ms;
    sleep_until_ns(await_set(ended_ns_[burst - 1]) + std::llround(gap_ms * 1e6));
  }
  const std::int64_t start = now_ns();
  first_submitted_ns_[burst].store(start, std::memory_order_relaxed);
  started_ns_[burst].store(start, std::memory_order_release);
}

void BurstWorkload::run(std::size_t index) {
  const std::int64_t started = now_ns();
  ThreadIdentity& me = this_thread_identity;
  if (me.exits != exits_) me.exits = exits_;
  worker_of_[index].store(me.serial, std::memory_order_release);
  if (index % options_.burst_tasks == 0)
    first_started_ns_[index / options_.burst_tasks].store(started, std::memory_order_release);
  // Through the SDK's sleep: under spawn=fiber the task parks its fiber (as a goroutine's time.Sleep does)
  // instead of holding a scheduler thread.
  sleep_until_ns(started + std::llround(options_.task_us * 1e3));
  ledger_.record(index);
  finished(index);
}

void BurstWorkload::on_rejected(std::size_t index) {
  ledger_.mark_rejected(index);
  finished(index);
}

void BurstWorkload::finished(std::size_t index) {
  const std::size_t burst = index / options_.burst_tasks;
  // The last of the burst to count takes the time after every other one has counted: no task of the burst
  // is still running then.
  if (finished_[burst].fetch_add(1, std::memory_order_acq_rel) + 1 == burst_size(burst))
    ended_ns_[burst].store(now_ns(), std::memory_order_release);
  if (finished_total_.fetch_add(1, std::memory_order_acq_rel) + 1 == tasks_)
    exits_->run_finished.store(true, std::memory_order_release);
}

std::string BurstWorkload::verify() {
  return ledger_.verify();
}

std::map<std::string, double> BurstWorkload::counters() const {
  namespace metric = metrics::name;
  std::map<std::uint64_t, std::int64_t> exit_ns;
  if (exits_) {
    std::lock_guard lock(exits_->mutex);
    exit_ns = exits_->exit_ns;
  }
  // Tasks per worker over the run, and per burst; the burst in which each worker first ran a task.
  std::map<std::uint64_t, double> tasks_by_worker;
  std::vector<std::map<std::uint64_t, double>> tasks_by_burst(bursts_);
  std::map<std::uint64_t, std::size_t> first_burst;
  for (std::size_t i = 0; i < tasks_; ++i) {
    const std::uint64_t worker = worker_of(i);
    if (worker == 0) continue;
    const std::size_t burst = i / options_.burst_tasks;
    tasks_by_worker[worker] += 1;
    tasks_by_burst[burst][worker] += 1;
    first_burst.try_emplace(worker, burst);
  }
  std::vector<double> counts;
  for (const auto& [worker, count] : tasks_by_worker) counts.push_back(count);
  // A burst's workers: those that ran its tasks, and those alive from earlier bursts (not exited before it
  // started) that ran none of them.
  std::vector<double> burst_fairness;
  for (std::size_t burst = 0; burst < bursts_; ++burst) {
    const std::int64_t started = started_ns_[burst].load(std::memory_order_acquire);
    std::vector<double> burst_counts;
    for (const auto& [worker, first] : first_burst) {
      const auto ran = tasks_by_burst[burst].find(worker);
      const auto exited = exit_ns.find(worker);
      const bool alive = first < burst && (exited == exit_ns.end() || exited->second > started);
      if (ran != tasks_by_burst[burst].end())
        burst_counts.push_back(ran->second);
      else if (alive)
        burst_counts.push_back(0);
    }
    if (!burst_counts.empty()) burst_fairness.push_back(jain_fairness_index(burst_counts));
  }
  // Exits during a long gap (after the burst before it ended, before the burst after it started): expiry of
  // an idle pool; every other exit left a worker idle while the pool was in use, or ran a thread per task.
  std::size_t exits_outside_long_gaps = 0;
  for (const auto& [worker, when] : exit_ns) {
    bool in_long_gap = false;
    for (std::size_t burst = 1; burst < bursts_ && !in_long_gap; ++burst)
      in_long_gap = long_gap_before(burst) && when > ended_ns_[burst - 1].load(std::memory_order_acquire) &&
                    when < started_ns_[burst].load(std::memory_order_acquire);
    if (!in_long_gap) ++exits_outside_long_gaps;
  }
  std::vector<double> after_short_gap, after_long_gap;
  for (std::size_t burst = 1; burst < bursts_; ++burst) {
    const std::int64_t submitted = first_submitted_ns_[burst].load(std::memory_order_acquire);
    const std::int64_t started = first_started_ns_[burst].load(std::memory_order_acquire);
    if (submitted == 0 || started == 0) continue;  // rejected
    (long_gap_before(burst) ? after_long_gap : after_short_gap)
        .push_back(static_cast<double>(std::max<std::int64_t>(0, started - submitted)));
  }
  std::map<std::string, double> out;
  if (!counts.empty()) {
    const double total = std::accumulate(counts.begin(), counts.end(), 0.0);
    const auto [fewest, most] = std::minmax_element(counts.begin(), counts.end());
    out[metric::worker_threads_used] = static_cast<double>(counts.size());
    out[metric::worker_fairness_jain] = jain_fairness_index(counts);
    out[metric::busiest_worker_share] = *most / total;
    out[metric::tasks_per_worker_min] = *fewest;
    out[metric::tasks_per_worker_max] = *most;
  }
  if (!burst_fairness.empty())
    out[metric::worker_fairness_jain_per_burst] =
        std::accumulate(burst_fairness.begin(), burst_fairness.end(), 0.0) /
        static_cast<double>(burst_fairness.size());
  out[metric::worker_exits_during_run] = static_cast<double>(exit_ns.size());
  out[metric::worker_exits_outside_long_gaps] = static_cast<double>(exits_outside_long_gaps);
  if (!after_short_gap.empty()) out[metric::first_after_short_gap_wait_ns] = median_of(after_short_gap);
  if (!after_long_gap.empty()) out[metric::first_after_long_gap_wait_ns] = median_of(after_long_gap);
  return out;
}

std::string BurstWorkload::label() const {
  return fmt::format("bursts={} gaps_ms={:g}/{:g}", bursts_, options_.short_gap_ms, options_.long_gap_ms);
}

namespace {
const WorkloadRegistrar burst_registrar{WorkloadInfo{
    .name = "burst",
    .description = "bursts of waiting tasks separated by idle gaps shorter and longer than a pool's idle "
                   "expiry: tasks per worker, fairness, churn (the guide's Exercise 4; --scenario burst)",
    .params = {ParamSpec{.name = "burst_tasks",
                         .default_value = "200",
                         .description = "tasks per burst",
                         .kind = ParamKind::positive_integer},
               ParamSpec{.name = "short_gap_ms",
                         .default_value = "10",
                         .description = "idle gap before odd bursts, from the previous burst's last task "
                                        "(meant to be shorter than the pool's idle expiry)",
                         .kind = ParamKind::positive_number},
               ParamSpec{.name = "long_gap_ms",
                         .default_value = "120",
                         .description = "idle gap before even bursts (meant to be longer than the expiry)",
                         .kind = ParamKind::positive_number},
               ParamSpec{.name = "task_us",
                         .default_value = "200",
                         .description = "how long each task waits, without using a CPU",
                         .kind = ParamKind::positive_number},
               ParamSpec{.name = "spacing_us",
                         .default_value = "150",
                         .description = "mean interval between a burst's arrivals (seeded exponential)",
                         .kind = ParamKind::positive_number},
               ParamSpec{.name = "seed",
                         .default_value = "1",
                         .description = "seed of the arrival intervals",
                         .kind = ParamKind::non_negative_integer}},
    .make =
        [](const WorkloadConfig& config) {
          const Params& params = config.params;
          return std::make_unique<BurstWorkload>(
              BurstOptions{.burst_tasks = static_cast<std::size_t>(params.integer("burst_tasks")),
                           .short_gap_ms = params.number("short_gap_ms"),
                           .long_gap_ms = params.number("long_gap_ms"),
                           .task_us = params.number("task_us"),
                           .spacing_us = params.number("spacing_us"),
                           .seed = static_cast<std::uint64_t>(params.integer("seed"))});
        },
    .default_tasks = {2400},
    .quick_tasks = 1200,
    .default_workers = {8},
    // A task's share of the case's wall time: its place in the burst plus its share of the gaps.
    .nominal_task_ns =
        [](const Params& params) {
          const double gaps_ns = (params.number("short_gap_ms") + params.number("long_gap_ms")) / 2 * 1e6;
          return params.number("task_us") * 1e3 + params.number("spacing_us") * 1e3 +
                 gaps_ns / static_cast<double>(params.integer("burst_tasks"));
        },
    .uses_cpu = false,
    .in_default_matrix = false,
    .paces_submissions = true,
}};
}  // namespace

}  // namespace poolbench
