// TaskDeque: an unbounded FIFO of Tasks (dispatcher's waiting queue, workerpool's gammazero/deque).
//
// Guarantees: pop_front returns tasks in push order; a push or pop allocates only when the ring grows or
// shrinks, which is gammazero/deque's rule (v0.2, deque.go growIfFull / shrinkIfExcess): the power-of-two
// ring doubles when full and halves when a quarter full, never below 16 slots, so a steady stream allocates
// nothing and a burst of n tasks allocates O(log n) times, where a std::deque allocates a block per few
// tasks. Not thread-safe: its owner locks.
#pragma once

#include <cstddef>
#include <memory>
#include <utility>

#include "task.hpp"

namespace poolbench::support {

class TaskDeque {
 public:
  bool empty() const noexcept { return count_ == 0; }
  std::size_t size() const noexcept { return count_; }

  void push_back(Task&& task) {
    if (count_ == capacity_) resize(capacity_ == 0 ? min_capacity : capacity_ * 2);
    buffer_[(head_ + count_) & (capacity_ - 1)] = std::move(task);
    ++count_;
  }

  // Precondition: not empty.
  Task& front() noexcept { return buffer_[head_]; }

  // Precondition: not empty.
  Task pop_front() {
    Task task = std::move(buffer_[head_]);
    head_ = (head_ + 1) & (capacity_ - 1);
    --count_;
    if (capacity_ > min_capacity && count_ * 4 == capacity_) resize(capacity_ / 2);
    return task;
  }

 private:
  static constexpr std::size_t min_capacity = 16;

  void resize(std::size_t capacity) {
    auto grown = std::make_unique<Task[]>(capacity);
    for (std::size_t i = 0; i < count_; ++i) grown[i] = std::move(buffer_[(head_ + i) & (capacity_ - 1)]);
    buffer_ = std::move(grown);
    capacity_ = capacity;
    head_ = 0;
  }

  std::unique_ptr<Task[]> buffer_;
  std::size_t capacity_ = 0;  // zero or a power of two
  std::size_t head_ = 0;
  std::size_t count_ = 0;
};

}  // namespace poolbench::support
