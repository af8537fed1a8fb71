#include "dispatcher_batching.hpp"

#include <algorithm>
#include <deque>
#include <system_error>

namespace poolbench {
namespace {

constexpr int batching_yield_rounds = 4;

// The waiting deque (workerpool's deque.Deque). It holds the batches taken from the submitters, in order, and
// is consumed from the front: taking a batch in is one vector move, so each task is moved once on its way
// through the dispatcher (into the hand-off), not twice. Emptied batches keep their capacity and go back to
// the submitters, so a steady stream allocates nothing. Owned by the dispatcher thread alone.
class WaitingDeque {
 public:
  bool empty() const noexcept { return size_ == 0; }
  std::size_t size() const noexcept { return size_; }
  Task& front() noexcept { return batches_.front()[head_]; }
  void pop_front() {
    --size_;
    if (++head_ == batches_.front().size()) {
      recycle(std::move(batches_.front()));
      batches_.pop_front();
      head_ = 0;
    }
  }
  void append(std::vector<Task>&& batch) {
    if (batch.empty()) {
      recycle(std::move(batch));
      return;
    }
    size_ += batch.size();
    batches_.push_back(std::move(batch));
  }
  // An empty vector, with capacity when one is spare, to swap in for the submitters' next batch.
  std::vector<Task> spare() {
    if (spares_.empty()) return {};
    std::vector<Task> vector = std::move(spares_.back());
    spares_.pop_back();
    return vector;
  }

 private:
  void recycle(std::vector<Task>&& vector) {
    vector.clear();  // destroys moved-from (empty) Tasks: no calls
    if (spares_.size() < max_spares) spares_.push_back(std::move(vector));
  }

  static constexpr std::size_t max_spares = 4;
  std::deque<std::vector<Task>> batches_;
  std::size_t head_ = 0;  // next task in batches_.front()
  std::size_t size_ = 0;
  std::vector<std::vector<Task>> spares_;
};

}  // namespace

BatchingDispatcherStrategy::BatchingDispatcherStrategy(const Options& options)
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
  dispatcher_ =
      support::start_helper_thread<std::jthread>("dispatcher's dispatcher thread", [this] { dispatch(); });
  threads_created_.fetch_add(1, std::memory_order_relaxed);
}

BatchingDispatcherStrategy::~BatchingDispatcherStrategy() {
  shutdown();
}

SubmitResult BatchingDispatcherStrategy::submit(Task task) {
  if (!task) return SubmitResult::failed("empty task");  // an empty Task is the workers' stop signal
  {
    std::scoped_lock lock(input_mutex_);
    if (closed_) return SubmitResult::closed();
    input_.push_back(std::move(task));
    ++submitted_;
    input_size_.store(input_.size(), std::memory_order_relaxed);
  }
  // Ordered after the push by input_mutex_: a dispatcher that raised the flag before checking the input under
  // that mutex is seen here (see dispatch()). Exactly one submitter (the exchange) wakes it; the others,
  // arriving while it gets up, find the flag cleared and pay nothing.
  if (dispatcher_awaits_input_.load(std::memory_order_seq_cst) &&
      dispatcher_awaits_input_.exchange(false, std::memory_order_seq_cst))
    signal_dispatcher();
  return SubmitResult::accepted();
}

void BatchingDispatcherStrategy::signal_dispatcher() {
  { std::scoped_lock lock(dispatcher_mutex_); }  // the dispatcher is either before its check or in its wait
  dispatcher_cv_.notify_one();
}

bool BatchingDispatcherStrategy::start_worker() noexcept {
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
    free_slot->thread = support::start_thread<std::jthread>([this, free_slot] { work(*free_slot); });
  } catch (const std::system_error&) {
    return false;  // the OS refused a thread: the tasks wait for a running worker or the next attempt
  }
  free_slot->running = true;
  threads_created_.fetch_add(1, std::memory_order_relaxed);
  live_workers_.fetch_add(1, std::memory_order_release);
  return true;
}

void BatchingDispatcherStrategy::start_workers_as_needed() noexcept {
  // No ready worker for what is queued: start one more, up to K (workerpool's `go worker(task)`).
  while (live_workers_.load(std::memory_order_relaxed) < options_.workers &&
         handoff_.size_approx() > ready_workers_.load(std::memory_order_seq_cst))
    if (!start_worker()) break;
}

void BatchingDispatcherStrategy::reap_exited_workers() noexcept {
  for (std::size_t i = 0; i < options_.workers; ++i) {
    WorkerSlot& slot = slots_[i];
    if (slot.running && slot.exited.load(std::memory_order_acquire)) {
      slot.thread.join();
      slot.running = false;
    }
  }
}

void BatchingDispatcherStrategy::wait_for_handoff_room() {
  std::unique_lock lock(dispatcher_mutex_);
  dispatcher_awaits_room_.store(true, std::memory_order_seq_cst);
  // Workers pop with a seq_cst CAS and then read the flag: either they see it, or this check sees their pop.
  // Waiting for half the ring, not one slot: refilling one slot per wake-up would cost a futex round trip per
  // task.
  dispatcher_cv_.wait(lock, [this] { return handoff_.size_approx() <= handoff_.capacity() / 2; });
  dispatcher_awaits_room_.store(false, std::memory_order_relaxed);
}

void BatchingDispatcherStrategy::dispatch() noexcept {
  using clock = std::chrono::steady_clock;
  WaitingDeque waiting;
  bool idle = false;  // workerpool's `idle`: no task arrived during the last whole timeout period
  auto deadline = clock::now() + options_.idle_timeout;

  auto feed_workers = [&] {
    std::size_t handed = 0;
    while (!waiting.empty() && handoff_.try_push(waiting.front()) == support::BoundedTaskRing::Push::pushed) {
      waiting.pop_front();
      ++handed;
    }
    waiting_.store(waiting.size(), std::memory_order_release);
    if (handed > 0) handoff_not_empty_.wake();
    start_workers_as_needed();
  };

  for (;;) {
    bool closed = false;
    std::vector<Task> batch = waiting.spare();
    {
      std::scoped_lock lock(input_mutex_);
      batch.swap(input_);
      input_size_.store(0, std::memory_order_relaxed);
      closed = closed_;
    }
    if (!batch.empty()) idle = false;
    waiting.append(std::move(batch));
    feed_workers();
    reap_exited_workers();
    if (closed && waiting.empty()) break;  // the input was final and all of it is in the hand-off

    if (!waiting.empty()) {
      // The hand-off is full: the workers are the bottleneck now, so give them the core (yield) rather than
      // spin on it, and park if they stay behind.
      bool room = false;
      for (int i = 0; i < batching_yield_rounds && !room; ++i) {
        std::this_thread::yield();
        room = !handoff_.looks_full();
      }
      if (!room) wait_for_handoff_room();
      continue;
    }

    // Nothing queued: poll the input briefly, then park until a submit, shutdown, or the idle timer.
    bool seen = false;
    for (std::uint32_t i = 0; i < options_.spin && !seen; ++i) {
      support::cpu_relax();
      seen = input_size_.load(std::memory_order_relaxed) != 0;
    }
    for (int i = 0; i < batching_yield_rounds && !seen; ++i) {
      std::this_thread::yield();
      seen = input_size_.load(std::memory_order_relaxed) != 0;
    }
    if (seen) continue;
    {
      std::unique_lock lock(dispatcher_mutex_);
      dispatcher_awaits_input_.store(true, std::memory_order_seq_cst);
      dispatcher_cv_.wait_until(lock, deadline, [this] {
        std::scoped_lock input_lock(input_mutex_);
        return !input_.empty() || closed_;
      });
      dispatcher_awaits_input_.store(false, std::memory_order_relaxed);
    }
    if (clock::now() >= deadline) {
      // Timed out waiting for work: if the whole period was idle, stop one ready worker (killIdleWorker). A
      // worker is ready when it waits on an empty hand-off; this thread is the only one that pushes, so it
      // stays ready until it receives the stop signal.
      if (idle && live_workers_.load(std::memory_order_relaxed) > 0 && handoff_.looks_empty() &&
          ready_workers_.load(std::memory_order_seq_cst) > 0) {
        Task stop;  // empty
        if (handoff_.try_push(stop) == support::BoundedTaskRing::Push::pushed) {
          handoff_not_empty_.wake();
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
    if (handoff_.try_push(stop) == support::BoundedTaskRing::Push::pushed) {
      handoff_not_empty_.wake();
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
}

void BatchingDispatcherStrategy::work(WorkerSlot& slot) noexcept {
  Task task;
  std::uint64_t finished = slot.finished.load(std::memory_order_relaxed);
  auto spin_pop = [&] {
    for (std::uint32_t i = 0; i < options_.spin; ++i) {
      support::cpu_relax();
      if (handoff_.try_pop(task)) return true;
    }
    for (int i = 0; i < batching_yield_rounds; ++i) {
      std::this_thread::yield();
      if (handoff_.try_pop(task)) return true;
    }
    return false;
  };
  for (;;) {
    if (!handoff_.try_pop(task)) {
      // Nothing handed to us: publish what this worker finished and let wait() callers re-check.
      quiescent_.publish_and_wake(slot.finished);
      ready_workers_.fetch_add(1, std::memory_order_seq_cst);
      while (!spin_pop()) handoff_not_empty_.park_unless([this] { return !handoff_.looks_empty(); });
      ready_workers_.fetch_sub(1, std::memory_order_seq_cst);
    }
    // The pop's seq_cst CAS made room: a dispatcher blocked on a full hand-off is seen here
    // (wait_for_handoff_room).
    // Exactly one worker (the exchange) wakes it, once the ring is down to half.
    if (dispatcher_awaits_room_.load(std::memory_order_seq_cst) &&
        handoff_.size_approx() <= handoff_.capacity() / 2 &&
        dispatcher_awaits_room_.exchange(false, std::memory_order_seq_cst))
      signal_dispatcher();
    if (!task) {  // the stop signal
      quiescent_.publish_and_wake(slot.finished);
      slot.exited.store(true, std::memory_order_release);
      return;
    }
    task();  // this function is noexcept: a throwing task terminates the process, as a panic in workerpool
             // does
    task.reset();
    quiescent_.task_finished(slot.finished, ++finished);
  }
}

std::uint64_t BatchingDispatcherStrategy::finished_total() const noexcept {
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < options_.workers; ++i)
    total += slots_[i].finished.load(std::memory_order_seq_cst);  // seq_cst: a ParkingLot predicate
  return total;
}

std::exception_ptr BatchingDispatcherStrategy::wait() {
  std::uint64_t target = 0;
  {
    std::scoped_lock lock(input_mutex_);
    target = submitted_;
  }
  quiescent_.wait_until([&] { return finished_total() >= target; }, options_.spin);
  return nullptr;
}

void BatchingDispatcherStrategy::shutdown() {
  std::call_once(shutdown_once_, [this] {
    {
      std::scoped_lock lock(input_mutex_);
      closed_ = true;
    }
    signal_dispatcher();
    if (dispatcher_.joinable()) dispatcher_.join();
  });
}

StrategyCounters BatchingDispatcherStrategy::counters() const {
  StrategyCounters counters;
  counters.threads_created = threads_created_.load(std::memory_order_relaxed);
  counters.extra["workers_live"] = static_cast<double>(live_workers_.load(std::memory_order_acquire));
  counters.extra["waiting"] = static_cast<double>(waiting_.load(std::memory_order_acquire));
  counters.extra["idle_workers_stopped"] =
      static_cast<double>(idle_workers_stopped_.load(std::memory_order_relaxed));
  return counters;
}

}  // namespace poolbench
