// test_touch_memory (test only) — the tasks together touch a block of `megabytes` MiB (2^20 bytes) once, so
// that the probe's peak_rss_bytes can be checked: it must rise by at least 100 MB for 100 MiB touched (the
// kernel's RSS counters are per CPU and may lag by a few hundred KiB, which the 4.8 MB between the two
// absorbs), and not for the next case.
//
// The block is mapped in prepare() (anonymous memory: not resident until written) and each task writes one
// byte in every page of its own 1/N slice, inside the measured window. Unmapped when the workload is
// destroyed.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "exactly_once.hpp"
#include "workload.hpp"

namespace poolbench {

class TouchMemoryWorkload final : public Workload {
 public:
  explicit TouchMemoryWorkload(std::size_t megabytes);
  ~TouchMemoryWorkload() override;
  TouchMemoryWorkload(const TouchMemoryWorkload&) = delete;
  TouchMemoryWorkload& operator=(const TouchMemoryWorkload&) = delete;

  void prepare(std::size_t tasks) override;
  void run(std::size_t index) override;
  std::string verify() override;

 private:
  void unmap() noexcept;

  std::size_t bytes_;
  std::size_t page_size_;
  std::size_t pages_ = 0;
  unsigned char* block_ = nullptr;
  std::size_t tasks_ = 0;
  ExactlyOnceLedger ledger_;
};

}  // namespace poolbench
