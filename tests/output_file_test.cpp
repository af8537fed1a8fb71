// What poolbench guarantees about the files it writes at a user-named path (run --out, report --out): never a
// partial file, never a write through a link, never a replaced device, FIFO, symlink or directory, one writer
// at a time; and a full disk is one line and exit status 3 with the previous file intact.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "cli_support.hpp"
#include "errors.hpp"
#include "result/output_file.hpp"
#include "result/result_file.hpp"

namespace poolbench {
namespace {

using testing::count_lines;
using ::testing::HasSubstr;
using testing::run_poolbench;
using testing::slurp;
using testing::TempDir;

const std::string small_run = "run -s inline -w atomic_increment -n 100 -p 1 -r 1 -q";

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path) << text;
}

std::vector<std::string> names_in(const std::filesystem::path& folder) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(folder))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// A poolbench started in the background, for what has to happen while it runs.
class BackgroundRun {
 public:
  explicit BackgroundRun(const std::string& arguments, const std::filesystem::path& stderr_path) {
    pid_ = ::fork();
    if (pid_ == 0) {
      const std::string command =
          std::string("exec ") + POOLBENCH_BINARY + " " + arguments + " >/dev/null 2>" + stderr_path.string();
      ::execl("/bin/sh", "sh", "-c", command.c_str(), nullptr);
      std::_Exit(127);
    }
  }
  ~BackgroundRun() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  BackgroundRun(const BackgroundRun&) = delete;
  BackgroundRun& operator=(const BackgroundRun&) = delete;

  // Sends `signal_number` and returns the exit status.
  int stop(int signal_number) {
    ::kill(pid_, signal_number);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  pid_t pid_ = -1;
};

// Waits until a file whose name starts with `prefix` appears in `folder` (the run's lock file: taken before
// anything runs).
bool wait_for_file(const std::filesystem::path& folder, const std::string& prefix) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    for (const auto& name : names_in(folder))
      if (name.rfind(prefix, 0) == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

TEST(OutputFile, WritesAtomicallyKeepingThePermissionsOfTheFileItReplaces) {
  TempDir dir;
  const auto target = dir / "result.json";
  write_text_atomically(target.string(), "first\n");
  EXPECT_EQ(slurp(target), "first\n");
  ::chmod(target.c_str(), 0640);
  write_text_atomically(target.string(), "second\n");
  EXPECT_EQ(slurp(target), "second\n");
  struct stat status {};
  ASSERT_EQ(::stat(target.c_str(), &status), 0);
  EXPECT_EQ(status.st_mode & 0777, 0640u);
  EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"result.json"}) << "no temporary left behind";
}

TEST(OutputFile, NeverWritesThroughALinkNorReplacesAnythingButARegularFile) {
  TempDir dir;
  const auto victim = dir / "victim";
  write_file(victim, "precious\n");
  std::filesystem::create_symlink(victim, dir / "link");
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
  std::filesystem::create_directory(dir / "folder");
  for (const char* name : {"link", "fifo", "folder"}) {
    EXPECT_THROW(write_text_atomically((dir / name).string(), "x"), UsageError) << name;
    EXPECT_THROW(check_output_path("--out", (dir / name).string()), UsageError) << name;
  }
  EXPECT_THROW(write_text_atomically("/dev/null", "x"), UsageError);
  EXPECT_EQ(slurp(victim), "precious\n");
  EXPECT_TRUE(std::filesystem::is_symlink(dir / "link"));
  EXPECT_TRUE(std::filesystem::is_fifo(dir / "fifo"));
  EXPECT_EQ(names_in(dir.path()), (std::vector<std::string>{"fifo", "folder", "link", "victim"}));
}

TEST(OutputFile, OneLockPerTargetReleasedWithItsFile) {
  TempDir dir;
  const auto target = (dir / "result.json").string();
  {
    const OutputLock first("--out", target);
    EXPECT_TRUE(std::filesystem::exists(first.lock_path()));
    try {
      const OutputLock second("--out", target);
      ADD_FAILURE() << "a second lock on one target was granted";
    } catch (const UsageError& error) {
      EXPECT_THAT(error.what(), HasSubstr("is being written by another poolbench"));
    }
    const OutputLock other("--out", (dir / "other.json").string());  // another target: its own lock
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir.path())) << "lock files removed on release";
  const OutputLock again("--out", target);
}

TEST(OutputFile, OutToDevNullAFifoOrASymlinkIsRefusedAndLeftAsItWas) {
  TempDir dir;
  const auto result_file = dir / "r.json";
  ASSERT_EQ(run_poolbench(small_run + " --out " + result_file.string()).exit_status, 0);
  const auto victim = dir / "victim.json";
  write_file(victim, "the previous run\n");
  std::filesystem::create_symlink(victim, dir / "link.json");
  ASSERT_EQ(::mkfifo((dir / "fifo.json").c_str(), 0600), 0);
  struct Case {
    std::string path;
    const char* kind;
  };
  for (const Case& target :
       {Case{"/dev/null", "is a character device"}, Case{(dir / "fifo.json").string(), "is a FIFO"},
        Case{(dir / "link.json").string(), "is a symbolic link"}}) {
    for (const std::string& command :
         {small_run + " --out " + target.path, "report " + result_file.string() + " --out " + target.path}) {
      const auto result = run_poolbench(command);
      EXPECT_EQ(result.exit_status, 2) << command << "\n" << result.err;
      EXPECT_EQ(count_lines(result.err), 1u) << result.err;
      EXPECT_THAT(result.err, HasSubstr(target.path + "' " + target.kind)) << command;
    }
  }
  struct stat status {};
  ASSERT_EQ(::stat("/dev/null", &status), 0);
  EXPECT_TRUE(S_ISCHR(status.st_mode)) << "/dev/null is still the device";
  EXPECT_EQ(slurp(victim), "the previous run\n") << "the link's target is untouched";
  EXPECT_TRUE(std::filesystem::is_symlink(dir / "link.json"));
  EXPECT_TRUE(std::filesystem::is_fifo(dir / "fifo.json"));
}

TEST(OutputFile, ReportOutToADirectoryNamesTheReason) {
  TempDir dir;
  const auto result_file = dir / "r.json";
  ASSERT_EQ(run_poolbench(small_run + " --out " + result_file.string()).exit_status, 0);
  const auto result = run_poolbench("report " + result_file.string() + " --out " + dir.path().string());
  EXPECT_EQ(result.exit_status, 2);
  EXPECT_EQ(count_lines(result.err), 1u) << result.err;
  EXPECT_THAT(result.err, HasSubstr("is a directory"));
  EXPECT_THAT(result.err, ::testing::Not(HasSubstr("Success")));
}

// The old temporary name (.<name>.<pid>.tmp) was predictable: a link planted there for poolbench's PID made
// the run write wherever it pointed (and the rename left the link as the result file). The temporary is now
// created with O_EXCL under a random name.
TEST(OutputFile, PlantedLinkAtThePredictableTemporaryNameIsNeverFollowed) {
  TempDir dir;
  const auto victim = dir / "victim";
  write_file(victim, "precious\n");
  const auto out = dir / "result.json";
  for (const char* name : {".poolbench-000000", ".poolbench-XXXXXX"})
    std::filesystem::create_symlink(victim, dir / name);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // exec keeps the PID: plant the link for the very process that will write.
    std::error_code ignored;
    std::filesystem::create_symlink(victim, dir / (".result.json." + std::to_string(::getpid()) + ".tmp"),
                                    ignored);
    ::execl(POOLBENCH_BINARY, POOLBENCH_BINARY, "run", "-s", "inline", "-w", "atomic_increment", "-n", "100",
            "-p", "1", "-r", "1", "-q", "--out", out.c_str(), nullptr);
    std::_Exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(slurp(victim), "precious\n");
  EXPECT_FALSE(std::filesystem::is_symlink(out));
  EXPECT_TRUE(nlohmann::json::accept(slurp(out)));
}

TEST(OutputFile, NamesOf240To255CharactersWork) {
  TempDir dir;
  for (std::size_t length : {240u, 250u, 255u}) {
    const std::string name = std::string(length - 5, 'x') + ".json";
    const auto result = run_poolbench(small_run + " --out " + (dir / name).string());
    EXPECT_EQ(result.exit_status, 0) << length << ": " << result.err;
    EXPECT_TRUE(std::filesystem::is_regular_file(dir / name)) << length;
    const auto report = run_poolbench("report " + (dir / name).string() + " --out " +
                                      (dir / (std::string(length - 3, 'r') + ".md")).string());
    EXPECT_EQ(report.exit_status, 0) << length << ": " << report.err;
  }
  const auto too_long = run_poolbench(small_run + " --out " + (dir / std::string(256, 'x')).string());
  EXPECT_EQ(too_long.exit_status, 2);
  EXPECT_EQ(count_lines(too_long.err), 1u) << too_long.err;
  EXPECT_THAT(too_long.err, HasSubstr("File name too long"));
}

TEST(OutputFile, TwoRunsCannotWriteOneFileTheSecondStopsBeforeRunning) {
  TempDir dir;
  const auto out = dir / "result.json";
  write_file(out, "the previous run\n");
  // The first run's only case hangs until it is interrupted: it holds the lock throughout.
  BackgroundRun first("run -s inline -w test_hang -n 10 -p 1 -r 1 --timeout 120 --out " + out.string(),
                      dir / "first.err");
  ASSERT_TRUE(wait_for_file(dir.path(), ".poolbench-"));

  const auto second = run_poolbench(small_run + " --out " + out.string());
  EXPECT_EQ(second.exit_status, 2) << second.err;
  EXPECT_EQ(count_lines(second.err), 1u) << second.err;
  EXPECT_THAT(second.err, HasSubstr("is being written by another poolbench"));
  // Another file in the same folder is not locked.
  EXPECT_EQ(run_poolbench(small_run + " --out " + (dir / "other.json").string()).exit_status, 0);

  // Interrupted before its first case finished, the first run wrote nothing and says so.
  EXPECT_EQ(first.stop(SIGINT), 130);
  EXPECT_EQ(slurp(out), "the previous run\n");
  const std::string first_err = slurp(dir / "first.err");
  EXPECT_THAT(first_err, HasSubstr("nothing written"));
  EXPECT_THAT(first_err, ::testing::Not(HasSubstr("kept in")));
  EXPECT_EQ(names_in(dir.path()), (std::vector<std::string>{"first.err", "other.json", "result.json"}))
      << "lock and temporary files removed";
}

// A write that fails for want of space (a full file system, or the file size limit) is an environment error:
// one line, exit status 3, the previous complete file left in place, no temporary, lock or scratch folder
// left.
TEST(OutputFile, FileSizeLimitIsExitThreeWithThePreviousFileIntact) {
  TempDir dir;
  const auto out = dir / "result.json";
  write_file(out, "the previous run\n");
  std::filesystem::create_directory(dir / "tmp");
  // The children write their results under TMPDIR before the limit bites the parent's larger file. SIGXFSZ
  // is ignored so that the write fails with EFBIG instead of killing the process.
  const std::string command = "sh -c \"trap '' XFSZ; ulimit -f 2; TMPDIR=" + (dir / "tmp").string() +
                              " exec " + POOLBENCH_BINARY +
                              " run -s inline -w atomic_increment -n 100,200,300,400 -p 1 "
                              "-r 1 -q --out " +
                              out.string() + "\" >" + (dir / "out").string() + " 2>" + (dir / "err").string();
  const int status = std::system(command.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 3) << slurp(dir / "err");
  const std::string err = slurp(dir / "err");
  EXPECT_EQ(count_lines(err), 1u) << err;
  EXPECT_THAT(err, HasSubstr("cannot write '" + out.string() + "': File too large"));
  const std::string kept = slurp(out);
  EXPECT_TRUE(kept == "the previous run\n" || nlohmann::json::accept(kept)) << "a complete file, not a part";
  EXPECT_TRUE(std::filesystem::is_empty(dir / "tmp")) << "scratch folder removed";
  EXPECT_EQ(names_in(dir.path()), (std::vector<std::string>{"err", "out", "result.json", "tmp"}));
}

// The same with a real full file system, where a tmpfs can be mounted (root, in a private mount namespace).
TEST(OutputFile, DiskFullIsExitThreeWithThePreviousFileIntact) {
  TempDir dir;
  std::filesystem::create_directory(dir / "full");
  std::filesystem::create_directory(dir / "tmp");
  const auto out = dir / "full" / "result.json";
  // 32 KiB hold the first case's file (about 17 KiB, most of it the context's metric catalogue) but not that
  // file and the next write's temporary beside it (about 20 KiB more). The script is in single quotes: its $status is the inner
  // shell's.
  const std::string command =
      "unshare -m sh -c 'mount -t tmpfs -o size=32k tmpfs " + (dir / "full").string() +
      " || exit 99; TMPDIR=" + (dir / "tmp").string() + " " + POOLBENCH_BINARY +
      " run -s inline -w atomic_increment -n 100,200,300,400,500,600 -p 1 -r 1 -q --out " + out.string() +
      "; status=$?; ls -A " + (dir / "full").string() + " >" + (dir / "left").string() + "; head -c 1 " +
      out.string() + " >" + (dir / "first_byte").string() + "; exit $status' >/dev/null 2>" +
      (dir / "err").string();
  const int status = std::system(command.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 99) GTEST_SKIP() << "cannot mount a tmpfs here: " << slurp(dir / "err");
  EXPECT_EQ(WEXITSTATUS(status), 3) << slurp(dir / "err");
  const std::string err = slurp(dir / "err");
  EXPECT_EQ(count_lines(err), 1u) << err;
  EXPECT_THAT(err, HasSubstr("No space left on device"));
  EXPECT_EQ(slurp(dir / "left"), "result.json\n") << "no temporary or lock file left on the full disk";
  EXPECT_EQ(slurp(dir / "first_byte"), "{") << "the last complete write is in place";
  EXPECT_TRUE(std::filesystem::is_empty(dir / "tmp")) << "scratch folder removed";
}

}  // namespace
}  // namespace poolbench
