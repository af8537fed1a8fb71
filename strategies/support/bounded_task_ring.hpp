// BoundedTaskRing: Dmitry Vyukov's bounded multi-producer/multi-consumer queue of Tasks, shared by fifo_ring
// (its task queue) and dispatcher (its hand-off to the workers).
//
// Guarantees: lock-free; every pushed task is popped exactly once; pops follow push order (FIFO by claimed
// position); after close() no push succeeds, and a consumer that sees "closed and empty" can stop, since
// closing and pushing are ordered by the same CAS. The position reads are seq_cst, so they can serve as
// ParkingLot predicates.
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

#include "task.hpp"

namespace poolbench::support {

// Capacity is rounded up to a power of two (at least 2). Each cell's sequence number says whose turn it is:
// `pos` means "free for the producer claiming position pos", `pos + 1` means "holds the task of position pos,
// for its consumer". The positions only grow; the top bit of the enqueue position is the closed flag, so that
// closing and pushing are ordered by the same CAS and no push can slip in after the workers saw "closed and
// empty".
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

}  // namespace poolbench::support
