// The footprint case (`-w footprint`): the pool's memory at idle and per pending task, the guide's "Deep
// Comparison: Memory Footprint", measured in the case's own child process (nothing of another case is in its
// RSS).
//
// Both measurements first hold K tasks at a gate: each task counts itself in and waits, so that when all K
// have arrived, K workers are known to have started and to be running at once (an on-demand pool has grown
// to K). Then:
//  * idle_workers: the gate opens, the tasks finish, wait() returns; RSS now minus RSS before the pool was
//    built, over K. It includes what a started worker keeps: its touched stack pages, its thread's TLS and
//    glibc's bookkeeping, a malloc arena it used, the pool's per-worker structures. The stack's share is
//    also counted on its own: the resident pages of mappings that have the size of a thread stack.
//  * pending_tasks: while the K tasks hold every worker, one producer submits the remaining tasks; once it
//    has submitted them all, or has made no progress for `stall_window` (its submit blocks: a bounded queue,
//    or no queue at all), RSS growth and heap bytes allocated since, over the tasks accepted. Then the gate
//    opens and everything runs.
// A strategy without persistent workers (a thread or fiber per task, or the caller's thread) has no idle
// worker and no queue: its case runs its tasks, says so in its label, and records no figure.
#include "case/footprint_case.hpp"

#include "case/case_errors.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <charconv>
#include <string_view>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <latch>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "footprint.hpp"
#include "metrics/catalogue.hpp"
#include "probe/alloc_counter.hpp"
#include "probe/process_stats.hpp"
#include "registry.hpp"

namespace poolbench {
namespace {

// How long K tasks may take to be running at once before the case fails (a strategy that cannot run K
// tasks at once would otherwise hold the gate for ever).
constexpr std::chrono::seconds all_started_timeout{20};
// A producer that has not returned from submit for this long is taken to be blocked (a full queue).
constexpr std::chrono::milliseconds stall_window{300};
constexpr std::chrono::milliseconds poll_interval{5};

// K tasks count themselves in and wait until release(); wait_for_all() says when all K are in.
class HoldingGate {
 public:
  explicit HoldingGate(std::size_t expected) : expected_(expected) {}
  void arrive_and_hold() {
    std::unique_lock lock(mutex_);
    if (++arrived_ == expected_) all_arrived_.notify_all();
    released_cv_.wait(lock, [this] { return released_; });
  }
  // True when all expected tasks arrived within `timeout`; `arrived` says how many did.
  bool wait_for_all(std::chrono::steady_clock::duration timeout, std::size_t& arrived) {
    std::unique_lock lock(mutex_);
    const bool all = all_arrived_.wait_for(lock, timeout, [this] { return arrived_ >= expected_; });
    arrived = arrived_;
    return all;
  }
  void release() {
    {
      std::scoped_lock lock(mutex_);
      released_ = true;
    }
    released_cv_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable all_arrived_;
  std::condition_variable released_cv_;
  std::size_t expected_;
  std::size_t arrived_ = 0;
  bool released_ = false;
};

struct HeldTask {
  Workload* workload;
  std::size_t index;
  HoldingGate* gate;
  void operator()() const {
    gate->arrive_and_hold();
    workload->run(index);
  }
};

struct PlainTask {
  Workload* workload;
  std::size_t index;
  void operator()() const { workload->run(index); }
};

// Submits tasks [begin, end); a refusal as `overloaded` is told to the workload (it must never run), any
// other refusal is returned. `submitted` counts the submits that returned.
std::string submit_plain(Strategy& strategy, Workload& workload, std::size_t begin, std::size_t end,
                         std::atomic<std::size_t>* submitted = nullptr) {
  for (std::size_t index = begin; index < end; ++index) {
    const SubmitResult result = strategy.submit(Task{PlainTask{&workload, index}});
    if (result.status == SubmitStatus::overloaded)
      workload.on_rejected(index);
    else if (!result.ok())
      return fmt::format("submit of task {} failed: {}", index, result.message);
    if (submitted != nullptr) submitted->fetch_add(1, std::memory_order_release);
  }
  return {};
}

// Resident bytes of this process from /proc/self/smaps_rollup, which walks the page tables: exact, where
// VmRSS and statm read the kernel's per-CPU counters, which lag by up to a batch of pages per CPU. Read with
// open/read into a stack buffer, so that it allocates nothing while allocations are being counted.
std::optional<std::uint64_t> resident_bytes() noexcept {
  const int fd = ::open("/proc/self/smaps_rollup", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::array<char, 4096> buffer{};
  std::size_t length = 0;
  for (ssize_t got = 0; length + 1 < buffer.size(); length += static_cast<std::size_t>(got)) {
    got = ::read(fd, buffer.data() + length, buffer.size() - 1 - length);
    if (got <= 0) break;
  }
  ::close(fd);
  const std::string_view text(buffer.data(), length);
  const auto at = text.find("\nRss:");
  if (at == std::string_view::npos) return std::nullopt;
  std::uint64_t kib = 0;
  const char* cursor = text.data() + at + 5;
  const char* end = text.data() + text.size();
  while (cursor < end && *cursor == ' ') ++cursor;
  if (std::from_chars(cursor, end, kib).ec != std::errc{}) return std::nullopt;
  return kib * 1024;
}

}  // namespace

std::optional<ThreadStacks> thread_stack_mappings(std::size_t stack_bytes) {
  std::ifstream smaps("/proc/self/smaps");
  if (!smaps || stack_bytes == 0) return std::nullopt;
  const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  ThreadStacks out;
  bool in_stack = false;
  std::string line;
  while (std::getline(smaps, line)) {
    // A mapping's header: "start-end perms offset dev inode [path]"; its fields follow as "Name: value kB".
    const auto dash = line.find('-');
    const auto space = line.find(' ');
    if (dash != std::string::npos && space != std::string::npos && dash < space && line.find(':') > space) {
      std::istringstream header(line);
      std::string range, perms, offset, device, path;
      std::uint64_t inode = 0;
      header >> range >> perms >> offset >> device >> inode;
      header >> path;
      const std::uint64_t start = std::stoull(range.substr(0, dash), nullptr, 16);
      const std::uint64_t end = std::stoull(range.substr(dash + 1), nullptr, 16);
      // glibc maps a thread's stack as one anonymous mapping of the stack size whose lowest page (the guard)
      // is made inaccessible: what stays is a private read-write mapping a guard page or two short of it.
      const std::uint64_t size = end - start;
      in_stack = perms == "rw-p" && inode == 0 && path.empty() && size <= stack_bytes &&
                 size + 2 * page >= stack_bytes;
      if (in_stack) ++out.mappings;
      continue;
    }
    if (in_stack && line.rfind("Rss:", 0) == 0) {
      std::istringstream field(line.substr(4));
      std::uint64_t kib = 0;
      field >> kib;
      out.resident_bytes += kib * 1024;
    }
  }
  return out;
}

void run_footprint_case(benchmark::State& state, const CaseSpec& spec) {
  namespace metric = metrics::name;
  const CaseInfo& info = spec.info;
  const StrategyInfo* strategy_info = strategy_registry().find(info.strategy);
  const WorkloadInfo* workload_info = workload_registry().find(info.workload);
  if (strategy_info == nullptr || workload_info == nullptr) {
    state.SkipWithError(fmt::format("unknown strategy or workload in case {}", spec.name).c_str());
    return;
  }
  const auto measure_param = info.workload_params.find(footprint_measure_param);
  const bool idle =
      measure_param == info.workload_params.end() || measure_param->second == footprint_idle_workers;
  const std::size_t workers = info.workers;
  if (workers == 0 || info.tasks < workers) {
    state.SkipWithError(
        fmt::format("footprint: needs at least K = {} tasks (one held on each worker), not {}", workers,
                    info.tasks)
            .c_str());
    return;
  }
  Params strategy_params;
  for (const auto& spec_param : strategy_info->params) {
    auto given = info.strategy_params.find(spec_param.name);
    strategy_params.set(spec_param.name,
                        given != info.strategy_params.end() ? given->second : spec_param.default_value);
  }
  const WorkerLifecycle lifecycle = traits_for(*strategy_info, strategy_params).worker_lifecycle;
  const bool has_workers = lifecycle != WorkerLifecycle::caller_thread &&
                           lifecycle != WorkerLifecycle::thread_per_task &&
                           lifecycle != WorkerLifecycle::fiber_per_task;

  Params workload_params;
  workload_params.apply_defaults(workload_info->params);
  for (const auto& [name, value] : info.workload_params) workload_params.set(name, value);
  auto workload = workload_info->make(WorkloadConfig{workload_params, strategy_info->traits.worker_state});
  workload->prepare(info.tasks);
  const std::size_t stack_bytes = probe::default_thread_stack_bytes();

  std::string failure;
  std::optional<std::uint64_t> rss_before, rss_after;
  std::optional<ThreadStacks> stacks_before, stacks_after;
  std::size_t started = 0, queued = 0;
  std::uint64_t queued_heap_bytes = 0;
  std::uint64_t threads_created = 0;
  for (auto _ : state) {
    if (idle) {
      rss_before = resident_bytes();
      stacks_before = thread_stack_mappings(stack_bytes);
    }
    std::unique_ptr<Strategy> strategy;
    try {
      StrategyConfig config{workers, strategy_params, {}};
      if (strategy_info->traits.worker_state) config.worker_state_factory = workload->worker_state_factory();
      strategy = strategy_info->make(config);
    } catch (const std::exception& e) {
      failure = fmt::format("setting up the case failed: {}", e.what());
      break;
    }
    // Outlives the branches below: a released task may still be leaving arrive_and_hold() until the
    // strategy's wait() after them returns.
    HoldingGate gate(workers);
    if (!has_workers) {
      // Nothing persists between tasks to measure: the tasks run as in any case, and the label says why.
      failure = submit_plain(*strategy, *workload, 0, info.tasks);
    } else {
      FirstError hold_failure;
      const auto hold = [&](std::size_t begin, std::size_t end) {
        for (std::size_t index = begin; index < end; ++index)
          if (const SubmitResult result = strategy->submit(Task{HeldTask{workload.get(), index, &gate}});
              !result.ok()) {
            hold_failure.set(fmt::format("submit of held task {} failed: {}", index, result.message));
            return;
          }
      };
      // Submitted from threads of their own: a strategy that cannot run K tasks at once may block a submit.
      // A synchronous submit (tunny's Process) returns only when its task has run: one thread per worker.
      std::vector<std::jthread> holders;
      if (traits_for(*strategy_info, strategy_params).synchronous_submit)
        for (std::size_t index = 0; index < workers; ++index) holders.emplace_back(hold, index, index + 1);
      else
        holders.emplace_back(hold, 0, workers);
      const bool all_started = gate.wait_for_all(all_started_timeout, started);
      if (!all_started) {
        gate.release();
        holders.clear();
        strategy->wait();
        strategy->shutdown();
        failure = hold_failure.get().empty()
                      ? fmt::format(
                            "footprint: only {} of K = {} tasks were running at once after {} s: the "
                            "strategy did not start K workers",
                            started, workers, all_started_timeout.count())
                      : hold_failure.get();
        break;
      }
      if (idle) {
        gate.release();
        holders.clear();
        std::exception_ptr error = strategy->wait();
        if (error) failure = "wait() reported: " + describe(error);
        rss_after = resident_bytes();
        stacks_after = thread_stack_mappings(stack_bytes);
        if (failure.empty()) failure = submit_plain(*strategy, *workload, workers, info.tasks);
      } else {
        std::atomic<std::size_t> submitted{0};
        std::string producer_failure;
        std::latch go{1};
        std::jthread producer([&] {
          go.wait();
          producer_failure = submit_plain(*strategy, *workload, workers, info.tasks, &submitted);
        });
        // Counted from here: the producer thread's own start is the harness's, not the queue's.
        rss_before = resident_bytes();
        probe::start_counting_allocations();
        go.count_down();
        const std::size_t offered = info.tasks - workers;
        std::size_t seen = 0;
        auto last_progress = std::chrono::steady_clock::now();
        for (;;) {
          std::this_thread::sleep_for(poll_interval);
          const std::size_t before = submitted.load(std::memory_order_acquire);
          if (before != seen) {
            seen = before;
            last_progress = std::chrono::steady_clock::now();
          }
          if (before < offered && std::chrono::steady_clock::now() - last_progress < stall_window) continue;
          // Measured only while the count stands still, so that RSS and count belong together.
          const auto rss = resident_bytes();
          if (submitted.load(std::memory_order_acquire) != before) continue;
          rss_after = rss;
          queued = before;
          break;
        }
        queued_heap_bytes = probe::stop_counting_allocations().bytes;
        gate.release();
        holders.clear();
        producer.join();
        failure = producer_failure;
      }
    }
    std::exception_ptr error = strategy->wait();
    if (failure.empty() && error) failure = "wait() reported: " + describe(error);
    threads_created = strategy->counters().threads_created;
    strategy->shutdown();
  }
  if (failure.empty()) failure = workload->verify();
  if (!failure.empty()) {
    state.SkipWithError(failure.c_str());
    return;
  }

  auto& counters = state.counters;
  counters[metric::threads_created] = static_cast<double>(threads_created);
  counters[metric::default_thread_stack_bytes] = static_cast<double>(stack_bytes);
  if (!has_workers) {
    state.SetLabel(lifecycle == WorkerLifecycle::caller_thread
                       ? "no workers: tasks run on the caller's thread (0 by construction)"
                       : "no idle workers and no queue: a thread or fiber per task (0 by construction)");
    return;
  }
  const auto k = static_cast<double>(workers);
  if (idle) {
    counters[metric::idle_workers_started] = static_cast<double>(started);
    if (rss_before && rss_after)
      counters[metric::idle_worker_rss_bytes] =
          (static_cast<double>(*rss_after) - static_cast<double>(*rss_before)) / k;
    if (stacks_before && stacks_after)
      counters[metric::idle_worker_stack_rss_bytes] = (static_cast<double>(stacks_after->resident_bytes) -
                                                       static_cast<double>(stacks_before->resident_bytes)) /
                                                      k;
    return;
  }
  counters[metric::pending_tasks_queued] = static_cast<double>(queued);
  if (queued == 0) {
    state.SetLabel("no queue: submit blocks while every worker is busy");
    return;
  }
  const auto q = static_cast<double>(queued);
  if (rss_before && rss_after)
    counters[metric::pending_task_rss_bytes] =
        (static_cast<double>(*rss_after) - static_cast<double>(*rss_before)) / q;
  counters[metric::pending_task_heap_bytes] = static_cast<double>(queued_heap_bytes) / q;
  if (queued < info.tasks - workers)
    state.SetLabel(fmt::format("queue bounded: submit blocked after {} pending tasks", queued));
}

}  // namespace poolbench
