// Parking primitives shared by lifo_stack and stateful: how a Go channel hand-off becomes a
// hand-off between OS threads that costs little when the other side is awake and no CPU when it sleeps.
//
// A goroutine that blocks on a channel is parked by Go's scheduler for about 100 ns; an OS thread that blocks
// on a futex costs microseconds to wake. So every wait here first spins briefly (the other side is usually a
// few hundred nanoseconds away), and only then parks. Parking is explicit: the waiter announces
// that it sleeps, and the setter issues a wake-up only when it sees that announcement, so a hand-off between
// two awake threads makes no system call at all.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <stop_token>
#include <thread>

#include <time.h>

namespace poolbench::parking {

// Tells the CPU that this thread is busy-waiting.
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

// How long a waiter stays awake before it parks: `spins` pause instructions (about 35 ns each on this
// project's AMD EPYC machine, so ~9 µs), then `yields` sched_yield calls. No yields by default: with three
// threads on two cores (lifo_stack, 1 producer, K=2, 300,000 tasks, two pinned cores of an idle 16-core
// machine) 4 yields per wait gave 7,600-13,000 involuntary context switches and no yields 150-260, at the
// same speed (700-1000 ns per task both ways); a yield hands the core away for a time slice, parking frees it
// for exactly as long as needed.
struct SpinBudget {
  int spins = 256;
  int yields = 0;
};

// Spins, then yields, until `ready()` is true or the budget is spent. Returns whether `ready()` became true.
template <class Ready>
bool spin_until(Ready&& ready, SpinBudget budget = {}) {
  for (int i = 0; i < budget.spins; ++i) {
    if (ready()) return true;
    cpu_relax();
  }
  for (int i = 0; i < budget.yields; ++i) {
    if (ready()) return true;
    std::this_thread::yield();
  }
  return ready();
}

// A monotonic clock that reads the kernel's last tick instead of the TSC (Linux's CLOCK_MONOTONIC_COARSE: a
// few nanoseconds, resolution of a scheduler tick, 1-4 ms): for idle-since stamps, where a hand-off should
// not pay for precision nobody uses. Elsewhere it is steady_clock.
struct CoarseClock {
  using duration = std::chrono::nanoseconds;
  using rep = duration::rep;
  using period = duration::period;
  using time_point = std::chrono::time_point<CoarseClock>;
  static constexpr bool is_steady = true;
  static time_point now() noexcept {
#ifdef CLOCK_MONOTONIC_COARSE
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
    return time_point(std::chrono::seconds(now.tv_sec) + std::chrono::nanoseconds(now.tv_nsec));
#else
    return time_point(
        std::chrono::duration_cast<duration>(std::chrono::steady_clock::now().time_since_epoch()));
#endif
  }
};

// A test-and-test-and-set lock for critical sections of a few instructions (ants uses the same kind of lock
// for its worker stack: a mutex that sleeps costs more than the section it protects). Satisfies Lockable, so
// it works with std::unique_lock and std::condition_variable_any.
class SpinLock {
 public:
  void lock() noexcept {
    for (int attempt = 0;; ++attempt) {
      if (!locked_.exchange(true, std::memory_order_acquire)) return;
      while (locked_.load(std::memory_order_relaxed)) {
        // The holder may have been preempted (more threads than cores): after a while give it our core.
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

// A reusable one-waiter signal: the hand-off slot of one worker (ants' task channel of capacity 1, tunny's
// jobChan and retChan). One thread waits, another sets; the waiter clears it before it can be set again.
// set() makes a system call only when the waiter has parked. The untimed wait parks on a futex
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

}  // namespace poolbench::parking
