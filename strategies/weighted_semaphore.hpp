// WeightedSemaphore — golang.org/x/sync/semaphore.Weighted: acquire n of `size` units, FIFO waiters, no
// barging, cancellable acquire.
//
// The same algorithm as the Go source: one mutex, a counter of units in use, and a list of waiters in arrival
// order. acquire() succeeds at once only when the units are free *and nobody waits* (so a small request
// cannot overtake a large one that arrived first — no barging); release() hands units to waiters from the
// front, and stops at the first waiter it cannot satisfy rather than skipping ahead (otherwise a large
// request could starve). A cancelled waiter leaves the list; if it was at the front and units are free, the
// next waiters are served.
//
// Go's per-waiter `ready` channel becomes a flag on the waiter's stack frame, set under the mutex, and one
// condition variable that the waiters share (notified only when some waiter was granted). Go's context
// becomes a std::stop_token. Go blocks forever on a request larger than the semaphore when the context cannot
// be cancelled; here that request throws std::invalid_argument instead of deadlocking.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <stop_token>

namespace poolbench {

class WeightedSemaphore {
 public:
  explicit WeightedSemaphore(std::int64_t size) : size_(size) {
    if (size <= 0) throw std::invalid_argument("WeightedSemaphore: size must be positive");
  }
  WeightedSemaphore(const WeightedSemaphore&) = delete;
  WeightedSemaphore& operator=(const WeightedSemaphore&) = delete;

  // Acquires n units, blocking until they are free and every earlier waiter has been served, or until `stop`
  // is requested. Returns true on success; false when stopped first, leaving the semaphore unchanged. As in
  // Go, an acquire whose stop is already requested may still succeed without blocking.
  bool acquire(std::int64_t n, std::stop_token stop = {}) {
    check_request(n);
    std::unique_lock lock(mutex_);
    if (size_ - used_ >= n && head_ == nullptr) {
      used_ += n;
      return true;
    }
    if (n > size_) {
      // Doomed to fail: do not make later requests queue behind it (Go waits on ctx.Done() here).
      if (!stop.stop_possible())
        throw std::invalid_argument("WeightedSemaphore: acquiring more than the size with no way to cancel");
      changed_.wait(lock, stop, [] { return false; });
      return false;
    }
    Waiter self{n};
    append(self);
    ++blocked_acquires_;
    if (changed_.wait(lock, stop, [&self] { return self.ready; })) return true;
    // Stopped, and not granted in the meantime: leave the queue.
    const bool was_front = head_ == &self;
    remove(self);
    if (was_front && size_ > used_) notify_waiters();
    return false;
  }

  // Acquires n units only if that needs no waiting (free units and no earlier waiter).
  bool try_acquire(std::int64_t n) {
    check_request(n);
    std::lock_guard lock(mutex_);
    if (size_ - used_ < n || head_ != nullptr) return false;
    used_ += n;
    return true;
  }

  // Returns n units and serves waiters from the front. Throws std::logic_error on releasing more than is
  // held.
  void release(std::int64_t n) {
    std::lock_guard lock(mutex_);
    if (n < 0 || n > used_) throw std::logic_error("WeightedSemaphore: released more than held");
    used_ -= n;
    notify_waiters();
  }

  std::int64_t size() const noexcept { return size_; }
  std::int64_t available() const {
    std::lock_guard lock(mutex_);
    return size_ - used_;
  }
  std::size_t waiters() const {
    std::lock_guard lock(mutex_);
    std::size_t count = 0;
    for (const Waiter* waiter = head_; waiter != nullptr; waiter = waiter->next) ++count;
    return count;
  }
  // How many acquires had to queue (a counter for the strategy's results).
  std::uint64_t blocked_acquires() const {
    std::lock_guard lock(mutex_);
    return blocked_acquires_;
  }

 private:
  struct Waiter {
    std::int64_t n;
    bool ready = false;
    Waiter* previous = nullptr;
    Waiter* next = nullptr;
  };

  static void check_request(std::int64_t n) {
    if (n < 0) throw std::invalid_argument("WeightedSemaphore: negative request");
  }

  void append(Waiter& waiter) {
    waiter.previous = tail_;
    if (tail_ != nullptr) {
      tail_->next = &waiter;
    } else {
      head_ = &waiter;
    }
    tail_ = &waiter;
  }

  void remove(Waiter& waiter) {
    (waiter.previous != nullptr ? waiter.previous->next : head_) = waiter.next;
    (waiter.next != nullptr ? waiter.next->previous : tail_) = waiter.previous;
    waiter.previous = waiter.next = nullptr;
  }

  // Grants waiters from the front while the front one fits; never skips ahead. Called with the mutex held.
  void notify_waiters() {
    bool granted = false;
    while (head_ != nullptr && size_ - used_ >= head_->n) {
      Waiter& front = *head_;
      used_ += front.n;
      remove(front);
      front.ready = true;
      granted = true;
    }
    if (granted) changed_.notify_all();
  }

  const std::int64_t size_;
  mutable std::mutex mutex_;
  std::condition_variable_any changed_;
  std::int64_t used_ = 0;
  Waiter* head_ = nullptr;
  Waiter* tail_ = nullptr;
  std::uint64_t blocked_acquires_ = 0;
};

}  // namespace poolbench
