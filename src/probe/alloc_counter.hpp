// Allocation counter — heap allocations and requested bytes on every thread, inside a window only.
//
// Global operator new/delete are replaced (all forms). Where jemalloc is the allocator and no sanitizer owns
// malloc, the malloc family (malloc, calloc, realloc, aligned_alloc, posix_memalign, memalign, valloc,
// pvalloc, free) is interposed as well, forwarding to jemalloc's mallocx/rallocx/dallocx, so allocations made
// by C code (the C++ runtime's exception objects, glibc) count too; operator new then counts through malloc,
// once. This is exact where jemalloc's own statistics are not: its `nrequests` counters lag behind the thread
// caches.
//
// Counting goes to 64 cache-line-sized shards picked per thread, and only while a window is open: outside
// one, an allocation costs one relaxed load more. A realloc counts as one allocation of its new size.
#pragma once

#include <cstdint>

namespace poolbench::probe {

struct AllocationTotals {
  std::uint64_t allocations = 0;
  std::uint64_t bytes = 0;  // as requested (not rounded up to the allocator's size classes)
};

// Zeroes the counts and starts counting on every thread.
void start_counting_allocations() noexcept;
// Stops counting and returns what was counted since start_counting_allocations().
AllocationTotals stop_counting_allocations() noexcept;

// True when malloc and friends are counted, not only operator new.
bool counts_malloc() noexcept;

// True when oneTBB's scalable allocator (libtbbmalloc) is loaded in this process: oneTBB then allocates its
// tasks through it, bypassing malloc and operator new, so those allocations are not counted. (oneTBB binds
// scalable_malloc with dlsym on libtbbmalloc's own handle, so no definition here could count them.)
bool malloc_bypassing_allocator_loaded() noexcept;

}  // namespace poolbench::probe
