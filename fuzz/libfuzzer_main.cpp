// libFuzzer's entry point for one target: POOLBENCH_FUZZ_ENTRY names its entry function (fuzz_entries.hpp).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_entries.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)POOLBENCH_FUZZ_ENTRY(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
