#include "result/output_file.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>

#include "errors.hpp"
#include "result/result_file.hpp"

namespace poolbench {
namespace {

// Short on purpose: the target's own name may use all of NAME_MAX.
constexpr const char* temporary_name_pattern = ".poolbench-XXXXXX";

std::string folder_of(const std::string& path) {
  const std::filesystem::path target(path);
  return target.has_parent_path() ? target.parent_path().string() : std::string(".");
}

const char* kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISLNK(mode)) return "a symbolic link";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

// The target's metadata without following a link; nullopt when nothing is there.
std::optional<struct stat> lstat_of(const std::string& path) {
  struct stat status {};
  if (::lstat(path.c_str(), &status) == 0) return status;
  if (errno == ENOENT) return std::nullopt;
  throw UsageError(fmt::format("cannot write '{}': {}", path, std::strerror(errno)));
}

// Throws UsageError when something other than a regular file is at `path`.
std::optional<struct stat> require_regular_or_absent(const std::string& path) {
  auto status = lstat_of(path);
  if (status && !S_ISREG(status->st_mode))
    throw UsageError(
        fmt::format("'{}' is {}; poolbench writes only regular files and never replaces anything "
                    "else",
                    path, kind_of(status->st_mode)));
  return status;
}

// A new temporary file in `folder`, opened O_CREAT|O_EXCL (mkstemp): never an existing file or link.
struct Temporary {
  std::string path;
  int fd = -1;
};

Temporary create_temporary(const std::string& folder) {
  std::string pattern = folder + "/" + temporary_name_pattern;
  const int fd = ::mkostemp(pattern.data(), O_CLOEXEC);
  if (fd < 0) return {{}, -1};
  return {pattern, fd};
}

// Removes the temporary file unless it was renamed into place.
class TemporaryGuard {
 public:
  explicit TemporaryGuard(Temporary temporary) : temporary_(std::move(temporary)) {}
  ~TemporaryGuard() {
    if (temporary_.fd >= 0) ::close(temporary_.fd);
    if (!temporary_.path.empty()) ::unlink(temporary_.path.c_str());
  }
  TemporaryGuard(const TemporaryGuard&) = delete;
  TemporaryGuard& operator=(const TemporaryGuard&) = delete;
  int fd() const { return temporary_.fd; }
  const std::string& path() const { return temporary_.path; }
  // Closes the descriptor; returns close's error (NFS reports write errors there).
  int close() {
    const int result = ::close(temporary_.fd);
    temporary_.fd = -1;
    return result < 0 ? errno : 0;
  }
  void release() { temporary_.path.clear(); }

 private:
  Temporary temporary_;
};

[[noreturn]] void fail_io(const std::string& path, int error) {
  throw std::runtime_error(fmt::format("cannot write '{}': {}", path, std::strerror(error)));
}

void write_all(int fd, const std::string& text, const std::string& path) {
  const char* data = text.data();
  std::size_t left = text.size();
  while (left > 0) {
    const ssize_t written = ::write(fd, data, left);
    if (written < 0) {
      if (errno == EINTR) continue;
      fail_io(path, errno);
    }
    data += written;
    left -= static_cast<std::size_t>(written);
  }
}

// The permissions a newly created file would get (0666 less the umask); mkstemp's are 0600.
mode_t new_file_mode() {
  const mode_t mask = ::umask(022);
  ::umask(mask);
  return 0666 & ~mask;
}

std::uint64_t fnv1a(const std::string& text) {
  std::uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : text) hash = (hash ^ c) * 1099511628211ull;
  return hash;
}

}  // namespace

void check_output_path(const std::string& flag, const std::string& path) {
  if (path.empty()) throw UsageError(fmt::format("{}: empty path", flag));
  try {
    if (require_regular_or_absent(path) && ::access(path.c_str(), W_OK) != 0)
      throw UsageError(fmt::format("cannot write '{}': {}", path, std::strerror(errno)));
  } catch (const UsageError& error) {
    throw UsageError(fmt::format("{}: {}", flag, error.what()));
  }
  const std::string folder = folder_of(path);
  std::error_code error;
  if (!std::filesystem::is_directory(folder, error))
    throw UsageError(fmt::format("{}: cannot write '{}': directory '{}' does not exist", flag, path, folder));
  // Probe with the kind of file the write will create (a temporary beside the target), then remove it.
  Temporary probe = create_temporary(folder);
  if (probe.fd < 0)
    throw UsageError(fmt::format("{}: cannot write '{}': {}", flag, path, std::strerror(errno)));
  ::close(probe.fd);
  ::unlink(probe.path.c_str());
}

OutputLock::OutputLock(const std::string& flag, const std::string& path) {
  const std::string name = std::filesystem::path(path).filename().string();
  lock_path_ = fmt::format("{}/.poolbench-{:016x}.lock", folder_of(path), fnv1a(name));
  // Another process may remove the lock file between our open and our flock (it removes it on release):
  // then the lock we got is on a file nobody else will find, so look again.
  for (int attempt = 0; attempt < 100; ++attempt) {
    const int fd = ::open(lock_path_.c_str(), O_RDONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
    if (fd < 0)
      throw UsageError(fmt::format("{}: cannot write '{}': cannot create its lock file '{}': {}", flag, path,
                                   lock_path_, std::strerror(errno)));
    struct stat opened {};
    if (::fstat(fd, &opened) != 0 || !S_ISREG(opened.st_mode)) {
      ::close(fd);
      throw UsageError(fmt::format("{}: cannot write '{}': its lock file '{}' is not a regular file", flag,
                                   path, lock_path_));
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int error = errno;
      ::close(fd);
      if (error == EWOULDBLOCK)
        throw UsageError(fmt::format("{}: '{}' is being written by another poolbench (it holds {})", flag,
                                     path, lock_path_));
      throw UsageError(
          fmt::format("{}: cannot lock '{}' ({}): {}", flag, path, lock_path_, std::strerror(error)));
    }
    struct stat current {};
    if (::lstat(lock_path_.c_str(), &current) == 0 && current.st_dev == opened.st_dev &&
        current.st_ino == opened.st_ino) {
      fd_ = fd;
      return;
    }
    ::close(fd);
  }
  throw UsageError(
      fmt::format("{}: cannot lock '{}': its lock file '{}' keeps changing", flag, path, lock_path_));
}

OutputLock::~OutputLock() {
  // Removed while still held, so whoever opens it next either finds our (released) file gone or a new one.
  ::unlink(lock_path_.c_str());
  ::close(fd_);
}

void write_text_atomically(const std::string& path, const std::string& text) {
  if (path.empty()) throw UsageError("cannot write a file with an empty name");
  auto existing = require_regular_or_absent(path);
  TemporaryGuard temporary(create_temporary(folder_of(path)));
  if (temporary.fd() < 0) fail_io(path, errno);
  // The target keeps its permissions; a new file gets the usual ones (mkstemp creates 0600).
  const mode_t mode = existing ? (existing->st_mode & 07777) : new_file_mode();
  if (::fchmod(temporary.fd(), mode) != 0) fail_io(path, errno);
  write_all(temporary.fd(), text, path);
  if (::fsync(temporary.fd()) != 0) fail_io(path, errno);
  if (const int error = temporary.close(); error != 0) fail_io(path, error);

  // Checked again just before the rename: a device or link put there since the check is never replaced.
  // With nothing there, RENAME_NOREPLACE makes sure nothing appeared in between either.
  for (int attempt = 0;; ++attempt) {
    existing = require_regular_or_absent(path);
    const int renamed =
        existing ? ::rename(temporary.path().c_str(), path.c_str())
                 : ::renameat2(AT_FDCWD, temporary.path().c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE);
    if (renamed == 0) break;
    if (errno == EEXIST && attempt < 10) continue;
    if (errno == EINVAL && !existing) {  // a file system without RENAME_NOREPLACE
      if (::rename(temporary.path().c_str(), path.c_str()) == 0) break;
    }
    fail_io(path, errno);
  }
  temporary.release();
  // The rename itself reaches the disk with the folder's metadata.
  const int folder = ::open(folder_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (folder >= 0) {
    ::fsync(folder);
    ::close(folder);
  }
}

}  // namespace poolbench
