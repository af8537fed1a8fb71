#include "dispatcher.hpp"

#include <algorithm>
#include <system_error>

#include "registry.hpp"

namespace poolbench {
namespace {

constexpr int yield_rounds = 4;

// gammazero/deque: a ring buffer of tasks that doubles when full. Owned by the dispatcher thread alone.
class TaskDeque {
 public:
  bool empty() const noexcept { return size_ == 0; }
  std::size_t size() const noexcept { return size_; }
  Task& front() noexcept { return buffer_[head_]; }
  void pop_front() noexcept {
    buffer_[head_].reset();
    head_ = (head_ + 1) & (buffer_.size() - 1);
    --size_;
  }
  void push_back(Task&& task) {
    if (size_ == buffer_.size()) grow();
    buffer_[(head_ + size_) & (buffer_.size() - 1)] = std::move(task);
    ++size_;
  }

 private:
  void grow() {
    std::vector<Task> larger(std::max<std::size_t>(16, buffer_.size() * 2));
    for (std::size_t i = 0; i < size_; ++i)
      larger[i] = std::move(buffer_[(head_ + i) & (buffer_.size() - 1)]);
    buffer_.swap(larger);
    head_ = 0;
  }

  std::vector<Task> buffer_;  // size is 0 or a power of two
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace

DispatcherStrategy::DispatcherStrategy(const Options& options)
    : options_([&] {
        Options normalized = options;
        normalized.workers = std::max<std::size_t>(normalized.workers, 1);
        // A shorter period would turn the idle dispatcher's timed wait into polling.
        normalized.idle_timeout =
            std::max<std::chrono::microseconds>(normalized.idle_timeout, std::chrono::milliseconds(1));
        return normalized;
      }()),
      handoff_(options_.handoff),
      slots_(std::make_unique<WorkerSlot[]>(options_.workers)) {
  dispatcher_ = std::jthread([this] { dispatch(); });
  threads_created_.fetch_add(1, std::memory_order_relaxed);
}

DispatcherStrategy::~DispatcherStrategy() {
  shutdown();
}

SubmitResult DispatcherStrategy::submit(Task task) {
  if (!task) return SubmitResult::failed("empty task");  // an empty Task is the workers' stop signal
  {
    std::scoped_lock lock(input_mutex_);
    if (closed_) return SubmitResult::closed();
    input_.push_back(std::move(task));
    ++submitted_;
    input_size_.store(input_.size(), std::memory_order_relaxed);
  }
  // Ordered after the push by input_mutex_: a dispatcher that set `parked` before checking the input under
  // that mutex is seen here (see dispatch()).
  if (dispatcher_parked_.load(std::memory_order_seq_cst)) signal_dispatcher();
  return SubmitResult::accepted();
}

void DispatcherStrategy::signal_dispatcher() {
  { std::scoped_lock lock(dispatcher_mutex_); }  // the dispatcher is either before its check or in its wait
  dispatcher_cv_.notify_one();
}

bool DispatcherStrategy::start_worker() noexcept {
  WorkerSlot* free_slot = nullptr;
  for (;;) {
    for (std::size_t i = 0; i < options_.workers && free_slot == nullptr; ++i)
      if (!slots_[i].running) free_slot = &slots_[i];
    if (free_slot != nullptr) break;
    // Every slot still holds a worker told to stop that has not exited yet; it is about to.
    std::this_thread::yield();
    reap_exited_workers();
  }
  try {
    free_slot->exited.store(false, std::memory_order_relaxed);
    free_slot->thread = std::jthread([this, free_slot] { work(*free_slot); });
  } catch (const std::system_error&) {
    return false;  // the OS refused a thread: the tasks wait for a running worker or the next attempt
  }
  free_slot->running = true;
  threads_created_.fetch_add(1, std::memory_order_relaxed);
  live_workers_.fetch_add(1, std::memory_order_release);
  return true;
}

void DispatcherStrategy::start_workers_as_needed() noexcept {
  // No ready worker for what is queued: start one more, up to K (workerpool's `go worker(task)`).
  while (live_workers_.load(std::memory_order_relaxed) < options_.workers &&
         handoff_.size_approx() > ready_workers_.load(std::memory_order_seq_cst))
    if (!start_worker()) break;
}

void DispatcherStrategy::reap_exited_workers() noexcept {
  for (std::size_t i = 0; i < options_.workers; ++i) {
    WorkerSlot& slot = slots_[i];
    if (slot.running && slot.exited.load(std::memory_order_acquire)) {
      slot.thread.join();
      slot.running = false;
    }
  }
}

void DispatcherStrategy::wait_for_handoff_room() {
  std::unique_lock lock(dispatcher_mutex_);
  dispatcher_parked_.store(true, std::memory_order_seq_cst);
  // Workers pop with a seq_cst CAS and then read `parked`: either they see it, or this check sees their pop.
  dispatcher_cv_.wait(lock, [this] { return !handoff_.looks_full(); });
  dispatcher_parked_.store(false, std::memory_order_relaxed);
}

void DispatcherStrategy::dispatch() noexcept {
  using clock = std::chrono::steady_clock;
  TaskDeque waiting;
  std::vector<Task> batch;
  bool idle = false;  // workerpool's `idle`: no task arrived during the last whole timeout period
  auto deadline = clock::now() + options_.idle_timeout;

  auto feed_workers = [&] {
    std::size_t handed = 0;
    while (!waiting.empty() && handoff_.try_push(waiting.front()) == BoundedTaskRing::Push::pushed) {
      waiting.pop_front();
      ++handed;
    }
    waiting_.store(waiting.size(), std::memory_order_release);
    if (handed == 1) {
      handoff_not_empty_.wake_one();
    } else if (handed > 1) {
      handoff_not_empty_.wake_all();
    }
    start_workers_as_needed();
  };

  for (;;) {
    bool closed = false;
    {
      std::scoped_lock lock(input_mutex_);
      batch.swap(input_);
      input_size_.store(0, std::memory_order_relaxed);
      closed = closed_;
    }
    if (!batch.empty()) {
      for (Task& task : batch) waiting.push_back(std::move(task));
      batch.clear();
      idle = false;
    }
    feed_workers();
    reap_exited_workers();
    if (closed && waiting.empty()) break;  // the input was final and all of it is in the hand-off

    if (!waiting.empty()) {
      if (handoff_.looks_full()) wait_for_handoff_room();
      continue;
    }

    // Nothing queued: poll the input briefly, then park until a submit, shutdown, or the idle timer.
    bool seen = false;
    for (std::uint32_t i = 0; i < options_.spin && !seen; ++i) {
      cpu_relax();
      seen = input_size_.load(std::memory_order_relaxed) != 0;
    }
    for (int i = 0; i < yield_rounds && !seen; ++i) {
      std::this_thread::yield();
      seen = input_size_.load(std::memory_order_relaxed) != 0;
    }
    if (seen) continue;
    {
      std::unique_lock lock(dispatcher_mutex_);
      dispatcher_parked_.store(true, std::memory_order_seq_cst);
      dispatcher_cv_.wait_until(lock, deadline, [this] {
        std::scoped_lock input_lock(input_mutex_);
        return !input_.empty() || closed_;
      });
      dispatcher_parked_.store(false, std::memory_order_relaxed);
    }
    if (clock::now() >= deadline) {
      // Timed out waiting for work: if the whole period was idle, stop one ready worker (killIdleWorker). A
      // worker is ready when it waits on an empty hand-off; this thread is the only one that pushes, so it
      // stays ready until it receives the stop signal.
      if (idle && live_workers_.load(std::memory_order_relaxed) > 0 && handoff_.looks_empty() &&
          ready_workers_.load(std::memory_order_seq_cst) > 0) {
        Task stop;  // empty
        if (handoff_.try_push(stop) == BoundedTaskRing::Push::pushed) {
          handoff_not_empty_.wake_one();
          live_workers_.fetch_sub(1, std::memory_order_release);
          idle_workers_stopped_.fetch_add(1, std::memory_order_relaxed);
        }
      }
      idle = true;
      deadline = clock::now() + options_.idle_timeout;
    }
  }

  // StopWait: every task is in the hand-off, ahead of the stop signals sent now, one per live worker.
  while (!handoff_.looks_empty() && live_workers_.load(std::memory_order_relaxed) == 0)
    if (!start_worker()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  for (std::size_t to_stop = live_workers_.load(std::memory_order_relaxed); to_stop > 0;) {
    Task stop;
    if (handoff_.try_push(stop) == BoundedTaskRing::Push::pushed) {
      handoff_not_empty_.wake_all();
      --to_stop;
    } else {
      wait_for_handoff_room();
    }
  }
  for (std::size_t i = 0; i < options_.workers; ++i) {
    if (slots_[i].running) {
      slots_[i].thread.join();
      slots_[i].running = false;
    }
  }
  live_workers_.store(0, std::memory_order_release);
  std::atomic_thread_fence(std::memory_order_seq_cst);
  quiescent_.wake_all();
}

void DispatcherStrategy::work(WorkerSlot& slot) noexcept {
  Task task;
  std::uint64_t finished = slot.finished.load(std::memory_order_relaxed);
  auto spin_pop = [&] {
    for (std::uint32_t i = 0; i < options_.spin; ++i) {
      cpu_relax();
      if (handoff_.try_pop(task)) return true;
    }
    for (int i = 0; i < yield_rounds; ++i) {
      std::this_thread::yield();
      if (handoff_.try_pop(task)) return true;
    }
    return false;
  };
  for (;;) {
    if (!handoff_.try_pop(task)) {
      // Nothing handed to us: everything this worker finished is published; let wait() callers re-check.
      std::atomic_thread_fence(std::memory_order_seq_cst);
      quiescent_.wake_all();
      ready_workers_.fetch_add(1, std::memory_order_seq_cst);
      while (!spin_pop()) handoff_not_empty_.park_unless([this] { return !handoff_.looks_empty(); });
      ready_workers_.fetch_sub(1, std::memory_order_seq_cst);
    }
    // The pop's seq_cst CAS made room: a dispatcher blocked on a full hand-off is seen here
    // (wait_for_handoff_room).
    if (dispatcher_parked_.load(std::memory_order_seq_cst)) signal_dispatcher();
    if (!task) {  // the stop signal
      slot.exited.store(true, std::memory_order_release);
      return;
    }
    task();  // this function is noexcept: a throwing task terminates the process, as a panic in workerpool
             // does
    task.reset();
    slot.finished.store(++finished, std::memory_order_release);
    if (quiescent_.maybe_sleepers()) {
      std::atomic_thread_fence(std::memory_order_seq_cst);
      quiescent_.wake_all();
    }
  }
}

std::uint64_t DispatcherStrategy::finished_total() const noexcept {
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < options_.workers; ++i)
    total += slots_[i].finished.load(std::memory_order_acquire);
  return total;
}

std::exception_ptr DispatcherStrategy::wait() {
  std::uint64_t target = 0;
  {
    std::scoped_lock lock(input_mutex_);
    target = submitted_;
  }
  for (std::uint32_t i = 0; i < options_.spin && finished_total() < target; ++i) cpu_relax();
  while (finished_total() < target) quiescent_.park_unless([&] { return finished_total() >= target; });
  return nullptr;
}

void DispatcherStrategy::shutdown() {
  std::call_once(shutdown_once_, [this] {
    {
      std::scoped_lock lock(input_mutex_);
      closed_ = true;
    }
    signal_dispatcher();
    if (dispatcher_.joinable()) dispatcher_.join();
  });
}

StrategyCounters DispatcherStrategy::counters() const {
  StrategyCounters counters;
  counters.threads_created = threads_created_.load(std::memory_order_relaxed);
  counters.extra["workers_live"] = static_cast<double>(live_workers_.load(std::memory_order_acquire));
  counters.extra["waiting"] = static_cast<double>(waiting_.load(std::memory_order_acquire));
  counters.extra["idle_workers_stopped"] =
      static_cast<double>(idle_workers_stopped_.load(std::memory_order_relaxed));
  return counters;
}

namespace {
const StrategyRegistrar registrar{StrategyInfo{
    .name = "dispatcher",
    .description = "gammazero/workerpool: one dispatcher thread feeds an unbounded FIFO deque to up to K "
                   "on-demand workers; idle workers time out",
    .traits = {.queue_order = QueueOrder::fifo,
               .worker_lifecycle = WorkerLifecycle::on_demand_with_expiry,
               .when_full = WhenFull::never_full,
               .on_exception = OnException::terminates_process,
               .returns_results = false,
               .cancellation = false,
               .synchronous_submit = false,
               .worker_state = false},
    .params = {{.name = "idle_timeout_ms",
                .default_value = "2000",
                .description = "period after which, if no task arrived during it, one idle worker is stopped",
                .kind = ParamKind::positive_number},
               {.name = "handoff",
                .default_value = "256",
                .description =
                    "slots between the dispatcher and the workers (how far the dispatcher runs ahead)",
                .kind = ParamKind::positive_integer},
               {.name = "spin",
                .default_value = "256",
                .description = "rounds an idle worker or the idle dispatcher polls before parking",
                .kind = ParamKind::non_negative_integer}},
    .make =
        [](const StrategyConfig& config) {
          DispatcherStrategy::Options options;
          options.workers = config.workers;
          options.idle_timeout = std::chrono::microseconds(
              static_cast<std::int64_t>(config.params.number("idle_timeout_ms") * 1000.0));
          options.handoff = static_cast<std::size_t>(config.params.integer("handoff"));
          options.spin = static_cast<std::uint32_t>(config.params.integer("spin"));
          return std::make_unique<DispatcherStrategy>(options);
        },
    .nominal_overhead_ns = 300,
}};
}  // namespace

}  // namespace poolbench
