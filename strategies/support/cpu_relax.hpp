// cpu_relax: the one busy-wait hint every spinning loop in strategies/ uses.
//
// Guarantees nothing about time: it only tells the CPU that this thread is polling (x86 PAUSE, ARM YIELD), so
// that the sibling hyper-thread gets the pipeline and the loop does not flood the memory system. A no-op on
// other architectures.
#pragma once

namespace poolbench::support {

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

}  // namespace poolbench::support
