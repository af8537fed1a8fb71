// fifo_ring — the pool-guide's "ants (loopq)" row: a bounded FIFO ring of *tasks* with CAS-claimed slots,
// feeding K fixed workers.
//
// What it models. The guide's Locking Strategies and Scheduling Fairness tables describe ants' loop-queue
// mode as "atomic CAS + ring buffer, mostly contention-free ... FIFO ring buffer, any worker". That is what
// this strategy builds: Dmitry Vyukov's bounded multi-producer/multi-consumer queue (every slot carries a
// sequence number, so a producer claims a slot with one CAS on the enqueue position and a consumer with one
// CAS on the dequeue position; no lock anywhere), and K worker threads that pop from it. Tasks start in
// submission order (one producer, one worker: strictly; several workers take consecutive tasks, so their
// *start* order is FIFO up to who gets scheduled first). When the ring is full, submit parks until a slot
// frees (ants' blocking mode) or, with `nonblocking=true`, fails at once with `overloaded` (ants'
// ErrPoolOverload).
//
// Where it deliberately differs from ants. Real ants' loop queue (worker_loop_queue.go) is not a task queue:
// it is a FIFO ring of idle *workers*, each with its own one-task channel, guarded by the pool's single mutex
// — the only thing WithLoopQueue changes versus the default pool is that the most *long* idle worker is
// reused instead of the most recently idle one. The guide's row (and issue 3) describe a lock-free FIFO
// *task* ring instead, and that is what is built here; lifo_stack models ants' real worker hand-off.
//
// Goroutines and channels onto threads. ants starts worker goroutines on demand and expires idle ones;
// goroutines are so cheap that this costs nothing. OS threads are not (tens of microseconds to start), so
// this pool starts its K threads up front and keeps them (WorkerLifecycle::fixed_workers). A goroutine
// blocked on a full pool sleeps on a sync.Cond; here a blocked submitter and an idle worker first spin
// briefly (`spin` pause rounds, then a few yields: the next slot usually frees within nanoseconds) and then
// park on a futex (ParkingLot below), so an idle pool uses no CPU. A parked submitter is woken when the ring
// has drained to half, not on every pop.
//
// Exceptions. A throwing task is caught by its worker, counted (`exceptions_handled`) and handed to the
// exception handler (ants' PanicHandler); the worker goes on with the next task. Without a handler set, the
// first exception is kept for inspection (first_exception()), never rethrown: a pool that recovers is what
// the guide's ants-with-PanicHandler row describes.
//
// Shutdown stops accepting (closed), lets the workers drain every accepted task, and joins them.
//
// Measured with `poolbench run --workloads atomic_increment --tasks 1000000 --workers 2 --producers 1` on
// this project's 2-core machine while other builds shared it (ns per task, per repetition):
//   side by side (--repetitions 3): fifo_ring 28.9 / 67.1 / 39.9; sharded 62.6 / 47.7 / 81.4;
//     ref_moodycamel 101.8 / 169.2 / 97.8; inline 12.9 / 12.0 / 7.4.
//   why spin = 32 (--param spin=0,32,256 --repetitions 5, sorted): spin 0: 24.2 24.6 31.7 49.5 183.8;
//     spin 32: 27.0 28.3 30.5 33.8 35.8; spin 256: 38.4 44.9 50.1 56.6 65.1. With three threads on two cores
//     a long spin takes the core the producer needs; none at all parks workers that a yield would have kept.
#pragma once

#include <atomic>
#include <bit>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#ifdef __linux__
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include "strategy.hpp"

namespace poolbench {

// A hint to the CPU that this thread is busy-waiting (frees pipeline resources for the sibling hyper-thread).
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

// An event count: lets threads park until a condition, checked by a predicate, becomes true — without a lost
// wake-up, and with at most one wake-up system call per park, however many signallers there are.
//
// Protocol. A waiter reads the epoch, then *arms* the lot (a seq_cst store), re-checks its condition, and
// only then sleeps on the epoch (a private futex: the kernel compares it with what the waiter read). A
// signaller first makes the condition true with a seq_cst operation, then looks at the flag: disarmed means
// any waiter armed after its change and will see it; armed, it disarms the flag (exchange: only one signaller
// wins) and bumps the epoch and wakes every sleeper, each of which re-checks and re-arms if it must sleep
// again. So the signallers that arrive while a woken thread is still getting up (microseconds on a busy
// machine) cost a load, not a syscall — a per-thread sleeper count would make every one of them a futex call.
// The price is that a wake-up is a broadcast: fine for the few threads of a pool.
class ParkingLot {
 public:
  template <class Predicate>
  void park_unless(Predicate&& ready) {
    const std::uint32_t seen = epoch_.load(std::memory_order_seq_cst);
    armed_.store(true, std::memory_order_seq_cst);
    if (ready()) return;  // the flag may stay armed: one later signaller pays one spurious wake-up
    futex_wait(seen);
  }

  // The predicate must read with seq_cst loads, and signallers must make the condition true with a seq_cst
  // operation before calling wake(): the handshake is a Dekker pattern on (condition, armed_). No fences:
  // TSan does not model them.
  void wake() noexcept {
    if (!armed_.load(std::memory_order_seq_cst) || !armed_.exchange(false, std::memory_order_seq_cst)) return;
    epoch_.fetch_add(1, std::memory_order_seq_cst);
    futex_wake_all();
  }
  // Cheap, racy check for a hot path ("might anybody be parked?"); correctness never depends on it.
  bool maybe_parked() const noexcept { return armed_.load(std::memory_order_relaxed); }

 private:
  void futex_wait(std::uint32_t seen) noexcept {
#ifdef __linux__
    syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&epoch_), FUTEX_WAIT_PRIVATE, seen, nullptr, nullptr,
            0);
#else
    epoch_.wait(seen, std::memory_order_seq_cst);
#endif
  }
  void futex_wake_all() noexcept {
#ifdef __linux__
    syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&epoch_), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr,
            nullptr, 0);
#else
    epoch_.notify_all();
#endif
  }

  alignas(64) std::atomic<bool> armed_{false};
  std::atomic<std::uint32_t> epoch_{0};
  static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));
};

// Dmitry Vyukov's bounded MPMC queue, holding Tasks. Capacity is rounded up to a power of two (at least 2).
//
// Each cell's sequence number says whose turn it is: `pos` means "free for the producer claiming position
// pos", `pos + 1` means "holds the task of position pos, for its consumer". The positions only grow; the top
// bit of the enqueue position is the closed flag, so that closing and pushing are ordered by the same CAS and
// no push can slip in after the workers saw "closed and empty".
class BoundedTaskRing {
 public:
  enum class Push { pushed, full, closed };

  explicit BoundedTaskRing(std::size_t capacity)
      : mask_(std::bit_ceil(capacity < 2 ? std::size_t{2} : capacity) - 1),
        cells_(std::make_unique<Cell[]>(mask_ + 1)) {
    for (std::size_t i = 0; i <= mask_; ++i) cells_[i].sequence.store(i, std::memory_order_relaxed);
  }

  // Moves from `task` only when it returns pushed.
  Push try_push(Task& task) {
    std::uint64_t pos = enqueue_pos_.load(std::memory_order_relaxed);
    for (;;) {
      if ((pos & closed_bit) != 0) return Push::closed;
      Cell& cell = cells_[pos & mask_];
      const std::uint64_t sequence = cell.sequence.load(std::memory_order_acquire);
      const auto turn = static_cast<std::int64_t>(sequence - pos);
      if (turn == 0) {
        // seq_cst: ParkingLot's handshake relies on the claim being ordered before the signaller's sleeper
        // check.
        if (enqueue_pos_.compare_exchange_weak(pos, pos + 1, std::memory_order_seq_cst,
                                               std::memory_order_relaxed)) {
          cell.task = std::move(task);
          cell.sequence.store(pos + 1, std::memory_order_release);
          return Push::pushed;
        }
      } else if (turn < 0) {
        return Push::full;  // the consumer of the previous lap has not released this cell yet
      } else {
        pos = enqueue_pos_.load(std::memory_order_relaxed);
      }
    }
  }

  bool try_pop(Task& out) {
    std::uint64_t pos = dequeue_pos_.load(std::memory_order_relaxed);
    for (;;) {
      Cell& cell = cells_[pos & mask_];
      const std::uint64_t sequence = cell.sequence.load(std::memory_order_acquire);
      const auto turn = static_cast<std::int64_t>(sequence - (pos + 1));
      if (turn == 0) {
        if (dequeue_pos_.compare_exchange_weak(pos, pos + 1, std::memory_order_seq_cst,
                                               std::memory_order_relaxed)) {
          out = std::move(cell.task);
          cell.sequence.store(pos + mask_ + 1, std::memory_order_release);
          return true;
        }
      } else if (turn < 0) {
        return false;  // empty, or its producer is still writing the task
      } else {
        pos = dequeue_pos_.load(std::memory_order_relaxed);
      }
    }
  }

  // Sets the closed flag: every later try_push returns closed. Returns the number of tasks ever pushed.
  std::uint64_t close() noexcept {
    return enqueue_pos_.fetch_or(closed_bit, std::memory_order_seq_cst) & ~closed_bit;
  }

  // Position-based views, read with seq_cst loads (ParkingLot predicates). "Not empty" includes a task whose
  // producer has claimed its slot but not finished writing it: the consumer must retry, not sleep.
  std::uint64_t pushed_count() const noexcept {
    return enqueue_pos_.load(std::memory_order_seq_cst) & ~closed_bit;
  }
  std::uint64_t popped_count() const noexcept { return dequeue_pos_.load(std::memory_order_seq_cst); }
  bool closed() const noexcept { return (enqueue_pos_.load(std::memory_order_seq_cst) & closed_bit) != 0; }
  bool looks_empty() const noexcept { return popped_count() == pushed_count(); }
  bool looks_full() const noexcept { return pushed_count() - popped_count() > mask_; }
  std::size_t size_approx() const noexcept {
    const std::uint64_t popped = popped_count();
    const std::uint64_t pushed = pushed_count();
    return pushed > popped ? static_cast<std::size_t>(pushed - popped) : 0;
  }
  std::size_t capacity() const noexcept { return mask_ + 1; }

 private:
  static constexpr std::uint64_t closed_bit = std::uint64_t{1} << 63;

  // One cache line per cell, so that a producer filling cell i+1 does not invalidate the line a consumer is
  // reading cell i from.
  struct alignas(64) Cell {
    std::atomic<std::uint64_t> sequence{0};
    Task task;
  };

  const std::size_t mask_;
  std::unique_ptr<Cell[]> cells_;
  alignas(64) std::atomic<std::uint64_t> enqueue_pos_{0};
  alignas(64) std::atomic<std::uint64_t> dequeue_pos_{0};
};

class FifoRingStrategy final : public Strategy {
 public:
  struct Options {
    std::size_t workers = 2;
    std::size_t capacity = 1024;
    bool nonblocking = false;
    // Pause-and-retry rounds before a worker or blocked submitter yields, then parks.
    std::uint32_t spin = 32;
  };

  explicit FifoRingStrategy(const Options& options);
  ~FifoRingStrategy() override;
  FifoRingStrategy(const FifoRingStrategy&) = delete;
  FifoRingStrategy& operator=(const FifoRingStrategy&) = delete;

  SubmitResult submit(Task task) override;
  std::exception_ptr wait() override;
  void shutdown() override;
  StrategyCounters counters() const override;

  // ants' PanicHandler: called on the worker thread with each exception a task throws. Set it before
  // submitting.
  void set_exception_handler(std::function<void(std::exception_ptr)> handler);
  // The first exception a task threw while no handler was set (nullptr if none).
  std::exception_ptr first_exception() const;
  std::size_t capacity() const noexcept { return ring_.capacity(); }

 private:
  struct alignas(64) WorkerSlot {
    std::atomic<std::uint64_t> finished{0};  // written only by its worker: no contended counter per task
    std::atomic<std::uint64_t> exceptions{0};
    std::jthread thread;
  };

  static Options normalized(Options options);
  bool below_half() const noexcept { return ring_.size_approx() <= ring_.capacity() / 2; }
  void work(WorkerSlot& slot) noexcept;
  // A seq_cst read-modify-write of the worker's counter: everything it finished is then ordered before the
  // wake-up check that follows (the signaller's half of ParkingLot's handshake), without a fence.
  static void publish(WorkerSlot& slot) noexcept { slot.finished.fetch_add(0, std::memory_order_seq_cst); }
  void handle_exception(WorkerSlot& slot, std::exception_ptr error) noexcept;
  std::uint64_t finished_total() const noexcept;

  const Options options_;
  BoundedTaskRing ring_;
  ParkingLot not_empty_;  // idle workers
  ParkingLot not_full_;   // submitters blocked on a full ring
  ParkingLot quiescent_;  // wait() callers
  std::atomic<std::uint64_t> rejected_{0};
  std::unique_ptr<WorkerSlot[]> slots_;
  std::uint64_t threads_created_ = 0;

  mutable std::mutex handler_mutex_;
  std::function<void(std::exception_ptr)> handler_;
  std::exception_ptr first_exception_;

  std::once_flag shutdown_once_;
};

}  // namespace poolbench
