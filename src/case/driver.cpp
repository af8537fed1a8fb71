#include "case/driver.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <exception>
#include <latch>
#include <limits>
#include <memory>
#include <mutex>
#include <numeric>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "case/arrival.hpp"
#include "case/case_errors.hpp"
#include "case/footprint_case.hpp"
#include "footprint.hpp"
#include "metrics/catalogue.hpp"
#include "probe/alloc_counter.hpp"
#include "probe/clock.hpp"
#include "probe/latency_recorder.hpp"
#include "probe/placement.hpp"
#include "probe/process_stats.hpp"
#include "probe/shared_calibration.hpp"
#include "registry.hpp"
#include "test_slowed.hpp"

namespace poolbench {
namespace {

// The closures the driver submits. Both fit Task's inline storage, so that wrapping a task allocates nothing.
struct UntimedTask {
  Workload* workload;
  std::size_t index;
  void operator()() const {
    probe::place_worker_once();
    workload->run(index);
  }
};

struct TimedTask {
  Workload* workload;
  std::size_t index;
  probe::LatencyRecorder* recorder;
  std::uint64_t submitted_ticks;  // just before submit() was called; in an open loop, the intended time
  const TaskTag* tag;             // the workload's tag of this task, or null (untagged)
  void operator()() const {
    probe::place_worker_once();
    const std::uint64_t started = probe::now_ticks();
    workload->run(index);
    const std::uint64_t finished = probe::now_ticks();
    const double ns_per_tick = recorder->ns_per_tick();
    const std::uint64_t queue_wait = probe::ticks_to_ns(submitted_ticks, started, ns_per_tick);
    const std::uint64_t end_to_end = probe::ticks_to_ns(submitted_ticks, finished, ns_per_tick);
    if (tag != nullptr)
      recorder->record_tagged_task(queue_wait, end_to_end, *tag);
    else
      recorder->record_task(queue_wait, end_to_end);
  }
};

// Tagged tasks are sampled per class (priority x tenant 0 or not), each class's first task timed: a rare
// class (tenant B's one task, a small urgent share) then has its own samples, whatever one in S falls on.
constexpr std::size_t sampling_classes = 4;
std::size_t sampling_class(const TaskTag& tag) noexcept {
  return (tag.priority == TaskPriority::urgent ? 1 : 0) + (tag.tenant != 0 ? 2 : 0);
}

static_assert(Task::fits_inline<UntimedTask>, "the harness's untimed closure must not allocate");
static_assert(Task::fits_inline<TimedTask>, "the harness's timed closure must not allocate");

constexpr std::size_t time_no_task = 0;  // sample_every value: the untimed baseline of the cost measurement
// An open loop whose achieved rate falls below this fraction of the offered rate is saturated: its backlog,
// and so its latency, grows with the length of the run.
constexpr double saturation_threshold = 0.95;

// What an open-loop producer submits by: its share of the schedule, the window's start (time zero of the
// schedule), and where its lateness goes.
struct ScheduledProducer {
  ArrivalSchedule schedule;
  DueTimeWaiter waiter;
  std::uint64_t window_start_ticks = 0;
  probe::LatencyHistogram* lag = nullptr;
};

// Submits tasks [begin, end), timing the first and then one in `sample_every`. Returns what failed, or "".
// Closed loop (`scheduled` null): each task is submitted when the previous submit returned, and a timed
// task's clock starts just before its submit. Open loop: each task waits for its intended time, and a timed
// task's clock starts at that time, so a late or blocked submit counts in its queue wait and end-to-end time.
// A task the strategy refuses as `overloaded` (a non-blocking mode: overload is an outcome, not a failure) is
// counted in `rejected` and told to the workload, whose verify() then checks that it never ran; any other
// refusal fails the case.
// A workload that paces its submissions (`paced`) is asked before each one.
std::string submit_range(Strategy& strategy, Workload& workload, probe::LatencyRecorder& recorder,
                         std::size_t begin, std::size_t end, std::size_t sample_every,
                         std::uint64_t& rejected, ScheduledProducer* scheduled = nullptr,
                         bool paced = false) {
  const double ns_per_tick = recorder.ns_per_tick();
  const TaskTag* tags = workload.tags();
  std::size_t until_timed_by_class[sampling_classes];
  std::fill(std::begin(until_timed_by_class), std::end(until_timed_by_class),
            sample_every == time_no_task ? std::numeric_limits<std::size_t>::max() : 0);
  for (std::size_t index = begin; index < end; ++index) {
    if (paced) workload.before_submit(index);
    const TaskTag* tag = tags != nullptr ? &tags[index] : nullptr;
    std::size_t& until_timed = until_timed_by_class[tag != nullptr ? sampling_class(*tag) : 0];
    std::uint64_t intended = 0;
    if (scheduled != nullptr) {
      intended = scheduled->window_start_ticks +
                 static_cast<std::uint64_t>(scheduled->schedule.next_offset_ns() / ns_per_tick);
      scheduled->waiter.wait_until(intended, ns_per_tick);
    }
    SubmitResult result;
    try {
      if (until_timed == 0) {
        until_timed = sample_every - 1;
        const std::uint64_t before = probe::now_ticks();
        if (scheduled != nullptr) scheduled->lag->record(probe::ticks_to_ns(intended, before, ns_per_tick));
        const std::uint64_t clock_start = scheduled != nullptr ? intended : before;
        Task task{TimedTask{&workload, index, &recorder, clock_start, tag}};
        if (tag != nullptr) task.set_tag(*tag);
        result = strategy.submit(std::move(task));
        const std::uint64_t after = probe::now_ticks();
        recorder.record_submit(probe::ticks_to_ns(before, after, ns_per_tick));
      } else {
        --until_timed;
        if (scheduled != nullptr)
          scheduled->lag->record(probe::ticks_to_ns(intended, probe::now_ticks(), ns_per_tick));
        Task task{UntimedTask{&workload, index}};
        if (tag != nullptr) task.set_tag(*tag);
        result = strategy.submit(std::move(task));
      }
    } catch (const std::exception& e) {
      return fmt::format("submit of task {} threw: {}", index, e.what());
    } catch (...) {
      return fmt::format("submit of task {} threw an exception that is not a std::exception", index);
    }
    if (result.status == SubmitStatus::overloaded) {
      ++rejected;
      workload.on_rejected(index);
    } else if (!result.ok()) {
      return fmt::format("submit of task {} failed: {}", index, result.message);
    }
  }
  return {};
}

// The values of the parameters `specs` declares, taken from the case (defaults already applied by the plan).
Params params_for(const std::vector<ParamSpec>& specs, const std::map<std::string, std::string>& given) {
  Params params;
  for (const auto& spec : specs) {
    auto found = given.find(spec.name);
    params.set(spec.name, found != given.end() ? found->second : spec.default_value);
  }
  return params;
}

// The warm-up: `tasks` untimed tasks of the workload (prepared for them) submitted by `producers` threads, as
// the window's are, then wait(). Returns what failed, or "".
std::string run_warmup(Strategy& strategy, Workload& workload, probe::LatencyRecorder& recorder,
                       std::size_t tasks, std::size_t producers, bool paced) {
  std::vector<std::string> failures(producers);
  std::vector<std::uint64_t> rejected(producers);  // a warm-up's rejections are its own: not the window's
  {
    std::vector<std::jthread> threads;
    try {
      threads.reserve(producers);
      for (std::size_t p = 0; p < producers; ++p)
        threads.emplace_back([&, p] {
          probe::mark_producer_thread();
          failures[p] = submit_range(strategy, workload, recorder, tasks * p / producers,
                                     tasks * (p + 1) / producers, time_no_task, rejected[p], nullptr, paced);
        });
    } catch (const std::exception& e) {
      return fmt::format("warm-up: starting producer threads failed: {}", e.what());  // the started ones join
    }
  }
  for (const auto& failure : failures)
    if (!failure.empty()) return "warm-up: " + failure;
  std::exception_ptr error;
  try {
    error = strategy.wait();
  } catch (...) {
    error = std::current_exception();
  }
  if (error) return "warm-up: wait() reported: " + describe(error);
  if (std::string failure = workload.verify(); !failure.empty()) return "warm-up: " + failure;
  return {};
}

// What the measured window saw: wall and CPU time, context switches, allocations. Opening and closing it
// allocates nothing.
class MeasuredWindow {
 public:
  void open() noexcept {
    before_ = probe::sample_process();
    opened_ = std::chrono::steady_clock::now();
    probe::start_counting_allocations();
  }
  void close() noexcept {
    allocations_ = probe::stop_counting_allocations();
    closed_ = std::chrono::steady_clock::now();
    after_ = probe::sample_process();
  }
  double wall_seconds() const { return std::chrono::duration<double>(closed_ - opened_).count(); }
  double cpu_seconds() const { return after_.cpu_seconds() - before_.cpu_seconds(); }
  std::int64_t voluntary_context_switches() const {
    return after_.voluntary_context_switches - before_.voluntary_context_switches;
  }
  std::int64_t involuntary_context_switches() const {
    return after_.involuntary_context_switches - before_.involuntary_context_switches;
  }
  const probe::AllocationTotals& allocations() const { return allocations_; }

 private:
  probe::ProcessSample before_;
  probe::ProcessSample after_;
  std::chrono::steady_clock::time_point opened_;
  std::chrono::steady_clock::time_point closed_;
  probe::AllocationTotals allocations_;
};

// Peak RSS of a window with nothing in it: what the process holds before the case builds anything.
std::optional<std::uint64_t> measure_empty_case_peak_rss() {
  probe::reset_peak_rss();
  MeasuredWindow window;
  window.open();
  window.close();
  return probe::peak_rss_bytes();
}

InstrumentationCost measure_instrumentation_cost(probe::LatencyRecorder& recorder) {
  const StrategyInfo* inline_info = strategy_registry().find("inline");
  const WorkloadInfo* atomic_info = workload_registry().find("atomic_increment");
  if (inline_info == nullptr || atomic_info == nullptr) return {};

  // 20,000 tasks take 0.2 to 2 ms a trial; the fastest of five trials of each kind discards preemption.
  constexpr std::size_t tasks = 20000;
  constexpr int trials = 5;
  Params workload_params;
  workload_params.apply_defaults(atomic_info->params);
  auto workload = atomic_info->make(WorkloadConfig{workload_params, false});
  workload->prepare(tasks);
  Params strategy_params;
  strategy_params.apply_defaults(inline_info->params);
  auto strategy = inline_info->make(StrategyConfig{1, strategy_params, {}});

  auto seconds_for = [&](std::size_t sample_every) {
    const auto start = std::chrono::steady_clock::now();
    std::uint64_t rejected = 0;  // inline never refuses
    submit_range(*strategy, *workload, recorder, 0, tasks, sample_every, rejected);
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  seconds_for(time_no_task);  // warm-up: page in the workload's arrays, train the branch predictors
  seconds_for(1);
  double untimed = std::numeric_limits<double>::infinity();
  double timed = std::numeric_limits<double>::infinity();
  for (int trial = 0; trial < trials; ++trial) {
    untimed = std::min(untimed, seconds_for(time_no_task));
    timed = std::min(timed, seconds_for(1));
  }
  strategy->shutdown();
  recorder.reset();
  const double per_task = 1e9 / static_cast<double>(tasks);
  return InstrumentationCost{.timed_task_ns = std::max(0.0, (timed - untimed) * per_task),
                             .untimed_task_ns = untimed * per_task};
}

// The probe's cost, measured once per run and shared by its processes as a workload's calibration is
// (probe/shared_calibration.hpp). It decides how often a window times a task (choose_timing_sample_every), so
// measured in each process its noise gave two repetitions of a case, or the two sides of `ab`, different
// sampling; and each process spent twelve passes of 20,000 tasks on it before its window (what that cost is
// in results/ab-check.md, stop 18). Stored as the two per-task times (both positive), of which the cost is
// the difference.
InstrumentationCost shared_instrumentation_cost(probe::LatencyRecorder& recorder) {
  std::optional<InstrumentationCost> measured;
  auto measure = [&] {
    if (!measured) measured = measure_instrumentation_cost(recorder);
    return *measured;
  };
  const double untimed_task_ns =
      probe::shared_calibration("probe.untimed_task_ns", [&] { return measure().untimed_task_ns; });
  const double timed_task_ns = probe::shared_calibration(
      "probe.timed_task_ns", [&] { return measure().untimed_task_ns + measure().timed_task_ns; });
  return InstrumentationCost{.timed_task_ns = std::max(0.0, timed_task_ns - untimed_task_ns),
                             .untimed_task_ns = untimed_task_ns};
}

// The case's closed-loop capacity in tasks per second, for an open loop given as a fraction of it (--load):
// its strategy and workload, built afresh (so the case's own exactly-once ledger and start-up stay untouched)
// and shut down before the case builds its own, driven by the case's producers as fast as submit() returns,
// with an eighth of the case's tasks (at least 1000 where it has them). calibrate_capacity keeps the faster
// of two trials: a preemption only ever slows one. Throw std::runtime_error on a failure.
double calibrate_capacity_once(const StrategyInfo& strategy_info, const WorkloadInfo& workload_info,
                               const CaseInfo& info, std::size_t producers,
                               probe::LatencyRecorder& recorder) {
  const std::size_t tasks = std::min(info.tasks, std::max<std::size_t>(info.tasks / 8, 1000));
  auto workload = workload_info.make(WorkloadConfig{params_for(workload_info.params, info.workload_params),
                                                    strategy_info.traits.worker_state});
  workload->prepare(tasks);
  StrategyConfig config{info.workers, params_for(strategy_info.params, info.strategy_params), {}};
  if (strategy_info.traits.worker_state) config.worker_state_factory = workload->worker_state_factory();
  auto strategy = strategy_info.make(config);
  FirstError first_error;
  std::vector<std::uint64_t> rejected(producers);
  const auto start = std::chrono::steady_clock::now();
  {
    std::vector<std::jthread> threads;
    threads.reserve(producers);
    for (std::size_t p = 0; p < producers; ++p)
      threads.emplace_back([&, p, begin = tasks * p / producers, end = tasks * (p + 1) / producers] {
        probe::mark_producer_thread();
        probe::place_producer(p);
        if (std::string failure =
                submit_range(*strategy, *workload, recorder, begin, end, time_no_task, rejected[p]);
            !failure.empty())
          first_error.set(std::move(failure));
      });
  }
  std::exception_ptr wait_error = strategy->wait();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  strategy->shutdown();
  std::string failure = first_error.get();
  if (failure.empty() && wait_error) failure = "wait() reported: " + describe(wait_error);
  if (failure.empty()) failure = workload->verify();
  if (!failure.empty()) throw std::runtime_error("calibrating the capacity: " + failure);
  // A non-blocking strategy's capacity is what it accepts and runs, not what it refuses.
  const double accepted =
      static_cast<double>(tasks - std::accumulate(rejected.begin(), rejected.end(), 0ULL));
  return seconds > 0 ? accepted / seconds : 0.0;
}

double calibrate_capacity(const StrategyInfo& strategy_info, const WorkloadInfo& workload_info,
                          const CaseInfo& info, std::size_t producers, probe::LatencyRecorder& recorder) {
  const double first = calibrate_capacity_once(strategy_info, workload_info, info, producers, recorder);
  return std::max(first, calibrate_capacity_once(strategy_info, workload_info, info, producers, recorder));
}

// Queue waits by class, for a workload that tags its tasks: urgent and normal where urgent tasks were timed,
// tenants A and B where tenant B's were.
void write_class_queue_waits(probe::LatencyRecorder& recorder, benchmark::UserCounters& counters) {
  namespace metric = metrics::name;
  auto waits = std::make_unique<probe::ClassQueueWaits>();
  recorder.merge_class_queue_waits_into(*waits);
  const auto at = [](const probe::LatencyHistogram& histogram, double quantile) {
    return static_cast<double>(histogram.value_at_quantile(quantile));
  };
  if (waits->urgent.count() > 0) {
    counters[metric::queue_wait_urgent_p50_ns] = at(waits->urgent, 0.50);
    counters[metric::queue_wait_urgent_p99_ns] = at(waits->urgent, 0.99);
    if (waits->normal.count() > 0) {
      counters[metric::queue_wait_normal_p50_ns] = at(waits->normal, 0.50);
      counters[metric::queue_wait_normal_p99_ns] = at(waits->normal, 0.99);
    }
  }
  if (waits->tenant_b.count() > 0) {
    counters[metric::queue_wait_tenant_b_p50_ns] = at(waits->tenant_b, 0.50);
    counters[metric::queue_wait_tenant_b_max_ns] = static_cast<double>(waits->tenant_b.max());
    if (waits->tenant_a.count() > 0) {
      counters[metric::queue_wait_tenant_a_p50_ns] = at(waits->tenant_a, 0.50);
      counters[metric::queue_wait_tenant_a_max_ns] = static_cast<double>(waits->tenant_a.max());
    }
  }
}

}  // namespace

InstrumentationCost measure_instrumentation_cost() {
  probe::LatencyRecorder recorder;
  return measure_instrumentation_cost(recorder);
}

std::size_t choose_timing_sample_every(const InstrumentationCost& cost, double expected_task_ns,
                                       std::size_t parallelism, double offered_rate_per_second) {
  // The cheapest a task can be is an untimed inline atomic_increment task; a workload's declared time per
  // task can only make it dearer.
  const double task_ns = std::max(cost.untimed_task_ns, expected_task_ns);
  if (!(task_ns > 0) || !(cost.timed_task_ns > 0)) return 1;
  // Tasks running side by side share the window's wall time, and the probe's share is reckoned against it.
  double wall_ns_per_task = task_ns / static_cast<double>(std::max<std::size_t>(1, parallelism));
  if (offered_rate_per_second > 0)
    wall_ns_per_task = std::max(wall_ns_per_task, 1e9 / offered_rate_per_second);
  const double wanted = std::ceil(cost.timed_task_ns / (probe_target_share * wall_ns_per_task));
  if (!(wanted < 1e12)) return static_cast<std::size_t>(1e12);
  return std::max<std::size_t>(1, static_cast<std::size_t>(wanted));
}

std::size_t case_parallelism(const CaseInfo& info, std::size_t hardware_threads) {
  const bool on_callers =
      info.strategy_traits && info.strategy_traits->worker_lifecycle == WorkerLifecycle::caller_thread;
  const std::size_t producers = info.effective_producers != 0 ? info.effective_producers : info.producers;
  const std::size_t runners = on_callers ? producers : std::max<std::size_t>(1, info.workers);
  return std::clamp<std::size_t>(runners, 1, std::max<std::size_t>(1, hardware_threads));
}

void run_case_benchmark(benchmark::State& state, const CaseSpec& spec) {
  const CaseInfo& info = spec.info;
  const StrategyInfo* strategy_info = strategy_registry().find(info.strategy);
  const WorkloadInfo* workload_info = workload_registry().find(info.workload);
  if (strategy_info == nullptr || workload_info == nullptr) {
    state.SkipWithError(fmt::format("unknown strategy or workload in case {}", spec.name).c_str());
    return;
  }
  if (info.tasks == 0) {
    state.SkipWithError("a case needs at least one task");
    return;
  }
  // Memory instead of a window of tasks: a sequence of its own.
  if (info.workload == footprint_workload_name) {
    run_footprint_case(state, spec);
    return;
  }

  // 1-2: the probe, the harness's baseline, the probe's own cost.
  probe::LatencyRecorder recorder;
  auto latencies = std::make_unique<probe::LatencySummary>();
  const std::optional<std::uint64_t> empty_case_peak_rss = measure_empty_case_peak_rss();
  // Taken with the probe off too, so that every case comes to the window with the same work done before it
  // (the run's first process measures it, every other reads it): only the window differs.
  const InstrumentationCost cost = shared_instrumentation_cost(recorder);
  const double expected_task_ns =
      workload_info->nominal_task_ns
          ? workload_info->nominal_task_ns(params_for(workload_info->params, info.workload_params))
          : 0.0;
  // Decided by the plan (CaseInfo::effective_producers); a spec without it (written by hand) gets P.
  const std::size_t producers = info.effective_producers != 0 ? info.effective_producers : info.producers;
  probe::configure_placement(probe::parse_affinity(spec.affinity), producers, info.workers);

  // An open loop's offered rate: given (--rate), or a fraction (--load) of the capacity calibrated here.
  const Arrival& arrival = info.arrival;
  double calibrated_capacity = 0;
  double offered_rate = arrival.rate_per_second;
  if (arrival.open_loop() && arrival.load > 0) {
    try {
      calibrated_capacity = calibrate_capacity(*strategy_info, *workload_info, info, producers, recorder);
    } catch (const std::exception& e) {
      state.SkipWithError(e.what());
      return;
    }
    offered_rate = arrival.load * calibrated_capacity;
  }
  if (arrival.open_loop() && !(offered_rate > 0 && std::isfinite(offered_rate))) {
    state.SkipWithError(
        fmt::format("an open loop needs a positive offered rate, not {}", offered_rate).c_str());
    return;
  }
  const std::size_t sample_every =
      spec.probe_enabled
          ? choose_timing_sample_every(cost, expected_task_ns,
                                       case_parallelism(info, std::thread::hardware_concurrency()),
                                       arrival.open_loop() ? offered_rate : 0.0)
          : time_no_task;

  // 3: the workload, the strategy (setup, timed), the warm-up, the parked producers.
  std::unique_ptr<Workload> workload;
  std::unique_ptr<Strategy> strategy;
  std::chrono::nanoseconds setup{0};
  std::optional<std::size_t> threads_before_setup;
  double test_slowdown =
      0;  // POOLBENCH_TEST_SLOW_STRATEGY (test only): the window stretched by this fraction
  try {
    workload = workload_info->make(WorkloadConfig{params_for(workload_info->params, info.workload_params),
                                                  strategy_info->traits.worker_state});
    workload->prepare(spec.warmup_tasks > 0 ? spec.warmup_tasks : info.tasks);
    test_slowdown = test_slowdown_fraction(info.strategy);
    if (workload->tags() != nullptr) recorder.enable_class_queue_waits();
    StrategyConfig config{info.workers, params_for(strategy_info->params, info.strategy_params), {}};
    if (strategy_info->traits.worker_state) config.worker_state_factory = workload->worker_state_factory();
    threads_before_setup = probe::live_thread_count();
    const auto setup_started = std::chrono::steady_clock::now();
    strategy = strategy_info->make(config);
    setup = std::chrono::steady_clock::now() - setup_started;
  } catch (const std::exception& e) {
    state.SkipWithError(fmt::format("setting up the case failed: {}", e.what()).c_str());
    return;
  }

  if (spec.warmup_tasks > 0) {
    std::string failure = run_warmup(*strategy, *workload, recorder, spec.warmup_tasks, producers,
                                     workload_info->paces_submissions);
    if (failure.empty()) {
      try {
        workload->prepare(info.tasks);
      } catch (const std::exception& e) {
        failure = fmt::format("preparing the workload after the warm-up failed: {}", e.what());
      }
    }
    if (!failure.empty()) {
      strategy->shutdown();
      state.SkipWithError(failure.c_str());
      return;
    }
  }
  FirstError first_error;
  std::latch start{1};
  bool started = false;
  std::uint64_t window_start_ticks = 0;  // time zero of an open loop's schedule; read after `start`
  // What a producer's sleep until its next due time should expect to overshoot (measured here, before the
  // window, on this machine at this moment), and its schedule lag, one histogram per producer.
  const double expected_sleep_overshoot_ns =
      arrival.open_loop() ? measure_sleep_overshoot_ns(1e9 * static_cast<double>(producers) / offered_rate)
                          : 0.0;
  std::vector<probe::LatencyHistogram> schedule_lags(arrival.open_loop() ? producers : 0);
  std::vector<std::uint64_t> rejected_by_producer(producers);
  std::vector<std::jthread> producer_threads;
  producer_threads.reserve(producers);
  try {
    for (std::size_t p = 0; p < producers; ++p) {
      // Producer p submits tasks [begin, end): contiguous ranges, the remainder spread over the producers.
      const std::size_t begin = info.tasks * p / producers;
      const std::size_t end = info.tasks * (p + 1) / producers;
      producer_threads.emplace_back([&, begin, end, p] {
        probe::mark_producer_thread();
        probe::place_producer(p);
        std::optional<ScheduledProducer> scheduled;
        if (arrival.open_loop()) {
          use_precise_sleeps();
          ArrivalSchedule schedule(arrival.process, offered_rate, arrival.seed, p, producers);
          // All producers' spinning together: at most a quarter of the schedule's mean gap (a quarter of a
          // core).
          const DueTimeWaiter waiter(0.25 * 1e9 / offered_rate / static_cast<double>(producers),
                                     expected_sleep_overshoot_ns);
          scheduled.emplace(ScheduledProducer{schedule, waiter, 0, &schedule_lags[p]});
        }
        start.wait();
        if (scheduled) scheduled->window_start_ticks = window_start_ticks;
        if (std::string failure = submit_range(*strategy, *workload, recorder, begin, end, sample_every,
                                               rejected_by_producer[p], scheduled ? &*scheduled : nullptr,
                                               workload_info->paces_submissions);
            !failure.empty())
          first_error.set(std::move(failure));  // a producer that cannot submit stops; the case fails below
      });
    }
  } catch (const std::exception& e) {
    start.count_down();  // release the producers already started, so that they can be joined
    for (auto& thread : producer_threads) thread.join();
    strategy->shutdown();
    state.SkipWithError(fmt::format("starting producer threads failed: {}", e.what()).c_str());
    return;
  }

  // 4: the measured window.
  MeasuredWindow window;
  std::exception_ptr wait_error;
  probe::reset_peak_rss();
  for (auto _ : state) {
    window.open();
    const auto window_started = std::chrono::steady_clock::now();
    window_start_ticks = probe::now_ticks();
    start.count_down();
    started = true;
    for (auto& thread : producer_threads) thread.join();
    try {
      wait_error = strategy->wait();
    } catch (...) {
      wait_error = std::current_exception();
    }
    if (test_slowdown > 0) stretch_window(window_started, test_slowdown);
    window.close();
  }
  const std::optional<std::uint64_t> peak_rss = probe::peak_rss_bytes();
  if (!started) {
    start.count_down();
    for (auto& thread : producer_threads) thread.join();
  }
  const StrategyCounters strategy_counters = strategy->counters();
  // The producers have been joined: what lives beyond the threads before setup is the strategy's.
  const std::optional<std::size_t> threads_at_close = probe::live_thread_count();
  const auto shutdown_started = std::chrono::steady_clock::now();
  strategy->shutdown();
  const std::chrono::nanoseconds shutdown = std::chrono::steady_clock::now() - shutdown_started;
  recorder.merge_into(*latencies);

  // 5: exactly-once, then the counters.
  std::string failure = first_error.get();
  if (failure.empty() && wait_error) failure = "wait() reported: " + describe(wait_error);
  if (failure.empty()) failure = workload->verify();
  if (!failure.empty()) {
    state.SkipWithError(failure.c_str());
    return;
  }

  namespace metric = metrics::name;
  const auto tasks = static_cast<double>(info.tasks);
  const auto as_counter = [](std::uint64_t value) { return static_cast<double>(value); };
  const std::uint64_t rejected =
      std::accumulate(rejected_by_producer.begin(), rejected_by_producer.end(), std::uint64_t{0});
  const auto accepted_tasks = static_cast<std::int64_t>(info.tasks - rejected);
  auto& counters = state.counters;
  // Throughput is what ran: a refused task is not work done.
  state.SetItemsProcessed(accepted_tasks);
  // Reported wherever the strategy can refuse (a non-blocking mode), 0 included, so that "none refused" is
  // a measured answer and not a missing column.
  if (rejected > 0 || strategy_info->traits.when_full == WhenFull::blocks_or_rejects) {
    counters[metric::rejected_tasks] = as_counter(rejected);
    counters[metric::reject_rate] = as_counter(rejected) / tasks;
  }
  counters[metric::cpu_cores] =
      window.wall_seconds() > 0 ? window.cpu_seconds() / window.wall_seconds() : 0.0;
  const std::uint64_t timed_tasks = latencies->end_to_end.count();
  if (timed_tasks > 0) {
    counters[metric::submit_p50_ns] = as_counter(latencies->submit.value_at_quantile(0.50));
    counters[metric::submit_p99_ns] = as_counter(latencies->submit.value_at_quantile(0.99));
    counters[metric::queue_wait_p50_ns] = as_counter(latencies->queue_wait.value_at_quantile(0.50));
    counters[metric::queue_wait_p99_ns] = as_counter(latencies->queue_wait.value_at_quantile(0.99));
    counters[metric::queue_wait_mean_ns] = latencies->queue_wait.mean();
    counters[metric::e2e_p50_ns] = as_counter(latencies->end_to_end.value_at_quantile(0.50));
    counters[metric::e2e_p99_ns] = as_counter(latencies->end_to_end.value_at_quantile(0.99));
    counters[metric::e2e_max_ns] = as_counter(latencies->end_to_end.max());
  }
  if (recorder.class_queue_waits_enabled()) write_class_queue_waits(recorder, counters);
  // A 99.9th percentile of fewer samples is one of the few largest values, not a percentile.
  if (timed_tasks >= min_samples_for_p999) {
    counters[metric::queue_wait_p999_ns] = as_counter(latencies->queue_wait.value_at_quantile(0.999));
    counters[metric::e2e_p999_ns] = as_counter(latencies->end_to_end.value_at_quantile(0.999));
  }
  counters[metric::allocs_per_task] = as_counter(window.allocations().allocations) / tasks;
  counters[metric::bytes_per_task] = as_counter(window.allocations().bytes) / tasks;
  if (peak_rss) counters[metric::peak_rss_bytes] = as_counter(*peak_rss);
  if (empty_case_peak_rss) counters[metric::empty_case_peak_rss_bytes] = as_counter(*empty_case_peak_rss);
  counters[metric::threads_created] = as_counter(strategy_counters.threads_created);
  if (threads_before_setup && threads_at_close)
    counters[metric::thread_stack_bytes] = static_cast<double>(*threads_at_close > *threads_before_setup
                                                                   ? *threads_at_close - *threads_before_setup
                                                                   : 0) *
                                           static_cast<double>(probe::default_thread_stack_bytes());
  if (probe::malloc_bypassing_allocator_loaded()) counters[metric::allocations_bypass_malloc] = 1;
  counters[metric::producers_used] = static_cast<double>(producers);
  counters[metric::voluntary_ctx_switches] = static_cast<double>(window.voluntary_context_switches());
  counters[metric::involuntary_ctx_switches] = static_cast<double>(window.involuntary_context_switches());
  counters[metric::setup_ns] = static_cast<double>(setup.count());
  counters[metric::shutdown_ns] = static_cast<double>(shutdown.count());
  counters[metric::warmup_tasks] = static_cast<double>(spec.warmup_tasks);
  if (spec.probe_enabled) {
    counters[metric::instrumentation_ns_per_task] = cost.timed_task_ns;
    counters[metric::timing_sample_every] = static_cast<double>(sample_every);
    counters[metric::timed_tasks] = as_counter(timed_tasks);
    const double window_ns = window.wall_seconds() * 1e9;
    if (window_ns > 0)
      counters[metric::probe_share] = as_counter(timed_tasks) * cost.timed_task_ns / window_ns;
  }
  if (arrival.open_loop()) {
    auto lag = std::make_unique<probe::LatencyHistogram>();
    for (const auto& producer_lag : schedule_lags) lag->merge(producer_lag);
    const double achieved_rate =
        window.wall_seconds() > 0 ? static_cast<double>(accepted_tasks) / window.wall_seconds() : 0.0;
    counters[metric::offered_rate] = offered_rate;
    counters[metric::achieved_rate] = achieved_rate;
    counters[metric::schedule_lag_p99_ns] = as_counter(lag->value_at_quantile(0.99));
    counters[metric::schedule_lag_max_ns] = as_counter(lag->max());
    counters[metric::saturated] = achieved_rate < saturation_threshold * offered_rate ? 1.0 : 0.0;
    if (calibrated_capacity > 0) counters[metric::calibrated_capacity_per_second] = calibrated_capacity;
  }
  for (const auto& [name, value] : strategy_counters.extra) counters[name] = value;
  for (const auto& [name, value] : workload->counters()) counters[name] = value;
  if (auto label = workload->label(); !label.empty()) state.SetLabel(label);
}

}  // namespace poolbench
