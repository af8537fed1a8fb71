// start_thread: the one place where strategies/ start an OS thread, and the words they use when the OS
// refuses one.
//
// Guarantees: start_thread<T>(f) is T(f) (std::thread or std::jthread) except that a test can make it fail
// first (thread_start_hook: called before every start when set, nullptr otherwise; throwing from it is what
// the OS refusing a thread looks like). A thread start is never on a task's path, so the hook costs nothing
// that is measured. out_of_threads() keeps the OS's error code (EAGAIN: thread, pid or memory limit) and puts
// "out of threads" first in the message, the words a case's failure is recorded with.
#pragma once

#include <atomic>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

namespace poolbench::support {

using ThreadStartHook = void (*)();
inline std::atomic<ThreadStartHook> thread_start_hook{nullptr};

template <class Thread = std::thread, class Function>
Thread start_thread(Function&& function) {
  if (const ThreadStartHook hook = thread_start_hook.load(std::memory_order_acquire)) hook();
  return Thread(std::forward<Function>(function));
}

// "out of threads: <what>: <the OS's reason>", with the OS's error code.
inline std::system_error out_of_threads(const std::system_error& refused, const std::string& what) {
  return std::system_error(refused.code(), "out of threads: " + what);
}

// start_thread for a strategy's one helper thread (a dispatcher, a purge timer): a refusal is rethrown as
// out_of_threads("<whose> could not start"). Nothing else was started, so there is nothing to stop.
template <class Thread = std::thread, class Function>
Thread start_helper_thread(const std::string& whose, Function&& function) {
  try {
    return start_thread<Thread>(std::forward<Function>(function));
  } catch (const std::system_error& refused) {
    throw out_of_threads(refused, whose + " could not start");
  }
}

}  // namespace poolbench::support
