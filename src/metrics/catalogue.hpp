// The metric catalogue: every metric poolbench measures or derives, with its unit, which direction is better,
// what kind of quantity it is and how `compare` judges a change. Every stage takes metric names from here —
// the child's driver writes them, the result reader validates them, compare and report read them, the run
// summary prints them, and the result file's context records the catalogue (`context.poolbench.metrics`) so
// that scripts/plot.py and later readers need not guess.
//
// Adding a metric: one entry in `catalogue()` (and a name constant below), plus the code that measures it.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace poolbench::metrics {

// Bumped whenever an entry's meaning, unit or rule changes (adding an entry does not change the others).
inline constexpr int catalogue_version = 1;

// The names, as they appear in the result file (a counter of the entry, or `time` for its real_time) and in
// the report's rows (the derived ones).
namespace name {
inline constexpr const char* time = "time";  // the entry's real_time, in its time_unit
inline constexpr const char* items_per_second = "items_per_second";
inline constexpr const char* cpu_cores = "cpu_cores";
inline constexpr const char* submit_p50_ns = "submit_p50_ns";
inline constexpr const char* submit_p99_ns = "submit_p99_ns";
inline constexpr const char* e2e_p50_ns = "e2e_p50_ns";
inline constexpr const char* e2e_p99_ns = "e2e_p99_ns";
inline constexpr const char* e2e_p999_ns = "e2e_p999_ns";
inline constexpr const char* e2e_max_ns = "e2e_max_ns";
inline constexpr const char* queue_wait_p50_ns = "queue_wait_p50_ns";
inline constexpr const char* queue_wait_p99_ns = "queue_wait_p99_ns";
inline constexpr const char* queue_wait_p999_ns = "queue_wait_p999_ns";
inline constexpr const char* queue_wait_mean_ns = "queue_wait_mean_ns";
inline constexpr const char* allocs_per_task = "allocs_per_task";
inline constexpr const char* bytes_per_task = "bytes_per_task";
inline constexpr const char* threads_created = "threads_created";
inline constexpr const char* peak_rss_bytes = "peak_rss_bytes";
inline constexpr const char* empty_case_peak_rss_bytes = "empty_case_peak_rss_bytes";
inline constexpr const char* voluntary_ctx_switches = "voluntary_ctx_switches";
inline constexpr const char* involuntary_ctx_switches = "involuntary_ctx_switches";
inline constexpr const char* producers_used = "producers_used";
inline constexpr const char* instrumentation_ns_per_task = "instrumentation_ns_per_task";
inline constexpr const char* timing_sample_every = "timing_sample_every";
inline constexpr const char* timed_tasks = "timed_tasks";
inline constexpr const char* probe_share = "probe_share";
inline constexpr const char* setup_ns = "setup_ns";
inline constexpr const char* shutdown_ns = "shutdown_ns";
inline constexpr const char* warmup_tasks = "warmup_tasks";
inline constexpr const char* thread_stack_bytes = "thread_stack_bytes";
inline constexpr const char* allocations_bypass_malloc = "allocations_bypass_malloc";
// Strategies that can refuse work (a non-blocking mode) only.
inline constexpr const char* rejected_tasks = "rejected_tasks";
inline constexpr const char* reject_rate = "reject_rate";
// Open-loop cases only (--arrival uniform|poisson).
inline constexpr const char* offered_rate = "offered_rate";
inline constexpr const char* achieved_rate = "achieved_rate";
inline constexpr const char* saturated = "saturated";
inline constexpr const char* schedule_lag_p99_ns = "schedule_lag_p99_ns";
inline constexpr const char* schedule_lag_max_ns = "schedule_lag_max_ns";
inline constexpr const char* calibrated_capacity_per_second = "calibrated_capacity_per_second";
// Footprint cases only (-w footprint: the pool's memory at idle and per queued task).
inline constexpr const char* idle_worker_rss_bytes = "idle_worker_rss_bytes";
inline constexpr const char* idle_worker_stack_rss_bytes = "idle_worker_stack_rss_bytes";
inline constexpr const char* idle_workers_started = "idle_workers_started";
inline constexpr const char* pending_task_rss_bytes = "pending_task_rss_bytes";
inline constexpr const char* pending_task_heap_bytes = "pending_task_heap_bytes";
inline constexpr const char* pending_tasks_queued = "pending_tasks_queued";
inline constexpr const char* default_thread_stack_bytes = "default_thread_stack_bytes";
// Workloads that tag their tasks only (mixed_priority, tenants): queue waits by priority class and tenant.
inline constexpr const char* queue_wait_urgent_p50_ns = "queue_wait_urgent_p50_ns";
inline constexpr const char* queue_wait_urgent_p99_ns = "queue_wait_urgent_p99_ns";
inline constexpr const char* queue_wait_normal_p50_ns = "queue_wait_normal_p50_ns";
inline constexpr const char* queue_wait_normal_p99_ns = "queue_wait_normal_p99_ns";
inline constexpr const char* queue_wait_tenant_a_p50_ns = "queue_wait_tenant_a_p50_ns";
inline constexpr const char* queue_wait_tenant_a_max_ns = "queue_wait_tenant_a_max_ns";
inline constexpr const char* queue_wait_tenant_b_p50_ns = "queue_wait_tenant_b_p50_ns";
inline constexpr const char* queue_wait_tenant_b_max_ns = "queue_wait_tenant_b_max_ns";
// The burst workload only (workloads/burst.hpp): per-worker accounting from the threads that ran the tasks.
inline constexpr const char* worker_threads_used = "worker_threads_used";
inline constexpr const char* worker_fairness_jain = "worker_fairness_jain";
inline constexpr const char* busiest_worker_share = "busiest_worker_share";
inline constexpr const char* tasks_per_worker_min = "tasks_per_worker_min";
inline constexpr const char* tasks_per_worker_max = "tasks_per_worker_max";
inline constexpr const char* worker_exits_during_run = "worker_exits_during_run";
inline constexpr const char* worker_fairness_jain_per_burst = "worker_fairness_jain_per_burst";
inline constexpr const char* worker_exits_outside_long_gaps = "worker_exits_outside_long_gaps";
inline constexpr const char* first_after_short_gap_wait_ns = "first_after_short_gap_wait_ns";
inline constexpr const char* first_after_long_gap_wait_ns = "first_after_long_gap_wait_ns";
// The phased workload only (workloads/phased.hpp): the live worker count per phase (low, high, low again).
inline constexpr const char* settled_workers_low = "settled_workers_low";
inline constexpr const char* settled_workers_high = "settled_workers_high";
inline constexpr const char* settled_workers_low_again = "settled_workers_low_again";
inline constexpr const char* converge_low_ns = "converge_low_ns";
inline constexpr const char* converge_high_ns = "converge_high_ns";
inline constexpr const char* converge_low_again_ns = "converge_low_again_ns";
inline constexpr const char* overshoot_low_workers = "overshoot_low_workers";
inline constexpr const char* overshoot_high_workers = "overshoot_high_workers";
inline constexpr const char* overshoot_low_again_workers = "overshoot_low_again_workers";
inline constexpr const char* phase_high_start_ns = "phase_high_start_ns";
inline constexpr const char* phase_low_again_start_ns = "phase_low_again_start_ns";
// Derived by the report from the ones above.
inline constexpr const char* total_time_ns = "total_time_ns";
inline constexpr const char* time_per_task_ns = "time_per_task_ns";
inline constexpr const char* allocs_per_million_tasks = "allocs_per_million_tasks";
inline constexpr const char* peak_rss_above_empty_bytes = "peak_rss_above_empty_bytes";
inline constexpr const char* setup_and_window_ns = "setup_and_window_ns";
inline constexpr const char* peak_rss_above_inline_bytes = "peak_rss_above_inline_bytes";
}  // namespace name

enum class Unit { nanoseconds, per_second, cores, count, bytes, fraction };
enum class Direction { lower_is_better, higher_is_better, neither };
enum class Kind {
  timed,        // depends on the machine's timing: varies between repetitions
  exact_count,  // counted, the same in every repetition of a deterministic case
  memory,       // bytes resident
  probe,        // describes the measurement itself, not the strategy
};
enum class Rule {
  significance,        // Mann-Whitney U at alpha and a minimum effect (compare's timed metrics)
  any_increase,        // any increase beyond the repetitions' own variation (exact metrics)
  relative_threshold,  // a relative change beyond a threshold (peak RSS)
  not_compared,        // recorded, not judged by compare
};
enum class Source {
  entry_time,  // the entry's real_time
  counter,     // a counter of the entry, written by the case driver
  derived,     // computed by the report from other metrics
};

struct Metric {
  std::string_view name;
  Unit unit;
  Direction direction;
  Kind kind;
  Rule rule;
  Source source;
  std::string_view description;

  // A time or rate: divided by the reference strategy's under compare's --normalize-to.
  bool normalizable() const { return rule == Rule::significance; }
};

// Every metric, in display order (compare prints the compared ones in this order).
const std::vector<Metric>& catalogue();
const Metric* find(std::string_view name);
// A task's latency (queue wait, end to end): in a saturated open loop it grows with the run's length, so it
// is not a figure to compare.
bool is_task_latency(std::string_view name);
// Written only for an open-loop case (--arrival uniform|poisson); calibrated_capacity_per_second only with
// --load.
bool open_loop_only(std::string_view name);
// Written only by a footprint case (-w footprint), which measures memory instead of a window of tasks.
bool footprint_only(std::string_view name);
// Written only for a workload that tags its tasks (Workload::tags()): the queue waits by class and tenant.
bool tagged_tasks_only(std::string_view name);
// Written by one workload only (Workload::counters(): the burst workload's per-worker accounting).
bool workload_specific(std::string_view name);
// Counters that sample a figure over time, one per step, named PREFIX<ms>ms (the phased workload's
// live_workers_at_, the adaptive strategy's k_at_): not catalogue entries, carried to the report as they are.
bool time_series_point(std::string_view name);
// Throws std::logic_error for a name not in the catalogue: a programming error, caught by every test run.
const Metric& get(std::string_view name);

std::string_view to_string(Unit unit);
std::string_view to_string(Direction direction);
std::string_view to_string(Kind kind);
std::string_view to_string(Rule rule);
std::string_view to_string(Source source);

// {"version": N, "entries": [{"name", "unit", "direction", "kind", "rule", "source", "description"}, ...]}:
// what the result file's context records as `poolbench.metrics`.
nlohmann::ordered_json catalogue_to_json();

}  // namespace poolbench::metrics
