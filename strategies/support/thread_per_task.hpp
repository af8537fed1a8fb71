// ThreadPerTask: the bookkeeping behind `go f()` for raw_threads and semaphore_group — start one OS thread
// per call, know how many are live, and join every one of them.
//
// A goroutine frees itself when it returns; an OS thread must be joined (or detached, but then nobody can
// tell when it is really gone, and "shutdown joins every thread it started" could not hold). So each thread,
// when its function returns, reports itself as exited, and the next start() joins the exited ones before
// starting another: the number of finished-but-unjoined threads stays small however many tasks run.
// join_all() joins the rest.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <new>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "support/thread_start.hpp"

namespace poolbench::support {

class ThreadPerTask {
 public:
  ThreadPerTask() = default;
  ThreadPerTask(const ThreadPerTask&) = delete;
  ThreadPerTask& operator=(const ThreadPerTask&) = delete;
  ~ThreadPerTask() {
    close();
    join_all();
  }

  enum class Started { yes, closed };

  // Runs `body` on a new thread. Returns `closed` after close(). Throws std::system_error (EAGAIN: thread,
  // pid or memory limit) or std::bad_alloc when the thread cannot be started; then nothing was started.
  template <class Body>
  Started start(Body&& body) {
    join_exited();
    std::size_t slot = 0;
    {
      std::lock_guard lock(mutex_);
      if (closed_) return Started::closed;
      if (free_slots_.empty()) {
        slot = slots_.size();
        slots_.emplace_back();
      } else {
        slot = free_slots_.back();
        free_slots_.pop_back();
      }
      ++live_;
      ++unjoined_;
    }
    std::thread thread;
    try {
      thread = start_thread([this, slot, body = std::forward<Body>(body)]() mutable {
        body();
        exited(slot);
      });
    } catch (...) {
      std::lock_guard lock(mutex_);
      free_slots_.push_back(slot);
      --live_;
      --unjoined_;
      notify_if_waited();
      throw;
    }
    std::lock_guard lock(mutex_);
    ++created_;
    if (live_ > peak_live_) peak_live_ = live_;
    slots_[slot].thread = std::move(thread);
    slots_[slot].stored = true;
    if (slots_[slot].exited) joinable_.push_back(slot);
    return Started::yes;
  }

  // Blocks until every started thread has returned from its body, then joins the exited ones.
  void wait_all_exited() {
    {
      std::unique_lock lock(mutex_);
      ++waiters_;
      changed_.wait(lock, [this] { return live_ == 0; });
      --waiters_;
    }
    join_exited();
  }

  // Refuses further start()s.
  void close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }

  // Joins every thread started so far (waits for running ones). Call after close() to join them all.
  void join_all() {
    for (;;) {
      join_exited();
      std::unique_lock lock(mutex_);
      if (unjoined_ == 0) return;
      ++waiters_;
      changed_.wait(lock, [this] { return !joinable_.empty() || unjoined_ == 0; });
      --waiters_;
    }
  }

  std::size_t live() const {
    std::lock_guard lock(mutex_);
    return live_;
  }
  std::size_t peak_live() const {
    std::lock_guard lock(mutex_);
    return peak_live_;
  }
  std::uint64_t created() const {
    std::lock_guard lock(mutex_);
    return created_;
  }

 private:
  struct Slot {
    std::thread thread;
    bool stored = false;  // the starter has stored `thread` (the thread may exit before that)
    bool exited = false;  // the body has returned
  };

  void exited(std::size_t slot) {
    std::lock_guard lock(mutex_);
    slots_[slot].exited = true;
    if (slots_[slot].stored) joinable_.push_back(slot);
    --live_;
    notify_if_waited();
  }

  // Joins the threads whose bodies have returned, one at a time, without holding the lock while joining.
  void join_exited() {
    for (;;) {
      std::thread thread;
      {
        std::lock_guard lock(mutex_);
        if (joinable_.empty()) return;
        const std::size_t slot = joinable_.back();
        joinable_.pop_back();
        thread = std::move(slots_[slot].thread);
        slots_[slot] = Slot{};
        free_slots_.push_back(slot);
      }
      thread.join();  // the body has returned: this waits only for the thread's last instructions
      std::lock_guard lock(mutex_);
      --unjoined_;
      notify_if_waited();
    }
  }

  void notify_if_waited() {
    if (waiters_ > 0) changed_.notify_all();
  }

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Slot> slots_;
  std::vector<std::size_t> free_slots_;
  std::vector<std::size_t> joinable_;
  std::size_t live_ = 0;      // started, body not yet returned
  std::size_t unjoined_ = 0;  // started (or starting), not yet joined
  std::size_t peak_live_ = 0;
  std::size_t waiters_ = 0;
  std::uint64_t created_ = 0;
  bool closed_ = false;
};

}  // namespace poolbench::support
