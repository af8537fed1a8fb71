// Runner (the parent): executes a plan one child process per repetition of each case, with a timeout, and
// keeps the result file current after every finished case.
//
// Repetitions are interleaved (every case's first repetition before any case's second) so that drift of a
// noisy machine spreads over all cases instead of landing on one. A crash, a hang past the timeout or a child
// that cannot start is recorded for its case with the reason, and the run goes on. The file is rewritten
// atomically (a temporary file, then a rename) after every case, so Ctrl-C or a killed parent leaves every
// finished case on disk.
#pragma once

#include <string>
#include <vector>

#include "run/plan.hpp"

namespace poolbench {

struct RunOptions {
  std::string out_path;  // the result file
  // How long one child (one repetition of one case) may run before it is killed: timeout_seconds, or
  // timeout_estimate_factor times the case's estimated time where that is longer (0: timeout_seconds for
  // every case). A fixed limit either kills long cases on a loaded machine or waits minutes for a short one
  // that hangs.
  double timeout_seconds = 120;
  double timeout_estimate_factor = 0;
  bool quiet = false;        // no progress on stderr
  std::string command_line;  // recorded in the context
  std::string self_path;     // the poolbench binary to run children with
  // Plugins every child loads (--plugin), as the parent loaded them.
  std::vector<std::string> plugin_paths;
  // NAME=VALUE settings added to (or replacing in) each child's environment (`ab --new-env`).
  std::vector<std::string> child_environment;
};

// Returns exit_ok when every case succeeded, exit_failures when some failed (all are in the file), 130 when
// interrupted (the finished cases are in the file).
int run_plan(const Plan& plan, const RunOptions& options);

// The time one repetition of `spec` may take before it is killed (see RunOptions).
double case_timeout_seconds(const RunOptions& options, const CaseSpec& spec);

// Fails with UsageError when `path` cannot be written (checked before anything runs: no partial output).
void check_writable(const std::string& path);

}  // namespace poolbench
