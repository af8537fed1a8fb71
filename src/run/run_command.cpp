// `poolbench run`: plan the matrix, run it (one child per repetition of each case), print a summary.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "cli.hpp"
#include "errors.hpp"
#include "format/units.hpp"
#include "metrics/catalogue.hpp"
#include "metrics/statistics.hpp"
#include "plugin/plugin_loader.hpp"
#include "result/result_file.hpp"
#include "run/child.hpp"
#include "run/plan.hpp"
#include "run/plan_options.hpp"
#include "run/runner.hpp"

namespace poolbench {
namespace {

struct RunFlags {
  PlanRequest request;
  std::string repetitions;  // as given; empty: not given
  double timeout_seconds = 60;
  CLI::Option* timeout_option = nullptr;  // given: a fixed timeout for every case
  std::string out = "results/latest.json";
  bool dry_run = false;
  bool quiet = false;
  std::string warmup;  // as given; empty: none
  std::string probe = "on";
  std::shared_ptr<std::vector<std::string>> plugins;  // --plugin
};

constexpr double max_timeout_seconds = 1e6;

std::string duration(double seconds) {
  if (seconds < 1) return fmt::format("{:.0f} ms", seconds * 1e3);
  return seconds < 1e7 ? fmt::format("{:.1f} s", seconds) : fmt::format("{:.3g} s", seconds);
}

void print_dry_run(const Plan& plan) {
  if (plan.shard)
    fmt::print("shard {}/{}: {} of the plan's {} cases\n", plan.shard->index, plan.shard->count,
               plan.cases.size(), plan.plan_cases);
  fmt::print("{} cases x {} repetitions (interleaved), one child process each:\n", plan.cases.size(),
             plan.repetitions);
  for (const auto& spec : plan.cases)
    fmt::print("  {:<80} ~{}\n", spec.name, duration(spec.estimate_seconds));
  fmt::print("estimated total: {} (an estimate from nominal costs; nothing was run)\n",
             duration(plan.estimate_seconds()));
}

// A plain table of medians over the repetitions, read back from the file just written.
void print_summary(const std::string& path) {
  namespace metric = metrics::name;
  ResultFile file = read_result_file(path);
  fmt::print("\n{:<72} {:>5} {:>10} {:>11} {:>10} {:>10}\n", "case", "ok", "time", "tasks/s", "time/task",
             "e2e p99");
  for (const auto& name : file.case_names()) {
    std::vector<double> times, rates, per_task, e2e_p99;
    std::size_t total = 0;
    std::string failure;
    for (const ResultEntry* entry : file.repetitions_of(name)) {
      ++total;
      if (entry->error_occurred) {
        if (failure.empty()) failure = entry->error_message;
        continue;
      }
      times.push_back(entry->real_time_ns());
      const auto tasks = entry->case_info ? static_cast<double>(entry->case_info->tasks) : 0.0;
      if (tasks > 0) per_task.push_back(entry->real_time_ns() / tasks);
      if (auto found = entry->counters.find(metric::items_per_second); found != entry->counters.end())
        rates.push_back(found->second);
      if (auto found = entry->counters.find(metric::e2e_p99_ns); found != entry->counters.end())
        e2e_p99.push_back(found->second);
    }
    auto cell = [](const std::vector<double>& values, const char* metric_name) {
      return values.empty() ? std::string("-")
                            : format_quantity(metrics::median(values), metrics::get(metric_name).unit);
    };
    fmt::print("{:<72} {:>5} {:>10} {:>11} {:>10} {:>10}\n", name, fmt::format("{}/{}", times.size(), total),
               cell(times, metric::time), cell(rates, metric::items_per_second),
               cell(per_task, metric::time_per_task_ns), cell(e2e_p99, metric::e2e_p99_ns));
    if (!failure.empty()) fmt::print("    failed: {}\n", failure);
  }
}

int run(RunFlags& flags) {
  load_plugins(*flags.plugins);
  if (!flags.repetitions.empty()) flags.request.repetitions = parse_count("--repetitions", flags.repetitions);
  if (!flags.warmup.empty() && flags.warmup != "0")
    flags.request.warmup_tasks = parse_count("--warmup", flags.warmup);
  if (flags.probe != "on" && flags.probe != "off")
    throw UsageError(fmt::format("--probe: '{}' is not one of on, off", flags.probe));
  flags.request.probe_enabled = flags.probe == "on";
  // NaN and infinity would mean no timeout at all; beyond a limit the deadline would overflow.
  if (!(flags.timeout_seconds > 0 && flags.timeout_seconds <= max_timeout_seconds))
    throw UsageError(fmt::format("--timeout: {} is not a number of seconds between 0 and {:g}",
                                 flags.timeout_seconds, max_timeout_seconds));
  const Plan plan = make_plan(flags.request);
  if (flags.dry_run) {
    print_dry_run(plan);
    return exit_ok;
  }
  check_writable(flags.out);
  RunOptions options;
  options.out_path = flags.out;
  options.timeout_seconds = flags.timeout_seconds;
  // Without --timeout: 60 s, or 20x the case's estimate where that is longer (semaphore_group with 100,000
  // tasks: estimated 5 s, 3 s on the quiet 2-core machine, 31-50 s there while a build ran beside it).
  options.timeout_estimate_factor = flags.timeout_option->count() > 0 ? 0.0 : 20.0;
  options.quiet = flags.quiet;
  options.command_line = own_command_line();
  options.self_path = own_executable_path();
  for (const LoadedPlugin& plugin : loaded_plugins()) options.plugin_paths.push_back(plugin.path);
  const int status = run_plan(plan, options);
  if (std::filesystem::exists(flags.out) && status != 130) print_summary(flags.out);
  return status;
}

const SubcommandRegistrar run_command_registrar{SubcommandInfo{
    .name = "run",
    .description =
        "run the matrix strategies x workloads x tasks x workers x producers; write Google Benchmark JSON",
    .order = 20,
    .setup =
        [](CLI::App& command) {
          auto flags = std::make_shared<RunFlags>();
          auto& request = flags->request;
          add_plan_options(command, request);
          command
              .add_option("-r,--repetitions", flags->repetitions,
                          "repetitions of each case, each in its own process (default 3; 1 with --quick)")
              ->type_name("R");
          flags->timeout_option = command.add_option(
              "--timeout", flags->timeout_seconds,
              "seconds before a case is killed (default: 60, or 20x the case's estimated time where longer)");
          command.add_option("-o,--out", flags->out, "result file (default results/latest.json)");
          command
              .add_option("--warmup", flags->warmup,
                          "untimed tasks run through every strategy before its window (default 0)")
              ->type_name("N");
          command
              .add_option("--probe", flags->probe,
                          "on: time one task in S for latencies (default); off: time only the window")
              ->type_name("on|off");
          command
              .add_option(
                  "--shard", request.shard,
                  "run only shard I of N: the plan's configurations dealt over N shards (every case "
                  "in exactly one, the same split on every machine); `poolbench merge` joins the files")
              ->type_name("I/N");
          command.add_flag("--dry-run", flags->dry_run, "print the cases and a time estimate; run nothing");
          command.add_flag("-q,--quiet", flags->quiet, "no progress on stderr");
          flags->plugins = add_plugin_option(command);
          return std::function<int()>([flags] { return run(*flags); });
        },
}};

}  // namespace
}  // namespace poolbench
