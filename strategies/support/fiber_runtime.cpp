// FiberRuntime and FiberSemaphore (see fiber_runtime.hpp for what they guarantee and how they model Go).
// Boost.Fiber stays in this file: the strategies that use the runtime include only the header.
//
// The scheduling algorithm uses boost::fibers::detail::context_spinlock_queue, the ready queue Boost's own
// algo::work_stealing uses (header-only; FIFO for the owner, steal from the front, never a pinned main or
// dispatcher context).
#include "support/fiber_runtime.hpp"

#include <sched.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <new>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include <boost/context/stack_context.hpp>
#include <boost/fiber/algo/algorithm.hpp>
#include <boost/fiber/condition_variable.hpp>
#include <boost/fiber/context.hpp>
#include <boost/fiber/detail/context_spinlock_queue.hpp>
#include <boost/fiber/fiber.hpp>
#include <boost/fiber/mutex.hpp>
#include <boost/fiber/operations.hpp>
// Boost.Fiber's detail headers define cpu_relax() as a macro; the project's function of that name is meant.
#undef cpu_relax

#include "sleep.hpp"
#include "support/cpu_relax.hpp"
#include "support/spin_lock.hpp"
#include "support/worker_threads.hpp"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define POOLBENCH_FIBER_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define POOLBENCH_FIBER_SANITIZED 1
#endif
#endif

namespace poolbench::support {
namespace {

using boost::fibers::context;

#ifdef POOLBENCH_FIBER_SANITIZED
constexpr std::size_t fiber_stack_bytes = 256 * 1024;  // sanitizers' frames are several times larger
#else
constexpr std::size_t fiber_stack_bytes = 64 * 1024;
#endif
// Fibers a launcher creates before it lets them run: bounds the stacks alive at once when producers run
// ahead.
constexpr std::size_t launch_chunk = 256;
// An idle scheduler thread polls the others this many rounds before it sleeps (Go's spinning M), and stops
// spinning after this many fruitless picks in a row (their queue's front may be a launcher that cannot be
// stolen while its thread runs a long task).
constexpr int idle_spin_rounds = 256;
constexpr int fruitless_picks_before_sleep = 64;
// How long such a thread sleeps before it looks again, when another queue is not empty but gave it nothing.
constexpr auto unstealable_poll = std::chrono::milliseconds(1);

// The runtime's sleep hook (sleep.hpp): a task that sleeps parks its fiber, and its thread runs the others.
// Boost's sleep returns at the deadline or later; the loop makes sure of it.
void park_fiber_until(std::chrono::steady_clock::time_point deadline) {
  while (std::chrono::steady_clock::now() < deadline) boost::this_fiber::sleep_until(deadline);
}

// Stacks of one size with a guard page below each, mapped on demand and reused; every stack is unmapped when
// the pool goes (after the runtime's threads are joined, so every fiber has returned its stack).
class StackPool {
 public:
  StackPool()
      : page_(static_cast<std::size_t>(::sysconf(_SC_PAGESIZE))),
        mapping_bytes_((fiber_stack_bytes + page_ - 1) / page_ * page_ + page_) {}
  StackPool(const StackPool&) = delete;
  StackPool& operator=(const StackPool&) = delete;
  ~StackPool() {
    while (free_ != nullptr) {
      FreeStack* next = free_->next;
      ::munmap(reinterpret_cast<char*>(free_) - page_, mapping_bytes_);
      free_ = next;
    }
  }

  boost::context::stack_context allocate() {
    {
      std::lock_guard lock(lock_);
      if (free_ != nullptr) {
        FreeStack* reused = free_;
        free_ = reused->next;
        return context_for(reinterpret_cast<char*>(reused) - page_);
      }
    }
    void* base = ::mmap(nullptr, mapping_bytes_, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (base == MAP_FAILED) throw std::bad_alloc();
    if (::mprotect(base, page_, PROT_NONE) != 0) {
      ::munmap(base, mapping_bytes_);
      throw std::bad_alloc();
    }
    mapped_.fetch_add(1, std::memory_order_relaxed);
    return context_for(static_cast<char*>(base));
  }

  void deallocate(boost::context::stack_context& stack) noexcept {
    // The lowest usable page holds the free-list link: the fiber that used it has returned.
    auto* freed = reinterpret_cast<FreeStack*>(static_cast<char*>(stack.sp) - stack.size + page_);
    std::lock_guard lock(lock_);
    freed->next = free_;
    free_ = freed;
  }

  std::uint64_t mapped() const noexcept { return mapped_.load(std::memory_order_relaxed); }

 private:
  struct FreeStack {
    FreeStack* next;
  };

  boost::context::stack_context context_for(char* base) const noexcept {
    boost::context::stack_context stack;
    stack.size = mapping_bytes_;  // as protected_fixedsize_stack: the size includes the guard page
    stack.sp = base + mapping_bytes_;
    return stack;
  }

  const std::size_t page_;
  const std::size_t mapping_bytes_;
  SpinLock lock_;
  FreeStack* free_ = nullptr;
  std::atomic<std::uint64_t> mapped_{0};
};

// The stack allocator handed to one fiber: its stack is taken before the fiber is made (so that a failure
// leaves the task in the launcher's hands), and goes back to the pool when the fiber is destroyed.
struct PooledStack {
  StackPool* pool;
  boost::context::stack_context stack;
  boost::context::stack_context allocate() const noexcept { return stack; }
  void deallocate(boost::context::stack_context& used) const noexcept { pool->deallocate(used); }
};

// What one scheduler thread shares with the others: its ready queue (they steal from it) and how to wake it.
// Owned by the runtime, so a thread that has exited leaves nothing dangling behind for the others.
struct SchedulerSlot {
  boost::fibers::detail::context_spinlock_queue ready;
  std::mutex
      sleep_mutex;  // the scheduler thread's own sleep, outside any fiber (Boost's work_stealing does so)
  std::condition_variable wake;
  std::atomic<bool> notified{false};
  std::atomic<bool> sleeping{false};

  void notify() noexcept {
    {
      std::lock_guard lock(sleep_mutex);
      notified.store(true, std::memory_order_release);
    }
    wake.notify_one();
  }
};

}  // namespace

struct FiberRuntime::Impl {
  explicit Impl(Runner run_task, std::size_t thread_count) : runner(std::move(run_task)) {
    slots.reserve(thread_count);
    for (std::size_t i = 0; i < thread_count; ++i) slots.push_back(std::make_unique<SchedulerSlot>());
  }

  // --- scheduling: Boost's algo::work_stealing, with its peers owned here --------------------------------
  class Stealing final : public boost::fibers::algo::algorithm {
   public:
    Stealing(Impl& runtime, std::size_t index)
        : runtime_(runtime),
          index_(index),
          self_(*runtime.slots[index]),
          random_(static_cast<unsigned>(index + 1)) {}

    void awakened(context* ctx) noexcept override {
      if (!ctx->is_context(boost::fibers::type::pinned_context)) ctx->detach();
      self_.ready.push(ctx);
      runtime_.wake_a_sleeper(index_);
    }

    context* pick_next() noexcept override {
      context* ctx = self_.ready.pop();
      if (ctx == nullptr) ctx = steal();
      if (ctx == nullptr) {
        ++fruitless_picks_;
        return nullptr;
      }
      fruitless_picks_ = 0;
      if (!ctx->is_context(boost::fibers::type::pinned_context)) context::active()->attach(ctx);
      return ctx;
    }

    bool has_ready_fibers() const noexcept override { return !self_.ready.empty(); }

    void suspend_until(std::chrono::steady_clock::time_point const& until) noexcept override {
      if (fruitless_picks_ < fruitless_picks_before_sleep) {
        for (int round = 0; round < idle_spin_rounds; ++round) {
          if (self_.notified.exchange(false, std::memory_order_acq_rel)) return;
          if (runtime_.others_have_ready(index_)) return;
          cpu_relax();
        }
      }
      std::unique_lock lock(self_.sleep_mutex);
      self_.sleeping.store(true, std::memory_order_seq_cst);
      runtime_.sleepers.fetch_add(1, std::memory_order_seq_cst);
      // After publishing `sleeping`: a thread that readies a fiber from now on wakes us (wake_a_sleeper).
      const bool work_elsewhere = runtime_.others_have_ready(index_);
      const auto notified = [this] { return self_.notified.load(std::memory_order_acquire); };
      if (work_elsewhere) {
        const auto poll_at = std::chrono::steady_clock::now() + unstealable_poll;
        self_.wake.wait_until(lock, until < poll_at ? until : poll_at, notified);
      } else if (until == std::chrono::steady_clock::time_point::max()) {
        self_.wake.wait(lock, notified);
      } else {
        self_.wake.wait_until(lock, until, notified);
      }
      self_.notified.store(false, std::memory_order_relaxed);
      self_.sleeping.store(false, std::memory_order_relaxed);
      runtime_.sleepers.fetch_sub(1, std::memory_order_relaxed);
    }

    void notify() noexcept override { self_.notify(); }

   private:
    context* steal() noexcept {
      const std::size_t count = runtime_.slots.size();
      if (count < 2) return nullptr;
      const std::size_t start = std::uniform_int_distribution<std::size_t>{0, count - 1}(random_);
      for (std::size_t k = 0; k < count; ++k) {
        const std::size_t victim = (start + k) % count;
        if (victim == index_) continue;
        if (context* ctx = runtime_.slots[victim]->ready.steal()) return ctx;
      }
      return nullptr;
    }

    Impl& runtime_;
    const std::size_t index_;
    SchedulerSlot& self_;
    std::minstd_rand random_;
    int fruitless_picks_ = 0;
  };

  bool others_have_ready(std::size_t self) const noexcept {
    for (std::size_t i = 0; i < slots.size(); ++i)
      if (i != self && !slots[i]->ready.empty()) return true;
    return false;
  }

  // A fiber became ready on thread `self`: wake one sleeping thread to steal it (Go's wakep()).
  void wake_a_sleeper(std::size_t self) noexcept {
    std::atomic_thread_fence(std::memory_order_seq_cst);  // the push before it, against a sleeper's re-check
    if (sleepers.load(std::memory_order_relaxed) == 0) return;
    for (std::size_t i = 0; i < slots.size(); ++i) {
      SchedulerSlot& other = *slots[i];
      if (i == self || !other.sleeping.load(std::memory_order_relaxed)) continue;
      if (other.sleeping.exchange(false, std::memory_order_acq_rel)) {
        other.notify();
        return;
      }
    }
  }

  // --- launching: a scheduler thread's main fiber
  // ------------------------------------------------------------
  void run_scheduler(std::size_t index) {
    boost::fibers::use_scheduling_algorithm<Stealing>(*this, index);
    const SleepHookScope fiber_sleep(&park_fiber_until);  // for every fiber this thread runs
    std::vector<Task> batch;
    while (take_pending(batch)) {
      for (std::size_t i = 0; i < batch.size(); ++i) {
        launch(std::move(batch[i]));
        if ((i + 1) % launch_chunk == 0) boost::this_fiber::yield();
      }
      batch.clear();
      boost::this_fiber::yield();  // the last chunk runs before more are taken
    }
  }

  // Takes every pending task into `batch` (empty), waiting as a fiber while there is none. False once the
  // runtime stops and nothing is pending.
  bool take_pending(std::vector<Task>& batch) {
    {
      std::lock_guard lock(pending_lock);
      if (!pending.empty()) {
        batch.swap(pending);
        return true;
      }
    }
    std::unique_lock wait_lock(launch_mutex);
    bool waited = false;
    for (;;) {
      {
        std::lock_guard lock(pending_lock);
        if (waited) {
          --idle_launchers;
          if (wakes_sent > 0) --wakes_sent;
        }
        if (!pending.empty()) {
          batch.swap(pending);
          return true;
        }
        if (stopping) return false;
        ++idle_launchers;  // under launch_mutex until the wait releases it: no notify is missed
      }
      launch_ready.wait(wait_lock);
      waited = true;
    }
  }

  void launch(Task task) {
    boost::context::stack_context stack;
    try {
      stack = stacks.allocate();
    } catch (const std::bad_alloc&) {
      stack_failures.fetch_add(1, std::memory_order_relaxed);
      run_one(task);  // on the launcher's own stack: it still runs exactly once
      return;
    }
    boost::fibers::fiber(std::allocator_arg, PooledStack{&stacks, stack},
                         [this, task = std::move(task)]() mutable { run_one(task); })
        .detach();
    fibers_started.fetch_add(1, std::memory_order_relaxed);
  }

  void run_one(Task& task) noexcept {
    runner(task);
    task.reset();
    if (outstanding.fetch_sub(1, std::memory_order_seq_cst) == 1 &&
        idle_waiters.load(std::memory_order_seq_cst) > 0)
      outstanding.notify_all();
  }

  // --- the strategy's side
  // ----------------------------------------------------------------------------------
  bool spawn(Task task) {
    bool wake = false;
    {
      std::lock_guard lock(pending_lock);
      if (closed) return false;
      pending.push_back(std::move(task));
      outstanding.fetch_add(1, std::memory_order_seq_cst);
      if (idle_launchers > wakes_sent) {
        ++wakes_sent;
        wake = true;
      }
    }
    if (wake) {
      std::lock_guard wait_lock(launch_mutex);
      launch_ready.notify_one();
    }
    return true;
  }

  void wait_idle() {
    idle_waiters.fetch_add(1, std::memory_order_seq_cst);
    for (std::uint64_t now = outstanding.load(std::memory_order_seq_cst); now != 0;
         now = outstanding.load(std::memory_order_seq_cst))
      outstanding.wait(now, std::memory_order_seq_cst);
    idle_waiters.fetch_sub(1, std::memory_order_seq_cst);
  }

  void stop_launchers() {
    {
      std::lock_guard lock(pending_lock);
      stopping = true;
    }
    std::lock_guard wait_lock(launch_mutex);
    launch_ready.notify_all();
  }

  void shutdown() {
    {
      std::lock_guard lock(pending_lock);
      closed = true;
    }
    wait_idle();
    stop_launchers();
    threads.join();
  }

  const Runner runner;
  std::vector<std::unique_ptr<SchedulerSlot>> slots;
  std::atomic<std::size_t> sleepers{0};
  StackPool stacks;  // before `threads`: destroyed after them

  SpinLock pending_lock;  // guards the members down to `stopping`
  std::vector<Task> pending;
  std::size_t idle_launchers = 0;
  std::size_t wakes_sent = 0;  // notifies sent to idle launchers that have not woken yet
  bool closed = false;
  bool stopping = false;
  boost::fibers::mutex launch_mutex;
  boost::fibers::condition_variable launch_ready;

  std::atomic<std::uint64_t> outstanding{0};  // accepted, not yet run and destroyed
  std::atomic<std::uint32_t> idle_waiters{0};
  std::atomic<std::uint64_t> fibers_started{0};
  std::atomic<std::uint64_t> stack_failures{0};

  WorkerThreads threads;  // last: joined first
};

FiberRuntime::FiberRuntime(Runner runner, std::size_t threads)
    : impl_(std::make_unique<Impl>(std::move(runner), threads == 0 ? cores() : threads)) {
  Impl& impl = *impl_;
  impl.threads.start(
      impl.slots.size(), "the fiber runtime", [&impl](std::size_t index) { impl.run_scheduler(index); },
      [&impl] { impl.stop_launchers(); });
}

FiberRuntime::~FiberRuntime() {
  shutdown();
}

bool FiberRuntime::spawn(Task task) {
  return impl_->spawn(std::move(task));
}
void FiberRuntime::wait_idle() {
  impl_->wait_idle();
}
void FiberRuntime::shutdown() {
  impl_->shutdown();
}
std::size_t FiberRuntime::threads() const noexcept {
  return impl_->threads.size();
}
std::uint64_t FiberRuntime::fibers_started() const noexcept {
  return impl_->fibers_started.load(std::memory_order_relaxed);
}
std::uint64_t FiberRuntime::stacks_mapped() const noexcept {
  return impl_->stacks.mapped();
}
std::uint64_t FiberRuntime::stack_failures() const noexcept {
  return impl_->stack_failures.load(std::memory_order_relaxed);
}

std::size_t FiberRuntime::cores() {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (::sched_getaffinity(0, sizeof(allowed), &allowed) == 0) {
    const int count = CPU_COUNT(&allowed);
    if (count > 0) return static_cast<std::size_t>(count);
  }
  const unsigned online = std::thread::hardware_concurrency();
  return online > 0 ? online : 1;
}

// --- FiberSemaphore
// ---------------------------------------------------------------------------------------------

struct FiberSemaphore::Impl {
  boost::fibers::mutex mutex;
  boost::fibers::condition_variable freed;
  std::size_t available;
  std::size_t waiting = 0;
};

FiberSemaphore::FiberSemaphore(std::size_t count) : impl_(std::make_unique<Impl>()) {
  impl_->available = count;
}
FiberSemaphore::~FiberSemaphore() = default;

void FiberSemaphore::acquire() {
  std::unique_lock lock(impl_->mutex);
  if (impl_->available == 0) {
    ++impl_->waiting;
    impl_->freed.wait(lock, [this] { return impl_->available > 0; });
    --impl_->waiting;
  }
  --impl_->available;
}

bool FiberSemaphore::try_acquire() {
  std::lock_guard lock(impl_->mutex);
  if (impl_->available == 0) return false;
  --impl_->available;
  return true;
}

void FiberSemaphore::release() {
  std::lock_guard lock(impl_->mutex);
  ++impl_->available;
  if (impl_->waiting > 0) impl_->freed.notify_one();
}

}  // namespace poolbench::support
