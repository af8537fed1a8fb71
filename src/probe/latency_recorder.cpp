#include "probe/latency_recorder.hpp"

#include <unistd.h>

#include <algorithm>

#include "probe/clock.hpp"

namespace poolbench::probe {
namespace {

static_assert((LatencyRecorder::slot_count & (LatencyRecorder::slot_count - 1)) == 0);

std::atomic<std::uint32_t> next_slot_hint{0};
thread_local std::uint32_t slot_hint =
    0;  // 0: not assigned yet; otherwise 1 + the slot this thread last used
thread_local bool producer_thread = false;
constinit std::atomic<std::size_t> recorded_producers{0};
constinit std::atomic<long> producer_ids[max_recorded_producer_threads] = {};

}  // namespace

LatencyRecorder::LatencyRecorder()
    : slots_(std::make_unique<Slot[]>(slot_count)), ns_per_tick_(nanoseconds_per_tick()) {}

template <class Record>
void LatencyRecorder::with_slot(Record&& record) noexcept {
  std::uint32_t hint = slot_hint;
  if (hint == 0) hint = next_slot_hint.fetch_add(1, std::memory_order_relaxed) + 1;
  std::size_t index = (hint - 1) & (slot_count - 1);
  while (true) {
    Slot& slot = slots_[index];
    if (!slot.busy.load(std::memory_order_relaxed) && !slot.busy.exchange(true, std::memory_order_acquire)) {
      record(slot.histograms);
      slot.busy.store(false, std::memory_order_release);
      slot_hint = static_cast<std::uint32_t>(index + 1);
      return;
    }
    index = (index + 1) & (slot_count - 1);
  }
}

void LatencyRecorder::record_submit(std::uint64_t submit_ns) noexcept {
  with_slot([submit_ns](LatencySummary& histograms) { histograms.submit.record(submit_ns); });
}

void LatencyRecorder::record_task(std::uint64_t queue_wait_ns, std::uint64_t end_to_end_ns) noexcept {
  with_slot([queue_wait_ns, end_to_end_ns](LatencySummary& histograms) {
    histograms.queue_wait.record(queue_wait_ns);
    histograms.end_to_end.record(end_to_end_ns);
  });
}

void LatencyRecorder::merge_into(LatencySummary& out) noexcept {
  out.submit.reset();
  out.queue_wait.reset();
  out.end_to_end.reset();
  for (std::size_t i = 0; i < slot_count; ++i) {
    Slot& slot = slots_[i];
    // Taking the flag orders this read after the last record made under it (on any thread).
    while (slot.busy.exchange(true, std::memory_order_acquire)) {
    }
    out.submit.merge(slot.histograms.submit);
    out.queue_wait.merge(slot.histograms.queue_wait);
    out.end_to_end.merge(slot.histograms.end_to_end);
    slot.busy.store(false, std::memory_order_release);
  }
}

void LatencyRecorder::reset() noexcept {
  for (std::size_t i = 0; i < slot_count; ++i) {
    Slot& slot = slots_[i];
    while (slot.busy.exchange(true, std::memory_order_acquire)) {
    }
    slot.histograms.submit.reset();
    slot.histograms.queue_wait.reset();
    slot.histograms.end_to_end.reset();
    slot.busy.store(false, std::memory_order_release);
  }
}

void mark_producer_thread() noexcept {
  producer_thread = true;
  const std::size_t index = recorded_producers.fetch_add(1, std::memory_order_relaxed);
  if (index < max_recorded_producer_threads)
    producer_ids[index].store(static_cast<long>(::gettid()), std::memory_order_release);
}

std::vector<long> producer_thread_ids() {
  std::vector<long> ids;
  const std::size_t count =
      std::min(recorded_producers.load(std::memory_order_acquire), max_recorded_producer_threads);
  for (std::size_t i = 0; i < count; ++i)
    if (const long id = producer_ids[i].load(std::memory_order_acquire); id != 0) ids.push_back(id);
  return ids;
}
bool on_producer_thread() noexcept {
  return producer_thread;
}

}  // namespace poolbench::probe
