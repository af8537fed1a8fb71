// AdmissionCounter: how many submits a strategy accepted, and whether it still accepts, in one atomic word
// (the top bit is "closed"), for strategies whose queue cannot refuse work by itself (the ref_* baselines).
//
// Guarantees: try_admit() and close() are ordered by the same read-modify-write, so no submit is admitted
// after close() returned, and close() returns the final number admitted; shutdown can then wait for exactly
// that many tasks. A refused submit takes its increment back: a waiter that read the count in between sees
// a target one too high, so the caller of a refused try_admit() must wake its waiters (they re-read).
// Every operation is seq_cst: the count is a ParkingLot predicate (on x86 the same instructions as acq_rel).
#pragma once

#include <atomic>
#include <cstdint>

namespace poolbench::support {

class AdmissionCounter {
 public:
  // Counts one submit, unless closed (false: not counted).
  bool try_admit() noexcept {
    if ((count_.fetch_add(1, std::memory_order_seq_cst) & closed_bit) == 0) return true;
    count_.fetch_sub(1, std::memory_order_seq_cst);
    return false;
  }
  // Refuses every later try_admit(); returns how many were admitted.
  std::uint64_t close() noexcept {
    return count_.fetch_or(closed_bit, std::memory_order_seq_cst) & ~closed_bit;
  }
  // Admitted so far (a refused submit may be counted for a moment, see above).
  std::uint64_t admitted() const noexcept { return count_.load(std::memory_order_seq_cst) & ~closed_bit; }

 private:
  static constexpr std::uint64_t closed_bit = std::uint64_t{1} << 63;
  std::atomic<std::uint64_t> count_{0};
};

}  // namespace poolbench::support
