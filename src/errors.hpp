// Unusable input: bad flags, unknown names, malformed files, unwritable paths. The CLI prints the message as
// one line and exits with status 2 before writing anything. Any other exception reaching the CLI is an
// internal or environment error (disk full, out of memory, an unwritable stdout): one line, exit status 3.
#pragma once

#include <stdexcept>

namespace poolbench {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

inline constexpr int exit_ok = 0;
inline constexpr int exit_failures = 1;  // run: some cases failed; compare: a regression
inline constexpr int exit_bad_input = 2;
inline constexpr int exit_environment = 3;  // disk full, out of memory, stdout unwritable, internal error

}  // namespace poolbench
