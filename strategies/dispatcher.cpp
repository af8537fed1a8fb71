#include "dispatcher.hpp"

#include <algorithm>
#include <system_error>

#include "dispatcher_batching.hpp"
#include "registry.hpp"
#include "support/spin_wait.hpp"
#include "support/thread_start.hpp"

namespace poolbench {

DispatcherStrategy::DispatcherStrategy(const Options& options)
    : options_([&] {
        Options normalized = options;
        normalized.workers = std::max<std::size_t>(normalized.workers, 1);
        // A shorter period would turn the idle dispatcher's timed wait into polling.
        normalized.idle_timeout =
            std::max<std::chrono::microseconds>(normalized.idle_timeout, std::chrono::milliseconds(1));
        return normalized;
      }()),
      receiving_(options_.workers, nullptr),
      slots_(std::make_unique<WorkerSlot[]>(options_.workers)) {
  dispatcher_ =
      support::start_helper_thread<std::jthread>("dispatcher's dispatcher thread", [this] { dispatch(); });
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
    input_size_.store(input_.size(), std::memory_order_seq_cst);
  }
  wake_dispatcher_if_parked_for(wants_input);
  return SubmitResult::accepted();
}

// The caller made the dispatcher's condition true with a seq_cst operation; the dispatcher sets parked_for_
// (seq_cst) before its last check: one of the two sees the other (a Dekker pattern). Exactly one caller (the
// exchange) takes the wake-up; the others pay a load.
void DispatcherStrategy::wake_dispatcher_if_parked_for(std::uint32_t reason) {
  if ((parked_for_.load(std::memory_order_seq_cst) & reason) == 0) return;
  if ((parked_for_.exchange(0, std::memory_order_seq_cst) & reason) == 0) return;
  { std::scoped_lock lock(dispatcher_mutex_); }  // the dispatcher is either before its check or in its wait
  dispatcher_cv_.notify_one();
}

// Returns false when the deadline passed with none of `reasons` true.
bool DispatcherStrategy::park_dispatcher(std::chrono::steady_clock::time_point deadline,
                                         std::uint32_t reasons) {
  auto has_work = [&] {
    return ((reasons & wants_input) != 0 &&
            (input_size_.load(std::memory_order_seq_cst) != 0 || closing_.load(std::memory_order_seq_cst))) ||
           ((reasons & wants_drained) != 0 && waiting_.load(std::memory_order_seq_cst) == 0) ||
           ((reasons & wants_receiver) != 0 && receiving_count_.load(std::memory_order_seq_cst) != 0);
  };
  if (support::spin_until(has_work, support::SpinBudget{.spins = static_cast<int>(options_.spin)}))
    return true;
  std::unique_lock lock(dispatcher_mutex_);
  parked_for_.store(reasons, std::memory_order_seq_cst);
  while (!has_work()) {
    if (dispatcher_cv_.wait_until(lock, deadline) == std::cv_status::timeout) {
      parked_for_.store(0, std::memory_order_seq_cst);
      return has_work();
    }
    // Woken (or spuriously): re-arm, since a signaller cleared the flag, then re-check.
    parked_for_.store(reasons, std::memory_order_seq_cst);
  }
  parked_for_.store(0, std::memory_order_seq_cst);
  return true;
}

DispatcherStrategy::WorkerSlot* DispatcherStrategy::pop_receiving_worker() noexcept {
  const std::size_t count = receiving_count_.load(std::memory_order_relaxed);
  if (count == 0) return nullptr;
  WorkerSlot* slot = receiving_[receiving_head_];
  receiving_head_ = (receiving_head_ + 1) % options_.workers;
  receiving_count_.store(count - 1, std::memory_order_seq_cst);
  return slot;
}

// workerpool's `p.workerQueue <- task` in a select with a default: succeeds only if a worker is receiving.
bool DispatcherStrategy::hand_to_receiving_worker(Task& task) noexcept {
  WorkerSlot* slot = nullptr;
  {
    std::scoped_lock lock(exchange_mutex_);
    slot = pop_receiving_worker();
    if (slot == nullptr) return false;
    slot->mailbox = std::move(task);
  }
  slot->handed.set();
  return true;
}

// workerpool's `go worker(task, ...)`. On a refused thread the task stays with the caller.
bool DispatcherStrategy::start_worker(Task& task) noexcept {
  WorkerSlot* free_slot = nullptr;
  for (std::size_t i = 0; i < options_.workers && free_slot == nullptr; ++i)
    if (!slots_[i].running) free_slot = &slots_[i];
  if (free_slot == nullptr) return false;
  free_slot->mailbox = std::move(task);  // the new worker's first task: not lost if the start is refused
  try {
    free_slot->thread = support::start_thread<std::jthread>([this, free_slot] { work(*free_slot); });
  } catch (const std::system_error&) {
    task = std::move(free_slot->mailbox);
    thread_starts_refused_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  free_slot->running = true;
  threads_created_.fetch_add(1, std::memory_order_relaxed);
  live_workers_.fetch_add(1, std::memory_order_release);
  return true;
}

// killIdleWorker, and the stop signals of StopWait: `slot` was receiving; nil ends it.
void DispatcherStrategy::stop_worker_and_join(WorkerSlot& slot) noexcept {
  slot.thread.join();  // it returns as soon as it takes the empty task
  slot.running = false;
  live_workers_.fetch_sub(1, std::memory_order_release);
}

void DispatcherStrategy::dispatch() noexcept {
  using clock = std::chrono::steady_clock;
  std::vector<Task> received;
  std::vector<WorkerSlot*> handed;  // flags to set once the lock is released (a set may wake a sleeper)
  handed.reserve(options_.workers);
  bool idle = false;  // workerpool's `idle`: no task arrived during the last whole timeout period
  auto deadline = clock::now() + options_.idle_timeout;

  for (;;) {
    bool closed = false;
    {
      std::scoped_lock lock(input_mutex_);
      received.swap(input_);
      input_size_.store(0, std::memory_order_seq_cst);
      closed = closed_;
    }
    const bool progressed = !received.empty();
    if (progressed) idle = false;
    bool start_refused = false;
    std::size_t waiting = 0;
    {
      std::scoped_lock lock(exchange_mutex_);
      for (Task& task : received) {
        // While tasks wait, a new one queues behind them (processWaitingQueue); otherwise dispatch()'s
        // select: a receiving worker, else a new worker below K, else the waiting queue.
        if (waiting_queue_.empty()) {
          if (WorkerSlot* slot = pop_receiving_worker()) {
            slot->mailbox = std::move(task);
            handed.push_back(slot);
            continue;
          }
          if (start_worker(task)) continue;
        }
        waiting_queue_.push_back(std::move(task));
      }
      // Only after a refused thread start can tasks wait while fewer than K workers run: retry the start.
      if (!waiting_queue_.empty() && live_workers_.load(std::memory_order_relaxed) < options_.workers) {
        if (start_worker(waiting_queue_.front()))
          waiting_queue_.pop_front();  // a moved-from Task
        else
          start_refused = true;
      }
      waiting = waiting_queue_.size();
      waiting_.store(waiting, std::memory_order_seq_cst);
    }
    for (WorkerSlot* slot : handed) slot->handed.set();
    handed.clear();
    received.clear();                   // moved-from Tasks only: no calls
    if (closed && waiting == 0) break;  // the input was final and every task is with a worker
    if (progressed) continue;

    if (waiting != 0) {
      // The idle timer counts only while nothing waits (workerpool selects on it only then): sleep until
      // input arrives or the workers have taken every waiting task (or, after a refused thread start, retry
      // it).
      park_dispatcher(clock::now() + (start_refused ? std::chrono::milliseconds(1) : options_.idle_timeout),
                      wants_input | wants_drained);
      continue;
    }
    if (park_dispatcher(deadline, wants_input) || clock::now() < deadline) continue;
    // The idle timer fired: if the whole period was idle, stop one receiving worker (killIdleWorker).
    if (idle && live_workers_.load(std::memory_order_relaxed) > 0) {
      Task stop;  // empty
      WorkerSlot* receiving = nullptr;
      {
        std::scoped_lock lock(exchange_mutex_);
        if (receiving_count_.load(std::memory_order_relaxed) != 0) receiving = receiving_[receiving_head_];
      }
      if (receiving != nullptr && hand_to_receiving_worker(stop)) {
        stop_worker_and_join(*receiving);
        idle_workers_stopped_.fetch_add(1, std::memory_order_relaxed);
      }
    }
    idle = true;
    deadline = clock::now() + options_.idle_timeout;
  }

  // StopWait: every task is with a worker; send nil to each worker as it comes to receive, then join it.
  while (live_workers_.load(std::memory_order_relaxed) > 0) {
    WorkerSlot* receiving = nullptr;
    {
      std::scoped_lock lock(exchange_mutex_);
      if (receiving_count_.load(std::memory_order_relaxed) != 0) receiving = receiving_[receiving_head_];
    }
    Task stop;
    if (receiving != nullptr && hand_to_receiving_worker(stop)) {
      stop_worker_and_join(*receiving);
    } else {
      park_dispatcher(clock::now() + std::chrono::milliseconds(100), wants_receiver);
    }
  }
}

void DispatcherStrategy::work(WorkerSlot& slot) noexcept {
  Task task = std::move(slot.mailbox);
  std::uint64_t finished = slot.finished.load(std::memory_order_relaxed);
  const support::SpinBudget spin{.spins = static_cast<int>(options_.spin)};
  while (task) {
    task();  // this function is noexcept: a throwing task terminates the process, as a panic in workerpool
             // does
    task.reset();
    quiescent_.task_finished(slot.finished, ++finished);
    // `task = <-workerQueue`: take the waiting queue's front if there is one (the dispatcher's pending send),
    // else join the receiving workers and wait for the dispatcher's hand-off.
    bool drained = false;
    {
      std::scoped_lock lock(exchange_mutex_);
      if (!waiting_queue_.empty()) {
        task = waiting_queue_.pop_front();
        const std::size_t waiting = waiting_queue_.size();
        waiting_.store(waiting, std::memory_order_seq_cst);
        drained = waiting == 0;
      } else {
        const std::size_t count = receiving_count_.load(std::memory_order_relaxed);
        receiving_[(receiving_head_ + count) % options_.workers] = &slot;
        receiving_count_.store(count + 1, std::memory_order_seq_cst);
      }
    }
    if (task) {
      if (drained) wake_dispatcher_if_parked_for(wants_drained);
      continue;
    }
    wake_dispatcher_if_parked_for(wants_receiver);
    if (!support::spin_until([&] { return slot.handed.is_set(); }, spin)) {
      // Out of work: publish what this worker finished so that wait() callers re-check, then park.
      quiescent_.publish_and_wake(slot.finished);
      slot.handed.wait(support::SpinBudget{.spins = 0});
    }
    slot.handed.clear();
    task = std::move(slot.mailbox);
  }
  quiescent_.publish_and_wake(slot.finished);
}

std::uint64_t DispatcherStrategy::finished_total() const noexcept {
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < options_.workers; ++i)
    total += slots_[i].finished.load(std::memory_order_seq_cst);  // seq_cst: a ParkingLot predicate
  return total;
}

std::exception_ptr DispatcherStrategy::wait() {
  std::uint64_t target = 0;
  {
    std::scoped_lock lock(input_mutex_);
    target = submitted_;
  }
  quiescent_.wait_until([&] { return finished_total() >= target; }, options_.spin);
  return nullptr;
}

void DispatcherStrategy::shutdown() {
  std::call_once(shutdown_once_, [this] {
    {
      std::scoped_lock lock(input_mutex_);
      closed_ = true;
    }
    closing_.store(true, std::memory_order_seq_cst);
    parked_for_.store(0, std::memory_order_seq_cst);
    { std::scoped_lock lock(dispatcher_mutex_); }
    dispatcher_cv_.notify_one();
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
  counters.extra["thread_starts_refused"] =
      static_cast<double>(thread_starts_refused_.load(std::memory_order_relaxed));
  return counters;
}

namespace {
const StrategyRegistrar dispatcher_registrar{StrategyInfo{
    .name = "dispatcher",
    .description = "gammazero/workerpool: a dispatcher thread hands each task to one idle worker, up to K "
                   "on-demand workers, unbounded FIFO waiting queue",
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
               {.name = "spin",
                .default_value = "256",
                .description = "rounds an idle worker or the idle dispatcher polls before parking",
                .kind = ParamKind::non_negative_integer},
               {.name = "batching",
                .default_value = "false",
                .description = "not workerpool: the dispatcher moves whole batches into a hand-off ring that "
                               "the workers pop (runs up to `handoff` tasks ahead of them)",
                .kind = ParamKind::boolean},
               {.name = "handoff",
                .default_value = "1024",
                .description = "batching=true only: slots between the dispatcher and the workers",
                .kind = ParamKind::positive_integer}},
    .make = [](const StrategyConfig& config) -> std::unique_ptr<Strategy> {
      const auto idle_timeout = std::chrono::microseconds(
          static_cast<std::int64_t>(config.params.number("idle_timeout_ms") * 1000.0));
      const auto spin = static_cast<std::uint32_t>(config.params.integer("spin"));
      if (config.params.boolean("batching")) {
        BatchingDispatcherStrategy::Options options;
        options.workers = config.workers;
        options.idle_timeout = idle_timeout;
        options.handoff = static_cast<std::size_t>(config.params.integer("handoff"));
        options.spin = spin;
        return std::make_unique<BatchingDispatcherStrategy>(options);
      }
      DispatcherStrategy::Options options;
      options.workers = config.workers;
      options.idle_timeout = idle_timeout;
      options.spin = spin;
      return std::make_unique<DispatcherStrategy>(options);
    },
    .nominal_overhead_ns = 300,
    .models =
        {
            {.mode = "",
             .library = "gammazero/workerpool v1.2.1-5-g22a7e8d",
             .matches =
                 "workerpool.go `dispatch()`: each task to one idle worker, else a new worker below K, "
                 "else the unbounded FIFO waiting queue (`processWaitingQueue()`; `WaitingQueueSize` "
                 "exact); `killIdleWorker()`: one idle worker stopped per idle period; `StopWait()` drains",
             .differs =
                 "submit appends to a locked vector that the dispatcher takes in order, instead of a "
                 "rendezvous on the unbuffered `taskQueue`; with tasks waiting, a worker that comes to "
                 "receive takes the front itself (Go's receive from a blocked sender) and the next "
                 "front is on offer at once; workers are OS threads that spin before parking"},
            {.mode = "batching=true",
             .library = "none: a batching pool on workerpool's structure, not workerpool",
             .matches = "workerpool's dispatcher thread, workers started on demand up to K, one idle worker "
                        "stopped per idle period, `StopWait()` drains",
             .differs =
                 "the dispatcher moves whole batches into a `handoff`-slot lock-free ring (1024) that "
                 "workers pop, running up to 1024 tasks ahead of them; `WaitingQueueSize` leaves out the "
                 "ring's tasks: kept to show what batching buys"},
        },
}};
}  // namespace

}  // namespace poolbench
