// The metric catalogue's entries.
#include "metrics/catalogue.hpp"

#include <stdexcept>
#include <string>

namespace poolbench::metrics {

const std::vector<Metric>& catalogue() {
  using enum Unit;
  using enum Kind;
  using enum Source;
  constexpr Direction lower = Direction::lower_is_better;
  constexpr Direction higher = Direction::higher_is_better;
  constexpr Direction neither = Direction::neither;
  constexpr Rule significance = Rule::significance;
  constexpr Rule any_increase = Rule::any_increase;
  constexpr Rule not_compared = Rule::not_compared;
  static const std::vector<Metric> entries = {
      {name::time, nanoseconds, lower, timed, significance, entry_time,
       "wall time of the measured window (all tasks submitted and finished)"},
      {name::items_per_second, per_second, higher, timed, significance, counter,
       "tasks per second over the measured window"},
      {name::cpu_cores, cores, neither, timed, not_compared, counter,
       "CPU time (user + sys) of the whole process / wall time"},
      {name::submit_p50_ns, nanoseconds, lower, timed, not_compared, counter,
       "how long a producer's submit call took (blocked), median"},
      {name::submit_p99_ns, nanoseconds, lower, timed, not_compared, counter,
       "how long a producer's submit call took (blocked), 99th percentile"},
      {name::e2e_p50_ns, nanoseconds, lower, timed, not_compared, counter,
       "submit to end of the task, median"},
      {name::e2e_p99_ns, nanoseconds, lower, timed, significance, counter,
       "submit to end of the task, 99th percentile"},
      {name::e2e_p999_ns, nanoseconds, lower, timed, not_compared, counter,
       "submit to end of the task, 99.9th percentile"},
      {name::e2e_max_ns, nanoseconds, lower, timed, not_compared, counter,
       "submit to end of the task, longest"},
      {name::queue_wait_p50_ns, nanoseconds, lower, timed, not_compared, counter,
       "submit to start of the task, median"},
      {name::queue_wait_p99_ns, nanoseconds, lower, timed, significance, counter,
       "submit to start of the task, 99th percentile"},
      {name::queue_wait_p999_ns, nanoseconds, lower, timed, not_compared, counter,
       "submit to start of the task, 99.9th percentile"},
      {name::queue_wait_mean_ns, nanoseconds, lower, timed, not_compared, counter,
       "submit to start of the task, mean"},
      {name::allocs_per_task, count, lower, exact_count, any_increase, counter,
       "heap allocations in the window, all threads, per task"},
      {name::bytes_per_task, bytes, lower, exact_count, any_increase, counter,
       "heap bytes allocated in the window, all threads, per task"},
      {name::threads_created, count, lower, exact_count, any_increase, counter,
       "threads the strategy started"},
      {name::peak_rss_bytes, bytes, lower, memory, Rule::relative_threshold, counter, "the case's peak RSS"},
      {name::empty_case_peak_rss_bytes, bytes, neither, memory, not_compared, counter,
       "the harness's own peak RSS for an empty case"},
      {name::thread_stack_bytes, bytes, lower, memory, not_compared, counter,
       "stack mapped for the strategy's threads alive at the window's close (threads x the default stack "
       "size; virtual, touched pages only are in RSS)"},
      {name::allocations_bypass_malloc, count, neither, probe, not_compared, counter,
       "1: oneTBB's scalable allocator was loaded, whose allocations bypass malloc and are not counted"},
      {name::voluntary_ctx_switches, count, neither, timed, not_compared, counter,
       "voluntary context switches of the child during the window"},
      {name::involuntary_ctx_switches, count, neither, timed, not_compared, counter,
       "involuntary context switches of the child during the window"},
      {name::producers_used, count, neither, exact_count, not_compared, counter,
       "producer threads that drove the case (synchronous pools get one per worker)"},
      {name::instrumentation_ns_per_task, nanoseconds, neither, probe, not_compared, counter,
       "what timing one task costs (instrumented against uninstrumented inline)"},
      {name::timing_sample_every, count, neither, probe, not_compared, counter,
       "how many tasks share one timed sample"},
      {name::timed_tasks, count, neither, probe, not_compared, counter,
       "tasks whose latencies were recorded: the samples every latency percentile rests on"},
      {name::probe_share, fraction, neither, probe, not_compared, counter,
       "the probe's cost in the window (timed_tasks x instrumentation_ns_per_task) / the window's wall time"},
      {name::setup_ns, nanoseconds, lower, timed, not_compared, counter,
       "the strategy's construction before the window: starting fixed workers, building per-worker state"},
      {name::shutdown_ns, nanoseconds, lower, timed, not_compared, counter,
       "the strategy's shutdown after the window: stopping and joining its threads"},
      {name::warmup_tasks, count, neither, probe, not_compared, counter,
       "untimed tasks run through the strategy between setup and the window (--warmup)"},
      {name::rejected_tasks, count, lower, timed, not_compared, counter,
       "tasks the strategy refused as overloaded (non-blocking mode): never run, not counted in tasks/s"},
      {name::reject_rate, fraction, lower, timed, not_compared, counter, "rejected_tasks / tasks submitted"},
      {name::offered_rate, per_second, neither, probe, not_compared, counter,
       "open loop: tasks per second the schedule offered (--rate, or --load x calibrated capacity)"},
      {name::achieved_rate, per_second, higher, timed, not_compared, counter,
       "open loop: tasks per second finished over the measured window"},
      {name::saturated, count, neither, timed, not_compared, counter,
       "open loop: 1 when achieved_rate < 95% of offered_rate (latency then grows with the run's length)"},
      {name::schedule_lag_p99_ns, nanoseconds, lower, probe, not_compared, counter,
       "open loop: how late producers submitted against the schedule, 99th percentile"},
      {name::schedule_lag_max_ns, nanoseconds, lower, probe, not_compared, counter,
       "open loop: how late producers submitted against the schedule, longest"},
      {name::calibrated_capacity_per_second, per_second, higher, timed, not_compared, counter,
       "open loop with --load: the case's closed-loop tasks per second, measured before the window"},
      {name::idle_worker_rss_bytes, bytes, lower, memory, not_compared, counter,
       "footprint: (RSS with K started, now idle workers - RSS before the pool was built) / K"},
      {name::idle_worker_stack_rss_bytes, bytes, lower, memory, not_compared, counter,
       "footprint: resident pages of thread-stack mappings (/proc/self/smaps), after - before, / K"},
      {name::idle_workers_started, count, neither, exact_count, not_compared, counter,
       "footprint: tasks that were running at once, each on its own worker, before the idle measurement"},
      {name::pending_task_rss_bytes, bytes, lower, memory, not_compared, counter,
       "footprint: RSS growth while tasks queued behind K held workers / the tasks queued"},
      {name::pending_task_heap_bytes, bytes, lower, memory, not_compared, counter,
       "footprint: heap bytes allocated while tasks queued behind K held workers / the tasks queued"},
      {name::pending_tasks_queued, count, neither, exact_count, not_compared, counter,
       "footprint: tasks accepted while every worker was held (fewer than offered: submit blocked)"},
      {name::default_thread_stack_bytes, bytes, neither, memory, not_compared, counter,
       "footprint: the stack a thread reserves when its creator sets none (RLIMIT_STACK; virtual)"},
      {name::queue_wait_urgent_p50_ns, nanoseconds, lower, timed, not_compared, counter,
       "tagged tasks: submit to start of an urgent task, median (each class sampled on its own)"},
      {name::queue_wait_urgent_p99_ns, nanoseconds, lower, timed, not_compared, counter,
       "tagged tasks: submit to start of an urgent task, 99th percentile"},
      {name::queue_wait_normal_p50_ns, nanoseconds, lower, timed, not_compared, counter,
       "tagged tasks: submit to start of a normal task, median (where urgent tasks ran beside them)"},
      {name::queue_wait_normal_p99_ns, nanoseconds, lower, timed, not_compared, counter,
       "tagged tasks: submit to start of a normal task, 99th percentile"},
      {name::queue_wait_tenant_a_p50_ns, nanoseconds, lower, timed, not_compared, counter,
       "tagged tasks: submit to start of a task of tenant A (0), median (where tenant B's ran beside them)"},
      {name::queue_wait_tenant_a_max_ns, nanoseconds, lower, timed, not_compared, counter,
       "tagged tasks: submit to start of a task of tenant A (0), longest timed"},
      {name::queue_wait_tenant_b_p50_ns, nanoseconds, lower, timed, not_compared, counter,
       "tagged tasks: submit to start of a task of tenant B (1), median"},
      {name::queue_wait_tenant_b_max_ns, nanoseconds, lower, timed, not_compared, counter,
       "tagged tasks: submit to start of a task of tenant B (1), longest (its first task is always timed)"},
      {name::worker_threads_used, count, neither, timed, not_compared, counter,
       "burst: threads that ran at least one task (a worker is an OS thread, identified by the task)"},
      {name::worker_fairness_jain, fraction, higher, timed, not_compared, counter,
       "burst: Jain's index over tasks per worker thread, (sum x)^2 / (n sum x^2): 1 all equal, 1/n one ran "
       "all"},
      {name::busiest_worker_share, fraction, neither, timed, not_compared, counter,
       "burst: the share of the tasks the busiest worker thread ran"},
      {name::tasks_per_worker_min, count, neither, timed, not_compared, counter,
       "burst: the fewest tasks a worker thread ran (of those that ran any)"},
      {name::tasks_per_worker_max, count, neither, timed, not_compared, counter,
       "burst: the most tasks a worker thread ran"},
      {name::worker_exits_during_run, count, lower, timed, not_compared, counter,
       "burst: worker threads that exited while tasks were still to run (expired, or a thread per task)"},
      {name::worker_fairness_jain_per_burst, fraction, higher, timed, not_compared, counter,
       "burst: Jain's index per burst over the pool's workers then (those that ran its tasks, and those "
       "alive "
       "from earlier bursts that ran none), averaged over the bursts"},
      {name::worker_exits_outside_long_gaps, count, lower, timed, not_compared, counter,
       "burst: of worker_exits_during_run, those during a burst or a short gap (a worker left idle while "
       "others worked), not in a long gap"},
      {name::first_after_short_gap_wait_ns, nanoseconds, lower, timed, not_compared, counter,
       "burst: queue wait (submit to start) of the first task after a short idle gap, median over the gaps"},
      {name::first_after_long_gap_wait_ns, nanoseconds, lower, timed, not_compared, counter,
       "burst: queue wait (submit to start) of the first task after a long idle gap, median over the gaps"},
      {name::settled_workers_low, count, neither, timed, not_compared, counter,
       "phased: live workers held longest over the last quarter of the first low phase"},
      {name::settled_workers_high, count, neither, timed, not_compared, counter,
       "phased: live workers held longest over the last quarter of the high phase"},
      {name::settled_workers_low_again, count, neither, timed, not_compared, counter,
       "phased: live workers held longest over the last quarter of the second low phase"},
      {name::converge_low_ns, nanoseconds, lower, timed, not_compared, counter,
       "phased: first low phase's start to the moment from which the live workers stay within max(1, 20%) "
       "of the settled count"},
      {name::converge_high_ns, nanoseconds, lower, timed, not_compared, counter,
       "phased: as converge_low_ns, for the high phase"},
      {name::converge_low_again_ns, nanoseconds, lower, timed, not_compared, counter,
       "phased: as converge_low_ns, for the second low phase"},
      {name::overshoot_low_workers, count, lower, timed, not_compared, counter,
       "phased: how far the live workers went past the settled count in the direction they moved, first "
       "low phase"},
      {name::overshoot_high_workers, count, lower, timed, not_compared, counter,
       "phased: as overshoot_low_workers, for the high phase"},
      {name::overshoot_low_again_workers, count, lower, timed, not_compared, counter,
       "phased: as overshoot_low_workers, for the second low phase (below the settled count)"},
      {name::phase_high_start_ns, nanoseconds, neither, probe, not_compared, counter,
       "phased: when the high phase's first task was due, after the first submit"},
      {name::phase_low_again_start_ns, nanoseconds, neither, probe, not_compared, counter,
       "phased: when the second low phase's first task was due, after the first submit"},
      {name::total_time_ns, nanoseconds, lower, timed, not_compared, derived,
       "the report's total time: time, in nanoseconds"},
      {name::time_per_task_ns, nanoseconds, lower, timed, not_compared, derived, "total time / tasks"},
      {name::peak_rss_above_inline_bytes, bytes, lower, memory, not_compared, derived,
       "peak_rss_bytes - the median peak RSS of the same configuration's inline case (the workload's own "
       "memory and the harness's left out)"},
      {name::setup_and_window_ns, nanoseconds, lower, timed, not_compared, derived,
       "setup_ns + the window's time: one-time costs counted"},
      {name::allocs_per_million_tasks, count, lower, exact_count, not_compared, derived,
       "allocs_per_task x 1,000,000"},
      {name::peak_rss_above_empty_bytes, bytes, lower, memory, not_compared, derived,
       "peak_rss_bytes - empty_case_peak_rss_bytes"},
  };
  return entries;
}

const Metric* find(std::string_view metric_name) {
  for (const Metric& metric : catalogue())
    if (metric.name == metric_name) return &metric;
  return nullptr;
}

bool is_task_latency(std::string_view metric_name) {
  return metric_name.starts_with("e2e_") || metric_name.starts_with("queue_wait_");
}

bool open_loop_only(std::string_view metric_name) {
  for (const char* open_loop :
       {name::offered_rate, name::achieved_rate, name::saturated, name::schedule_lag_p99_ns,
        name::schedule_lag_max_ns, name::calibrated_capacity_per_second})
    if (metric_name == open_loop) return true;
  return false;
}

bool footprint_only(std::string_view metric_name) {
  for (const char* footprint :
       {name::idle_worker_rss_bytes, name::idle_worker_stack_rss_bytes, name::idle_workers_started,
        name::pending_task_rss_bytes, name::pending_task_heap_bytes, name::pending_tasks_queued,
        name::default_thread_stack_bytes})
    if (metric_name == footprint) return true;
  return false;
}

bool tagged_tasks_only(std::string_view metric_name) {
  for (const char* tagged :
       {name::queue_wait_urgent_p50_ns, name::queue_wait_urgent_p99_ns, name::queue_wait_normal_p50_ns,
        name::queue_wait_normal_p99_ns, name::queue_wait_tenant_a_p50_ns, name::queue_wait_tenant_a_max_ns,
        name::queue_wait_tenant_b_p50_ns, name::queue_wait_tenant_b_max_ns})
    if (metric_name == tagged) return true;
  return false;
}

bool workload_specific(std::string_view metric_name) {
  for (const char* by_workload :
       {name::worker_threads_used, name::worker_fairness_jain, name::worker_fairness_jain_per_burst,
        name::busiest_worker_share, name::tasks_per_worker_min, name::tasks_per_worker_max,
        name::worker_exits_during_run, name::worker_exits_outside_long_gaps,
        name::first_after_short_gap_wait_ns, name::first_after_long_gap_wait_ns})
    if (metric_name == by_workload) return true;
  for (const char* by_phased_workload :
       {name::settled_workers_low, name::settled_workers_high, name::settled_workers_low_again,
        name::converge_low_ns, name::converge_high_ns, name::converge_low_again_ns,
        name::overshoot_low_workers, name::overshoot_high_workers, name::overshoot_low_again_workers,
        name::phase_high_start_ns, name::phase_low_again_start_ns})
    if (metric_name == by_phased_workload) return true;
  return false;
}

bool time_series_point(std::string_view metric_name) {
  for (std::string_view prefix : {"live_workers_at_", "k_at_"})
    if (metric_name.starts_with(prefix) && metric_name.ends_with("ms") &&
        metric_name.size() > prefix.size() + 2)
      return true;
  return false;
}

const Metric& get(std::string_view metric_name) {
  if (const Metric* metric = find(metric_name)) return *metric;
  throw std::logic_error("metric not in the catalogue: " + std::string(metric_name));
}

std::string_view to_string(Unit unit) {
  switch (unit) {
    case Unit::nanoseconds:
      return "ns";
    case Unit::per_second:
      return "1/s";
    case Unit::cores:
      return "cores";
    case Unit::count:
      return "count";
    case Unit::bytes:
      return "bytes";
    case Unit::fraction:
      return "fraction";
  }
  return "?";
}

std::string_view to_string(Direction direction) {
  switch (direction) {
    case Direction::lower_is_better:
      return "lower_is_better";
    case Direction::higher_is_better:
      return "higher_is_better";
    case Direction::neither:
      return "neither";
  }
  return "?";
}

std::string_view to_string(Kind kind) {
  switch (kind) {
    case Kind::timed:
      return "timed";
    case Kind::exact_count:
      return "exact_count";
    case Kind::memory:
      return "memory";
    case Kind::probe:
      return "probe";
  }
  return "?";
}

std::string_view to_string(Rule rule) {
  switch (rule) {
    case Rule::significance:
      return "significance_and_min_effect";
    case Rule::any_increase:
      return "any_increase";
    case Rule::relative_threshold:
      return "relative_threshold";
    case Rule::not_compared:
      return "not_compared";
  }
  return "?";
}

std::string_view to_string(Source source) {
  switch (source) {
    case Source::entry_time:
      return "entry_real_time";
    case Source::counter:
      return "counter";
    case Source::derived:
      return "derived";
  }
  return "?";
}

nlohmann::ordered_json catalogue_to_json() {
  nlohmann::ordered_json entries = nlohmann::ordered_json::array();
  for (const Metric& metric : catalogue())
    entries.push_back({{"name", metric.name},
                       {"unit", to_string(metric.unit)},
                       {"direction", to_string(metric.direction)},
                       {"kind", to_string(metric.kind)},
                       {"rule", to_string(metric.rule)},
                       {"source", to_string(metric.source)},
                       {"description", metric.description}});
  return {{"version", catalogue_version}, {"entries", std::move(entries)}};
}

}  // namespace poolbench::metrics
