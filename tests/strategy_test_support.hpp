// What the strategy tests share: a time limit that turns a deadlock into a failed test instead of a hung CI,
// bounded polling for states other threads reach "soon", a gate that holds tasks, and the process's thread
// count. Sequencing only: nothing here asserts how fast anything is.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <string>
#include <thread>
#include <utility>

#include "sanitizer.hpp"

namespace poolbench::test_support {

inline constexpr bool under_sanitizer = test_build::under_sanitizer;

// Why the spawn=fiber modes (support::FiberRuntime) are not run in sanitizer builds: Debian builds
// Boost.Context without the sanitizers' fiber annotations, so its stack switches are invisible to them. The
// release build runs those modes' tests, conformance included.
inline constexpr const char* fiber_sanitizer_exclusion =
    "spawn=fiber is excluded from sanitizer builds: Debian's Boost.Context switches fiber stacks without the "
    "sanitizers' fiber annotations (__sanitizer_start_switch_fiber, __tsan_switch_to_fiber), so ASan and "
    "TSan "
    "cannot follow them; the release build runs this test";

// Sanitizers slow threads down several times; a limit is a deadlock detector, not a timing.
inline constexpr std::chrono::seconds default_time_limit{under_sanitizer ? 240 : 120};

// Runs `body` on its own thread; if it does not finish within `limit`, names the test that hung and ends the
// process with a failure status (a hung strategy cannot be cancelled, and CI must not hang on it).
template <class Body>
void with_time_limit(Body&& body, std::chrono::seconds limit = default_time_limit) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::string name = std::string(info->test_suite_name()) + "." + info->name();
  std::packaged_task<void()> task(std::forward<Body>(body));
  std::future<void> done = task.get_future();
  std::thread runner(std::move(task));
  if (done.wait_for(limit) == std::future_status::timeout) {
    std::fprintf(stderr, "\n[  FAILED  ] %s did not finish within %lld s (deadlock or lost task?)\n",
                 name.c_str(), static_cast<long long>(limit.count()));
    std::fflush(stderr);
    std::_Exit(1);
  }
  runner.join();
  done.get();
}

// Polls `ready` until it holds (true) or `limit` passes (false).
template <class Ready>
bool eventually(Ready&& ready, std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  const auto give_up = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < give_up) {
    if (ready()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return ready();
}

// Holds every task that passes it until opened.
class Gate {
 public:
  void open() {
    open_.store(true, std::memory_order_release);
    open_.notify_all();
  }
  void pass() const {
    while (!open_.load(std::memory_order_acquire)) open_.wait(false, std::memory_order_acquire);
  }

 private:
  std::atomic<bool> open_{false};
};

// Threads of this process, as the kernel lists them.
inline std::size_t live_threads() {
  std::size_t count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) ++count;
  return count;
}

// Waits (bounded) for the thread count to come back to `expected`: a joined thread can stay listed for a
// moment after pthread_join returns, while the kernel finishes releasing it.
inline std::size_t live_threads_settled(std::size_t expected) {
  std::size_t now = live_threads();
  for (int i = 0; i < 200 && now != expected; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    now = live_threads();
  }
  return now;
}

}  // namespace poolbench::test_support
