#include "test_fixed_service.hpp"

#include <sys/prctl.h>

#include <thread>

#include "registry.hpp"
#include "support/cpu_relax.hpp"

namespace poolbench {
namespace {

// Spun on the clock for the whole service: the M/D/1 formula's server serves exactly D, and a sleep on a VM
// ends late by tens to hundreds of µs, which lengthens every service and, several times over, the mean wait
// (results/strategy-notes.md has what it did to the M/D/1 check). A spinning thread is the one a busy
// machine's scheduler deprives first, which is why the check wants a quiet machine.
void hold_until(std::chrono::steady_clock::time_point end) {
  while (std::chrono::steady_clock::now() < end) support::cpu_relax();
}

// The worker waiting for a task, and a producer waiting for the slot, poll (up to this long) before they
// sleep: the M/D/1 formula's server starts a task the moment it arrives, and a sleeping thread's wake-up on
// this VM (tens to hundreds of µs when its vCPU idles) would add to every task that finds the server idle
// (results/strategy-notes.md, "test_fixed_service", has what it did to the M/D/1 check).
constexpr std::chrono::milliseconds poll_before_sleep{20};

template <class Ready>
void await(std::condition_variable& changed, std::unique_lock<std::mutex>& lock, Ready ready) {
  const auto until = std::chrono::steady_clock::now() + poll_before_sleep;
  while (!ready() && std::chrono::steady_clock::now() < until) {
    lock.unlock();
    for (int round = 0; round < 32; ++round) support::cpu_relax();
    lock.lock();
  }
  changed.wait(lock, ready);
}

}  // namespace

TestFixedServiceStrategy::TestFixedServiceStrategy(std::chrono::nanoseconds service,
                                                   std::size_t stall_after_tasks,
                                                   std::chrono::nanoseconds stall)
    : service_(service), stall_after_tasks_(stall_after_tasks), stall_(stall) {
  worker_.start(
      1, "test_fixed_service", [this](std::size_t) { serve(); },
      [this] {
        std::scoped_lock lock(mutex_);
        closed_ = true;
        changed_.notify_all();
      });
}

TestFixedServiceStrategy::~TestFixedServiceStrategy() {
  shutdown();
}

void TestFixedServiceStrategy::serve() {
  (void)::prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);  // sleeps end when asked, not up to 50 µs late
  while (true) {
    Task task;
    bool stall_now = false;
    {
      std::unique_lock lock(mutex_);
      await(changed_, lock, [this] { return static_cast<bool>(slot_) || closed_; });
      if (!slot_) return;  // closed and drained
      task = std::move(slot_);
      busy_ = true;
      stall_now = ++taken_ == stall_after_tasks_;
      changed_.notify_all();  // the slot is free for the next submit
    }
    if (stall_now) std::this_thread::sleep_for(stall_);
    const auto started = std::chrono::steady_clock::now();
    task();
    hold_until(started + service_);
    std::scoped_lock lock(mutex_);
    busy_ = false;
    changed_.notify_all();
  }
}

SubmitResult TestFixedServiceStrategy::submit(Task task) {
  std::unique_lock lock(mutex_);
  await(changed_, lock, [this] { return closed_ || !slot_; });
  if (closed_) return SubmitResult::closed();
  slot_ = std::move(task);
  changed_.notify_all();
  return SubmitResult::accepted();
}

std::exception_ptr TestFixedServiceStrategy::wait() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] { return !slot_ && !busy_; });
  return nullptr;
}

void TestFixedServiceStrategy::shutdown() {
  {
    std::scoped_lock lock(mutex_);
    closed_ = true;
    changed_.notify_all();
  }
  worker_.join();
}

StrategyCounters TestFixedServiceStrategy::counters() const {
  return StrategyCounters{.threads_created = worker_.size(), .extra = {}};
}

namespace {

std::unique_ptr<Strategy> make_fixed_service(const StrategyConfig& config) {
  const auto microseconds = [](double value) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
        std::chrono::duration<double, std::micro>(value));
  };
  return std::make_unique<TestFixedServiceStrategy>(
      microseconds(config.params.number("service_us")),
      static_cast<std::size_t>(config.params.integer("stall_after_tasks")),
      microseconds(1000 * config.params.number("stall_ms")));
}

const StrategyRegistrar test_fixed_service_registrar{StrategyInfo{
    .name = "test_fixed_service",
    .description = "test only: one worker, a fixed service time per task, a one-task slot in front of it",
    .traits = {.queue_order = QueueOrder::fifo,
               .worker_lifecycle = WorkerLifecycle::fixed_workers,
               .when_full = WhenFull::blocks,
               .on_exception = OnException::terminates_process,
               .returns_results = false,
               .cancellation = false,
               .synchronous_submit = false,
               .worker_state = false},
    .params = {{.name = "service_us",
                .default_value = "1000",
                .description = "the time each task holds the worker, from its start",
                .kind = ParamKind::positive_number},
               {.name = "stall_after_tasks",
                .default_value = "0",
                .description = "the worker stalls once, before this task (counted from 1); 0: never",
                .kind = ParamKind::non_negative_integer},
               {.name = "stall_ms",
                .default_value = "100",
                .description = "how long the one stall lasts",
                .kind = ParamKind::positive_number}},
    .make = make_fixed_service,
    .nominal_overhead_ns = 1000,
    .test_only = true,
    .in_default_matrix = false,
    .models =
        {
            {.mode = "",
             .library = "none: a test-only server",
             .matches = "an M/D/1 queue's single server with a fixed service time (`service_us`)",
             .differs = "exists only for the open-loop truth tests (M/D/1, one stall)"},
        },
}};

}  // namespace
}  // namespace poolbench
