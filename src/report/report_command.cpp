// `poolbench report RESULT.json [--format md|json] [--out FILE] [--plots DIR] [--adopt-threshold X]`: the
// decision document of a result file. Everything that can be wrong with the input is found before anything is
// written, so unusable input gets one line and exit status 2 with no partial output. Plots are drawn by
// scripts/plot.py from the JSON form of the report.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "cli.hpp"
#include "errors.hpp"
#include "format/units.hpp"
#include "report/report_hosts.hpp"
#include "report/report_model.hpp"
#include "report/report_render.hpp"
#include "result/output_file.hpp"
#include "result/result_file.hpp"

extern char** environ;

namespace poolbench::report {
namespace {

struct ReportRequest {
  std::string input;
  std::string format = "md";
  std::string out;
  std::string plots_dir;
  double adopt_threshold = 2.0;
  std::string baseline = baseline_strategy;
  bool baseline_given = false;  // --baseline on the command line: then it must match a case of the file
  std::string slo_p99;          // --slo-p99 DURATION, as typed; empty: no latency objective
  bool proposal = false;        // --proposal: the guide's Pool Adoption Proposal instead of the report
};

// The plot script: POOLBENCH_PLOT_SCRIPT, or scripts/plot.py of the source tree this binary was built from.
std::string plot_script() {
  if (const char* path = std::getenv("POOLBENCH_PLOT_SCRIPT"); path && *path) return path;
  return std::string(POOLBENCH_SOURCE_DIR) + "/scripts/plot.py";
}

// matplotlib comes from Debian's python3-matplotlib, which only Debian's own interpreter sees; a python3
// earlier on PATH (pyenv, a virtualenv) usually lacks it. POOLBENCH_PYTHON overrides.
std::string python_interpreter() {
  if (const char* path = std::getenv("POOLBENCH_PYTHON"); path && *path) return path;
  if (::access("/usr/bin/python3", X_OK) == 0) return "/usr/bin/python3";
  return "python3";
}

// A private temporary file in TMPDIR (or /tmp) that is removed when this goes out of scope.
class TemporaryFile {
 public:
  TemporaryFile() {
    const char* base = std::getenv("TMPDIR");
    const std::string folder = base != nullptr && *base != 0 ? base : "/tmp";
    std::string pattern = folder + "/poolbench-report-XXXXXX.json";
    const int fd = ::mkstemps(pattern.data(), 5);
    if (fd < 0)
      throw std::runtime_error(
          fmt::format("cannot create a temporary file in '{}' (TMPDIR): {}", folder, std::strerror(errno)));
    ::close(fd);
    path_ = pattern;
  }
  ~TemporaryFile() {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Runs plot.py on the JSON report; its chatter goes to stderr so that a report on stdout stays clean.
// Returns an empty string on success, otherwise why it failed.
std::string run_plot_script(const nlohmann::ordered_json& report_json, const TemporaryFile& input,
                            const std::string& plots_dir) {
  write_json_atomically(input.path(), report_json);
  std::vector<std::string> args = {python_interpreter(), plot_script(), input.path(), "--out", plots_dir};
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, STDERR_FILENO, STDOUT_FILENO);
  std::fflush(stdout);
  std::cout.flush();
  pid_t pid = 0;
  const int spawned = ::posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) return fmt::format("cannot start {}: {}", args[0], std::strerror(spawned));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return fmt::format("waiting for {} failed: {}", args[1], std::strerror(errno));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  if (WIFEXITED(status))
    return fmt::format("{} {} exited with status {}", args[0], args[1], WEXITSTATUS(status));
  return fmt::format("{} {} was killed by signal {}", args[0], args[1], WTERMSIG(status));
}

int run_report(const ReportRequest& request) {
  if (!std::isfinite(request.adopt_threshold) || request.adopt_threshold < 1.0)
    throw UsageError(
        fmt::format("--adopt-threshold must be a number of at least 1 (a speedup such as 2), got {}",
                    request.adopt_threshold));

  try {
    (void)parse_baseline(request.baseline);
  } catch (const std::invalid_argument& error) {
    throw UsageError(error.what());
  }

  std::optional<double> slo_p99_ns;
  if (!request.slo_p99.empty()) {
    slo_p99_ns = parse_duration_ns(request.slo_p99);
    if (!slo_p99_ns)
      throw UsageError(
          fmt::format("--slo-p99 '{}': expected a positive duration with its unit, e.g. 50ms, 250us, 1s",
                      request.slo_p99));
  }

  Report report;
  std::optional<HostsReport> hosts;  // a merged file of several hosts: a report per host, ranked side by side
  try {
    const ResultFile file = read_result_file(request.input);
    const ReportOptions options{
        .adopt_threshold = request.adopt_threshold, .baseline = request.baseline, .slo_p99_ns = slo_p99_ns};
    if (file.hosts().size() > 1)
      hosts = build_hosts_report(file, options);
    else
      report = build_report(file, options);
  } catch (const ResultFileError& error) {
    throw UsageError(error.what());
  }
  if (hosts && !request.plots_dir.empty())
    throw UsageError(
        fmt::format("--plots: {} holds several hosts; draw one host's (poolbench merge {} --host NAME "
                    "-o ONE.json)",
                    request.input, request.input));
  if (request.baseline_given && (hosts ? hosts->tables_with_baseline : report.tables_with_baseline) == 0)
    throw UsageError(fmt::format("--baseline '{}': no case in {} is of that strategy with those parameters",
                                 request.baseline, request.input));

  const nlohmann::ordered_json as_json = hosts ? hosts_report_to_json(*hosts) : report_to_json(report);
  const std::string text = request.format == "json"
                               ? as_json.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"
                           : hosts                    ? render_hosts_markdown(*hosts)
                           : request.proposal         ? render_proposal(report)
                           : request.format == "text" ? render_text(report) + "\n"
                                                      : render_markdown(report) + "\n";

  // Everything that can refuse is checked before anything is written.
  std::optional<OutputLock> out_lock;
  if (!request.out.empty()) {
    check_output_path("--out", request.out);
    out_lock.emplace("--out", request.out);
  }
  std::optional<TemporaryFile> plot_input;
  if (!request.plots_dir.empty()) {
    plot_input.emplace();
    std::error_code error;
    std::filesystem::create_directories(request.plots_dir, error);
    if (error || !std::filesystem::is_directory(request.plots_dir) ||
        ::access(request.plots_dir.c_str(), W_OK) != 0)
      throw UsageError(fmt::format("--plots: cannot write to directory '{}'{}", request.plots_dir,
                                   error ? ": " + error.message() : ""));
  }

  if (request.out.empty())
    std::cout << text << std::flush;
  else
    write_text_atomically(request.out, text);

  if (plot_input) {
    const std::string failure = run_plot_script(as_json, *plot_input, request.plots_dir);
    if (!failure.empty()) {
      std::fprintf(stderr, "poolbench report: plots not written: %s\n", failure.c_str());
      return exit_failures;
    }
  }
  return exit_ok;
}

const SubcommandRegistrar report_command_registrar{SubcommandInfo{
    .name = "report",
    .description =
        "turn a result file into the decision document: tables per workload, recommendations per the "
        "guide's rule, rules of thumb checked, plots",
    .order = 50,
    .setup =
        [](CLI::App& command) {
          auto request = std::make_shared<ReportRequest>();
          command.add_option("result", request->input, "result file written by `poolbench run`")
              ->required()
              ->type_name("RESULT.json");
          command
              .add_option("--format", request->format,
                          "md (Markdown, default), text (aligned for a terminal) or json (the same tables as "
                          "data)")
              ->check(CLI::IsMember({"md", "text", "json"}));
          command
              .add_option("--out", request->out, "write the report to FILE (atomically) instead of stdout")
              ->type_name("FILE");
          command
              .add_option("--plots", request->plots_dir,
                          "also draw the plots (SVG and PNG) into DIR with scripts/plot.py")
              ->type_name("DIR");
          command
              .add_option(
                  "--adopt-threshold", request->adopt_threshold,
                  "speedup over the baseline a pool must show, beyond the run's spread, to be adopted")
              ->default_val(2.0)
              ->type_name("X");
          command
              .add_option("--baseline", request->baseline,
                          "what the recommendations and the ÷ baseline column are relative to: a strategy, "
                          "optionally with its parameters, as semaphore_group[spawn=fiber] (default "
                          "semaphore_group; of several matching cases in a configuration, the one whose name "
                          "carries the fewest parameters, then the first in the file)")
              ->type_name("NAME")
              ->each([request](const std::string&) { request->baseline_given = true; });
          command
              .add_option(
                  "--slo-p99", request->slo_p99,
                  "latency objective: a strategy whose end-to-end p99 exceeds DURATION (e.g. 50ms) is "
                  "not a candidate; judged on the open-loop runs (--arrival) of a configuration where "
                  "the file has them")
              ->type_name("DURATION");
          command.add_flag(
              "--proposal", request->proposal,
              "write the guide's Pool Adoption Proposal (Markdown) from the result instead of the "
              "report: context, current implementation, proposed change, expected impact with "
              "the measured numbers, risks, decision");
          return std::function<int()>([request] { return run_report(*request); });
        },
}};

}  // namespace
}  // namespace poolbench::report
