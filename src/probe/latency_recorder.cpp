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
      record(slot.histograms, index);
      slot.busy.store(false, std::memory_order_release);
      slot_hint = static_cast<std::uint32_t>(index + 1);
      return;
    }
    index = (index + 1) & (slot_count - 1);
  }
}

void LatencyRecorder::record_submit(std::uint64_t submit_ns) noexcept {
  with_slot([submit_ns](LatencySummary& histograms, std::size_t) { histograms.submit.record(submit_ns); });
}

void LatencyRecorder::record_task(std::uint64_t queue_wait_ns, std::uint64_t end_to_end_ns) noexcept {
  with_slot([queue_wait_ns, end_to_end_ns](LatencySummary& histograms, std::size_t) {
    histograms.queue_wait.record(queue_wait_ns);
    histograms.end_to_end.record(end_to_end_ns);
  });
}

void LatencyRecorder::record_tagged_task(std::uint64_t queue_wait_ns, std::uint64_t end_to_end_ns,
                                         TaskTag tag) noexcept {
  with_slot([this, queue_wait_ns, end_to_end_ns, tag](LatencySummary& histograms, std::size_t index) {
    histograms.queue_wait.record(queue_wait_ns);
    histograms.end_to_end.record(end_to_end_ns);
    if (class_waits_ == nullptr) return;
    ClassQueueWaits& waits = class_waits_[index];
    (tag.priority == TaskPriority::urgent ? waits.urgent : waits.normal).record(queue_wait_ns);
    if (tag.tenant == 0) waits.tenant_a.record(queue_wait_ns);
    if (tag.tenant == 1) waits.tenant_b.record(queue_wait_ns);
  });
}

void LatencyRecorder::enable_class_queue_waits() {
  if (class_waits_ == nullptr) class_waits_ = std::make_unique<ClassQueueWaits[]>(slot_count);
}

void LatencyRecorder::merge_class_queue_waits_into(ClassQueueWaits& out) noexcept {
  for (LatencyHistogram* histogram : {&out.normal, &out.urgent, &out.tenant_a, &out.tenant_b})
    histogram->reset();
  if (class_waits_ == nullptr) return;
  for (std::size_t i = 0; i < slot_count; ++i) {
    Slot& slot = slots_[i];
    while (slot.busy.exchange(true, std::memory_order_acquire)) {
    }
    const ClassQueueWaits& waits = class_waits_[i];
    out.normal.merge(waits.normal);
    out.urgent.merge(waits.urgent);
    out.tenant_a.merge(waits.tenant_a);
    out.tenant_b.merge(waits.tenant_b);
    slot.busy.store(false, std::memory_order_release);
  }
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
    if (class_waits_ != nullptr)
      for (LatencyHistogram* histogram : {&class_waits_[i].normal, &class_waits_[i].urgent,
                                          &class_waits_[i].tenant_a, &class_waits_[i].tenant_b})
        histogram->reset();
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
