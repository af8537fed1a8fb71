// What the case driver and the footprint case share to report a failure: the first one any thread reported,
// and an exception's message.
#pragma once

#include <exception>
#include <mutex>
#include <string>

namespace poolbench {

// Keeps the first failure reported by any thread.
class FirstError {
 public:
  void set(std::string message) {
    std::scoped_lock lock(mutex_);
    if (message_.empty()) message_ = std::move(message);
  }
  std::string get() const {
    std::scoped_lock lock(mutex_);
    return message_;
  }

 private:
  mutable std::mutex mutex_;
  std::string message_;
};

inline std::string describe(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown exception";
  }
}

}  // namespace poolbench
