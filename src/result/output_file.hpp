// Files written at a path the user named (run --out, report --out). What poolbench guarantees about them:
// - never a partial file at the target: the text goes to a temporary file in the target's folder (created
//   with mkstemp: O_CREAT|O_EXCL, so a planted symlink or file is never opened), is fsynced, then renamed
//   over the target;
// - never a write through a link, and never a replaced device, FIFO, socket, symlink or directory: the target
//   must be a regular file or absent (otherwise UsageError naming it, exit status 2);
// - one writer at a time: OutputLock makes a second poolbench writing the same target fail before it runs.
// write_text_atomically (declared in result_file.hpp) is implemented here.
#pragma once

#include <string>

namespace poolbench {

// Throws UsageError ("<flag>: ...", one line naming `path`) unless `path` can be written as an output file: a
// regular file or nothing, in an existing folder where poolbench can create its temporary file.
void check_output_path(const std::string& flag, const std::string& path);

// Exclusive right to write `path` while this lives: a flock on a hidden file beside the target
// (".poolbench-<hash of the name>.lock", removed on release). A second OutputLock on the same target, in any
// process, throws UsageError naming the target. Locking the target itself would not do: every write renames
// a new file over it, and the target may not exist yet.
class OutputLock {
 public:
  OutputLock(const std::string& flag, const std::string& path);
  ~OutputLock();
  OutputLock(const OutputLock&) = delete;
  OutputLock& operator=(const OutputLock&) = delete;

  const std::string& lock_path() const { return lock_path_; }

 private:
  std::string lock_path_;
  int fd_ = -1;
};

}  // namespace poolbench
