// What the running binary was built from, for `--version` and the result file's context.
#pragma once

namespace poolbench {

// The commit the sources were built from (git describe: 12 hex digits, "-dirty" when the working tree had
// uncommitted changes), or "unknown" outside a git checkout. Taken at build time, not configure time.
const char* git_commit() noexcept;

}  // namespace poolbench
