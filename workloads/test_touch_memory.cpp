#include "test_touch_memory.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

#include "registry.hpp"

namespace poolbench {

TouchMemoryWorkload::TouchMemoryWorkload(std::size_t megabytes)
    : bytes_(megabytes << 20), page_size_(static_cast<std::size_t>(::sysconf(_SC_PAGESIZE))) {}

TouchMemoryWorkload::~TouchMemoryWorkload() {
  unmap();
}

void TouchMemoryWorkload::unmap() noexcept {
  if (block_ != nullptr) ::munmap(block_, pages_ * page_size_);
  block_ = nullptr;
}

void TouchMemoryWorkload::prepare(std::size_t tasks) {
  unmap();
  pages_ = (bytes_ + page_size_ - 1) / page_size_;
  void* mapped =
      ::mmap(nullptr, pages_ * page_size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapped == MAP_FAILED)
    throw std::runtime_error(fmt::format("mapping {} bytes failed: {}", bytes_, std::strerror(errno)));
  block_ = static_cast<unsigned char*>(mapped);
  tasks_ = tasks;
  ledger_.reset(tasks);
}

void TouchMemoryWorkload::run(std::size_t index) {
  const std::size_t first = pages_ * index / tasks_;
  const std::size_t last = pages_ * (index + 1) / tasks_;
  for (std::size_t page = first; page < last; ++page) block_[page * page_size_] += 1;
  ledger_.record(index);
}

std::string TouchMemoryWorkload::verify() {
  if (std::string failure = ledger_.verify(); !failure.empty()) return failure;
  // Every page written exactly once: its first byte went from 0 to 1.
  for (std::size_t page = 0; page < pages_; ++page)
    if (block_[page * page_size_] != 1)
      return fmt::format("page {} of {} was written {} times", page, pages_, block_[page * page_size_]);
  return {};
}

namespace {
const WorkloadRegistrar test_touch_memory_registrar{WorkloadInfo{
    .name = "test_touch_memory",
    .description = "test only: the tasks together write every page of a `megabytes` MiB block once",
    .params = {ParamSpec{.name = "megabytes",
                         .default_value = "100",
                         .description = "size of the block in MiB (2^20 bytes)",
                         .kind = ParamKind::positive_integer}},
    .make =
        [](const WorkloadConfig& config) {
          return std::make_unique<TouchMemoryWorkload>(
              static_cast<std::size_t>(config.params.integer("megabytes")));
        },
    .default_tasks = {100},
    .quick_tasks = 100,
    .default_workers = {2},
    .default_sweep = {},
    .nominal_task_ns =
        [](const Params& params) { return static_cast<double>(params.integer("megabytes")) * 2500.0; },
    .uses_cpu = true,
    .test_only = true,
}};
}  // namespace

}  // namespace poolbench
