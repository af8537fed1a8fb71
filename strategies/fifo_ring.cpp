#include "fifo_ring.hpp"

#include <thread>

#include <fmt/format.h>

#include "registry.hpp"

namespace poolbench {
namespace {

// After the pause rounds, a few yields: on a machine with fewer cores than runnable threads (2 cores, 1
// producer, 2 workers) the thread we wait for may need our core, and a yield hands it over without a futex
// round trip.
constexpr int ring_yield_rounds = 4;

}  // namespace

FifoRingStrategy::Options FifoRingStrategy::normalized(Options options) {
  if (options.workers == 0) options.workers = 1;
  return options;
}

FifoRingStrategy::FifoRingStrategy(const Options& options)
    : options_(normalized(options)),
      ring_(options_.capacity),
      slots_(std::make_unique<WorkerSlot[]>(options_.workers)) {
  workers_.start(
      options_.workers, "fifo_ring", [this](std::size_t i) { work(slots_[i]); }, [this] { close(); });
  threads_created_ = options_.workers;
}

FifoRingStrategy::~FifoRingStrategy() {
  shutdown();
}

SubmitResult FifoRingStrategy::submit(Task task) {
  if (options_.nonblocking) return submit_unless_all_busy(task);
  for (;;) {
    switch (ring_.try_push(task)) {
      case support::BoundedTaskRing::Push::pushed:
        not_empty_.wake();
        return SubmitResult::accepted();
      case support::BoundedTaskRing::Push::closed:
        return SubmitResult::closed();
      case support::BoundedTaskRing::Push::full:
        break;
    }
    // Full: a worker usually frees a slot within a task's time, so retry for a while before parking.
    bool room = false;
    for (std::uint32_t i = 0; i < options_.spin && !room; ++i) {
      support::cpu_relax();
      room = !ring_.looks_full() || ring_.closed();
    }
    for (int i = 0; i < ring_yield_rounds && !room; ++i) {
      std::this_thread::yield();
      room = !ring_.looks_full() || ring_.closed();
    }
    // Parked, it is woken once the ring has drained to half: waking it on every pop would cost a futex call
    // per task while the workers are behind.
    if (!room) not_full_.park_unless([this] { return below_half() || ring_.closed(); });
  }
}

// ants' rule (retrieveWorker): reject when no worker is idle and none can be added — fixed workers never can
// be, so: when K accepted tasks have not finished. The ring then never holds more than K tasks.
SubmitResult FifoRingStrategy::submit_unless_all_busy(Task& task) {
  auto reject = [this](std::string why) {
    unfinished_.fetch_sub(1, std::memory_order_relaxed);
    rejected_.fetch_add(1, std::memory_order_relaxed);
    return SubmitResult::overloaded(std::move(why));
  };
  if (unfinished_.fetch_add(1, std::memory_order_relaxed) >= options_.workers)
    return reject(fmt::format("all {} workers are busy (nonblocking)", options_.workers));
  switch (ring_.try_push(task)) {
    case support::BoundedTaskRing::Push::pushed:
      not_empty_.wake();
      return SubmitResult::accepted();
    case support::BoundedTaskRing::Push::closed:
      unfinished_.fetch_sub(1, std::memory_order_relaxed);
      return SubmitResult::closed();
    case support::BoundedTaskRing::Push::full:  // only with more workers than ring slots
      break;
  }
  return reject(fmt::format("ring of {} tasks is full (nonblocking)", ring_.capacity()));
}

void FifoRingStrategy::work(WorkerSlot& slot) noexcept {
  Task task;
  std::uint64_t finished = 0;
  auto pop = [&] {
    if (ring_.try_pop(task)) return true;
    // Poll the two positions, not the next cell: the producer is writing that cell, and two workers reading
    // it in a loop would take its cache line away from the producer on every poll.
    for (std::uint32_t i = 0; i < options_.spin; ++i) {
      support::cpu_relax();
      if (!ring_.looks_empty() && ring_.try_pop(task)) return true;
    }
    for (int i = 0; i < ring_yield_rounds; ++i) {
      std::this_thread::yield();
      if (ring_.try_pop(task)) return true;
    }
    return false;
  };
  for (;;) {
    if (pop()) {
      // The pop's seq_cst CAS made room; blocked submitters are woken at half (a plain load when none is).
      if (below_half()) not_full_.wake();
      try {
        task();
      } catch (...) {
        handle_exception(slot, std::current_exception());
      }
      task.reset();
      if (options_.nonblocking) unfinished_.fetch_sub(1, std::memory_order_relaxed);
      quiescent_.task_finished(slot.finished, ++finished);
      continue;
    }
    // The ring looks empty: publish what this worker finished and let wait() callers re-check.
    quiescent_.publish_and_wake(slot.finished);
    if (ring_.closed() && ring_.looks_empty())
      return;  // closed: no push can succeed any more, and all are taken
    not_empty_.park_unless([this] { return !ring_.looks_empty() || ring_.closed(); });
  }
}

void FifoRingStrategy::handle_exception(WorkerSlot& slot, std::exception_ptr error) noexcept {
  slot.exceptions.fetch_add(1, std::memory_order_relaxed);
  std::function<void(std::exception_ptr)> handler;
  {
    std::scoped_lock lock(handler_mutex_);
    if (!handler_) {
      if (!first_exception_) first_exception_ = error;
      return;
    }
    handler = handler_;
  }
  try {
    handler(error);
  } catch (...) {
    // A handler that throws would kill the worker thread (std::terminate); ants' handler runs inside the
    // worker's deferred recover, where a second panic would crash too. Keep the pool alive instead.
  }
}

std::uint64_t FifoRingStrategy::finished_total() const noexcept {
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < options_.workers; ++i)
    total += slots_[i].finished.load(std::memory_order_seq_cst);  // seq_cst: a ParkingLot predicate
  return total;
}

std::exception_ptr FifoRingStrategy::wait() {
  const std::uint64_t target = ring_.pushed_count();
  quiescent_.wait_until([&] { return finished_total() >= target; }, options_.spin);
  return nullptr;
}

void FifoRingStrategy::close() noexcept {
  ring_.close();  // seq_cst: parked workers and submitters re-check closed() after the wake below
  not_empty_.wake();
  not_full_.wake();
}

void FifoRingStrategy::shutdown() {
  std::call_once(shutdown_once_, [this] {
    close();
    workers_.join();
    // (Each worker published and woke wait() callers on its way out.)
  });
}

StrategyCounters FifoRingStrategy::counters() const {
  StrategyCounters counters;
  counters.threads_created = threads_created_;
  std::uint64_t exceptions = 0;
  for (std::size_t i = 0; i < options_.workers; ++i)
    exceptions += slots_[i].exceptions.load(std::memory_order_relaxed);
  counters.extra["exceptions_handled"] = static_cast<double>(exceptions);
  counters.extra["rejected"] = static_cast<double>(rejected_.load(std::memory_order_relaxed));
  counters.extra["ring_capacity"] = static_cast<double>(ring_.capacity());
  return counters;
}

void FifoRingStrategy::set_exception_handler(std::function<void(std::exception_ptr)> handler) {
  std::scoped_lock lock(handler_mutex_);
  handler_ = std::move(handler);
}

std::exception_ptr FifoRingStrategy::first_exception() const {
  std::scoped_lock lock(handler_mutex_);
  return first_exception_;
}

namespace {
const StrategyRegistrar fifo_ring_registrar{StrategyInfo{
    .name = "fifo_ring",
    .description =
        "a Vyukov bounded MPMC task ring (lock-free, CAS-claimed slots) feeding K fixed workers: the "
        "guide's 'ants (loopq)' row as the guide describes it, not ants' loop queue (a FIFO ring of idle "
        "workers under the pool's lock: lifo_stack --param prealloc=true); blocks when the ring is full, "
        "nonblocking rejects when all K workers are busy (ants' rule)",
    .traits = {.queue_order = QueueOrder::fifo,
               .worker_lifecycle = WorkerLifecycle::fixed_workers,
               .when_full = WhenFull::blocks_or_rejects,
               .on_exception = OnException::handler_called_continues,
               .returns_results = false,
               .cancellation = false,
               .synchronous_submit = false,
               .worker_state = false},
    .params = {{.name = "capacity",
                .default_value = "1024",
                .description = "ring slots (rounded up to a power of two)",
                .kind = ParamKind::positive_integer},
               {.name = "nonblocking",
                .default_value = "false",
                .description = "fail with overloaded when all K workers are busy, as ants' WithNonblocking "
                               "(instead of blocking when the ring is full)",
                .kind = ParamKind::boolean},
               {.name = "spin",
                .default_value = "32",
                .description = "pause-and-retry rounds before an idle worker or blocked submitter parks",
                .kind = ParamKind::non_negative_integer}},
    .make =
        [](const StrategyConfig& config) {
          FifoRingStrategy::Options options;
          options.workers = config.workers;
          options.capacity = static_cast<std::size_t>(config.params.integer("capacity"));
          options.nonblocking = config.params.boolean("nonblocking");
          options.spin = static_cast<std::uint32_t>(config.params.integer("spin"));
          return std::make_unique<FifoRingStrategy>(options);
        },
    .nominal_overhead_ns = 100,
    .models =
        {
            {.mode = "",
             .library = "the pool guide's \"ants (loopq)\" row, not ants' code (ants v2.11.4 read)",
             .matches =
                 "the guide's description: a lock-free FIFO ring of tasks (Vyukov MPMC, CAS-claimed slots) "
                 "that any worker takes from; blocks when full; `nonblocking=true` fails with `overloaded` "
                 "(`ErrPoolOverload`) by ants' rule (ants.go `retrieveWorker()`): when all K workers are "
                 "busy; PanicHandler-style recovery",
             .differs =
                 "ants' loop queue (worker_loop_queue.go `insert()`, `detach()`; `WithPreAlloc`) is a FIFO "
                 "ring of idle workers under the pool lock, not of tasks (that is lifo_stack "
                 "`prealloc=true`); K fixed threads here, no expiry"},
        },
}};
}  // namespace

}  // namespace poolbench
