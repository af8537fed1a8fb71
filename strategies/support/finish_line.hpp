// FinishLine: how wait() learns that every accepted task has finished, when the tasks run on threads the
// strategy does not own (a peer library's: Boost.Asio's scheduler, oneTBB's arena) and so cannot count per
// worker as Quiescence does: each finished task increments one shared counter.
//
// Guarantees: a waiter in wait_until() returns once the counter reaches its target, re-read on every wake-up
// (a refused submit may take its count back: it calls wake()); a finishing task pays a futex wake only when a
// waiter has published a target it reaches. The handshake is ParkingLot's: the task's seq_cst increment and
// the waiter's seq_cst store of its target are ordered, so either the task sees the target or the waiter's
// predicate sees the increment.
#pragma once

#include <atomic>
#include <cstdint>

#include "support/parking_lot.hpp"

namespace poolbench::support {

class FinishLine {
 public:
  // A task finished.
  void task_finished() noexcept {
    if (finished_.fetch_add(1, std::memory_order_seq_cst) + 1 >= target_.load(std::memory_order_seq_cst))
      lot_.wake();
  }
  // Anyone who changed a waiter's target (a refused submit that took its count back).
  void wake() noexcept { lot_.wake(); }

  // Returns once the finished count reaches `target()`, which is re-read on every wake-up.
  template <class Target>
  void wait_until(Target target) {
    for (;;) {
      const std::uint64_t goal = target();
      if (finished_.load(std::memory_order_seq_cst) >= goal) break;
      target_.store(goal, std::memory_order_seq_cst);
      lot_.park_unless([&] { return finished_.load(std::memory_order_seq_cst) >= goal || target() != goal; });
    }
    target_.store(no_target, std::memory_order_relaxed);
  }

 private:
  static constexpr std::uint64_t no_target = ~std::uint64_t{0};
  alignas(64) std::atomic<std::uint64_t> finished_{0};
  std::atomic<std::uint64_t> target_{no_target};  // what a parked waiter needs finished_ to reach
  ParkingLot lot_;
};

}  // namespace poolbench::support
