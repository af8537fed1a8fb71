// Placement: which core each thread of a case runs on (`--affinity`), for a machine where the scheduler's
// moving threads between cores is a noise to remove, or a question to ask (do a pool's workers gain from
// sharing a core with the producer, or from a core each?).
//
//   none     the kernel places every thread (the default; what users' programs get)
//   spread   threads on the allowed cores round-robin: producer p on core p, worker i on core P + i (mod
//   cores):
//            neighbours on different cores
//   compact  threads in blocks over the allowed cores in order: thread t of T = producers + workers on core
//            t * cores / T: producers share a core with the first workers
//
// Producers are placed when they start. A strategy's workers are threads the harness does not create, so each
// is placed on the first task it runs (a thread-local check per task; the sched_setaffinity call happens once
// per thread, which a thread-per-task strategy pays on every task: that cost is part of its placed cases).
// Threads are numbered in the order they first run a task.
#pragma once

#include <atomic>
#include <cstddef>
#include <string>

namespace poolbench::probe {

enum class Affinity { none, spread, compact };
// Throws UsageError naming --affinity for anything but none, spread, compact.
Affinity parse_affinity(const std::string& text);
std::string to_string(Affinity affinity);

// Sets the case's placement (before any producer starts); none turns placement off.
void configure_placement(Affinity affinity, std::size_t producers, std::size_t workers);
// The calling thread is producer `index`: placed now.
void place_producer(std::size_t index) noexcept;

namespace detail {
extern std::atomic<bool> placement_active;
extern constinit thread_local bool thread_placed;
void place_worker_slow() noexcept;
}  // namespace detail

// Called at the start of every task the harness submits: places a worker thread on its first task.
inline void place_worker_once() noexcept {
  if (detail::placement_active.load(std::memory_order_relaxed) && !detail::thread_placed)
    detail::place_worker_slow();
}

}  // namespace poolbench::probe
