// Longer than the project's ~450-line guide: it holds both forms of the strategy, the guide's sharded pool
// and pond v2's one-queue pool (`mode=pond`), which share the group, wait and counter code below.
//
#include "sharded.hpp"

#include <algorithm>
#include <functional>
#include <system_error>

#include <fmt/format.h>

#include "registry.hpp"
#include "support/cpu_relax.hpp"
#include "support/thread_start.hpp"

namespace poolbench {
namespace {

constexpr int shard_yield_rounds = 4;

// Takes a shard's mutex, trying for a moment before blocking: its critical sections last nanoseconds, while a
// contended std::mutex puts the loser to sleep in the kernel at once (a futex round trip, microseconds, and
// on a busy machine a lost time slice). Still a std::mutex, so the condition variables work with it.
std::unique_lock<std::mutex> lock_briefly_spinning(std::mutex& mutex) {
  constexpr int tries = 64;
  for (int i = 0; i < tries; ++i) {
    if (mutex.try_lock()) return std::unique_lock<std::mutex>(mutex, std::adopt_lock);
    support::cpu_relax();
  }
  return std::unique_lock<std::mutex>(mutex);
}

// Spreads std::hash<thread::id> (often the pthread_t address, with zero low bits) over the shards.
std::size_t mix(std::size_t value) noexcept {
  std::uint64_t x = value;
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return static_cast<std::size_t>(x);
}

}  // namespace

std::exception_ptr ShardedStrategy::Group::wait() {
  for (std::uint64_t pending = state_->pending.load(std::memory_order_acquire); pending != 0;
       pending = state_->pending.load(std::memory_order_acquire))
    state_->pending.wait(pending, std::memory_order_acquire);
  std::scoped_lock lock(state_->mutex);
  return state_->first_error;
}

ShardedStrategy::Options ShardedStrategy::normalized(Options options) {
  options.workers = std::max<std::size_t>(options.workers, 1);
  options.shards = std::clamp<std::size_t>(options.shards, 1, options.workers);
  options.queue_size = std::max<std::size_t>(options.queue_size, 1);
  return options;
}

ShardedStrategy::ShardedStrategy(const Options& options)
    : options_(normalized(options)),
      shard_count_(options_.mode == Mode::pond ? 0 : options_.shards),
      shards_(std::make_unique<Shard[]>(shard_count_)) {
  if (options_.mode == Mode::pond) {
    pond_ = std::make_unique<Pond>();  // no thread until the first submit
    return;
  }
  for (std::size_t s = 0; s < shard_count_; ++s) shards_[s].ring.resize(options_.queue_size);
  // K/S workers per shard, the first K mod S shards one more.
  workers_.start(
      options_.workers, "sharded", [this](std::size_t w) { work(shards_[w % shard_count_]); },
      [this] { close_shards(); });
  threads_created_ = options_.workers;
}

ShardedStrategy::~ShardedStrategy() {
  shutdown();
}

ShardedStrategy::Shard& ShardedStrategy::pick_shard() noexcept {
  if (shard_count_ == 1) return shards_[0];
  if (options_.pick == Pick::round_robin)
    return shards_[next_shard_.fetch_add(1, std::memory_order_relaxed) % shard_count_];
  thread_local const std::size_t thread_hash = mix(std::hash<std::thread::id>{}(std::this_thread::get_id()));
  return shards_[thread_hash % shard_count_];
}

namespace {
constexpr const char* context_cancelled = "the pool's context is cancelled (cancel())";
}  // namespace

SubmitResult ShardedStrategy::submit(Task task) {
  if (pond_) return pond_submit(std::move(task));
  Shard& shard = pick_shard();
  bool wake_worker = false;
  {
    std::unique_lock lock = lock_briefly_spinning(shard.mutex);
    for (;;) {
      if (shard.closed) return SubmitResult::closed();
      if (cancelled_.load(std::memory_order_relaxed)) return SubmitResult::closed(context_cancelled);
      if (shard.size < shard.ring.size()) break;
      if (options_.nonblocking) {
        ++shard.dropped;
        lock.unlock();
        return SubmitResult::overloaded(fmt::format("shard queue of {} tasks is full", shard.ring.size()));
      }
      // Full. Its worker usually frees a slot within a task's time, and on a machine with fewer cores than
      // threads it may need this core to do so: poll, then yield, and only then sleep (a sleeping submitter
      // is woken at half-empty, and its wake-up latency would leave the worker idle).
      lock.unlock();
      bool room = false;
      for (std::uint32_t i = 0; i < options_.spin && !room; ++i) {
        support::cpu_relax();
        room = shard.size_hint.load(std::memory_order_relaxed) < shard.ring.size();
      }
      for (int i = 0; i < shard_yield_rounds && !room; ++i) {
        std::this_thread::yield();
        room = shard.size_hint.load(std::memory_order_relaxed) < shard.ring.size();
      }
      lock.lock();
      if (room || shard.size < shard.ring.size() || shard.closed ||
          cancelled_.load(std::memory_order_relaxed))
        continue;
      ++shard.submitters_waiting;
      shard.has_room.wait(lock);
      --shard.submitters_waiting;
    }
    shard.ring[(shard.head + shard.size) % shard.ring.size()] = std::move(task);
    ++shard.size;
    ++shard.submitted;
    shard.size_hint.store(shard.size, std::memory_order_relaxed);
    wake_worker = shard.idle_waiting > 0;
  }
  if (wake_worker) shard.has_work.notify_one();
  return SubmitResult::accepted();
}

void ShardedStrategy::work(Shard& shard) noexcept {
  Task task;
  bool finished_one = false;  // a task ran since the last critical section and is not yet accounted
  bool last_failed = false;
  for (;;) {
    bool wake_submitters = false;
    bool became_quiescent = false;
    {
      std::unique_lock lock = lock_briefly_spinning(shard.mutex);
      if (finished_one) {
        --shard.busy;
        ++shard.completed;
        if (last_failed) ++shard.failed;
        finished_one = false;
      }
      if (shard.size == 0) {
        if (shard.busy == 0 && waiters_.load(std::memory_order_acquire) != 0) {
          lock.unlock();
          notify_quiescent();
          lock.lock();
        }
        if (!shard.closed) {
          // Poll without the lock for a while: in a stream the next task is nanoseconds away, and a sleep on
          // the condition variable would make its submitter pay for a futex wake.
          lock.unlock();
          bool seen = false;
          for (std::uint32_t i = 0; i < options_.spin && !seen; ++i) {
            support::cpu_relax();
            seen = shard.size_hint.load(std::memory_order_relaxed) != 0;
          }
          for (int i = 0; i < shard_yield_rounds && !seen; ++i) {
            std::this_thread::yield();
            seen = shard.size_hint.load(std::memory_order_relaxed) != 0;
          }
          lock.lock();
          while (shard.size == 0 && !shard.closed) {
            ++shard.idle_waiting;
            shard.has_work.wait(lock);
            --shard.idle_waiting;
          }
        }
        if (shard.size == 0) {  // closed and drained
          became_quiescent = shard.busy == 0;
          lock.unlock();
          if (became_quiescent) notify_quiescent();
          return;
        }
      }
      task = std::move(shard.ring[shard.head]);
      shard.head = (shard.head + 1) % shard.ring.size();
      --shard.size;
      ++shard.busy;
      shard.size_hint.store(shard.size, std::memory_order_relaxed);
      wake_submitters = shard.submitters_waiting > 0 && (shard.size <= shard.ring.size() / 2 || shard.closed);
    }
    if (wake_submitters) shard.has_room.notify_all();
    last_failed = false;
    try {
      task();
    } catch (...) {
      last_failed = true;  // a handle or group already holds the exception; a fire-and-forget one is dropped
    }
    task.reset();
    finished_one = true;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// mode=pond: pond v2 as it is (pool.go).

std::size_t ShardedStrategy::pond_running_workers() const {
  if (!pond_) return 0;
  std::scoped_lock lock(pond_->mutex);
  return pond_->worker_count;
}

// pond's submit -> trySubmit / blockingTrySubmit, then launchWorker (`go p.worker(task)`).
SubmitResult ShardedStrategy::pond_submit(Task task) {
  Pond& pond = *pond_;
  const std::size_t bound = options_.pond_queue_size;  // 0: unbounded
  std::unique_lock lock(pond.mutex);
  for (;;) {
    if (pond.closed) return SubmitResult::closed();
    if (cancelled_.load(std::memory_order_relaxed)) return SubmitResult::closed(context_cancelled);
    if (bound == 0 || pond.tasks.size() < bound) break;
    if (options_.nonblocking) {  // ErrQueueFull, counted in DroppedTasks
      ++pond.dropped;
      return SubmitResult::overloaded(fmt::format("pond queue of {} tasks is full", bound));
    }
    ++pond.submitters_waiting;  // blockingTrySubmit: wait on submitWaiters, then try again
    pond.has_room.wait(lock);
    --pond.submitters_waiting;
  }
  ++pond.submitted;
  if (pond.worker_count >= options_.workers) {  // at maxConcurrency: queue it
    pond.tasks.push_back(std::move(task));
    return SubmitResult::accepted();
  }
  ++pond.worker_count;
  if (!pond.tasks.empty()) {  // older tasks first: the new worker starts with the queue's front
    pond.tasks.push_back(std::move(task));
    task = std::move(pond.tasks.front());
    pond.tasks.pop_front();
  }
  PondSlot* slot = nullptr;
  for (PondSlot& candidate : pond.slots) {
    if (candidate.owners == 0) {
      slot = &candidate;
      break;
    }
  }
  if (slot == nullptr) slot = &pond.slots.emplace_back();
  slot->owners = 2;  // its new worker, and this submitter until it has stored the thread
  slot->first_task = std::move(task);
  ++pond.starting;
  lock.unlock();

  if (slot->thread.joinable()) slot->thread.join();  // the slot's previous worker, already returning
  std::thread started;
  std::string refused;
  try {
    started = support::start_thread([this, slot] { pond_work(*slot); });
  } catch (const std::system_error& e) {
    refused = e.code().message();
  }

  lock.lock();
  --pond.starting;
  if (refused.empty()) {
    slot->thread = std::move(started);
    ++pond.threads_created;
    pond_release(*slot);
    if (pond.worker_count == 0 && pond.starting == 0) pond.all_stopped.notify_all();
    return SubmitResult::accepted();
  }
  // A goroutine start cannot fail; a thread start can. A running worker takes the task from the queue's
  // front (it is the oldest); with none running, the submit fails fast.
  ++pond.thread_starts_refused;
  task = std::move(slot->first_task);
  slot->owners = 0;
  --pond.worker_count;
  if (pond.worker_count > 0) {
    pond.tasks.push_front(std::move(task));
    return SubmitResult::accepted();
  }
  --pond.submitted;
  if (pond.starting == 0) pond.all_stopped.notify_all();
  return SubmitResult::failed(fmt::format(
      "out of threads: the OS refused a new thread ({}) and no pond worker was running", refused));
}

void ShardedStrategy::pond_release(PondSlot& slot) noexcept {
  --slot.owners;
}

// pond's worker(): run the task, then readTask(): the queue's front, or exit when the queue is empty.
void ShardedStrategy::pond_work(PondSlot& slot) noexcept {
  Pond& pond = *pond_;
  Task task;
  {
    std::scoped_lock lock(pond.mutex);
    task = std::move(slot.first_task);
  }
  for (;;) {
    bool failed = false;
    try {
      task();
    } catch (...) {
      failed = true;  // panicRecovery: a handle or group already holds the exception; counted in FailedTasks
    }
    task.reset();
    std::unique_lock lock(pond.mutex);
    ++pond.completed;
    if (failed) ++pond.failed;
    if (pond.tasks.empty()) {  // ErrQueueEmpty: this worker exits
      --pond.worker_count;
      pond_release(slot);
      if (pond.worker_count == 0 && pond.starting == 0) pond.all_stopped.notify_all();
      return;
    }
    task = std::move(pond.tasks.front());
    pond.tasks.pop_front();
    const bool wake_submitter = pond.submitters_waiting > 0;  // notifySubmitWaiter
    lock.unlock();
    if (wake_submitter) pond.has_room.notify_one();
  }
}

ResultSubmission ShardedStrategy::submit_for_result(Task task) {
  TaskWithOutcome wrapped = task_with_outcome(std::move(task), &cancelled_);
  SubmitResult submitted = submit(std::move(wrapped.task));
  if (!submitted.ok()) return {std::move(submitted), {}};
  return {std::move(submitted), std::move(wrapped.outcome)};
}

bool ShardedStrategy::cancel() {
  cancelled_.store(true, std::memory_order_release);
  // Blocked submitters re-check under the lock they sleep with, so this notify cannot come between their
  // check and their sleep.
  if (pond_) {
    { std::scoped_lock lock(pond_->mutex); }
    pond_->has_room.notify_all();
  }
  for (std::size_t s = 0; s < shard_count_; ++s) {
    { std::scoped_lock lock(shards_[s].mutex); }
    shards_[s].has_room.notify_all();
  }
  return true;
}

// pond's StopAndWait: refuse new tasks, let the workers drain the queue and exit, join them.
void ShardedStrategy::pond_shutdown() {
  Pond& pond = *pond_;
  {
    std::unique_lock lock(pond.mutex);
    pond.closed = true;
    pond.has_room.notify_all();
    pond.all_stopped.wait(lock, [&] { return pond.worker_count == 0 && pond.starting == 0; });
  }
  for (PondSlot& slot : pond.slots)
    if (slot.thread.joinable()) slot.thread.join();
}

bool ShardedStrategy::quiescent() const {
  for (std::size_t s = 0; s < shard_count_; ++s) {
    std::scoped_lock lock(shards_[s].mutex);
    if (shards_[s].size != 0 || shards_[s].busy != 0) return false;
  }
  return true;
}

void ShardedStrategy::notify_quiescent() {
  std::scoped_lock lock(quiescent_mutex_);
  quiescent_cv_.notify_all();
}

std::exception_ptr ShardedStrategy::wait() {
  if (pond_) {
    std::unique_lock lock(pond_->mutex);
    pond_->all_stopped.wait(lock, [this] { return pond_->worker_count == 0; });
    return nullptr;
  }
  std::unique_lock lock(quiescent_mutex_);
  waiters_.fetch_add(1, std::memory_order_acq_rel);  // before reading any shard, so a worker that finishes
                                                     // after our read sees it (both under that shard's lock)
  quiescent_cv_.wait(lock, [this] { return quiescent(); });
  waiters_.fetch_sub(1, std::memory_order_acq_rel);
  return nullptr;
}

void ShardedStrategy::close_shards() {
  for (std::size_t s = 0; s < shard_count_; ++s) {
    {
      std::scoped_lock lock(shards_[s].mutex);
      shards_[s].closed = true;
    }
    shards_[s].has_work.notify_all();
    shards_[s].has_room.notify_all();
  }
}

void ShardedStrategy::shutdown() {
  std::call_once(shutdown_once_, [this] {
    if (pond_) {
      pond_shutdown();
      return;
    }
    close_shards();
    workers_.join();
  });
}

StrategyCounters ShardedStrategy::counters() const {
  if (pond_) {
    std::scoped_lock lock(pond_->mutex);
    StrategyCounters counters;
    counters.threads_created = pond_->threads_created;
    counters.extra = {{"running", static_cast<double>(pond_->worker_count)},
                      {"waiting", static_cast<double>(pond_->tasks.size())},
                      {"submitted", static_cast<double>(pond_->submitted)},
                      {"completed", static_cast<double>(pond_->completed)},
                      {"failed", static_cast<double>(pond_->failed)},
                      {"dropped", static_cast<double>(pond_->dropped)},
                      {"thread_starts_refused", static_cast<double>(pond_->thread_starts_refused)}};
    return counters;
  }
  std::uint64_t running = 0, waiting = 0, submitted = 0, completed = 0, failed = 0, dropped = 0;
  for (std::size_t s = 0; s < shard_count_; ++s) {
    std::scoped_lock lock(shards_[s].mutex);
    running += shards_[s].busy;
    waiting += shards_[s].size;
    submitted += shards_[s].submitted;
    completed += shards_[s].completed;
    failed += shards_[s].failed;
    dropped += shards_[s].dropped;
  }
  StrategyCounters counters;
  counters.threads_created = threads_created_;
  counters.extra = {
      {"running", static_cast<double>(running)},     {"waiting", static_cast<double>(waiting)},
      {"submitted", static_cast<double>(submitted)}, {"completed", static_cast<double>(completed)},
      {"failed", static_cast<double>(failed)},       {"dropped", static_cast<double>(dropped)},
      {"shards", static_cast<double>(shard_count_)}};
  return counters;
}

namespace {
const StrategyRegistrar sharded_registrar{StrategyInfo{
    .name = "sharded",
    .description = "S shards, each a lock, a bounded ring and fixed workers (the guide's pond); mode=pond: "
                   "pond v2 as it is",
    .traits = {.queue_order = QueueOrder::fifo_per_shard,
               .worker_lifecycle = WorkerLifecycle::fixed_workers,
               .when_full = WhenFull::blocks_or_rejects,
               .on_exception = OnException::stored_in_task_handle,
               .returns_results = true,
               .cancellation = true,
               .synchronous_submit = false,
               .worker_state = false},
    .params = {{.name = "shards",
                .default_value = "4",
                .description = "number of shard queues (at most one per worker)",
                .kind = ParamKind::positive_integer},
               {.name = "queue_size",
                .default_value = "1024",
                .description = "tasks each shard's queue holds",
                .kind = ParamKind::positive_integer},
               {.name = "pick",
                .default_value = "round_robin",
                .description = "how submit picks a shard",
                .kind = ParamKind::choice,
                .choices = {"round_robin", "thread_hash"}},
               {.name = "nonblocking",
                .default_value = "false",
                .description =
                    "when the shard's queue is full, drop the task (overloaded, counted) instead of blocking",
                .kind = ParamKind::boolean},
               {.name = "spin",
                .default_value = "256",
                .description = "rounds an idle worker polls its shard before sleeping",
                .kind = ParamKind::non_negative_integer},
               {.name = "mode",
                .default_value = "sharded",
                .description = "sharded: the guide's design; pond: pond v2's pool (shards, queue_size, pick "
                               "and spin do not apply)",
                .kind = ParamKind::choice,
                .choices = {"sharded", "pond"}},
               {.name = "pond_queue_size",
                .default_value = "0",
                .description = "mode=pond: pond's WithQueueSize (0: unbounded, pond's default); when full, "
                               "submit blocks, or drops in non-blocking mode",
                .kind = ParamKind::non_negative_integer}},
    .make =
        [](const StrategyConfig& config) {
          ShardedStrategy::Options options;
          options.workers = config.workers;
          options.shards = static_cast<std::size_t>(config.params.integer("shards"));
          options.queue_size = static_cast<std::size_t>(config.params.integer("queue_size"));
          options.pick = config.params.text("pick") == "thread_hash" ? ShardedStrategy::Pick::thread_hash
                                                                     : ShardedStrategy::Pick::round_robin;
          options.nonblocking = config.params.boolean("nonblocking");
          options.spin = static_cast<std::uint32_t>(config.params.integer("spin"));
          options.mode = config.params.text("mode") == "pond" ? ShardedStrategy::Mode::pond
                                                              : ShardedStrategy::Mode::sharded;
          options.pond_queue_size = static_cast<std::size_t>(config.params.integer("pond_queue_size"));
          return std::make_unique<ShardedStrategy>(options);
        },
    .nominal_overhead_ns = 150,
    .adjust_for_mode =
        [](const Params& params, StrategyTraits& traits, double&) {
          if (params.text("mode") != "pond") return;
          // One FIFO queue; a thread per submit up to K that exits when the queue is empty; unbounded by
          // default (never full), blocks or drops with a queue size.
          traits.queue_order = QueueOrder::fifo;
          traits.worker_lifecycle = WorkerLifecycle::on_demand_with_expiry;
          traits.when_full =
              params.integer("pond_queue_size") == 0 ? WhenFull::never_full : WhenFull::blocks_or_rejects;
        },
    .models =
        {
            {.mode = "",
             .library =
                 "the pool guide's sharded design, which it attributes to alitto/pond v2.7.0 (a2e34e8)",
             .matches =
                 "pond's API: `Submit` handles (result or exception), `NewGroup` (wait for all, the first "
                 "error cancels the rest), non-blocking mode that drops and counts (`DroppedTasks`), "
                 "pond's counters",
             .differs =
                 "pond has no shards (pool.go: one `mutex`, one `tasks` queue): S shards, each a lock, a "
                 "bounded ring and K/S fixed workers, are the guide's design, kept to measure it"},
            {.mode = "mode=pond",
             .library = "alitto/pond v2.7.0 (a2e34e8), as it is",
             .matches =
                 "pool.go `trySubmit()`: below K a worker is started per submit, else the task is queued "
                 "in one unbounded queue under one lock (`pond_queue_size` is `WithQueueSize`: blocks, or "
                 "drops in non-blocking mode); `worker()` and `readTask()`: a worker exits when the queue "
                 "is empty; `Submit()` (`submit_for_result`) and the pool context's cancellation "
                 "(`cancel()`): task.go `wrappedTask.Run()` skips a task whose context is cancelled, "
                 "`Stopped()` refuses later submits",
             .differs =
                 "a worker is an OS thread, tens of µs to start where a goroutine costs well under one; a "
                 "refused thread start leaves the task to a running worker; `submitted` counts accepted "
                 "tasks only (pond's also counts dropped ones)"},
        },
}};
}  // namespace

}  // namespace poolbench
