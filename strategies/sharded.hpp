// sharded — the pool guide's sharded design, which the guide attributes to alitto/pond: S shards, each a
// mutex-guarded bounded queue with its own fixed workers; task handles (result or exception), task groups
// (wait all, first error), non-blocking mode that drops and counts, and pond's built-in counters.
// `--param mode=pond` is pond v2 as it is (see "mode=pond" below).
//
// What it models. The guide (Locking Strategies; Appendix S21 "pond: SubmitToShard") describes a submit as
// "pick a shard by hash, lock that shard's queue, enqueue": contention is divided by the shard count. pond
// itself has no shards (pond v2.7.0, pool.go: one `mutex`, one `tasks` queue); the shards are the guide's. So
// each shard here is a mutex, a bounded ring of Tasks, two condition variables and K/S workers (the first K
// mod S shards get one more); submit picks a shard round-robin (`pick=round_robin`, one relaxed fetch_add) or
// by a hash of the submitting thread (`pick=thread_hash`, the guide's "goroutine ID or a hash"), and never
// looks at another shard. Order is FIFO within a shard and unordered across shards
// (QueueOrder::fifo_per_shard).
//
// mode=pond: pond v2 (github.com/alitto/pond/v2 v2.7.0, a2e34e8, pool.go) as it is. One mutex guards one
// queue (linkedbuffer.LinkedBuffer, unbounded by default: a std::deque here) and pond's workerCount.
// trySubmit(): with fewer than maxConcurrency (K) workers it starts a worker for the task (launchWorker, `go
// p.worker(task)`; if tasks are queued the new worker takes the oldest and the new task is queued), else it
// queues the task. worker() runs its task, then readTask() takes the queue's front under the mutex, or, when
// the queue is empty, decrements workerCount and exits. So a worker is a thread started per submit while
// fewer than K run, and a pool whose queue runs empty has no thread left (WorkerLifecycle
// on_demand_with_expiry, with an expiry of zero). With WithQueueSize (`pond_queue_size`) a full queue blocks
// the submitter until a worker reads a task (blockingTrySubmit, submitWaiters), or in non-blocking mode fails
// with ErrQueueFull, counted in DroppedTasks (`dropped`); with pond's default unbounded queue nothing is ever
// dropped. A task that throws is counted in `failed` (pond's panicRecovery). StopAndWait is shutdown().
// Differences: a worker is an OS thread (tens of microseconds to start, where a goroutine costs well under a
// microsecond), which is exactly the cost this mode exists to show; a refused thread start leaves the task to
// a running worker, or fails the submit when none runs (a goroutine start cannot fail); `submitted` counts
// accepted tasks (pond's SubmittedTasks also counts the dropped ones).
//
// pond's API, as a C++ class API on top of Strategy:
//  * Strategy::submit(Task) is pond's `pool.Go(f)`: fire and forget, nothing allocated beyond the queue's
//  slot.
//    A task that throws is caught, counted in `failed`, and dropped: there is no handle to carry it.
//  * submit_with_handle(f) is pond's `pool.Submit(f)` / `SubmitErr`: returns a TaskHandle<R> whose get()
//  returns
//    f's result or rethrows its exception (OnException::stored_in_task_handle). A rejected submit (queue full
//    in non-blocking mode, or shut down) returns a handle already holding SubmitRejected, as pond returns a
//    future resolved with ErrQueueFull / ErrPoolStopped. One shared state is allocated per handle (pond: one
//    future).
//  * group() is pond's `pool.NewGroup()`: submit many, wait() for all, get the first error; the first error
//    cancels the group's tasks that have not started yet (pond cancels the group's context), and cancel()
//    does the same on request (pond's group.Stop()).
//  * Strategy::submit_for_result and Strategy::cancel are pond's Submit and its pool context's
//    cancellation (WithContext), for the harness and the conformance suite: a cancelled pool skips the
//    handle-submitted tasks that have not started, refuses new ones and releases blocked submitters.
//  * counters(): running, waiting, submitted, completed, failed, dropped (pond's RunningWorkers,
//  WaitingTasks,
//    SubmittedTasks, CompletedTasks, FailedTasks, and the drops its non-blocking mode causes).
//
// Goroutines and channels onto threads (the sharded form). pond starts worker goroutines on demand and lets
// them exit when the queue is empty (mode=pond does that); here each shard's workers are OS threads started
// up front (fixed_workers), because a thread start costs tens of microseconds where a goroutine costs
// nothing. A shard's queue is a mutex plus a bounded ring (pond v2's default queue is unbounded; a bound is
// what gives non-blocking mode something to drop, and a ring needs no allocation per task). Workers spin
// briefly on the shard's size before sleeping on the condition variable, so a steady stream costs no futex
// calls and an idle pool costs no CPU. Counters are plain integers under each shard's lock, updated in the
// critical sections that already exist: no shared atomic is touched per task.
//
// Deliberate differences: no work stealing between shards (pond has none either: with one producer and
// pick=thread_hash every task goes to one shard's workers, which is why round_robin is the default); a
// blocked submitter first polls and yields, and once asleep is woken when its shard's queue has drained to
// half, not on every pop, so a producer faster than the workers pays one wake-up per half-queue instead of
// one per task; the shard mutex is tried for a moment before blocking, because its critical sections last
// nanoseconds and a contended std::mutex otherwise sleeps in the kernel at once (it removed almost all of a
// run's voluntary context switches). Shutdown drains every accepted task (pond's StopAndWait) and joins all
// workers.
//
// Cost: the per-shard lock and the worker polling its shard cost more cache-line transfers per task than
// fifo_ring's lock-free ring; on a quiet machine this design was the slowest of the three queue designs
// (fifo_ring, dispatcher, sharded). The measurements are in results/strategy-notes.md.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "strategy.hpp"
#include "support/worker_threads.hpp"

namespace poolbench {

// The error a handle or a group reports for work the pool did not accept.
class SubmitRejected : public std::runtime_error {
 public:
  SubmitRejected(SubmitStatus status, const std::string& message)
      : std::runtime_error(message), status_(status) {}
  SubmitStatus status() const noexcept { return status_; }

 private:
  SubmitStatus status_;
};

namespace sharded_detail {

// Completion flag + outcome, shared between a TaskHandle and the task it wraps.
template <class R>
struct HandleState {
  std::atomic<std::uint32_t> done{0};
  std::optional<R> value;
  std::exception_ptr error;

  void finish() noexcept {
    done.store(1, std::memory_order_release);
    done.notify_all();
  }
  void wait() const noexcept {
    while (done.load(std::memory_order_acquire) == 0) done.wait(0, std::memory_order_acquire);
  }
};

template <>
struct HandleState<void> {
  std::atomic<std::uint32_t> done{0};
  std::exception_ptr error;

  void finish() noexcept {
    done.store(1, std::memory_order_release);
    done.notify_all();
  }
  void wait() const noexcept {
    while (done.load(std::memory_order_acquire) == 0) done.wait(0, std::memory_order_acquire);
  }
};

struct GroupState {
  std::atomic<std::uint64_t> pending{0};
  std::atomic<bool> cancelled{false};
  std::atomic<std::uint64_t> skipped{0};
  std::mutex mutex;
  std::exception_ptr first_error;

  void fail(std::exception_ptr error) {
    {
      std::scoped_lock lock(mutex);
      if (!first_error) first_error = std::move(error);
    }
    cancelled.store(true, std::memory_order_release);
  }
  void finish_one() noexcept {
    if (pending.fetch_sub(1, std::memory_order_acq_rel) == 1) pending.notify_all();
  }
};

}  // namespace sharded_detail

// pond's Task / ResultTask: wait for a task, read its result or its exception.
template <class R>
class TaskHandle {
 public:
  TaskHandle() = default;
  bool valid() const noexcept { return state_ != nullptr; }
  bool ready() const noexcept { return state_->done.load(std::memory_order_acquire) != 0; }
  void wait() const noexcept { state_->wait(); }

  // Waits; returns the task's result, or rethrows its exception (SubmitRejected if it was never accepted).
  // Moves the result out: call once, like std::future::get.
  R get() {
    state_->wait();
    if (state_->error) std::rethrow_exception(state_->error);
    if constexpr (!std::is_void_v<R>) return std::move(*state_->value);
  }

  // Waits; the task's exception, or nullptr when it succeeded.
  std::exception_ptr error() const noexcept {
    state_->wait();
    return state_->error;
  }

 private:
  friend class ShardedStrategy;
  explicit TaskHandle(std::shared_ptr<sharded_detail::HandleState<R>> state) : state_(std::move(state)) {}
  std::shared_ptr<sharded_detail::HandleState<R>> state_;
};

class ShardedStrategy final : public Strategy {
 public:
  enum class Pick { round_robin, thread_hash };
  enum class Mode { sharded, pond };

  struct Options {
    std::size_t workers = 2;
    std::size_t shards = 4;         // clamped to `workers`: every shard needs a worker
    std::size_t queue_size = 1024;  // per shard
    Pick pick = Pick::round_robin;
    bool nonblocking = false;
    std::uint32_t spin = 256;  // rounds an idle worker polls its shard before sleeping
    Mode mode = Mode::sharded;
    std::size_t pond_queue_size = 0;  // mode=pond: pond's WithQueueSize; 0 is pond's default, unbounded
  };

  // pond's TaskGroup: submit many, wait for all, first error.
  class Group {
   public:
    // Submits f (a void() callable). A rejection is also recorded as the group's error, as in pond.
    template <class F>
    SubmitResult submit(F&& f);
    // Waits until every task submitted to this group finished (or was skipped); returns the first error.
    std::exception_ptr wait();
    // pond's group.Stop(): tasks of this group that have not started yet are skipped.
    void cancel() noexcept { state_->cancelled.store(true, std::memory_order_release); }
    std::uint64_t skipped() const noexcept { return state_->skipped.load(std::memory_order_acquire); }

   private:
    friend class ShardedStrategy;
    explicit Group(ShardedStrategy& pool)
        : pool_(&pool), state_(std::make_shared<sharded_detail::GroupState>()) {}
    ShardedStrategy* pool_;
    std::shared_ptr<sharded_detail::GroupState> state_;
  };

  explicit ShardedStrategy(const Options& options);
  ~ShardedStrategy() override;
  ShardedStrategy(const ShardedStrategy&) = delete;
  ShardedStrategy& operator=(const ShardedStrategy&) = delete;

  SubmitResult submit(Task task) override;
  std::exception_ptr wait() override;
  void shutdown() override;
  StrategyCounters counters() const override;
  // pond's `pool.Submit(f)` through the Strategy interface (returns_results): the task's exception goes to
  // the outcome, and a task the context's cancellation reaches before it starts does not run.
  ResultSubmission submit_for_result(Task task) override;
  // pond's pool context cancelled (WithContext): handle-submitted tasks that have not started are skipped
  // (wrappedTask.Run checks ctx.Err() first; pond's Go tasks are not wrapped and still run), later submits
  // fail (Stopped(): ErrPoolStopped, here `closed`), and a submitter blocked on a full queue gives up
  // (blockingTrySubmit selects on ctx.Done()).
  bool cancel() override;

  template <class F, class R = std::invoke_result_t<std::decay_t<F>&>>
  TaskHandle<R> submit_with_handle(F&& f);

  Group group() { return Group(*this); }

  std::size_t shard_count() const noexcept { return shard_count_; }  // 0 in mode=pond
  // mode=pond: worker threads running now (pond's RunningWorkers).
  std::size_t pond_running_workers() const;

 private:
  struct alignas(64) Shard {
    std::mutex mutex;
    std::condition_variable has_work;  // idle workers of this shard sleep here
    std::condition_variable has_room;  // submitters blocked on a full queue sleep here
    std::vector<Task> ring;            // bounded FIFO: `size` tasks starting at `head`
    std::size_t head = 0;
    std::size_t size = 0;
    std::uint32_t idle_waiting = 0;
    std::uint32_t submitters_waiting = 0;
    std::uint32_t busy = 0;  // workers running (or just finished and not yet accounted) a task from here
    bool closed = false;
    std::uint64_t submitted = 0;
    std::uint64_t completed = 0;  // successful and failed
    std::uint64_t failed = 0;
    std::uint64_t dropped = 0;
    std::atomic<std::size_t> size_hint{0};  // written under the lock, polled without it by spinning workers
  };

  // mode=pond: one of the threads pond starts per submit. A slot is reused once its worker has exited and
  // the thread that started it has stored the std::thread (`owners` counts the two).
  struct PondSlot {
    std::thread thread;
    Task first_task;
    int owners = 0;  // guarded by Pond::mutex
  };
  // mode=pond: pond v2's pool: one mutex, one queue, workerCount.
  struct Pond {
    std::mutex mutex;
    std::condition_variable has_room;     // pond's submitWaiters (bounded queue only)
    std::condition_variable all_stopped;  // pond's workerWaitGroup; also wait()
    std::deque<Task> tasks;               // pond's linkedbuffer.LinkedBuffer: unbounded unless a size is set
    std::deque<PondSlot> slots;           // grows only when every slot is still owned
    std::size_t worker_count = 0;         // pond's workerCount: started and not yet exited
    std::size_t starting = 0;             // submitters between a slot's claim and storing its thread
    std::uint32_t submitters_waiting = 0;
    bool closed = false;
    std::uint64_t submitted = 0, completed = 0, failed = 0, dropped = 0, threads_created = 0,
                  thread_starts_refused = 0;
  };

  static Options normalized(Options options);
  SubmitResult pond_submit(Task task);
  void pond_work(PondSlot& slot) noexcept;
  void pond_release(PondSlot& slot) noexcept;  // under Pond::mutex
  void pond_shutdown();
  Shard& pick_shard() noexcept;
  void work(Shard& shard) noexcept;
  void close_shards();  // refuses further submits; the workers drain their shard and return
  bool quiescent() const;
  void notify_quiescent();

  const Options options_;
  const std::size_t shard_count_;
  std::unique_ptr<Shard[]> shards_;
  alignas(64) std::atomic<std::size_t> next_shard_{0};
  std::uint64_t threads_created_ = 0;

  std::mutex quiescent_mutex_;  // wait() callers; lock order: quiescent_mutex_, then a shard's mutex
  std::condition_variable quiescent_cv_;
  std::atomic<std::uint32_t> waiters_{0};

  std::unique_ptr<Pond> pond_;          // mode=pond only
  std::atomic<bool> cancelled_{false};  // pond's ctx.Err() != nil; read under the queue locks by submit

  std::once_flag shutdown_once_;
  support::WorkerThreads workers_;  // last: started after everything they use exists
};

template <class F, class R>
TaskHandle<R> ShardedStrategy::submit_with_handle(F&& f) {
  auto state = std::make_shared<sharded_detail::HandleState<R>>();
  TaskHandle<R> handle(state);
  const SubmitResult result = submit(Task{[state = std::move(state), fn = std::forward<F>(f)]() mutable {
    try {
      if constexpr (std::is_void_v<R>) {
        fn();
      } else {
        state->value.emplace(fn());
      }
    } catch (...) {
      state->error = std::current_exception();
      state->finish();
      throw;  // the worker counts it in `failed`
    }
    state->finish();
  }});
  if (!result.ok()) {
    handle.state_->error = std::make_exception_ptr(SubmitRejected(result.status, result.message));
    handle.state_->finish();
  }
  return handle;
}

template <class F>
SubmitResult ShardedStrategy::Group::submit(F&& f) {
  state_->pending.fetch_add(1, std::memory_order_relaxed);
  SubmitResult result = pool_->submit(Task{[state = state_, fn = std::forward<F>(f)]() mutable {
    struct FinishOnExit {
      sharded_detail::GroupState& state;
      ~FinishOnExit() { state.finish_one(); }
    } finish_on_exit{*state};
    if (state->cancelled.load(std::memory_order_acquire)) {
      state->skipped.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    try {
      fn();
    } catch (...) {
      state->fail(std::current_exception());
      throw;  // the worker counts it in `failed`
    }
  }});
  if (!result.ok()) {
    state_->fail(std::make_exception_ptr(SubmitRejected(result.status, result.message)));
    state_->finish_one();
  }
  return result;
}

}  // namespace poolbench
