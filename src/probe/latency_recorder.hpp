// LatencyRecorder — where the timed tasks of one case record their latencies, from whatever thread runs them.
//
// Strategies start their own threads (K workers, or one thread per task), so the probe cannot hand each
// thread a histogram in advance, and allocating one on a thread's first task would be an allocation inside
// the window. Instead the recorder holds a fixed set of slots, each with its own histograms and a busy flag
// on its own cache lines. A thread sticks to one slot (a thread_local hint, trivially destructible, so no
// thread-exit hook that would itself allocate) and takes it with one uncontended exchange; only when another
// thread holds that slot does it move on to the next. With a few threads per core, as here, each thread has a
// slot to itself: no counter is shared and hot. The slots are merged after the window closes.
//
// It also marks producer threads, so a workload can tell whether a task ran on a thread that submits (inline,
// caller-runs) or on a worker.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "probe/histogram.hpp"
#include "task.hpp"

namespace poolbench::probe {

struct LatencySummary {
  LatencyHistogram submit;      // how long a producer's submit() call took
  LatencyHistogram queue_wait;  // from just before submit() to the start of the task
  LatencyHistogram end_to_end;  // from just before submit() to the end of the task
};

// Queue waits by the task's tag, for workloads that tag their tasks (Workload::tags()): by priority class,
// and for tenants 0 (A) and 1 (B).
struct ClassQueueWaits {
  LatencyHistogram normal;
  LatencyHistogram urgent;
  LatencyHistogram tenant_a;
  LatencyHistogram tenant_b;
};

class LatencyRecorder {
 public:
  static constexpr std::size_t slot_count = 8;  // a power of two; a few threads per core share none

  LatencyRecorder();

  // Nanoseconds per tick of now_ticks(); fixed for the process.
  double ns_per_tick() const noexcept { return ns_per_tick_; }

  void record_submit(std::uint64_t submit_ns) noexcept;
  void record_task(std::uint64_t queue_wait_ns, std::uint64_t end_to_end_ns) noexcept;
  // As record_task, and the queue wait by `tag` too where enable_class_queue_waits() was called.
  void record_tagged_task(std::uint64_t queue_wait_ns, std::uint64_t end_to_end_ns, TaskTag tag) noexcept;

  // Before the window, for a workload that tags its tasks: keeps queue waits by tag (4 histograms a slot,
  // which every other case does without).
  void enable_class_queue_waits();
  bool class_queue_waits_enabled() const noexcept { return class_waits_ != nullptr; }
  // After the window: every slot's class queue waits merged into `out` (reset first); as merge_into.
  void merge_class_queue_waits_into(ClassQueueWaits& out) noexcept;

  // After the window: every slot merged into `out` (which is reset first). Safe to call once every recording
  // thread is done.
  void merge_into(LatencySummary& out) noexcept;
  void reset() noexcept;

 private:
  struct alignas(64) Slot {
    std::atomic<bool> busy{false};
    LatencySummary histograms;
  };
  template <class Record>
  void with_slot(Record&& record) noexcept;

  std::unique_ptr<Slot[]> slots_;
  std::unique_ptr<ClassQueueWaits[]> class_waits_;  // one per slot, taken with its busy flag; null when off
  double ns_per_tick_;
};

// Producer threads call this once, before they submit. It also records the thread's id (the first
// max_recorded_producer_threads of the process), so that a test counting the threads a case starts can
// leave the harness's own out.
void mark_producer_thread() noexcept;
inline constexpr std::size_t max_recorded_producer_threads = 4096;
// The kernel thread ids of the producer threads marked so far in this process (at most the first 4096).
std::vector<long> producer_thread_ids();
// True on a thread marked as a producer (tasks run here by inline or caller-runs designs).
bool on_producer_thread() noexcept;

}  // namespace poolbench::probe
