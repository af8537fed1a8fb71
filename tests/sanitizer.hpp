// Whether this test binary is built with a sanitizer. GCC defines __SANITIZE_*__; clang (the asan preset's
// compiler) only answers __has_feature, so both are asked, in one place.
#pragma once

namespace poolbench::test_build {

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
inline constexpr bool under_sanitizer = true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
inline constexpr bool under_sanitizer = true;
#else
inline constexpr bool under_sanitizer = false;
#endif
#else
inline constexpr bool under_sanitizer = false;
#endif

}  // namespace poolbench::test_build
