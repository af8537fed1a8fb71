#include "run/progress.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <utility>

#include <fmt/format.h>

namespace poolbench {
namespace {

std::string duration_text(double seconds) {
  if (!(seconds < 1e9)) return fmt::format("{:.3g}s", seconds);  // beyond what lround can hold
  const long whole = std::lround(seconds);
  if (whole < 60) return fmt::format("{}s", whole);
  return fmt::format("{}m{:02}s", whole / 60, whole % 60);
}

// Progress is advisory: a stderr that went away (`poolbench run 2>&1 | head`, a closed terminal) must not
// stop the run or lose what it measured, so a line that cannot be written is dropped (SIGPIPE is ignored
// while the run lasts: see the runner's InterruptGuard).
template <class... Args>
void say(fmt::format_string<Args...> format, Args&&... args) {
  const std::string line = fmt::format(format, std::forward<Args>(args)...);
  (void)std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace

Progress::Progress(const Plan& plan, bool quiet)
    : quiet_(quiet),
      terminal_(::isatty(STDERR_FILENO) != 0),
      total_(plan.cases.size() * plan.repetitions),
      estimated_total_(plan.estimate_seconds()),
      start_(std::chrono::steady_clock::now()) {
  if (quiet_) return;
  say("poolbench: {} cases x {} repetitions = {} runs, estimated {}\n", plan.cases.size(), plan.repetitions,
      total_, duration_text(estimated_total_));
}

double Progress::remaining_seconds() const {
  // The plan's estimate of the rest, corrected by how far off it has been so far.
  const double correction = estimated_done_ > 0 ? actual_done_ / estimated_done_ : 1.0;
  return std::max(0.0, (estimated_total_ - estimated_done_) * correction);
}

void Progress::starting(const CaseSpec& spec) {
  ++started_;
  if (quiet_ || !terminal_) return;
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  say("\r\033[K[{}/{}] {} (rep {})  {} elapsed, ~{} left", started_, total_, spec.name,
      spec.repetition_index + 1, duration_text(elapsed), duration_text(remaining_seconds()));
  std::fflush(stderr);
}

void Progress::finished(const CaseSpec& spec, double seconds, bool failed, const std::string& error_message) {
  estimated_done_ += spec.estimate_seconds;
  actual_done_ += seconds;
  if (quiet_) return;
  if (terminal_) {
    // Failures stay on screen; successes are overwritten by the next case's line.
    if (failed) say("\r\033[K[{}/{}] {}: FAILED: {}\n", started_, total_, spec.name, error_message);
    return;
  }
  if (failed)
    say("[{}/{}] {} (rep {}): FAILED after {:.2f}s: {}\n", started_, total_, spec.name,
        spec.repetition_index + 1, seconds, error_message);
  else
    say("[{}/{}] {} (rep {}): ok {:.2f}s\n", started_, total_, spec.name, spec.repetition_index + 1, seconds);
}

void Progress::done(std::size_t finished, std::size_t failures, const std::string& out_path,
                    bool interrupted) {
  if (quiet_) return;
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  if (terminal_) say("\r\033[K");
  if (interrupted && finished == 0)
    say("poolbench: interrupted before any run finished: nothing written ({} left as it was)\n", out_path);
  else if (interrupted)
    say("poolbench: interrupted: {} finished runs kept in {}\n", finished, out_path);
  else
    say("poolbench: {} runs in {}, {} failed; results in {}\n", finished, duration_text(elapsed), failures,
        out_path);
}

}  // namespace poolbench
