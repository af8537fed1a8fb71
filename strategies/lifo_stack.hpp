// Longer than the project's ~450-line guide on purpose: the pool is a template over the job type (tasks for
// the harness, payloads for PoolWithFunc), so all of it must live in this header, and it is kept whole so it
// reads side by side with ants' pool.go. The idle-worker queue is in lifo_stack_worker_queue.hpp.
//
// lifo_stack — ants' Pool, read at v2.11.4 (panjf2000/ants, tag v2.11.4, commit f7128db): ants.go
// (newPool, retrieveWorker, revertWorker, purgeStaleWorkers, Tune), pool.go (Submit), worker.go (run),
// worker_stack.go and worker_loop_queue.go (the idle queue), options.go; PoolWithFunc in pool_func.go. No
// task queue: idle workers, each with its own one-task hand-off slot.
//
// What it models. Submit locks the pool and detaches an idle worker — by default the most recently idle one,
// off the top of a stack (workerStack) — and hands it the task (retrieveWorker + inputFunc). With no idle
// worker and fewer than K running, it starts a new worker; at K it waits on a condition until a worker comes
// back (revertWorker signals it) — or, with `nonblocking=true`, fails at once with `overloaded`
// (ErrPoolOverload), and with `max_blocking_tasks=M` fails once M submitters already wait. A worker that
// finished its task goes back into the idle queue with its last-used time, so the queue is ordered by idle
// time, oldest first; a purge thread wakes every `expiry_ms`, binary-searches the queue for the workers idle
// longer than that and stops them (purgeStaleWorkers / refresh). tune(K) changes the capacity; a worker that
// finishes while more than K run exits instead of going idle. The payload form LifoStackFuncPool<P> is
// PoolWithFunc: one function fixed at construction, invoke(payload) moves the payload into the worker's slot,
// so nothing is allocated per call.
//
// ants' options, as parameters. `prealloc=true` is WithPreAlloc: the idle workers live in a loop queue, a
// ring of exactly K slots allocated up front (insert at the tail, detach from the head, expiry by binary
// search from the head: loopQueue), so the *longest* idle worker takes the next task (FIFO reuse) instead of
// the most recent one; as in ants it cannot be tuned and cannot be unlimited (ErrInvalidPreAllocSize). Both
// forms sit under the same lock. `disable_purge=true` is WithDisablePurge: no purge thread is started
// (goPurge returns), idle workers never expire. `unlimited=true` is NewPool with size -1 (any size <= 0): no
// capacity, so a worker starts whenever none is idle and submit never blocks nor rejects; tune() is ignored.
//
// Goroutines and channels onto threads. A goWorker is a thread plus a slot (its `task` channel of capacity 1)
// and a ParkingFlag: the submitter moves the task into the slot and sets the flag; the worker spins briefly,
// then parks on a futex (std::atomic::wait), so a busy pool hands off without system calls and an idle one
// uses no CPU. ants' spin lock becomes support::SpinLock, sync.Cond a std::condition_variable_any on it, the
// workerCache (sync.Pool of goWorker structs) a list of spare Worker objects whose threads have been joined.
// The purge goroutine is a thread, counted in threads_created; ants' ticktock goroutine (a clock cached every
// 500 ms) has no thread here: a coarse clock does its job (see (3) below).
//
// Exceptions. As ants recovers a panic in its worker (worker.go's deferred recover): the exception handler
// set with set_exception_handler() is called with the exception (PanicHandler); without one, one line goes to
// stderr (ants logs "worker exits from panic"). Either way that worker exits, as in ants, and the pool goes
// on — the next submit starts a replacement (OnException::handler_called_continues).
//
// Where it deliberately differs. (1) Where a worker starts: ants v2.11.4 starts the goroutine under the lock
// (retrieveWorker calls w.run(), which adds to `running`, before it unlocks), which costs it next to nothing;
// starting an OS thread takes tens of microseconds, so here `running` moves under the lock (K is exact, as in
// ants) but the thread is started after the lock is released. (2) A submitter that finds the pool full counts
// as waiting at once (against max_blocking_tasks, as ants' addWaiting) and, unless other submitters already
// sleep on the condition, spins briefly for a worker to come back before it sleeps: a goroutine parks in
// ~100 ns, a thread takes microseconds to wake, and at K on a busy pool a worker is usually back within that
// time. As in ants, an arriving submitter that finds an idle worker takes it even while others wait (ants'
// retrieveWorker detaches before it looks at the waiters); ants also re-checks max_blocking_tasks after each
// wake-up, so a woken waiter can be rejected there, which is not reproduced. (3) A worker going idle stamps
// itself with a coarse clock (CLOCK_MONOTONIC_COARSE, one scheduler tick of resolution) where ants reads the
// time its ticktock goroutine caches every 500 ms: either way no precise clock is read on the hand-off's path
// (steady_clock there was a measurable part of the hand-off, see results/strategy-notes.md). (4) wait() (for
// the harness) returns when every worker is idle — ants users put a WaitGroup in their tasks. shutdown() is
// Release plus a join: it stops the idle workers, lets busy ones finish their task (there is no queue, so
// nothing accepted is dropped), wakes blocked submitters with `closed`, and joins every thread.
//
// Cost. There is no queue, so every task is a rendezvous with an idle worker: the submitter usually finds the
// idle queue empty and waits for the worker it just fed to come back, so a task costs one round trip of cache
// lines between two cores. What that round trip touches is kept small: the lock, the idle queue and the
// counts share one cache line, a worker's slot and flag share two, a spinning worker looks at the queue's
// line only every 16th spin, and the idle stamp reads a coarse clock (each step's effect is in
// results/strategy-notes.md). With three threads on two cores, a preempted thread costs a scheduler round
// trip — which is why only the idle worker that is served next (the stack's top, the loop queue's head)
// spins and every other wait parks instead of yielding (support/spin_wait.hpp).
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <stop_token>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "lifo_stack_worker_queue.hpp"
#include "strategy.hpp"
#include "support/coarse_clock.hpp"
#include "support/parking_flag.hpp"
#include "support/spin_lock.hpp"
#include "support/spin_wait.hpp"
#include "support/thread_start.hpp"

namespace poolbench {

struct LifoStackOptions {
  // ants' size -1 (NewPool with any size <= 0): no capacity, a worker is started whenever none is idle.
  static constexpr std::size_t unlimited = std::numeric_limits<std::size_t>::max();

  std::size_t capacity = 1;                                   // K (ants' size), or `unlimited`
  bool nonblocking = false;                                   // WithNonblocking
  std::size_t max_blocking_tasks = 0;                         // WithMaxBlockingTasks; 0: no limit
  std::chrono::nanoseconds expiry = std::chrono::seconds(1);  // WithExpiryDuration
  bool prealloc = false;       // WithPreAlloc: idle workers in a FIFO loop queue of K slots (not unlimited)
  bool disable_purge = false;  // WithDisablePurge: no purge thread, idle workers never expire
};

// Called on the worker thread with the exception a task threw (ants' PanicHandler).
using ExceptionHandler = std::function<void(std::exception_ptr)>;

struct LifoStackCounters {
  std::uint64_t threads_created = 0;  // every thread the pool started: its workers and its purge thread
  std::uint64_t workers_created = 0;  // worker threads only
  std::uint64_t workers_expired = 0;
  std::uint64_t submit_blocked = 0;  // submits that slept on the condition for a worker
  std::uint64_t rejected = 0;        // overloaded: non-blocking, or max_blocking_tasks reached
  std::uint64_t exceptions_handled = 0;
  std::size_t running = 0;
  std::size_t idle = 0;
};

namespace lifo_stack_detail {

// The pool itself, shared by the Task form and the payload form: `Job` is what a worker's slot holds, `Run`
// is what a worker does with it.
template <class Job, class Run>
class Pool {
 public:
  Pool(LifoStackOptions options, Run run)
      : options_(checked(options)),
        run_(std::move(run)),
        capacity_(options_.capacity),
        idle_(options_.prealloc ? IdleOrder::fifo_loop_queue : IdleOrder::lifo_stack,
              options_.capacity == LifoStackOptions::unlimited ? 0 : options_.capacity) {
    if (options_.disable_purge) return;  // goPurge: no purge goroutine with DisablePurge
    purge_thread_ = support::start_helper_thread<std::jthread>(
        "lifo_stack's purge thread", [this](std::stop_token stop) { purge_stale_workers(stop); });
    threads_created_ = 1;
  }
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;
  ~Pool() { release(); }

  SubmitResult submit(Job&& job) {
    if (closed_.load(std::memory_order_acquire)) return SubmitResult::closed();
    Worker* worker = nullptr;
    bool start_new = false;
    {
      std::unique_lock lock(lock_);
      // retrieveWorker. Once it finds the pool full, this submitter counts in waiting_ (against
      // max_blocking_tasks) until it leaves, whether it spins or sleeps.
      bool waits = false;
      bool slept = false;
      for (;;) {
        if (closed_.load(std::memory_order_relaxed)) {
          if (waits) --waiting_;
          return SubmitResult::closed();
        }
        if (!idle_.empty()) {
          worker = idle_.detach();
          publish_idle();
          break;
        }
        if (running_ < capacity_) {
          ++running_;
          ++starting_;
          worker = take_spare();
          start_new = true;
          break;
        }
        if (!waits) {
          if (options_.nonblocking) {
            ++rejected_;
            return SubmitResult::overloaded("lifo_stack: all workers are busy (nonblocking)");
          }
          if (options_.max_blocking_tasks != 0 && waiting_ >= options_.max_blocking_tasks) {
            ++rejected_;
            return SubmitResult::overloaded(
                "lifo_stack: too many submitters already waiting (max_blocking_tasks)");
          }
          waits = true;
          ++waiting_;
          // A worker is usually back within a microsecond: look before sleeping — unless others already
          // sleep on the condition, in which case queue behind them rather than take the next worker first.
          if (sleeping_ == 0) {
            lock.unlock();
            support::spin_until([this] {
              return idle_count_.load(std::memory_order_relaxed) != 0 ||
                     closed_.load(std::memory_order_relaxed);
            });
            lock.lock();
            continue;
          }
        }
        if (!slept) ++submit_blocked_;
        slept = true;
        ++sleeping_;
        worker_available_.wait(lock);
        --sleeping_;
      }
      if (waits) --waiting_;
    }
    worker->job.emplace(std::move(job));
    worker->signal.set();
    if (start_new) return start_thread(*worker);
    return SubmitResult::accepted();
  }

  // Blocks until every worker is idle: all accepted jobs have finished.
  void wait_idle() {
    std::unique_lock lock(lock_);
    ++idle_waiters_;
    all_idle_.wait(lock, [this] { return idle_.size() == running_; });
    --idle_waiters_;
  }

  // ants' Tune: a new capacity; ignored when 0, for an unlimited pool and for a preallocated one (its loop
  // queue has K slots), as in ants.
  void tune(std::size_t capacity) {
    if (capacity == 0 || capacity == LifoStackOptions::unlimited || options_.prealloc) return;
    std::lock_guard lock(lock_);
    const std::size_t previous = capacity_;
    if (previous == LifoStackOptions::unlimited) return;
    capacity_ = capacity;
    if (capacity > previous && sleeping_ > 0) worker_available_.notify_all();
  }

  void set_exception_handler(ExceptionHandler handler) {
    std::lock_guard lock(handler_mutex_);
    handler_ = std::move(handler);
  }

  // ants' Release, then a join of every thread the pool started. Idempotent.
  void release() {
    std::call_once(released_, [this] {
      purge_thread_.request_stop();
      if (purge_thread_.joinable()) purge_thread_.join();
      std::vector<Worker*> idle;
      {
        std::lock_guard lock(lock_);
        closed_.store(true, std::memory_order_release);
        idle_.reset(idle);
        publish_idle();
        worker_available_.notify_all();
      }
      for (Worker* worker : idle) stop(*worker);
      {
        std::unique_lock lock(lock_);
        ++idle_waiters_;
        all_idle_.wait(lock, [this] { return running_ == 0 && starting_ == 0; });
        --idle_waiters_;
      }
      for (auto& worker : workers_)
        if (worker->thread.joinable()) worker->thread.join();
    });
  }

  std::size_t capacity() const {
    std::lock_guard lock(lock_);
    return capacity_;
  }
  std::size_t running() const {
    std::lock_guard lock(lock_);
    return running_;
  }
  std::size_t idle_workers() const {
    std::lock_guard lock(lock_);
    return idle_.size();
  }
  std::size_t waiting() const {
    std::lock_guard lock(lock_);
    return waiting_;
  }
  LifoStackCounters counters() const {
    std::lock_guard lock(lock_);
    return {threads_created_, workers_created_, workers_expired_,
            submit_blocked_,  rejected_,        exceptions_handled_.load(std::memory_order_relaxed),
            running_,         idle_.size()};
  }

 private:
  // ants stamps a worker going idle with a time its ticktock goroutine caches every 500 ms; a coarse clock
  // (a few milliseconds' resolution, no TSC read) is the same trade: the stamp is off the hand-off's path.
  using Clock = support::CoarseClock;

  // The slot and the flag that announces it share cache lines (the job first, the flag's word right after
  // it), so a small task and its flag travel to the worker in two cache lines (they were three apart).
  struct alignas(64) Worker {
    std::optional<Job> job;
    support::ParkingFlag signal;  // set when `job` holds a job or `stop_requested` is true
    bool stop_requested = false;
    // Where it went into the idle queue when it last went idle (read by itself only): see likely_next().
    std::uint64_t idle_ticket = 0;
    Clock::time_point last_used;
    // Guarded by lock_:
    std::thread thread;
    bool thread_stored = false;  // the starter has stored `thread` (the worker may exit before that)
    bool exited = false;
  };

  // A Worker object for a new thread: a spare one, a finished one (joined by start_thread), or a new one.
  Worker* take_spare() {
    if (!spare_.empty()) {
      Worker* worker = spare_.back();
      spare_.pop_back();
      return worker;
    }
    if (!finished_.empty()) {
      Worker* worker = finished_.back();
      finished_.pop_back();
      return worker;
    }
    workers_.push_back(std::make_unique<Worker>());
    return workers_.back().get();
  }

  SubmitResult start_thread(Worker& worker) {
    if (worker.thread.joinable()) worker.thread.join();  // a finished worker's old thread: already returned
    worker.stop_requested = false;
    worker.exited = false;
    worker.thread_stored = false;
    std::thread thread;
    std::string failure;
    try {
      thread = support::start_thread([this, &worker] { work(worker); });
    } catch (const std::system_error& e) {
      failure = "out of threads: the OS refused a new worker thread (" + e.code().message() + ")";
    } catch (const std::bad_alloc&) {
      failure = "out of memory starting a new worker thread";
    }
    std::lock_guard lock(lock_);
    --starting_;
    if (!failure.empty()) {
      worker.job.reset();
      worker.signal.clear();
      --running_;
      spare_.push_back(&worker);
      if (sleeping_ > 0) worker_available_.notify_one();
      notify_if_all_idle();
      return SubmitResult::failed("lifo_stack: " + failure);
    }
    ++threads_created_;
    ++workers_created_;
    worker.thread = std::move(thread);
    worker.thread_stored = true;
    if (worker.exited) finished_.push_back(&worker);
    notify_if_all_idle();
    return SubmitResult::accepted();
  }

  // The worker thread (goWorker.run): wait for a job, run it, go back on the stack; exit when stopped, when
  // the pool is closed or over capacity, or after a task threw.
  void work(Worker& worker) {
    for (;;) {
      // Only the worker that detach() serves next is likely to get the next task: one that others are ahead
      // of parks at once instead of spinning (with one producer, K workers and few cores, spinning idle
      // workers would take the cores the producer and the busy worker need).
      // The queue's line is read every 16th spin only: read on every spin it is pulled away from the
      // submitter in the middle of its detach.
      unsigned spins = 0;
      worker.signal.wait({}, [this, &worker, &spins] { return (++spins & 15U) != 0 || likely_next(worker); });
      worker.signal.clear();
      if (worker.stop_requested) break;
      bool threw = false;
      try {
        run_(*worker.job);
      } catch (...) {
        threw = true;
        handle_exception(std::current_exception());
      }
      worker.job.reset();
      if (threw || !revert(worker)) break;
    }
    std::lock_guard lock(lock_);
    --running_;
    worker.exited = true;
    if (worker.thread_stored) finished_.push_back(&worker);
    if (sleeping_ > 0) worker_available_.notify_one();
    notify_if_all_idle();
  }

  // revertWorker: back into the idle queue (on top of the stack, at the loop queue's tail), unless the pool
  // is closed or over capacity.
  bool revert(Worker& worker) {
    const auto now = Clock::now();
    std::lock_guard lock(lock_);
    if (closed_.load(std::memory_order_relaxed) || running_ > capacity_) return false;
    worker.last_used = now;
    worker.idle_ticket = options_.prealloc ? idle_.removed() + idle_.size() : idle_.size();
    if (!idle_.insert(&worker)) return false;  // a full loop queue (ants: errQueueIsFull): the worker exits
    publish_idle();
    if (sleeping_ > 0) worker_available_.notify_one();
    notify_if_all_idle();
    return true;
  }

  // Whether `worker`, idle, is the one detach() serves next: the top of the stack, or the loop queue's head.
  // A hint read without the lock (a stale answer only makes it spin or park when it should not have).
  bool likely_next(const Worker& worker) const noexcept {
    if (options_.prealloc) return idle_removed_.load(std::memory_order_relaxed) >= worker.idle_ticket;
    return idle_count_.load(std::memory_order_relaxed) <= worker.idle_ticket + 1;
  }

  // What spinning submitters and idle workers read without the lock; under the lock.
  void publish_idle() noexcept {
    idle_count_.store(idle_.size(), std::memory_order_relaxed);
    if (options_.prealloc) idle_removed_.store(idle_.removed(), std::memory_order_relaxed);
  }

  static LifoStackOptions checked(LifoStackOptions options) {
    if (options.capacity == 0) throw std::invalid_argument("lifo_stack: the capacity must be at least 1");
    if (!options.disable_purge && options.expiry <= std::chrono::nanoseconds::zero())
      throw std::invalid_argument("lifo_stack: the expiry must be positive");
    if (options.prealloc && options.capacity == LifoStackOptions::unlimited)  // ErrInvalidPreAllocSize
      throw std::invalid_argument(
          "lifo_stack: prealloc needs a capacity (an unlimited pool cannot preallocate)");
    return options;
  }

  void notify_if_all_idle() {
    if (idle_waiters_ > 0 && idle_.size() == running_) all_idle_.notify_all();
  }

  void stop(Worker& worker) {
    worker.stop_requested = true;
    worker.signal.set();
  }

  void handle_exception(std::exception_ptr error) noexcept {
    exceptions_handled_.fetch_add(1, std::memory_order_relaxed);
    ExceptionHandler handler;
    {
      std::lock_guard lock(handler_mutex_);
      handler = handler_;
    }
    if (handler) {
      handler(error);
      return;
    }
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "lifo_stack: worker exits after a task threw: %s\n", e.what());
    } catch (...) {
      std::fprintf(stderr, "lifo_stack: worker exits after a task threw a non-std::exception\n");
    }
  }

  // purgeStaleWorkers: every `expiry`, stop the workers idle for longer than `expiry`, and join the threads
  // of workers that have exited since the last round.
  void purge_stale_workers(std::stop_token stop_token) {
    std::vector<Worker*> stale;
    std::vector<Worker*> exited;
    for (;;) {
      {
        std::unique_lock lock(purge_mutex_);
        purge_tick_.wait_for(lock, stop_token, options_.expiry, [] { return false; });
      }
      if (stop_token.stop_requested()) return;
      const auto cutoff = Clock::now() - options_.expiry;
      {
        std::lock_guard lock(lock_);
        idle_.refresh(cutoff, stale);  // ordered by last-used time, oldest first: the stale ones are a prefix
        publish_idle();
        workers_expired_ += stale.size();
        exited.swap(finished_);
      }
      for (Worker* worker : stale) stop(*worker);
      for (Worker* worker : exited) worker->thread.join();
      if (!exited.empty()) {
        std::lock_guard lock(lock_);
        spare_.insert(spare_.end(), exited.begin(), exited.end());
      }
      stale.clear();
      exited.clear();
    }
  }

  using IdleOrder = lifo_stack_detail::IdleOrder;

  const LifoStackOptions options_;
  Run run_;

  // What every submit and every revert touches, on one cache line of its own: taking the lock brings the
  // stack's header and the counts along (the condition variables, touched only when someone blocks, used to
  // sit in between).
  // ants' spin lock: guards everything below up to the purge members.
  alignas(64) mutable support::SpinLock lock_;
  std::atomic<bool> closed_{false};  // written under lock_
  // idle_.size(), read without the lock by spinning submitters and workers.
  std::atomic<std::size_t> idle_count_{0};
  std::size_t capacity_;
  std::size_t running_ = 0;                     // live workers (busy, idle or starting)
  IdleWorkerQueue<Worker> idle_;                // ants' p.workers: the stack, or the loop queue with prealloc
  std::atomic<std::uint64_t> idle_removed_{0};  // idle_.removed() (loop queue only), read as idle_count_
  std::size_t starting_ = 0;                    // workers whose thread is being started
  std::size_t waiting_ = 0;   // submitters that found the pool full and wait for a worker, spinning or asleep
  std::size_t sleeping_ = 0;  // those of them asleep on worker_available_
  std::size_t idle_waiters_ = 0;
  alignas(64) std::condition_variable_any worker_available_;  // ants' cond: blocked submitters
  std::condition_variable_any all_idle_;                      // wait_idle() and release()
  std::vector<std::unique_ptr<Worker>> workers_;  // every Worker object ever made (reused, never freed early)
  std::vector<Worker*> spare_;                    // exited and joined: ready for a new thread
  std::vector<Worker*> finished_;                 // exited, thread not yet joined
  std::uint64_t threads_created_ = 0;
  std::uint64_t workers_created_ = 0;
  std::uint64_t workers_expired_ = 0;
  std::uint64_t submit_blocked_ = 0;
  std::uint64_t rejected_ = 0;
  std::atomic<std::uint64_t> exceptions_handled_{0};

  std::mutex handler_mutex_;
  ExceptionHandler handler_;

  std::mutex purge_mutex_;
  std::condition_variable_any purge_tick_;
  std::once_flag released_;
  std::jthread purge_thread_;  // last: started after everything it uses exists
};

struct RunTask {
  void operator()(Task& task) const { task(); }
};

}  // namespace lifo_stack_detail

// The Task form (ants' Pool), and the strategy the harness drives.
class LifoStackPool final : public Strategy {
 public:
  explicit LifoStackPool(LifoStackOptions options) : pool_(options, {}) {}

  SubmitResult submit(Task task) override { return pool_.submit(std::move(task)); }
  std::exception_ptr wait() override {
    pool_.wait_idle();
    return nullptr;
  }
  void shutdown() override { pool_.release(); }
  StrategyCounters counters() const override;

  void tune(std::size_t capacity) { pool_.tune(capacity); }
  void set_exception_handler(ExceptionHandler handler) { pool_.set_exception_handler(std::move(handler)); }
  std::size_t capacity() const { return pool_.capacity(); }
  std::size_t running() const { return pool_.running(); }
  std::size_t idle_workers() const { return pool_.idle_workers(); }
  std::size_t waiting() const { return pool_.waiting(); }
  LifoStackCounters pool_counters() const { return pool_.counters(); }

 private:
  lifo_stack_detail::Pool<Task, lifo_stack_detail::RunTask> pool_;
};

// The payload form (ants' PoolWithFunc / PoolWithFuncGeneric[T]): one function for every call, the payload
// moved into the worker's slot. invoke() allocates nothing once the workers exist.
template <class Payload>
class LifoStackFuncPool {
 public:
  using Function = std::function<void(Payload&)>;

  LifoStackFuncPool(LifoStackOptions options, Function function) : pool_(options, std::move(function)) {}

  SubmitResult invoke(Payload payload) { return pool_.submit(std::move(payload)); }
  void wait_idle() { pool_.wait_idle(); }
  void release() { pool_.release(); }
  void tune(std::size_t capacity) { pool_.tune(capacity); }
  void set_exception_handler(ExceptionHandler handler) { pool_.set_exception_handler(std::move(handler)); }
  std::size_t running() const { return pool_.running(); }
  std::size_t idle_workers() const { return pool_.idle_workers(); }
  LifoStackCounters counters() const { return pool_.counters(); }

 private:
  lifo_stack_detail::Pool<Payload, Function> pool_;
};

}  // namespace poolbench
