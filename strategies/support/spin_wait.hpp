// spin_until: spin, then yield, for a bounded budget, before a caller parks.
//
// Guarantees: calls `ready()` at most spins + yields + 1 times and returns whether it became true; never
// blocks. Why a budget: a goroutine blocked on a channel is parked by Go's scheduler for about 100 ns, while
// an OS thread that blocks on a futex costs microseconds to wake, so a waiter first looks for a while (the
// other side is usually a few hundred nanoseconds away) and only then parks.
#pragma once

#include <thread>

#include "support/cpu_relax.hpp"

namespace poolbench::support {

// How long a waiter stays awake before it parks: `spins` pause instructions, then `yields` sched_yield calls.
// No yields by default: with more runnable threads than cores a yield hands the core away for a time slice
// and causes involuntary context switches, where parking frees it for exactly as long as needed (the
// measurement behind this default is in results/strategy-notes.md).
struct SpinBudget {
  int spins = 256;
  int yields = 0;
};

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

}  // namespace poolbench::support
