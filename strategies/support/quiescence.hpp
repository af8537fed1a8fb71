// Quiescence: how wait() learns that every accepted task has finished, when each worker counts what it
// finished in a counter of its own (fifo_ring, dispatcher, ref_moodycamel).
//
// Guarantees: a waiter parked in wait_until() is woken when a worker runs out of work or exits (the
// guarantee), and at least once per `hint_interval` tasks a worker finishes while someone is parked (a
// liveness hint for a stream that never lets the queue run empty; rate-limited so that a waiter parked behind
// a long backlog does not cost a futex wake per task). Per task a worker pays one release store to its own
// counter and one relaxed load; no shared counter is written per task.
//
// The handshake is ParkingLot's: a worker publishes its counter with a seq_cst read-modify-write (ordering
// everything it finished before the wake-up check, without a fence, which TSan does not model), and the
// waiter's predicate must read the counters with seq_cst loads.
#pragma once

#include <atomic>
#include <cstdint>

#include "support/cpu_relax.hpp"
#include "support/parking_lot.hpp"

namespace poolbench::support {

class Quiescence {
 public:
  static constexpr std::uint64_t hint_interval = 1024;  // tasks between a worker's liveness hints

  // Worker: `finished` is its new count, stored in its own `counter`.
  void task_finished(std::atomic<std::uint64_t>& counter, std::uint64_t finished) noexcept {
    counter.store(finished, std::memory_order_release);
    if ((finished % hint_interval) == 0 && lot_.maybe_parked()) publish_and_wake(counter);
  }
  // Worker: it found no work (or is exiting): publish its counter and let waiters re-check.
  void publish_and_wake(std::atomic<std::uint64_t>& counter) noexcept {
    counter.fetch_add(0, std::memory_order_seq_cst);
    lot_.wake();
  }
  // Anyone who changed a waiter's target (a refused submit that took its count back).
  void wake() noexcept { lot_.wake(); }

  // Waiter: returns once `reached()` holds, polling it `spin` rounds before parking. `reached` reads the
  // workers' counters with seq_cst loads and may re-read its target.
  template <class Reached>
  void wait_until(Reached reached, std::uint32_t spin = 0) {
    for (std::uint32_t i = 0; i < spin && !reached(); ++i) cpu_relax();
    while (!reached()) lot_.park_unless(reached);
  }

 private:
  ParkingLot lot_;
};

}  // namespace poolbench::support
