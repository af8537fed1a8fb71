// SpinLock: a test-and-test-and-set lock for critical sections of a few instructions (ants uses the same kind
// of lock for its worker stack: a mutex that sleeps costs more than the section it protects).
//
// Guarantees: mutual exclusion, with acquire on lock and release on unlock; satisfies Lockable, so it works
// with std::unique_lock and std::condition_variable_any. Not fair. A waiter spins 64 rounds and then yields
// on every round, because the holder may have been preempted (more threads than cores) and needs a core.
#pragma once

#include <atomic>
#include <thread>

#include "support/cpu_relax.hpp"

namespace poolbench::support {

class SpinLock {
 public:
  void lock() noexcept {
    for (int attempt = 0;; ++attempt) {
      if (!locked_.exchange(true, std::memory_order_acquire)) return;
      while (locked_.load(std::memory_order_relaxed)) {
        if (++attempt < 64) {
          cpu_relax();
        } else {
          std::this_thread::yield();
        }
      }
    }
  }
  bool try_lock() noexcept {
    return !locked_.load(std::memory_order_relaxed) && !locked_.exchange(true, std::memory_order_acquire);
  }
  void unlock() noexcept { locked_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> locked_{false};
};

}  // namespace poolbench::support
