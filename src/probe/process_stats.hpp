// Process statistics around the measured window: CPU time and context switches of the whole process (every
// thread, including threads that have already exited) from getrusage(RUSAGE_SELF), and peak resident memory.
//
// Peak RSS is the kernel's high-water mark (VmHWM in /proc/self/status), which `echo 5 >
// /proc/self/clear_refs` resets to the current RSS; the reset is what makes it the peak of one case rather
// than of the process's life. Files are read with open/read into stack buffers so that nothing here
// allocates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace poolbench::probe {

struct ProcessSample {
  double user_seconds = 0;
  double system_seconds = 0;
  std::int64_t voluntary_context_switches = 0;
  std::int64_t involuntary_context_switches = 0;

  double cpu_seconds() const noexcept { return user_seconds + system_seconds; }
};

ProcessSample sample_process() noexcept;

// Resets the peak-RSS high-water mark to the current RSS; false when the kernel does not allow it.
bool reset_peak_rss() noexcept;
// VmHWM in bytes, or nothing when /proc/self/status cannot be read.
std::optional<std::uint64_t> peak_rss_bytes() noexcept;
// VmRSS in bytes, or nothing.
std::optional<std::uint64_t> current_rss_bytes() noexcept;

// Threads of this process now (the entries of /proc/self/task), or nothing. Allocates (opendir): call it
// outside a measured window.
std::optional<std::size_t> live_thread_count() noexcept;
// The stack size a thread gets when its creator sets none (glibc's default attributes: RLIMIT_STACK at
// start-up), in bytes; 0 when unknown.
std::size_t default_thread_stack_bytes() noexcept;

}  // namespace poolbench::probe
