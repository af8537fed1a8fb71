#include "probe/process_stats.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstring>

namespace poolbench::probe {
namespace {

double seconds(const timeval& value) noexcept {
  return static_cast<double>(value.tv_sec) + static_cast<double>(value.tv_usec) * 1e-6;
}

// The value in kB of `field` ("VmHWM:") in /proc/self/status, in bytes.
std::optional<std::uint64_t> status_field_bytes(const char* field) noexcept {
  const int fd = ::open("/proc/self/status", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  char text[8192];
  std::size_t length = 0;
  while (length < sizeof(text) - 1) {
    const ssize_t got = ::read(fd, text + length, sizeof(text) - 1 - length);
    if (got <= 0) break;
    length += static_cast<std::size_t>(got);
  }
  ::close(fd);
  text[length] = '\0';
  const char* found = std::strstr(text, field);
  if (found == nullptr) return std::nullopt;
  const char* cursor = found + std::strlen(field);
  while (*cursor == ' ' || *cursor == '\t') ++cursor;
  std::uint64_t kilobytes = 0;
  bool any_digit = false;
  for (; *cursor >= '0' && *cursor <= '9'; ++cursor) {
    kilobytes = kilobytes * 10 + static_cast<std::uint64_t>(*cursor - '0');
    any_digit = true;
  }
  if (!any_digit) return std::nullopt;
  return kilobytes * 1024;
}

}  // namespace

ProcessSample sample_process() noexcept {
  rusage usage{};
  ProcessSample sample;
  if (::getrusage(RUSAGE_SELF, &usage) != 0) return sample;
  sample.user_seconds = seconds(usage.ru_utime);
  sample.system_seconds = seconds(usage.ru_stime);
  sample.voluntary_context_switches = usage.ru_nvcsw;
  sample.involuntary_context_switches = usage.ru_nivcsw;
  return sample;
}

bool reset_peak_rss() noexcept {
  const int fd = ::open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool written = ::write(fd, "5", 1) == 1;
  ::close(fd);
  return written;
}

std::optional<std::uint64_t> peak_rss_bytes() noexcept {
  return status_field_bytes("VmHWM:");
}
std::optional<std::uint64_t> current_rss_bytes() noexcept {
  return status_field_bytes("VmRSS:");
}

std::optional<std::size_t> live_thread_count() noexcept {
  DIR* tasks = ::opendir("/proc/self/task");
  if (tasks == nullptr) return std::nullopt;
  std::size_t count = 0;
  while (const dirent* entry = ::readdir(tasks))
    if (entry->d_name[0] != '.') ++count;
  ::closedir(tasks);
  return count;
}

std::size_t default_thread_stack_bytes() noexcept {
  pthread_attr_t attributes;
  if (::pthread_getattr_default_np(&attributes) != 0) return 0;
  std::size_t bytes = 0;
  if (::pthread_attr_getstacksize(&attributes, &bytes) != 0) bytes = 0;
  ::pthread_attr_destroy(&attributes);
  return bytes;
}

}  // namespace poolbench::probe
