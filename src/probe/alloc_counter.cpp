#include "probe/alloc_counter.hpp"

#include <dlfcn.h>

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

#if defined(POOLBENCH_JEMALLOC) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#define POOLBENCH_COUNT_MALLOC 1
#include <unistd.h>

#include <jemalloc/jemalloc.h>
#include <cerrno>
#else
#define POOLBENCH_COUNT_MALLOC 0
#endif

namespace poolbench::probe {
namespace {

constexpr std::uint32_t shard_count = 64;

struct alignas(64) Shard {
  std::atomic<std::uint64_t> allocations{0};
  std::atomic<std::uint64_t> bytes{0};
};

// Static storage, constant-initialised: usable from the first allocation of the process on.
constinit Shard shards[shard_count];
constinit std::atomic<bool> counting{false};
constinit std::atomic<std::uint32_t> next_shard{0};
constinit thread_local std::uint32_t thread_shard = 0;  // 0: not assigned yet; otherwise 1 + the shard index

inline void count_allocation(std::size_t bytes) noexcept {
  if (!counting.load(std::memory_order_relaxed)) return;
  std::uint32_t shard = thread_shard;
  if (shard == 0) {
    shard = next_shard.fetch_add(1, std::memory_order_relaxed) % shard_count + 1;
    thread_shard = shard;
  }
  shards[shard - 1].allocations.fetch_add(1, std::memory_order_relaxed);
  shards[shard - 1].bytes.fetch_add(bytes, std::memory_order_relaxed);
}

}  // namespace

void start_counting_allocations() noexcept {
  for (auto& shard : shards) {
    shard.allocations.store(0, std::memory_order_relaxed);
    shard.bytes.store(0, std::memory_order_relaxed);
  }
  counting.store(true, std::memory_order_seq_cst);
}

AllocationTotals stop_counting_allocations() noexcept {
  counting.store(false, std::memory_order_seq_cst);
  AllocationTotals totals;
  for (const auto& shard : shards) {
    totals.allocations += shard.allocations.load(std::memory_order_relaxed);
    totals.bytes += shard.bytes.load(std::memory_order_relaxed);
  }
  return totals;
}

bool counts_malloc() noexcept {
  return POOLBENCH_COUNT_MALLOC != 0;
}

bool malloc_bypassing_allocator_loaded() noexcept {
  void* handle = ::dlopen("libtbbmalloc.so.2", RTLD_LAZY | RTLD_NOLOAD);
  if (handle == nullptr) return false;
  ::dlclose(handle);  // RTLD_NOLOAD took a reference
  return true;
}

}  // namespace poolbench::probe

namespace {

using poolbench::probe::count_allocation;

#if POOLBENCH_COUNT_MALLOC
// operator new counts through the interposed malloc below.
inline void* allocate(std::size_t size) noexcept {
  return std::malloc(size);
}
inline void* allocate_aligned(std::size_t size, std::size_t alignment) noexcept {
  void* pointer = nullptr;
  return ::posix_memalign(&pointer, alignment, size) == 0 ? pointer : nullptr;
}
#else
inline void* allocate(std::size_t size) noexcept {
  count_allocation(size);
  return std::malloc(size == 0 ? 1 : size);
}
inline void* allocate_aligned(std::size_t size, std::size_t alignment) noexcept {
  count_allocation(size);
  alignment = alignment < sizeof(void*) ? sizeof(void*) : alignment;
  void* pointer = nullptr;
  return ::posix_memalign(&pointer, alignment, size == 0 ? 1 : size) == 0 ? pointer : nullptr;
}
#endif

void* allocate_or_throw(std::size_t size) {
  while (true) {
    if (void* pointer = allocate(size)) return pointer;
    std::new_handler handler = std::get_new_handler();
    if (handler == nullptr) throw std::bad_alloc();
    handler();
  }
}

void* allocate_aligned_or_throw(std::size_t size, std::align_val_t alignment) {
  while (true) {
    if (void* pointer = allocate_aligned(size, static_cast<std::size_t>(alignment))) return pointer;
    std::new_handler handler = std::get_new_handler();
    if (handler == nullptr) throw std::bad_alloc();
    handler();
  }
}

}  // namespace

// Replaceable global allocation functions ([new.delete]); every form, so nothing bypasses the count.
void* operator new(std::size_t size) {
  return allocate_or_throw(size);
}
void* operator new[](std::size_t size) {
  return allocate_or_throw(size);
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  return allocate(size);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return allocate(size);
}
void* operator new(std::size_t size, std::align_val_t alignment) {
  return allocate_aligned_or_throw(size, alignment);
}
void* operator new[](std::size_t size, std::align_val_t alignment) {
  return allocate_aligned_or_throw(size, alignment);
}
void* operator new(std::size_t size, std::align_val_t alignment, const std::nothrow_t&) noexcept {
  return allocate_aligned(size, static_cast<std::size_t>(alignment));
}
void* operator new[](std::size_t size, std::align_val_t alignment, const std::nothrow_t&) noexcept {
  return allocate_aligned(size, static_cast<std::size_t>(alignment));
}
void operator delete(void* pointer) noexcept {
  std::free(pointer);
}
void operator delete[](void* pointer) noexcept {
  std::free(pointer);
}
void operator delete(void* pointer, std::size_t) noexcept {
  std::free(pointer);
}
void operator delete[](void* pointer, std::size_t) noexcept {
  std::free(pointer);
}
void operator delete(void* pointer, const std::nothrow_t&) noexcept {
  std::free(pointer);
}
void operator delete[](void* pointer, const std::nothrow_t&) noexcept {
  std::free(pointer);
}
void operator delete(void* pointer, std::align_val_t) noexcept {
  std::free(pointer);
}
void operator delete[](void* pointer, std::align_val_t) noexcept {
  std::free(pointer);
}
void operator delete(void* pointer, std::size_t, std::align_val_t) noexcept {
  std::free(pointer);
}
void operator delete[](void* pointer, std::size_t, std::align_val_t) noexcept {
  std::free(pointer);
}
void operator delete(void* pointer, std::align_val_t, const std::nothrow_t&) noexcept {
  std::free(pointer);
}
void operator delete[](void* pointer, std::align_val_t, const std::nothrow_t&) noexcept {
  std::free(pointer);
}

#if POOLBENCH_COUNT_MALLOC
// The malloc family, interposed over jemalloc's (the executable's definitions win symbol resolution for every
// library), forwarding to jemalloc's non-standard API so that nothing recurses into these.
namespace {
inline bool valid_alignment(std::size_t alignment) noexcept {
  return alignment != 0 && (alignment & (alignment - 1)) == 0;
}
inline void* aligned_or_null(std::size_t alignment, std::size_t size) noexcept {
  count_allocation(size);
  return mallocx(size == 0 ? 1 : size, MALLOCX_ALIGN(alignment));
}
}  // namespace

extern "C" {

void* malloc(std::size_t size) noexcept {
  count_allocation(size);
  void* pointer = mallocx(size == 0 ? 1 : size, 0);
  if (pointer == nullptr) errno = ENOMEM;
  return pointer;
}

void free(void* pointer) noexcept {
  if (pointer != nullptr) dallocx(pointer, 0);
}

void* calloc(std::size_t count, std::size_t size) noexcept {
  std::size_t total = 0;
  if (__builtin_mul_overflow(count, size, &total)) {
    errno = ENOMEM;
    return nullptr;
  }
  count_allocation(total);
  void* pointer = mallocx(total == 0 ? 1 : total, MALLOCX_ZERO);
  if (pointer == nullptr) errno = ENOMEM;
  return pointer;
}

void* realloc(void* pointer, std::size_t size) noexcept {
  if (pointer == nullptr) return malloc(size);
  if (size == 0) {  // glibc's behaviour: free and return null
    dallocx(pointer, 0);
    return nullptr;
  }
  count_allocation(size);
  void* moved = rallocx(pointer, size, 0);
  if (moved == nullptr) errno = ENOMEM;
  return moved;
}

int posix_memalign(void** out, std::size_t alignment, std::size_t size) noexcept {
  if (!valid_alignment(alignment) || alignment % sizeof(void*) != 0) return EINVAL;
  void* pointer = aligned_or_null(alignment, size);
  if (pointer == nullptr) return ENOMEM;
  *out = pointer;
  return 0;
}

void* aligned_alloc(std::size_t alignment, std::size_t size) noexcept {
  if (!valid_alignment(alignment)) {
    errno = EINVAL;
    return nullptr;
  }
  void* pointer = aligned_or_null(alignment, size);
  if (pointer == nullptr) errno = ENOMEM;
  return pointer;
}

void* memalign(std::size_t alignment, std::size_t size) noexcept {
  return aligned_alloc(alignment, size);
}

void* valloc(std::size_t size) noexcept {
  return aligned_alloc(static_cast<std::size_t>(::sysconf(_SC_PAGESIZE)), size);
}

void* pvalloc(std::size_t size) noexcept {
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return aligned_alloc(page, (size + page - 1) / page * page);
}

}  // extern "C"
#endif
