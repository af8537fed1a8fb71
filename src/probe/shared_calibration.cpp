#include "probe/shared_calibration.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace poolbench::probe {
namespace {

// Holds an exclusive lock on `path`.lock for its life: children of a sharded or parallel run may calibrate
// at the same moment, and the second must read what the first stored, not measure again.
class FileLock {
 public:
  explicit FileLock(const std::string& path) : fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)) {
    if (fd_ < 0)
      throw std::runtime_error(fmt::format("calibration file lock '{}': {}", path, std::strerror(errno)));
    while (::flock(fd_, LOCK_EX) != 0)
      if (errno != EINTR) {
        const int error = errno;
        ::close(fd_);
        throw std::runtime_error(fmt::format("calibration file lock '{}': {}", path, std::strerror(error)));
      }
  }
  ~FileLock() { ::close(fd_); }  // closing releases the lock
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_;
};

nlohmann::json read_store(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return nlohmann::json::object();  // the run's first calibration
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json store;
  try {
    store = nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::exception&) {
    throw std::runtime_error(fmt::format("calibration file '{}': not JSON", path.string()));
  }
  if (!store.is_object())
    throw std::runtime_error(fmt::format("calibration file '{}': not a JSON object", path.string()));
  return store;
}

void write_store(const std::filesystem::path& path, const nlohmann::json& store) {
  // Written beside it and renamed over it: a reader never sees half a file.
  const std::filesystem::path temporary = path.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << store.dump(2) << '\n';
    if (!out)
      throw std::runtime_error(fmt::format("calibration file '{}': cannot write", temporary.string()));
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error)
    throw std::runtime_error(fmt::format("calibration file '{}': {}", path.string(), error.message()));
}

}  // namespace

double shared_calibration(const std::string& key, const std::function<double()>& measure) {
  const char* file = std::getenv(calibration_file_variable);
  if (file == nullptr || *file == '\0') return measure();
  const std::filesystem::path path(file);
  const FileLock lock(path.string() + ".lock");
  nlohmann::json store = read_store(path);
  if (const auto found = store.find(key); found != store.end()) {
    if (!found->is_number() || !std::isfinite(found->get<double>()) || !(found->get<double>() > 0))
      throw std::runtime_error(
          fmt::format("calibration file '{}': '{}' is not a positive number", path.string(), key));
    return found->get<double>();
  }
  const double value = measure();
  store[key] = value;
  write_store(path, store);
  return value;
}

double thread_cpu_seconds() {
  timespec now{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

}  // namespace poolbench::probe
