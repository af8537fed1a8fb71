#include "run/child.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
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
#include <iterator>
#include <optional>
#include <sstream>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "errors.hpp"
#include "probe/shared_calibration.hpp"
#include "result/output_file.hpp"
#include "result/result_document.hpp"
#include "run/progress.hpp"

namespace poolbench {
namespace {

using Clock = std::chrono::steady_clock;

volatile std::sig_atomic_t interrupt_flag = 0;
void on_interrupt(int) {
  interrupt_flag = 1;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A pidfd of a child: readable once the child has exited.
class ChildExitFd {
 public:
  explicit ChildExitFd(pid_t pid) : fd_(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0))) {}
  ChildExitFd(const ChildExitFd&) = delete;
  ChildExitFd& operator=(const ChildExitFd&) = delete;
  ~ChildExitFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool valid() const { return fd_ >= 0; }
  // Returns when the child has exited, a signal arrived, or `timeout` passed.
  void wait_for(std::chrono::milliseconds timeout) const {
    pollfd ready{.fd = fd_, .events = POLLIN, .revents = 0};
    ::poll(&ready, 1, static_cast<int>(timeout.count()));
  }

 private:
  int fd_;
};

// The last non-empty line a child wrote to stderr: usually the reason it died.
std::string last_line(const std::string& text) {
  std::size_t end = text.find_last_not_of("\r\n \t");
  if (end == std::string::npos) return {};
  std::size_t begin = text.find_last_of('\n', end);
  begin = begin == std::string::npos ? 0 : begin + 1;
  return text.substr(begin, end - begin + 1);
}

// The child's own limits, which hold when the parent cannot enforce its timeout (stopped, or starved of CPU):
// a wall-clock timer (ITIMER_REAL, kept across exec, SIGALRM kills) and a CPU-time limit (RLIMIT_CPU, SIGXCPU
// kills) as a backstop should the case disarm the timer. Both lie above the parent's timeout by a margin, so
// the parent's own timeout, which reports the same way, normally comes first.
struct ChildHardLimit {
  double wall_seconds = 0;
  itimerval timer{};
  rlimit cpu{};
};

ChildHardLimit child_hard_limit(double timeout_seconds) {
  // A limit beyond a year is no limit worth having, and keeps the conversions below defined.
  constexpr double longest_seconds = 365.0 * 24 * 3600;
  ChildHardLimit limit;
  limit.wall_seconds = std::min(timeout_seconds + std::max(2.0, 0.1 * timeout_seconds), longest_seconds);
  const double whole_seconds = std::floor(limit.wall_seconds);
  limit.timer.it_value.tv_sec = static_cast<time_t>(whole_seconds);
  limit.timer.it_value.tv_usec = static_cast<suseconds_t>((limit.wall_seconds - whole_seconds) * 1e6);
  // CPU time runs at most `cores` times as fast as wall time, so this never fires before the timer.
  const double cores = std::max(1u, std::thread::hardware_concurrency());
  ::getrlimit(RLIMIT_CPU, &limit.cpu);
  const auto cpu_seconds = static_cast<rlim_t>(std::ceil(limit.wall_seconds * cores));
  // Soft below hard: SIGXCPU (which the parent reads as this limit) rather than SIGKILL; never above a limit
  // the user already set.
  if (limit.cpu.rlim_max == RLIM_INFINITY || cpu_seconds < limit.cpu.rlim_max)
    limit.cpu.rlim_max = cpu_seconds + 1;
  limit.cpu.rlim_cur = std::min(cpu_seconds, limit.cpu.rlim_max);
  return limit;
}

}  // namespace

bool interrupt_requested() {
  return interrupt_flag != 0;
}

InterruptGuard::InterruptGuard() {
  interrupt_flag = 0;
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  for (std::size_t index = 0; index < signals_.size(); ++index)
    sigaction(signals_[index], &action, &previous_[index]);
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  sigaction(SIGPIPE, &ignore, &previous_pipe_);
}

InterruptGuard::~InterruptGuard() {
  for (std::size_t index = 0; index < signals_.size(); ++index)
    sigaction(signals_[index], &previous_[index], nullptr);
  sigaction(SIGPIPE, &previous_pipe_, nullptr);
}

ScratchDirectory::ScratchDirectory() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = fmt::format("{}/poolbench.XXXXXX", base != nullptr && *base != 0 ? base : "/tmp");
  if (::mkdtemp(pattern.data()) == nullptr)
    throw UsageError(fmt::format("cannot create a scratch directory under {}: {}",
                                 std::filesystem::path(pattern).parent_path().string(),
                                 std::strerror(errno)));
  path_ = pattern;
}

ScratchDirectory::~ScratchDirectory() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

ChildOutcome run_child(const RunOptions& options, const CaseSpec& spec,
                       const std::filesystem::path& scratch) {
  const auto result_path = scratch / "case.json";
  const auto stderr_path = scratch / "stderr.txt";
  std::filesystem::remove(result_path);
  const std::string spec_text = case_spec_to_json(spec).dump();
  const double timeout_seconds = case_timeout_seconds(options, spec);
  const ChildHardLimit hard_limit = child_hard_limit(timeout_seconds);
  const pid_t parent_pid = ::getpid();

  // Built before fork: the child of a multithreaded parent must not allocate.
  const std::string result_text = result_path.string();
  std::vector<const char*> argv = {options.self_path.c_str(), "case",          "--spec",
                                   spec_text.c_str(),         "--result-file", result_text.c_str()};
  for (const std::string& plugin : options.plugin_paths)
    argv.insert(argv.end(), {"--plugin", plugin.c_str()});
  argv.push_back(nullptr);
  // The parent's environment with options.child_environment's settings in place of any of the same name.
  std::vector<const char*> environment;
  for (char** variable = environ; variable != nullptr && *variable != nullptr; ++variable) {
    const std::string_view text(*variable);
    const bool replaced = std::any_of(
        options.child_environment.begin(), options.child_environment.end(), [&](const std::string& setting) {
          const auto name_end = setting.find('=');
          return text.size() > name_end && text.compare(0, name_end + 1, setting, 0, name_end + 1) == 0;
        });
    if (!replaced) environment.push_back(*variable);
  }
  for (const std::string& setting : options.child_environment) environment.push_back(setting.c_str());
  // One calibration file per run (its scratch directory), so that every case does the same work
  // (probe/shared_calibration.hpp); a file the parent or the options name already is kept.
  const std::string calibration_setting =
      fmt::format("{}={}", probe::calibration_file_variable, (scratch / "calibration.json").string());
  const std::string_view calibration_name =
      std::string_view(calibration_setting).substr(0, calibration_setting.find('=') + 1);
  if (std::none_of(environment.begin(), environment.end(), [&](const char* variable) {
        return std::string_view(variable).starts_with(calibration_name);
      }))
    environment.push_back(calibration_setting.c_str());
  environment.push_back(nullptr);

  const auto started = Clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) return {{}, fmt::format("could not start the child process: {}", std::strerror(errno)), 0};
  if (pid == 0) {
    // Dies with the parent: a parent killed outright (SIGKILL, which it cannot see, or a crash) takes the
    // case with it instead of leaving it to run, unwatched, forever. The parent may have died before prctl
    // took effect; then this process already has another parent and no signal will come, so it stops here.
    // (The signal follows the thread that forked: the runner forks from the thread that runs the plan.)
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != parent_pid) std::_Exit(127);
    // Default dispositions and unblocked, whatever the parent inherited (`nohup`, a shell's ignored signals):
    // exec keeps an ignored signal ignored, and the hard limits below kill through these two.
    sigset_t limit_signals;
    sigemptyset(&limit_signals);
    struct sigaction default_action {};
    default_action.sa_handler = SIG_DFL;
    for (int signal_number : {SIGALRM, SIGXCPU}) {
      sigaddset(&limit_signals, signal_number);
      ::sigaction(signal_number, &default_action, nullptr);
    }
    ::sigprocmask(SIG_UNBLOCK, &limit_signals, nullptr);
    ::sigaction(SIGPIPE, &default_action, nullptr);  // the parent ignores it while it runs
    ::setitimer(ITIMER_REAL, &hard_limit.timer, nullptr);
    ::setrlimit(RLIMIT_CPU, &hard_limit.cpu);
    // Own process group: the timeout kills the child and every process it made, and a terminal's Ctrl-C
    // reaches the parent alone, which then stops the child itself.
    ::setpgid(0, 0);
    const int error_fd = ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int null_fd = ::open("/dev/null", O_RDWR);
    if (error_fd >= 0) ::dup2(error_fd, STDERR_FILENO);
    if (null_fd >= 0) {
      ::dup2(null_fd, STDIN_FILENO);
      ::dup2(error_fd >= 0 ? error_fd : null_fd, STDOUT_FILENO);
    }
    ::execve(options.self_path.c_str(), const_cast<char* const*>(argv.data()),
             const_cast<char* const*>(environment.data()));
    std::fprintf(stderr, "cannot execute %s: %s\n", options.self_path.c_str(), std::strerror(errno));
    std::_Exit(127);
  }
  ::setpgid(pid, pid);  // also here, so the group exists before the parent might signal it

  int status = 0;
  bool timed_out = false;
  bool stopped_by_interrupt = false;
  const auto deadline = started + std::chrono::duration<double>(timeout_seconds);
  // The child's exit wakes the parent at once through a pidfd (Linux 5.3), instead of at the parent's next
  // poll: polls backing off to 20 ms noticed a short child's exit late, which every case of a run and every
  // side run of `ab` paid (results/ab-check.md, stop 18). The wait still wakes every 20 ms for an interrupt
  // that reached another thread. Without pidfds (an older kernel) the parent polls as before.
  const ChildExitFd exit_fd(pid);
  auto poll_interval = std::chrono::microseconds(200);
  while (true) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) break;
    if (interrupt_flag || Clock::now() >= deadline) {
      stopped_by_interrupt = interrupt_flag;
      ::kill(-pid, SIGKILL);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      // Only our SIGKILL makes it a --timeout: a child can be dead already and not yet reapable (a
      // multi-threaded process is a zombie before its last thread has gone), or this process can have been
      // stopped past the deadline while the child died of its own hard limit; its status says which.
      timed_out = !stopped_by_interrupt && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
      break;
    }
    if (exit_fd.valid()) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
      exit_fd.wait_for(std::clamp(left, std::chrono::milliseconds(1), std::chrono::milliseconds(20)));
    } else {
      std::this_thread::sleep_for(poll_interval);
      poll_interval = std::min(poll_interval * 2, std::chrono::microseconds(20000));
    }
  }
  ChildOutcome outcome;
  outcome.seconds = std::chrono::duration<double>(Clock::now() - started).count();

  const std::string child_stderr = read_file(stderr_path);
  const std::string reason = last_line(child_stderr);
  if (stopped_by_interrupt) {
    outcome.failure = "interrupt_requested";
  } else if (timed_out) {
    outcome.failure = fmt::format("timed out after {:.3g} s (--timeout) and was killed", timeout_seconds);
  } else if (WIFSIGNALED(status) && (WTERMSIG(status) == SIGALRM || WTERMSIG(status) == SIGXCPU)) {
    outcome.failure =
        fmt::format("timed out after {:.3g} s (the case's own hard limit, {}) and was killed",
                    hard_limit.wall_seconds, WTERMSIG(status) == SIGALRM ? "wall clock" : "CPU time");
  } else if (WIFSIGNALED(status)) {
    const int signal_number = WTERMSIG(status);
    outcome.failure = fmt::format("crashed: signal {} ({}){}", signal_number, ::strsignal(signal_number),
                                  reason.empty() ? "" : ": " + reason);
  } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
    outcome.failure = fmt::format("child exited with status {}{}", WEXITSTATUS(status),
                                  reason.empty() ? "" : ": " + reason);
  }
  if (!outcome.failure.empty()) return outcome;

  try {
    const auto document = nlohmann::ordered_json::parse(read_file(result_path));
    const auto& benchmarks = document.at("benchmarks");
    if (benchmarks.size() != 1) throw std::runtime_error("expected exactly one benchmark entry");
    outcome.entry = benchmarks.at(0);
  } catch (const std::exception& e) {
    outcome.failure =
        fmt::format("child wrote no usable result ({}){}", e.what(), reason.empty() ? "" : ": " + reason);
  }
  return outcome;
}

std::string own_command_line() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::replace(raw.begin(), raw.end(), '\0', ' ');
  while (!raw.empty() && raw.back() == ' ') raw.pop_back();
  return raw;
}

std::string own_executable_path() {
  std::error_code error;
  auto path = std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? std::string("poolbench") : path.string();
}

}  // namespace poolbench
