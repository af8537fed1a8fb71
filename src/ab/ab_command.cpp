// `poolbench ab BASE NEW [plan options]`: two builds compared side by side in one job (see ab_run.hpp and
// ab_analysis.hpp). Exit status 0 no regression, 1 a regression (or a case new alone fails), 2 unusable input
// (nothing run), 130 interrupted.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "ab/ab_format.hpp"
#include "ab/ab_run.hpp"
#include "ab/ab_side.hpp"
#include "cli.hpp"
#include "errors.hpp"
#include "format/units.hpp"
#include "plugin/plugin_loader.hpp"
#include "result/result_file.hpp"
#include "run/child.hpp"
#include "run/plan.hpp"
#include "run/plan_options.hpp"

namespace poolbench::ab {
namespace {

struct Flags {
  std::string base;
  std::string next;
  PlanRequest request;
  std::string rounds;      // as given
  std::string min_rounds;  // as given
  std::string until_ci;
  std::string budget;
  std::string seed;
  std::string min_window = "0";
  std::string max_window = "0";
  std::string adjust = "bh";
  std::string test = "signed-rank";
  std::string probe = "off";
  std::string warmup;
  double alpha = 0.05;
  std::string min_effect = "5%";
  std::string out = "results/ab";
  std::string format = "text";
  bool summary = false;
  bool strict = false;
  bool quiet = false;
  double timeout_seconds = 60;
  CLI::Option* timeout_option = nullptr;
  std::vector<std::string> base_env;
  std::vector<std::string> new_env;
  std::shared_ptr<std::vector<std::string>> plugins;
};

// "5%" or "0.05" -> 0.05; above 0 and below 1.
double parse_open_unit_fraction(const char* flag, const std::string& text) {
  const std::optional<double> value = poolbench::parse_fraction(text);
  if (!value || !(*value > 0) || !(*value < 1))
    throw UsageError(
        fmt::format("{}: '{}' is not a fraction (0.02) or percentage (2%) between 0 and 100%", flag, text));
  return *value;
}

// "600", "600s", "10m", "1.5h" -> seconds.
double parse_budget(const std::string& text) {
  std::string number = text;
  double scale = 1;
  if (number.ends_with("min")) {
    number.resize(number.size() - 3);
    scale = 60;
  } else if (!number.empty() && (number.back() == 's' || number.back() == 'm' || number.back() == 'h')) {
    scale = number.back() == 's' ? 1 : number.back() == 'm' ? 60 : 3600;
    number.pop_back();
  }
  double value = 0;
  auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (number.empty() || error != std::errc{} || end != number.data() + number.size() || !(value > 0) ||
      !std::isfinite(value))
    throw UsageError(fmt::format("--budget: '{}' is not a positive duration (600, 600s, 10m, 1h)", text));
  return value * scale;
}

std::uint64_t parse_seed(const std::string& text) {
  std::uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc{} || end != text.data() + text.size())
    throw UsageError(fmt::format("--order-seed: '{}' is not a non-negative integer", text));
  return value;
}

int run(Flags& flags) {
  load_plugins(*flags.plugins);
  if (flags.format != "text" && flags.format != "md" && flags.format != "json")
    throw UsageError(fmt::format("--format: '{}' is not one of text, md, json", flags.format));
  if (flags.summary && flags.format != "md") throw UsageError("--summary: only with --format md");
  if (!(flags.alpha > 0 && flags.alpha < 1))
    throw UsageError(fmt::format("--alpha: {} is not between 0 and 1", flags.alpha));
  if (!(flags.timeout_seconds > 0 && flags.timeout_seconds <= 1e6))
    throw UsageError(
        fmt::format("--timeout: {} is not a number of seconds between 0 and 1e6", flags.timeout_seconds));

  Settings settings;
  settings.self_path = own_executable_path();
  settings.command_line = own_command_line();
  std::vector<std::string> shared_plugins;
  for (const LoadedPlugin& plugin : loaded_plugins()) shared_plugins.push_back(plugin.path);
  settings.base = resolve_side("base", flags.base, settings.self_path, shared_plugins, flags.base_env);
  settings.next = resolve_side("new", flags.next, settings.self_path, shared_plugins, flags.new_env);
  settings.analysis.alpha = flags.alpha;
  if (flags.adjust != "bh" && flags.adjust != "holm")
    throw UsageError(fmt::format("--adjust: '{}' is not one of bh, holm", flags.adjust));
  settings.analysis.adjustment =
      flags.adjust == "holm" ? Options::Adjustment::holm : Options::Adjustment::benjamini_hochberg;
  if (flags.test != "sign" && flags.test != "signed-rank")
    throw UsageError(fmt::format("--test: '{}' is not one of sign, signed-rank", flags.test));
  settings.analysis.test = flags.test == "sign" ? Options::Test::sign : Options::Test::signed_rank;
  settings.analysis.min_effect = parse_open_unit_fraction("--min-effect", flags.min_effect);
  settings.analysis.confidence = 0.95;
  if (!flags.until_ci.empty())
    settings.analysis.until_ci = parse_open_unit_fraction("--until-ci", flags.until_ci);
  settings.analysis.max_rounds = !flags.rounds.empty()        ? parse_count("--max-rounds", flags.rounds)
                                 : settings.analysis.until_ci ? 30
                                                              : 10;
  if (!flags.min_rounds.empty())
    settings.analysis.min_rounds = parse_count("--min-rounds", flags.min_rounds);
  else
    settings.analysis.min_rounds = std::min(settings.analysis.min_rounds, settings.analysis.max_rounds);
  if (settings.analysis.min_rounds > settings.analysis.max_rounds)
    throw UsageError(fmt::format("--min-rounds: {} is more than --max-rounds {}",
                                 settings.analysis.min_rounds, settings.analysis.max_rounds));
  if (!flags.budget.empty()) settings.budget_seconds = parse_budget(flags.budget);
  settings.seed = flags.seed.empty() ? std::random_device{}() : parse_seed(flags.seed);
  if (flags.min_window != "0") {
    const auto window_ns = parse_duration_ns(flags.min_window);
    if (!window_ns)
      throw UsageError(
          fmt::format("--min-window: '{}' is not a duration (20ms, 0.5s) or 0", flags.min_window));
    settings.min_window_seconds = *window_ns / 1e9;
  }
  if (flags.max_window != "0") {
    const auto window_ns = parse_duration_ns(flags.max_window);
    if (!window_ns)
      throw UsageError(
          fmt::format("--max-window: '{}' is not a duration (100ms, 0.5s) or 0", flags.max_window));
    settings.max_window_seconds = *window_ns / 1e9;
  }
  if (settings.max_window_seconds > 0 && settings.max_window_seconds < settings.min_window_seconds)
    throw UsageError(
        fmt::format("--max-window: {} is shorter than --min-window {}", flags.max_window, flags.min_window));
  settings.timeout_seconds = flags.timeout_seconds;
  settings.timeout_estimate_factor = flags.timeout_option->count() > 0 ? 0.0 : 20.0;
  settings.quiet = flags.quiet;
  if (flags.probe != "on" && flags.probe != "off")
    throw UsageError(fmt::format("--probe: '{}' is not one of on, off", flags.probe));
  flags.request.probe_enabled = flags.probe == "on";
  if (!flags.warmup.empty() && flags.warmup != "0")
    flags.request.warmup_tasks = parse_count("--warmup", flags.warmup);
  flags.request.repetitions = 1;
  settings.plan = make_plan(flags.request);

  std::error_code error;
  std::filesystem::create_directories(flags.out, error);
  if (error || !std::filesystem::is_directory(flags.out))
    throw UsageError(fmt::format("--out: cannot create the folder '{}'{}", flags.out,
                                 error ? ": " + error.message() : std::string()));
  settings.out_dir = flags.out;
  if (!settings.quiet)
    fmt::print(stderr, "ab: {} cases, at most {} rounds{}; base {} · new {}; order seed {}\n",
               settings.plan.cases.size(), settings.analysis.max_rounds,
               settings.budget_seconds ? fmt::format(" within {:.0f} s", *settings.budget_seconds) : "",
               settings.base.executable, settings.next.executable, settings.seed);

  const Outcome outcome = run_ab(settings);
  if (flags.format == "json")
    fmt::print("{}\n", ab_document(settings, outcome).dump(2));
  else if (flags.format == "md")
    fmt::print("{}", format_markdown(settings, outcome, flags.summary));
  else
    fmt::print("{}", format_text(settings, outcome));
  std::fflush(stdout);
  if (outcome.interrupted) return 130;
  return exit_status(outcome, flags.strict);
}

const SubcommandRegistrar ab_command_registrar{SubcommandInfo{
    .name = "ab",
    .description = "compare two builds side by side in one job: interleaved rounds, paired statistics",
    .order = 45,
    .setup =
        [](CLI::App& command) {
          auto flags = std::make_shared<Flags>();
          command
              .add_option("BASE", flags->base,
                          "the base side: a poolbench binary, a build folder, or a plugin file (.so)")
              ->required();
          command.add_option("NEW", flags->next, "the new side (as BASE)")->required();
          add_plan_options(command, flags->request);
          command
              .add_option(
                  "--rounds,--max-rounds", flags->rounds,
                  "rounds at most (default 10; 30 with --until-ci); a round runs each case once per side")
              ->type_name("N");
          command
              .add_option(
                  "--until-ci", flags->until_ci,
                  "adaptive: stop a case once its interval's half-width is at most this (e.g. 2%) and it "
                  "is the same, or once its change is certain")
              ->type_name("PERCENT");
          command
              .add_option("--min-rounds", flags->min_rounds,
                          "with --until-ci: rounds before a case may stop (5)")
              ->type_name("N");
          command
              .add_option("--budget", flags->budget,
                          "no round starts that would end past this, by the last round's pace (600, 10m, 1h)")
              ->type_name("DURATION");
          command
              .add_option("--probe", flags->probe,
                          "off (default): only the window is timed, which is all ab judges; on: latencies "
                          "sampled too, kept in base.json and new.json")
              ->type_name("on|off");
          command
              .add_option("--warmup", flags->warmup,
                          "untimed tasks run through every strategy before its window (default 0)")
              ->type_name("N");
          command
              .add_option("--max-window", flags->max_window,
                          "give cases whose window is longer than this fewer tasks (at least ten waves of "
                          "workers, and 100; default 0: as planned)")
              ->type_name("DURATION");
          command
              .add_option(
                  "--min-window", flags->min_window,
                  "give cases whose window is shorter than this more tasks (timed with base before the "
                  "rounds, again after each scaling, until a window reaches it; default 0: as planned)")
              ->type_name("DURATION");
          command
              .add_option("--order-seed", flags->seed, "seed of the rounds' order (default: random, printed)")
              ->type_name("S");
          command.add_option("--alpha", flags->alpha,
                             "significance over all cases, as --adjust controls it (default 0.05)");
          command
              .add_option("--adjust", flags->adjust,
                          "bh (default: Benjamini-Hochberg) or holm: how the cases' p-values are adjusted "
                          "together")
              ->type_name("bh|holm");
          command
              .add_option(
                  "--test", flags->test,
                  "signed-rank (default: Wilcoxon and the Hodges-Lehmann interval) or sign (the sign test "
                  "and the median's interval, for cases bimodal on either side): each case's paired test")
              ->type_name("sign|signed-rank");
          command.add_option("--min-effect", flags->min_effect, "smallest change that counts (default 5%)")
              ->type_name("PERCENT");
          command.add_option("-o,--out", flags->out,
                             "folder for base.json, new.json, ab.json (default results/ab)");
          command.add_option("--format", flags->format, "text (default), md or json")->type_name("FORMAT");
          command.add_flag(
              "--summary", flags->summary,
              "with --format md: only the cases that are not the same, within 60,000 characters");
          command.add_flag("--strict", flags->strict, "an undecided case fails the gate too");
          command.add_option("--base-env", flags->base_env, "NAME=VALUE for base's children (repeatable)")
              ->allow_extra_args(false);
          command.add_option("--new-env", flags->new_env, "NAME=VALUE for new's children (repeatable)")
              ->allow_extra_args(false);
          flags->timeout_option = command.add_option(
              "--timeout", flags->timeout_seconds,
              "seconds before a case is killed (default: 60, or 20x the case's estimated time where longer)");
          command.add_flag("-q,--quiet", flags->quiet, "no progress on stderr");
          flags->plugins = add_plugin_option(command);
          return std::function<int()>([flags] { return run(*flags); });
        },
}};

}  // namespace
}  // namespace poolbench::ab
