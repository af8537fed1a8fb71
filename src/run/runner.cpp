#include "run/runner.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "errors.hpp"
#include "result/output_file.hpp"
#include "result/result_document.hpp"
#include "run/child.hpp"
#include "run/progress.hpp"

namespace poolbench {
void check_writable(const std::string& path) {
  check_output_path("--out", path);
}

double case_timeout_seconds(const RunOptions& options, const CaseSpec& spec) {
  return std::max(options.timeout_seconds, options.timeout_estimate_factor * spec.estimate_seconds);
}

int run_plan(const Plan& plan, const RunOptions& options) {
  check_writable(options.out_path);
  // The handlers first: a signal between these lines would otherwise leave the lock file or the scratch
  // directory behind.
  InterruptGuard interrupt_guard;
  const OutputLock out_lock("--out", options.out_path);  // held to the end: one run per result file
  ScratchDirectory scratch;
  ResultDocument document(
      options.out_path,
      run_context(RunDescription{.command_line = options.command_line,
                                 .executable = options.self_path,
                                 .repetitions = plan.repetitions,
                                 .cases = plan.cases.size(),
                                 .timeout_seconds = options.timeout_seconds,
                                 .timeout_estimate_factor = options.timeout_estimate_factor,
                                 .warmup_tasks = plan.warmup_tasks,
                                 .probe_enabled = plan.probe_enabled,
                                 .affinity = plan.affinity,
                                 .plan_cases = plan.plan_cases,
                                 .plan_digest = plan.plan_digest,
                                 .shard_index = plan.shard ? plan.shard->index : 0,
                                 .shard_count = plan.shard ? plan.shard->count : 0}),
      plan.cases.size());
  Progress progress(plan, options.quiet);

  std::size_t failures = 0;
  std::size_t finished = 0;
  for (std::size_t repetition = 0; repetition < plan.repetitions && !interrupt_requested(); ++repetition) {
    for (std::size_t index = 0; index < plan.cases.size() && !interrupt_requested(); ++index) {
      CaseSpec spec = plan.cases[index];
      spec.repetition_index = repetition;
      progress.starting(spec);
      ChildOutcome outcome = run_child(options, spec, scratch.path());
      if (interrupt_requested()) break;  // the case did not finish: it is neither a result nor a failure
      const EntryIdentity identity{spec.name, spec.family_index, spec.repetitions, repetition, spec.info};
      ResultEntry entry =
          outcome.entry ? stamp_entry(*outcome.entry, identity) : failed_entry(identity, outcome.failure);
      const bool failed = entry.error_occurred;
      const std::string error_message = entry.error_message;
      failures += failed ? 1 : 0;
      document.add(index, std::move(entry));
      document.write();
      ++finished;
      progress.finished(spec, outcome.seconds, failed, error_message);
    }
  }
  progress.done(finished, failures, options.out_path, interrupt_requested());
  if (interrupt_requested()) return 130;
  return failures == 0 ? exit_ok : exit_failures;
}

}  // namespace poolbench
