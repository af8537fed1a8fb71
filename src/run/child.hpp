// One repetition of one case in a child process: what `run` and `ab` both do per case. The child is this or
// another poolbench binary (`ab` runs two), started with `case --spec`, under a timeout and hard limits, in a
// private scratch directory; its one Google Benchmark entry, or the reason there is none, comes back.
#pragma once

#include <array>
#include <csignal>
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "run/plan.hpp"
#include "run/runner.hpp"

namespace poolbench {

// SIGINT (Ctrl-C), SIGTERM (kill, a CI's cancel) and SIGHUP (the terminal or ssh session closed) all stop a
// run the same way: the running child is killed, the finished cases stay in the file, the scratch directory
// is removed, exit 130. SIGPIPE (a reader of the progress that went away: `poolbench run 2>&1 | head`) is
// ignored: the run goes on and writes its file; only its progress lines are lost. Restores the previous
// handlers when the run ends.
class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

 private:
  static constexpr std::array<int, 3> signals_ = {SIGINT, SIGTERM, SIGHUP};
  std::array<struct sigaction, 3> previous_{};
  struct sigaction previous_pipe_ {};
};

// Whether one of InterruptGuard's signals arrived since the guard was made.
bool interrupt_requested();

// A private directory for the children's result and stderr files, removed with everything in it.
class ScratchDirectory {
 public:
  ScratchDirectory();
  ~ScratchDirectory();
  ScratchDirectory(const ScratchDirectory&) = delete;
  ScratchDirectory& operator=(const ScratchDirectory&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct ChildOutcome {
  std::optional<nlohmann::ordered_json> entry;  // the child's Google Benchmark entry, when it wrote one
  std::string failure;                          // why there is none (or why it cannot be trusted)
  double seconds = 0;
};

// Runs repetition `spec.repetition_index` of `spec` with options.self_path (and options.plugin_paths,
// options.child_environment), waiting for it, its timeout, or an interrupt (failure "interrupt_requested").
ChildOutcome run_child(const RunOptions& options, const CaseSpec& spec, const std::filesystem::path& scratch);

// This process's command line as one string (recorded in result files), and the path of its executable (the
// binary children run; "poolbench" when /proc cannot say).
std::string own_command_line();
std::string own_executable_path();

}  // namespace poolbench
