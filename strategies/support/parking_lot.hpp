// ParkingLot: the many-waiter half of the parking library (with ParkingFlag): an event count that lets
// threads park until a condition, checked by a predicate, becomes true.
//
// Guarantees: no lost wake-up, provided the predicate reads with seq_cst loads and signallers make the
// condition true with a seq_cst operation before wake(); at most one wake-up system call per park, however
// many signallers there are; a wake-up is a broadcast (fine for the few threads of a pool). Spurious wake-ups
// happen: callers re-check.
#pragma once

#include <atomic>
#include <climits>
#include <cstdint>

#ifdef __linux__
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace poolbench::support {

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

}  // namespace poolbench::support
