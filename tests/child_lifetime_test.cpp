// The child's lifetime is bounded by the parent's and by its own hard limit, through the real binary: a
// parent killed outright takes its child with it, SIGINT, SIGTERM and SIGHUP stop a run alike (exit 130,
// finished cases kept, no scratch directory left), and a hung case dies of its own limit while the parent
// cannot act.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "cli_support.hpp"

namespace poolbench {
namespace {

using ::testing::HasSubstr;
using testing::slurp;
using testing::TempDir;
using Clock = std::chrono::steady_clock;

// Starts `poolbench <arguments>` (shell words) as a direct child of the test, with TMPDIR set to `tmpdir` so
// that its scratch directory can be looked for.
pid_t start_poolbench(const std::string& arguments, const std::filesystem::path& tmpdir) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setenv("TMPDIR", tmpdir.c_str(), 1);
    ::execl("/bin/sh", "sh", "-c",
            (std::string("exec ") + POOLBENCH_BINARY + " " + arguments + " >/dev/null 2>&1").c_str(),
            nullptr);
    std::_Exit(127);
  }
  return pid;
}

// The process's state letter from /proc/PID/stat ('R', 'S', 'T', 'Z', ...), or nullopt when it is gone.
std::optional<char> process_state(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return std::nullopt;
  const auto after_name = stat.rfind(')');  // the name in parentheses may hold spaces
  if (after_name == std::string::npos || after_name + 2 >= stat.size()) return std::nullopt;
  return stat[after_name + 2];
}

pid_t parent_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return -1;
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  char state = 0;
  pid_t parent = -1;
  fields >> state >> parent;
  return parent;
}

// Dead: gone, or a zombie (dead, waiting for a parent to collect its status).
bool is_dead(pid_t pid) {
  const auto state = process_state(pid);
  return !state || *state == 'Z' || *state == 'X';
}

// The `poolbench case` child of `parent`, waited for up to 30 s; -1 if none appeared.
pid_t wait_for_case_child(pid_t parent) {
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while (Clock::now() < deadline) {
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
      const std::string name = entry.path().filename();
      if (name.find_first_not_of("0123456789") != std::string::npos) continue;
      const pid_t pid = std::stoi(name);
      if (parent_of(pid) != parent) continue;
      const std::string command_line = slurp(entry.path() / "cmdline");
      // argv[1] == "case": the child after exec, running the case
      if (command_line.find(std::string("\0case\0", 6)) != std::string::npos) return pid;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return -1;
}

bool becomes_dead_within(pid_t pid, std::chrono::seconds limit) {
  const auto deadline = Clock::now() + limit;
  while (!is_dead(pid) && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  return is_dead(pid);
}

int exit_status_of(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Whatever a failed assertion left running is killed, so that a failing test cannot leave a hung case behind.
struct KillAtExit {
  pid_t pid;
  ~KillAtExit() {
    if (!is_dead(pid)) ::kill(pid, SIGKILL);
  }
};

TEST(ChildLifetime, AChildDiesWithItsParentKilledOutright) {
  TempDir dir;
  const pid_t parent = start_poolbench(
      "run -s inline -w test_hang -n 10 -p 1 -r 1 -q --timeout 600 --out " + (dir / "r.json").string(),
      dir.path());
  ASSERT_GT(parent, 0);
  const pid_t child = wait_for_case_child(parent);
  KillAtExit kill_child{child};
  ASSERT_GT(child, 0) << "the run started no case";
  ::kill(parent, SIGKILL);  // nothing runs in the parent after this: the child must go by itself
  EXPECT_EQ(exit_status_of(parent), 128 + SIGKILL);
  EXPECT_TRUE(becomes_dead_within(child, std::chrono::seconds(5))) << "the hung case outlived its parent";
}

// A reader of the progress that goes away (`poolbench run 2>&1 | head -1`) costs the progress lines only: the
// run finishes every case, writes a complete file and removes its scratch directory. (Before, the first
// progress line after the reader left killed the run with SIGPIPE: the rest of the matrix was never run and
// the scratch directory stayed.)
TEST(ChildLifetime, AClosedProgressPipeLosesTheProgressNotTheRun) {
  TempDir dir, tmpdir;
  const auto out = dir / "r.json";
  const auto status_file = dir / "status";
  // The reader (`true`) exits at once; poolbench's stderr is the pipe it left, its stdout /dev/null.
  const std::string command = "TMPDIR=" + tmpdir.path().string() + " /bin/bash -c '{ " + POOLBENCH_BINARY +
                              " run -s inline,fifo_ring -w atomic_increment -n 100 -p 1 -r 2 --out " +
                              out.string() + " >/dev/null; echo $? >" + status_file.string() +
                              "; } 2>&1 | true'";
  ASSERT_EQ(std::system(command.c_str()), 0);
  EXPECT_EQ(slurp(status_file), "0\n");
  const auto document = nlohmann::json::parse(slurp(out));
  std::size_t repetitions_run = 0;
  for (const auto& entry : document.at("benchmarks"))
    if (entry.at("run_type") == "iteration" && !entry.value("error_occurred", false)) ++repetitions_run;
  EXPECT_EQ(repetitions_run, 4u);  // 2 cases x 2 repetitions
  EXPECT_TRUE(document.at("context").at("poolbench").at("complete").get<bool>());
  for (const auto& left : std::filesystem::directory_iterator(tmpdir.path()))
    ADD_FAILURE() << "left behind in TMPDIR: " << left.path();
}

// SIGINT (Ctrl-C), SIGTERM and SIGHUP (the terminal closed) stop a run the same way.
class StopSignal : public ::testing::TestWithParam<int> {};

TEST_P(StopSignal, StopsTheRunKeepsFinishedCasesAndRemovesTheScratchDirectory) {
  TempDir dir, tmpdir;
  const auto out = dir / "r.json";
  const pid_t parent = start_poolbench(
      "run -s inline -w atomic_increment,test_hang -n 50 -p 1 -r 1 -q --timeout 600 --out " + out.string(),
      tmpdir.path());
  ASSERT_GT(parent, 0);
  // The first case lands in the file, then the second one hangs.
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while (!std::filesystem::exists(out) && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(std::filesystem::exists(out));
  const pid_t child = wait_for_case_child(parent);
  KillAtExit kill_child{child};
  ASSERT_GT(child, 0);
  ::kill(parent, GetParam());
  EXPECT_EQ(exit_status_of(parent), 130);
  EXPECT_TRUE(is_dead(child));
  const auto document = nlohmann::json::parse(slurp(out));
  ASSERT_EQ(document.at("benchmarks").size(), 1u);
  EXPECT_THAT(document.at("benchmarks").at(0).at("name").get<std::string>(), HasSubstr("atomic_increment"));
  for (const auto& left : std::filesystem::directory_iterator(tmpdir.path()))
    ADD_FAILURE() << "left behind in TMPDIR: " << left.path();
}

INSTANTIATE_TEST_SUITE_P(ChildLifetime, StopSignal, ::testing::Values(SIGINT, SIGTERM, SIGHUP),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return std::string(sigabbrev_np(info.param));
                         });

TEST(ChildLifetime, AHungCaseDiesOfItsOwnLimitWhileTheParentIsStopped) {
  TempDir dir;
  const auto out = dir / "r.json";
  const pid_t parent = start_poolbench(
      "run -s inline -w test_hang -n 10 -p 1 -r 1 -q --timeout 4 --out " + out.string(), dir.path());
  ASSERT_GT(parent, 0);
  const pid_t child = wait_for_case_child(parent);
  KillAtExit kill_child{child};
  ASSERT_GT(child, 0);
  // Stopped, the parent cannot enforce its timeout: the child's own limit (above the timeout) must end it.
  // The timeout leaves the parent time to be stopped before it would kill the child itself.
  ::kill(parent, SIGSTOP);
  const bool alive_when_stopped = !is_dead(child);
  const bool died = alive_when_stopped && becomes_dead_within(child, std::chrono::seconds(30));
  ::kill(parent, SIGCONT);
  ASSERT_TRUE(alive_when_stopped) << "the parent's timeout came first: nothing left to test";
  EXPECT_TRUE(died) << "the hung case outlived its hard limit";
  EXPECT_EQ(exit_status_of(parent), 1);  // a failed case
  const auto document = nlohmann::json::parse(slurp(out));
  ASSERT_EQ(document.at("benchmarks").size(), 1u);
  const auto& entry = document.at("benchmarks").at(0);
  EXPECT_TRUE(entry.at("error_occurred").get<bool>());
  EXPECT_THAT(entry.at("error_message").get<std::string>(), HasSubstr("hard limit"));
}

}  // namespace
}  // namespace poolbench
