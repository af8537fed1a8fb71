// adaptive — ants' default pool (lifo_stack) with a controller thread that resizes its capacity through
// ants' Tune: the pool guide's Exercise 3 ("write a wrapper around ants that adjusts K based on observed
// utilisation; demonstrate that under varying load, K converges to a reasonable value").
//
// What it models. The pool is lifo_stack unchanged (ants v2.11.4, ants.go: retrieveWorker, revertWorker,
// purgeStaleWorkers, and `Tune(size int)`, which only stores the new capacity and wakes blocked submitters
// when it grows). ants has no controller of its own: this is the wrapper the exercise asks for. As the guide
// says of Tune ("adding workers happens lazily as new tasks arrive; removing workers happens via idle
// expiry"), a grown capacity starts workers only when tasks need them, and a shrunk one takes effect as
// workers finish: one that comes back while more than the capacity run exits (revertWorker), idle ones above
// it expire after `expiry_ms`.
//
// The control rule. Every `sample_ms` the controller reads the pool: busy workers (running - idle) and
// submitters blocked because the pool was full (waiting). It decides on the last `window` readings:
//  * grow when the mean utilisation (busy / capacity) is at least `grow_above`: to ceil(mean demand /
//    target_utilisation), demand being busy + waiting, at least one more than now, at most K;
//  * shrink when the mean utilisation is below `shrink_below` and that aimed capacity is below the current
//    one: to it, at least `min_workers` (never below the aim: a demand of one busy worker would otherwise
//    swing the capacity 1 → 3 → 2 → 1 for ever);
//  * otherwise hold. After a resize the readings are dropped, so the next decision sees the new capacity.
// Blocked submitters are the queue here (ants has no task queue): in a closed loop with P producers at most
// P wait, so when saturated the demand reads capacity + P and the capacity grows by a factor of about
// 1 / target_utilisation per decision. The band between shrink_below and grow_above is the hysteresis that
// keeps a steady load from resizing the pool back and forth; it is a range of capacities for a given demand
// d, (d / grow_above, d / shrink_below], so a capacity that overshot above d / shrink_below comes back down.
// A submitter blocked in a single reading does not by itself grow the pool: on a busy machine a late worker
// blocks one now and then at any capacity, and growing on each would ratchet the capacity up to K.
//
// How it differs. The guide's exercise reads CPU utilisation; a pool of waiting tasks uses no CPU, so this
// reads the pool's own utilisation (busy workers over capacity) and its back-pressure (blocked submitters),
// which describe the demand on the pool whatever the tasks do. The controller is a thread of its own
// (counted in threads_created). The capacity starts at `min_workers` (ants starts at the size it is given).
//
// K over time. The controller keeps the capacity it set, with when (since the first submit); counters()
// gives it as `k_at_<ms>ms` at every `series_step_ms` step (strategy-specific counters, carried to the result
// file as they are), with `k_resizes` and `k_max_used`. The workload measures the live worker count itself
// (workloads/phased.hpp), so that it can be compared across strategies.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "lifo_stack.hpp"
#include "strategy.hpp"

namespace poolbench {

struct AdaptiveOptions {
  std::size_t max_workers = 1;  // K: the capacity never exceeds it
  std::size_t min_workers = 1;  // nor falls below this
  std::chrono::nanoseconds sample_interval = std::chrono::milliseconds(20);
  std::size_t window = 5;                                     // readings a decision averages
  double target_utilisation = 0.75;                           // busy / capacity a resize aims at
  double grow_above = 0.9;                                    // grow at or above this mean utilisation
  double shrink_below = 0.6;                                  // shrink below it
  std::chrono::nanoseconds expiry = std::chrono::seconds(1);  // lifo_stack's idle expiry (ants' default)
};

// Throws ParamError naming the first option that is out of range (min_workers above K, thresholds not in
// 0 < shrink_below < target_utilisation < grow_above <= 1, a zero window or interval).
void check_adaptive_options(const AdaptiveOptions& options);

// One look at the pool.
struct AdaptiveReading {
  std::size_t busy = 0;     // workers running a task
  std::size_t waiting = 0;  // submitters blocked for a worker
};

// The control rule, apart from the pool and the clock, so that it can be tested on known readings.
class AdaptiveController {
 public:
  explicit AdaptiveController(const AdaptiveOptions& options);

  std::size_t capacity() const noexcept { return capacity_; }
  // Takes one reading; returns the new capacity when this reading completes a window that calls for a
  // resize (the controller then holds it as its capacity), nullopt otherwise.
  std::optional<std::size_t> observe(AdaptiveReading reading);

 private:
  AdaptiveOptions options_;
  std::size_t capacity_;
  std::deque<AdaptiveReading> readings_;
};

class AdaptivePool final : public Strategy {
 public:
  explicit AdaptivePool(AdaptiveOptions options);
  ~AdaptivePool() override;
  AdaptivePool(const AdaptivePool&) = delete;
  AdaptivePool& operator=(const AdaptivePool&) = delete;

  SubmitResult submit(Task task) override;
  std::exception_ptr wait() override;
  void shutdown() override;
  StrategyCounters counters() const override;

  // The capacity the controller last set, and the pool's live workers (busy, idle or starting).
  std::size_t capacity() const { return pool_.capacity(); }
  std::size_t running() const { return pool_.running(); }
  // Every capacity the controller set, in order (the first is min_workers).
  std::vector<std::size_t> capacity_history() const;

  // How finely counters() samples the capacity over time.
  static constexpr std::chrono::milliseconds series_step{50};
  // At most this many `k_at_` counters (20 s at 50 ms), so that a long run does not flood its result entry.
  static constexpr std::size_t max_series_points = 400;

 private:
  void control(std::stop_token stop);
  std::int64_t since_first_submit_ns() const;

  AdaptiveOptions options_;
  LifoStackPool pool_;
  std::atomic<std::int64_t> first_submit_ns_{0};  // steady_clock ns since epoch; 0 before the first submit
  mutable std::mutex history_mutex_;
  // (ns since the first submit, or 0 before it; capacity set then)
  std::vector<std::pair<std::int64_t, std::size_t>> history_;
  std::mutex sleep_mutex_;
  std::condition_variable_any sleep_;
  std::jthread controller_;
};

}  // namespace poolbench
