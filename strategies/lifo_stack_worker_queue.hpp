// lifo_stack's idle workers: ants' workerQueue (worker_queue.go, v2.11.4) in its two forms, the stack of the
// default pool (worker_stack.go) and the preallocated loop queue of WithPreAlloc (worker_loop_queue.go).
//
// Both keep the idle workers ordered by the time they went idle, oldest first, so that the purge finds the
// expired ones as a prefix by binary search (refresh + binarySearch in both files). They differ only in which
// end detach() serves: the stack serves the most recently idle worker (LIFO reuse, warm caches; the oldest
// ones sit idle and expire), the loop queue the longest idle one (FIFO reuse: every worker takes turns, none
// expires under steady load). The loop queue is a ring of exactly K slots allocated up front: insert at the
// tail, detach from the head, as ants' loopQueue (a pool with PreAlloc cannot be tuned nor be unlimited, so K
// slots always suffice; a full ring refuses the insert, errQueueIsFull, and that worker exits).
//
// Not thread-safe: the pool's lock guards it, as ants' p.lock guards p.workers.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <vector>

namespace poolbench::lifo_stack_detail {

enum class IdleOrder {
  lifo_stack,       // ants' default workerStack
  fifo_loop_queue,  // ants' loopQueue (WithPreAlloc)
};

// `Worker` has a `last_used` time point, stamped before insert().
template <class Worker>
class IdleWorkerQueue {
 public:
  // `capacity`: the stack's initial reservation (0 for none: an unlimited pool), the loop queue's slots.
  IdleWorkerQueue(IdleOrder order, std::size_t capacity) : order_(order) {
    if (order_ == IdleOrder::fifo_loop_queue) {
      if (capacity == 0) throw std::invalid_argument("the loop queue needs at least one slot");
      items_.assign(capacity, nullptr);
    } else {
      items_.reserve(capacity);
    }
  }

  IdleOrder order() const noexcept { return order_; }
  std::size_t size() const noexcept { return order_ == IdleOrder::lifo_stack ? items_.size() : size_; }
  bool empty() const noexcept { return size() == 0; }
  // How many workers have left the loop queue's head so far (detached, expired or reset): a worker that
  // went in when this was `n` and `ahead` others were idle is the next to be detached once it reaches
  // n + ahead.
  std::uint64_t removed() const noexcept { return removed_; }

  // Appends a worker going idle; false when the loop queue is full.
  bool insert(Worker* worker) {
    if (order_ == IdleOrder::lifo_stack) {
      items_.push_back(worker);
      return true;
    }
    if (size_ == items_.size()) return false;
    items_[tail_] = worker;
    tail_ = next(tail_);
    ++size_;
    return true;
  }

  // The worker to hand the next job to, or nullptr.
  Worker* detach() noexcept {
    if (order_ == IdleOrder::lifo_stack) {
      if (items_.empty()) return nullptr;
      Worker* worker = items_.back();
      items_.pop_back();
      return worker;
    }
    if (size_ == 0) return nullptr;
    Worker* worker = items_[head_];
    items_[head_] = nullptr;
    head_ = next(head_);
    --size_;
    ++removed_;
    return worker;
  }

  // Moves the workers that went idle at or before `cutoff` into `stale`, oldest first.
  template <class TimePoint>
  void refresh(TimePoint cutoff, std::vector<Worker*>& stale) {
    const std::size_t count = size();
    // The first idle worker (counted from the oldest) stamped after the cutoff: the others are stale.
    std::size_t low = 0;
    std::size_t high = count;
    while (low < high) {
      const std::size_t mid = low + (high - low) / 2;
      if (cutoff < at(mid)->last_used)
        high = mid;
      else
        low = mid + 1;
    }
    for (std::size_t i = 0; i < low; ++i) stale.push_back(at(i));
    if (order_ == IdleOrder::lifo_stack) {
      items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(low));
      return;
    }
    for (std::size_t i = 0; i < low; ++i) {
      items_[head_] = nullptr;
      head_ = next(head_);
    }
    size_ -= low;
    removed_ += low;
  }

  // Moves every idle worker into `all` (Release).
  void reset(std::vector<Worker*>& all) {
    while (Worker* worker = detach()) all.push_back(worker);
  }

 private:
  // The i-th idle worker, counted from the oldest.
  Worker* at(std::size_t i) const noexcept {
    if (order_ == IdleOrder::lifo_stack) return items_[i];
    const std::size_t slot = head_ + i;
    return items_[slot < items_.size() ? slot : slot - items_.size()];
  }
  std::size_t next(std::size_t slot) const noexcept { return slot + 1 == items_.size() ? 0 : slot + 1; }

  IdleOrder order_;             // first: with items_, all that the stack's hand-off reads
  std::vector<Worker*> items_;  // the stack (top = back), or the loop queue's ring of slots
  std::size_t head_ = 0;        // loop queue only, as the rest below
  std::size_t tail_ = 0;
  std::size_t size_ = 0;
  std::uint64_t removed_ = 0;
};

}  // namespace poolbench::lifo_stack_detail
