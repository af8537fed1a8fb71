// ParkingFlag: the one-waiter hand-off of the parking library (with ParkingLot, its many-waiter half): one
// worker's hand-off slot (ants' task channel of capacity 1, tunny's jobChan and retChan).
//
// Guarantees: set() publishes everything written before it to the waiter (release/acquire) and makes a system
// call only when the waiter has parked, so a hand-off between two awake threads makes no system call; no
// wake-up is lost. Parking is explicit: the waiter announces that it sleeps, and the setter issues a wake-up
// only when it sees that announcement. One thread waits, any thread sets; the waiter clears the flag before
// it can be set again.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <stop_token>

#include "support/spin_wait.hpp"

namespace poolbench::support {

// The untimed wait parks on a futex
// (std::atomic::wait); the timed and cancellable wait parks on a condition variable, because
// std::atomic::wait has no timeout.
class ParkingFlag {
 public:
  // Publishes everything written before it to the waiter, and wakes the waiter if it sleeps.
  void set() noexcept {
    const std::uint32_t previous = word_.exchange(set_, std::memory_order_acq_rel);
    if (previous == parked_on_futex_) {
      word_.notify_one();
    } else if (previous == parked_on_condition_) {
      // Taking the mutex orders this wake-up after the waiter's predicate check: it cannot be lost.
      { std::lock_guard lock(mutex_); }
      condition_.notify_one();
    }
  }

  bool is_set() const noexcept { return word_.load(std::memory_order_acquire) == set_; }

  // Only the waiter calls this, after it has consumed what set() published.
  void clear() noexcept { word_.store(empty_, std::memory_order_relaxed); }

  // Blocks until set.
  void wait(SpinBudget budget = {}) noexcept {
    wait(budget, [] { return true; });
  }

  // Blocks until set, spinning only while `keep_spinning()` holds: a waiter that is unlikely to be set soon
  // parks at once and leaves the core to threads that have work.
  template <class KeepSpinning>
  void wait(SpinBudget budget, KeepSpinning keep_spinning) noexcept {
    spin_until([&] { return is_set() || !keep_spinning(); }, budget);
    if (is_set()) return;
    std::uint32_t expected = empty_;
    if (!word_.compare_exchange_strong(expected, parked_on_futex_, std::memory_order_acq_rel,
                                       std::memory_order_acquire))
      return;  // set in the meantime
    while (word_.load(std::memory_order_acquire) == parked_on_futex_) word_.wait(parked_on_futex_);
  }

  // Blocks until set (true), or until `deadline` passes or `stop` is requested first (false; the flag stays
  // clear, a later set() still lands).
  template <class Clock, class Duration>
  bool wait_until(std::chrono::time_point<Clock, Duration> deadline, std::stop_token stop,
                  SpinBudget budget = {}) {
    if (spin_until([this] { return is_set(); }, budget)) return true;
    std::unique_lock lock(mutex_);
    std::uint32_t expected = empty_;
    if (!word_.compare_exchange_strong(expected, parked_on_condition_, std::memory_order_acq_rel,
                                       std::memory_order_acquire))
      return true;
    if (condition_.wait_until(lock, stop, deadline, [this] { return is_set(); })) return true;
    expected = parked_on_condition_;
    // Not set: leave the parked state, unless a set() slipped in between the check and now.
    return !word_.compare_exchange_strong(expected, empty_, std::memory_order_acq_rel,
                                          std::memory_order_acquire);
  }

  // Blocks until set (true) or until `stop` is requested first (false).
  bool wait(std::stop_token stop, SpinBudget budget = {}) {
    if (!stop.stop_possible()) {
      wait(budget);
      return true;
    }
    if (spin_until([this] { return is_set(); }, budget)) return true;
    std::unique_lock lock(mutex_);
    std::uint32_t expected = empty_;
    if (!word_.compare_exchange_strong(expected, parked_on_condition_, std::memory_order_acq_rel,
                                       std::memory_order_acquire))
      return true;
    if (condition_.wait(lock, stop, [this] { return is_set(); })) return true;
    expected = parked_on_condition_;
    return !word_.compare_exchange_strong(expected, empty_, std::memory_order_acq_rel,
                                          std::memory_order_acquire);
  }

 private:
  static constexpr std::uint32_t empty_ = 0;
  static constexpr std::uint32_t set_ = 1;
  static constexpr std::uint32_t parked_on_futex_ = 2;
  static constexpr std::uint32_t parked_on_condition_ = 3;

  std::atomic<std::uint32_t> word_{empty_};
  std::mutex mutex_;                       // only for the timed / cancellable wait
  std::condition_variable_any condition_;  // idem
};

}  // namespace poolbench::support
