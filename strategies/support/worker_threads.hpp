// WorkerThreads: a strategy's fixed workers, started all or none.
//
// Guarantees: start() either leaves `count` threads running or, when the OS refuses one (std::system_error,
// e.g. EAGAIN at the thread or pid limit) or memory runs out, calls `stop()`, joins every thread it had
// started and rethrows (a refusal as support::out_of_threads), so a constructor that fails partway returns
// within the time its workers take to see `stop()` and leaves no thread behind. Before this, a constructor
// that threw after starting some workers deadlocked: unwinding joined workers that nobody had told to stop.
// `stop()` must make every worker body that is already running return (close the queue and wake the
// workers, as shutdown does); it must not assume that all `count` started.
#pragma once

#include <cstddef>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "support/thread_start.hpp"

namespace poolbench::support {

class WorkerThreads {
 public:
  WorkerThreads() = default;
  WorkerThreads(const WorkerThreads&) = delete;
  WorkerThreads& operator=(const WorkerThreads&) = delete;
  ~WorkerThreads() { join(); }  // after the owner's shutdown: the bodies have returned

  // Starts `count` threads, thread i running body(i). `owner` names the strategy in the error message.
  template <class Body, class Stop>
  void start(std::size_t count, const char* owner, Body body, Stop stop) {
    threads_.reserve(threads_.size() + count);
    try {
      for (std::size_t i = 0; i < count; ++i) threads_.push_back(start_thread([body, i] { body(i); }));
    } catch (const std::system_error& refused) {
      const std::size_t started = threads_.size();
      stop();
      join();
      throw out_of_threads(refused, std::string(owner) + " started " + std::to_string(started) + " of " +
                                        std::to_string(count) + " worker threads before the OS refused one");
    } catch (...) {
      stop();
      join();
      throw;
    }
  }

  // Joins every thread started (their bodies must be returning). Idempotent.
  void join() noexcept {
    for (auto& thread : threads_)
      if (thread.joinable()) thread.join();
  }

  std::size_t size() const noexcept { return threads_.size(); }

 private:
  std::vector<std::thread> threads_;
};

}  // namespace poolbench::support
