// Longer than the project's ~450-line guide on purpose: StatefulPool is a template over payload and result
// types (tunny's Process(payload) -> result), so all of it lives in this header, kept whole so it reads side
// by side with tunny.go and worker.go.
//
// stateful — tunny (Jeffail/tunny: tunny.go, worker.go): K fixed workers, each built once by a constructor
// that owns its per-worker state; process(payload) -> result is synchronous.
//
// What it models. tunny has no task queue. Every idle worker offers itself on one shared, unbuffered request
// channel (reqChan of workRequest); Process receives a request — which pairs the caller with one idle worker
// — sends the payload on that worker's job channel and waits on its return channel. Callers that find no idle
// worker block on the channel and are served in arrival order. ProcessTimed / ProcessCtx give up waiting at a
// deadline or on cancellation: the worker is interrupted (Worker.Interrupt), finishes its Process anyway, and
// its result is dropped. SetSize(n) starts workers (calling the constructor) or stops the surplus ones,
// waiting for them to finish their job; Close stops them all. The worker's state lives in the Worker object
// the constructor built, so an expensive state (warm_state's) is built K times instead of once per task.
//
// Goroutines and channels onto threads. Each workerWrapper is a thread with two hand-off slots (support::
// ParkingFlag: jobChan and retChan) and a tri-state outcome word for the interrupt race. reqChan is a small
// mutex-guarded channel: a FIFO of idle workers and a FIFO of waiting callers; a worker offered while callers
// wait goes straight to the first of them, as a Go channel hands a send to its first blocked receiver.
//
// The harness's Strategy::submit(Task) is process(task): synchronous (traits.synchronous_submit), so the
// driver runs max(P, K) producers to keep K workers busy. The per-worker state is built with StrategyConfig's
// worker_state_factory on the worker's own thread and installed with a WorkerStateScope while a task runs,
// where the task finds it through current_worker_state(). wait() waits for tunny's QueueLength to reach 0.
//
// Where it deliberately differs. (1) The constructor runs on the worker's own thread (tunny calls it in
// SetSize on the caller's goroutine), so per-worker state is first touched by the thread that uses it; its
// exception fails the set_size() / construction that asked for the worker. (2) After a delivered result, the
// caller (not the worker) puts the worker back on the request channel: the same order as tunny — the worker
// offers itself again only after the caller received the result — without a second wake-up. (3) tunny's
// BlockUntilReady hook is left out. (4) A closed pool makes process() throw StatefulPoolClosed and the
// outcome forms report `closed` (tunny panics with ErrPoolNotRunning). Exceptions: a Worker::process that
// throws terminates the process, as a panic in a tunny worker goroutine crashes the program
// (OnException::terminates_process).
//
// Cost: each task is two hand-offs (payload to the worker, result back), each a rendezvous of two of the
// four threads (K=2, so 2 producers) on two cores (figures in results/strategy-notes.md).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include "strategy.hpp"
#include "support/parking_flag.hpp"
#include "support/thread_start.hpp"

namespace poolbench {

enum class ProcessStatus {
  ok,         // the worker ran the payload; the result is there
  timed_out,  // the deadline passed before a worker was free or before it finished (then the result is
              // dropped)
  cancelled,  // the stop token was stopped first (idem)
  closed,     // the pool is closed (tunny's ErrPoolNotRunning)
};

template <class Result>
struct ProcessOutcome {
  ProcessStatus status = ProcessStatus::ok;
  std::optional<Result> result;   // set only when status == ok
  bool handed_to_worker = false;  // the payload reached a worker (it runs even if the caller gave up)
  bool ok() const noexcept { return status == ProcessStatus::ok; }
};

struct StatefulPoolClosed : std::runtime_error {
  StatefulPoolClosed() : std::runtime_error("stateful: the pool is closed") {}
};

namespace stateful_detail {
[[noreturn]] void terminate_after_worker_exception() noexcept;  // call inside a catch block
}

template <class Payload, class Result>
class StatefulPool {
 public:
  // tunny's Worker: built once per worker by the constructor, used by one thread at a time.
  class Worker {
   public:
    virtual ~Worker() = default;                   // tunny's Terminate: runs on the worker's thread
    virtual Result process(Payload& payload) = 0;  // tunny's Process
    // tunny's Interrupt: called from the thread of a caller that gave up, while process() may still be
    // running.
    virtual void interrupt() {}
  };
  using Constructor = std::function<std::unique_ptr<Worker>()>;
  using Clock = std::chrono::steady_clock;

  StatefulPool(std::size_t size, Constructor constructor) : constructor_(std::move(constructor)) {
    set_size(size);
  }
  StatefulPool(const StatefulPool&) = delete;
  StatefulPool& operator=(const StatefulPool&) = delete;
  ~StatefulPool() { close(); }

  // Blocks until an idle worker takes the payload and returns its result. Throws StatefulPoolClosed.
  Result process(Payload payload) {
    auto outcome = run(std::move(payload), std::nullopt, {});
    if (!outcome.ok()) throw StatefulPoolClosed();
    return std::move(*outcome.result);
  }

  // As process(), giving up `timeout` after the call (while waiting for a worker or for its result).
  ProcessOutcome<Result> process_timed(Payload payload, std::chrono::nanoseconds timeout) {
    return run(std::move(payload), Clock::now() + timeout, {});
  }

  // As process(), giving up when `stop` is requested (tunny's ProcessCtx).
  ProcessOutcome<Result> process(Payload payload, std::stop_token stop) {
    return run(std::move(payload), std::nullopt, std::move(stop));
  }

  // tunny's SetSize: starts workers (waiting until each is constructed; a constructor's exception is rethrown
  // and none of this call's workers is kept) or stops the last ones (each finishes its job first) and joins
  // them.
  void set_size(std::size_t size) {
    std::lock_guard size_lock(size_mutex_);
    if (size > slots_.size()) {
      grow(size);
    } else if (size < slots_.size()) {
      std::vector<std::unique_ptr<Slot>> surplus;
      for (std::size_t i = size; i < slots_.size(); ++i) surplus.push_back(std::move(slots_[i]));
      slots_.resize(size);
      retire(surplus);
    }
    size_.store(slots_.size(), std::memory_order_relaxed);
  }

  std::size_t size() const noexcept { return size_.load(std::memory_order_relaxed); }

  // tunny's QueueLength: calls in progress (waiting for a worker or for its result).
  std::int64_t queue_length() const noexcept { return queued_.load(std::memory_order_relaxed); }

  // Blocks until no call is in progress.
  void wait_idle() const noexcept {
    for (auto queued = queued_.load(std::memory_order_acquire); queued != 0;
         queued = queued_.load(std::memory_order_acquire))
      queued_.wait(queued);
  }

  // tunny's Close: later calls report `closed`, waiting callers are woken with `closed`, every worker stops
  // and is joined. Idempotent.
  void close() {
    {
      std::lock_guard lock(channel_mutex_);
      closed_ = true;
      caller_ready_.notify_all();
    }
    set_size(0);
  }

  // Workers offered on the request channel, and callers blocked on it.
  std::size_t idle_workers() const {
    std::lock_guard lock(channel_mutex_);
    return idle_.size();
  }
  std::size_t waiting_callers() const {
    std::lock_guard lock(channel_mutex_);
    return waiting_callers_;
  }

  std::uint64_t threads_created() const noexcept { return threads_created_.load(std::memory_order_relaxed); }
  std::uint64_t abandoned_calls() const noexcept { return abandoned_.load(std::memory_order_relaxed); }

 private:
  enum Outcome : std::uint32_t { pending, delivered, interrupting, abandoned };

  // One workerWrapper: its thread, its Worker, and its job / return hand-off slots.
  struct Slot {
    support::ParkingFlag job_ready;     // jobChan: a payload is posted, or stop_requested
    support::ParkingFlag result_ready;  // retChan: `result` is there
    support::ParkingFlag constructed;   // built and offered, or the constructor threw
    std::optional<Payload> payload;
    std::optional<Result> result;
    std::atomic<std::uint32_t> outcome{pending};
    bool stop_requested = false;
    std::unique_ptr<Worker> worker;
    std::exception_ptr construction_error;
    std::thread thread;
    bool retiring = false;  // guarded by channel_mutex_: stop it instead of offering it again
  };

  // The idle workers in the order they were offered: a ring sized to the number of workers, so offering and
  // taking never allocate (a std::deque would, every few dozen hand-offs).
  class IdleRing {
   public:
    void reserve(std::size_t capacity) {
      if (capacity <= ring_.size()) return;
      std::vector<Slot*> bigger(capacity);
      for (std::size_t i = 0; i < size_; ++i) bigger[i] = ring_[(head_ + i) % ring_.size()];
      ring_.swap(bigger);
      head_ = 0;
    }
    bool empty() const noexcept { return size_ == 0; }
    std::size_t size() const noexcept { return size_; }
    void push_back(Slot* slot) noexcept {  // never more than the workers reserved for
      ring_[(head_ + size_) % ring_.size()] = slot;
      ++size_;
    }
    Slot* pop_front() noexcept {
      Slot* slot = ring_[head_];
      head_ = (head_ + 1) % ring_.size();
      --size_;
      return slot;
    }
    // Takes `slot` out wherever it is, keeping the others in order; false if it is not idle.
    bool remove(Slot* slot) noexcept {
      for (std::size_t i = 0; i < size_; ++i) {
        if (ring_[(head_ + i) % ring_.size()] != slot) continue;
        for (std::size_t j = i; j + 1 < size_; ++j)
          ring_[(head_ + j) % ring_.size()] = ring_[(head_ + j + 1) % ring_.size()];
        --size_;
        return true;
      }
      return false;
    }

   private:
    std::vector<Slot*> ring_;
    std::size_t head_ = 0;
    std::size_t size_ = 0;
  };

  // A caller blocked on the request channel, on its own stack.
  struct Caller {
    Slot* slot = nullptr;  // set under channel_mutex_ when a worker is handed to it
    Caller* next = nullptr;
  };

  ProcessOutcome<Result> run(Payload&& payload, std::optional<Clock::time_point> deadline,
                             std::stop_token stop) {
    queued_.fetch_add(1, std::memory_order_relaxed);
    struct Dequeue {
      const StatefulPool* pool;
      ~Dequeue() {
        if (pool->queued_.fetch_sub(1, std::memory_order_acq_rel) == 1) pool->queued_.notify_all();
      }
    } dequeue{this};

    auto [slot, status] = take_worker(deadline, stop);
    if (slot == nullptr) return {status, std::nullopt};

    slot->outcome.store(pending, std::memory_order_relaxed);
    slot->payload.emplace(std::move(payload));
    slot->job_ready.set();

    bool ready = true;
    if (deadline) {
      ready = slot->result_ready.wait_until(*deadline, stop);
    } else if (stop.stop_possible()) {
      ready = slot->result_ready.wait(stop);
    } else {
      slot->result_ready.wait();
    }
    if (!ready) {
      std::uint32_t expected = pending;
      if (slot->outcome.compare_exchange_strong(expected, interrupting, std::memory_order_acq_rel)) {
        // The worker goes on with process(); it drops the result and offers itself again once we are done
        // here.
        slot->worker->interrupt();
        slot->outcome.store(abandoned, std::memory_order_release);
        slot->outcome.notify_one();
        abandoned_.fetch_add(1, std::memory_order_relaxed);
        return {stop.stop_requested() ? ProcessStatus::cancelled : ProcessStatus::timed_out, std::nullopt,
                /*handed_to_worker=*/true};
      }
      slot->result_ready.wait();  // the result was delivered as we gave up: take it
    }
    slot->result_ready.clear();
    ProcessOutcome<Result> outcome{ProcessStatus::ok, std::move(slot->result), /*handed_to_worker=*/true};
    slot->result.reset();
    offer(*slot);
    return outcome;
  }

  // Receives from the request channel: an idle worker, or the reason there is none.
  std::pair<Slot*, ProcessStatus> take_worker(const std::optional<Clock::time_point>& deadline,
                                              const std::stop_token& stop) {
    std::unique_lock lock(channel_mutex_);
    if (closed_) return {nullptr, ProcessStatus::closed};
    if (!idle_.empty() && first_caller_ == nullptr) {
      Slot* slot = idle_.pop_front();
      return {slot, ProcessStatus::ok};
    }
    Caller self;
    ++waiting_callers_;
    (last_caller_ != nullptr ? last_caller_->next : first_caller_) = &self;
    last_caller_ = &self;
    const auto handed = [&] { return self.slot != nullptr || closed_; };
    if (deadline) {
      caller_ready_.wait_until(lock, stop, *deadline, handed);
    } else {
      caller_ready_.wait(lock, stop, handed);
    }
    --waiting_callers_;
    if (self.slot != nullptr) return {self.slot, ProcessStatus::ok};  // the offerer unlinked us
    unlink(self);
    if (closed_) return {nullptr, ProcessStatus::closed};
    return {nullptr, stop.stop_requested() ? ProcessStatus::cancelled : ProcessStatus::timed_out};
  }

  void unlink(Caller& caller) {
    Caller* previous = nullptr;
    for (Caller* c = first_caller_; c != nullptr; previous = c, c = c->next) {
      if (c != &caller) continue;
      (previous != nullptr ? previous->next : first_caller_) = c->next;
      if (last_caller_ == c) last_caller_ = previous;
      return;
    }
  }

  // Sends on the request channel: to the first waiting caller, else onto the idle list; a retiring worker (or
  // any, once closed) is stopped instead.
  void offer(Slot& slot) {
    {
      std::lock_guard lock(channel_mutex_);
      if (!slot.retiring && !closed_) {
        if (Caller* caller = first_caller_; caller != nullptr) {
          first_caller_ = caller->next;
          if (first_caller_ == nullptr) last_caller_ = nullptr;
          caller->slot = &slot;
          caller_ready_.notify_all();
        } else {
          idle_.push_back(&slot);
        }
        return;
      }
    }
    stop(slot);
  }

  static void stop(Slot& slot) {
    slot.stop_requested = true;
    slot.job_ready.set();
  }

  // workerWrapper.run.
  void work(Slot& slot) {
    try {
      slot.worker = constructor_();
      if (!slot.worker) throw std::invalid_argument("stateful: the worker constructor returned no worker");
    } catch (...) {
      slot.construction_error = std::current_exception();
    }
    if (slot.construction_error) {
      slot.constructed.set();
      return;
    }
    offer(slot);
    slot.constructed.set();  // after the offer: set_size() returns with its workers on the channel
    for (;;) {
      slot.job_ready.wait();
      slot.job_ready.clear();
      if (slot.stop_requested) break;
      try {
        slot.result.emplace(slot.worker->process(*slot.payload));
      } catch (...) {
        stateful_detail::terminate_after_worker_exception();
      }
      slot.payload.reset();
      std::uint32_t expected = pending;
      if (slot.outcome.compare_exchange_strong(expected, delivered, std::memory_order_acq_rel)) {
        slot.result_ready.set();
        continue;
      }
      // The caller gave up: wait until its interrupt() call is over, drop the result, be idle again.
      while (slot.outcome.load(std::memory_order_acquire) == interrupting) slot.outcome.wait(interrupting);
      slot.result.reset();
      offer(slot);
    }
    slot.worker.reset();
  }

  void grow(std::size_t size) {
    {
      std::lock_guard lock(channel_mutex_);
      idle_.reserve(size);
    }
    std::vector<std::unique_ptr<Slot>> added;
    std::exception_ptr error;
    while (slots_.size() + added.size() < size) {
      auto slot = std::make_unique<Slot>();
      try {
        slot->thread = support::start_thread([this, raw = slot.get()] { work(*raw); });
      } catch (const std::system_error& refused) {
        error = std::make_exception_ptr(support::out_of_threads(
            refused, "stateful started " + std::to_string(added.size()) + " of " +
                         std::to_string(size - slots_.size()) + " worker threads before the OS refused one"));
        break;
      } catch (...) {
        error = std::current_exception();
        break;
      }
      threads_created_.fetch_add(1, std::memory_order_relaxed);
      added.push_back(std::move(slot));
    }
    for (auto& slot : added) {
      slot->constructed.wait();
      if (!error && slot->construction_error) error = slot->construction_error;
    }
    if (error) {
      retire(added);
      std::rethrow_exception(error);
    }
    for (auto& slot : added) slots_.push_back(std::move(slot));
  }

  // Stops the given workers (idle ones at once, busy ones when their caller hands them back) and joins them.
  void retire(std::vector<std::unique_ptr<Slot>>& slots) {
    for (auto& slot : slots) {
      bool was_idle = false;
      {
        std::lock_guard lock(channel_mutex_);
        slot->retiring = true;
        was_idle = idle_.remove(slot.get());
      }
      if (was_idle) stop(*slot);
    }
    for (auto& slot : slots) slot->thread.join();
    slots.clear();
  }

  Constructor constructor_;

  std::mutex size_mutex_;  // tunny's workerMut
  std::vector<std::unique_ptr<Slot>> slots_;
  std::atomic<std::size_t> size_{0};

  mutable std::mutex channel_mutex_;  // the request channel
  std::condition_variable_any caller_ready_;
  IdleRing idle_;
  Caller* first_caller_ = nullptr;
  Caller* last_caller_ = nullptr;
  std::size_t waiting_callers_ = 0;
  bool closed_ = false;

  mutable std::atomic<std::int32_t> queued_{0};  // 32-bit: waited on directly as a futex word
  std::atomic<std::uint64_t> threads_created_{0};
  std::atomic<std::uint64_t> abandoned_{0};
};

// The strategy the harness drives: Task in, nothing out, per-worker state from the workload.
class StatefulStrategy final : public Strategy {
 public:
  StatefulStrategy(std::size_t workers, WorkerStateFactory factory);
  ~StatefulStrategy() override { shutdown(); }

  SubmitResult submit(Task task) override;  // tunny's Process: no context
  // tunny's ProcessCtx with the strategy's context (returns_results): returns once the worker returned, the
  // outcome ready; a caller the cancellation reaches while it waits for a worker gives up (`closed`, the task
  // never runs); one it reaches while the worker runs the task gets TaskCancelled from the outcome while the
  // worker finishes (tunny interrupts the worker and drops its result).
  ResultSubmission submit_for_result(Task task) override;
  // Cancels the context every submit_for_result waits with (cancellation). Tasks given with submit (tunny's
  // Process) have no context and are not affected.
  bool cancel() override {
    context_.request_stop();
    return true;
  }
  std::exception_ptr wait() override {
    pool_.wait_idle();
    return nullptr;
  }
  void shutdown() override { pool_.close(); }
  StrategyCounters counters() const override;

  void set_size(std::size_t size) { pool_.set_size(size); }
  std::size_t size() const { return pool_.size(); }

 private:
  using TaskPool = StatefulPool<Task, std::monostate>;
  class TaskWorker;

  WorkerStateFactory factory_;
  std::atomic<std::uint64_t> worker_states_built_{0};
  std::stop_source context_;
  TaskPool pool_;  // last: its workers use the members above
};

}  // namespace poolbench
