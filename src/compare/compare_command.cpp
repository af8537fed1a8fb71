// `poolbench compare BASE.json NEW.json`: the verdict a CI job acts on. Exit status 0 no regression, 1 at
// least one regression, 2 unusable input (nothing printed on stdout then).
#include <sys/wait.h>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <CLI/CLI.hpp>

#include "cli.hpp"
#include "compare/compare.hpp"
#include "errors.hpp"
#include "format/units.hpp"
#include "result/result_file.hpp"

namespace poolbench::compare {
namespace {

// "5%" or "0.05" -> 0.05, not negative.
double parse_non_negative_fraction(const std::string& flag, const std::string& text) {
  const std::optional<double> value = poolbench::parse_fraction(text);
  if (!value || *value < 0)
    throw UsageError(
        fmt::format("{}: '{}' is not a non-negative fraction (0.05) or percentage (5%)", flag, text));
  return *value;
}

struct Arguments {
  std::string base;
  std::string next;
  std::string format = "text";
  std::string profile = "default";
  bool ci = false;
  bool summary = false;
  bool strict = false;
  bool fail_on_missing = false;
  double alpha = 0.05;
  std::string adjust;
  std::string min_effect;
  std::string exact_tolerance;
  std::string rss_threshold;
  double spread_factor = 3;
  double alloc_tolerance = 0.05;
  std::string alloc_growth;
  double min_time_ms = 0;
  std::string normalize_to;
  std::string confirm_with;
  std::vector<std::string> metrics;
  CLI::Option* alpha_option = nullptr;
  CLI::Option* adjust_option = nullptr;
  CLI::Option* min_effect_option = nullptr;
  CLI::Option* exact_tolerance_option = nullptr;
  CLI::Option* rss_threshold_option = nullptr;
  CLI::Option* spread_factor_option = nullptr;
  CLI::Option* alloc_tolerance_option = nullptr;
  CLI::Option* alloc_growth_option = nullptr;
  CLI::Option* min_time_option = nullptr;
  CLI::Option* normalize_option = nullptr;
  CLI::Option* metrics_option = nullptr;
  CLI::Option* strict_option = nullptr;
  CLI::Option* fail_on_missing_option = nullptr;
};

Options options_from(const Arguments& arguments) {
  Options options = arguments.profile == "ci" || arguments.ci ? ci_profile() : Options{};
  if (arguments.alpha_option->count() > 0) {
    if (!(arguments.alpha > 0 && arguments.alpha < 1))
      throw UsageError(fmt::format("--alpha: {} is not between 0 and 1", arguments.alpha));
    options.alpha = arguments.alpha;
  }
  if (arguments.adjust_option->count() > 0) {
    if (arguments.adjust == "holm")
      options.adjustment = Adjustment::holm;
    else if (arguments.adjust == "bh")
      options.adjustment = Adjustment::benjamini_hochberg;
    else if (arguments.adjust == "none")
      options.adjustment = Adjustment::none;
    else
      throw UsageError(fmt::format("--adjust: '{}' is not one of holm, bh, none", arguments.adjust));
  }
  if (arguments.min_effect_option->count() > 0)
    options.min_effect = parse_non_negative_fraction("--min-effect", arguments.min_effect);
  if (arguments.exact_tolerance_option->count() > 0)
    options.exact_tolerance = parse_non_negative_fraction("--exact-tolerance", arguments.exact_tolerance);
  if (arguments.rss_threshold_option->count() > 0)
    options.rss_threshold = parse_non_negative_fraction("--rss-threshold", arguments.rss_threshold);
  if (arguments.spread_factor_option->count() > 0) {
    if (!(arguments.spread_factor >= 0) || !std::isfinite(arguments.spread_factor))
      throw UsageError(
          fmt::format("--spread-factor: {} is not a non-negative number", arguments.spread_factor));
    options.spread_factor = arguments.spread_factor;
  }
  if (arguments.alloc_tolerance_option->count() > 0) {
    if (!(arguments.alloc_tolerance >= 0) || !std::isfinite(arguments.alloc_tolerance))
      throw UsageError(
          fmt::format("--alloc-tolerance: {} is not a non-negative number", arguments.alloc_tolerance));
    options.alloc_tolerance = arguments.alloc_tolerance;
  }
  if (arguments.alloc_growth_option->count() > 0)
    options.alloc_growth = parse_non_negative_fraction("--alloc-growth", arguments.alloc_growth);
  if (arguments.min_time_option->count() > 0) {
    if (!(arguments.min_time_ms >= 0) || !std::isfinite(arguments.min_time_ms))
      throw UsageError(fmt::format("--min-time: {} is not a non-negative number", arguments.min_time_ms));
    options.min_time_ns = arguments.min_time_ms * 1e6;
  }
  if (arguments.normalize_option->count() > 0) {
    if (arguments.normalize_to.empty() || arguments.normalize_to == "none")
      options.normalize_to.reset();
    else
      options.normalize_to = arguments.normalize_to;
  }
  if (arguments.strict_option->count() > 0) options.strict = arguments.strict;
  if (arguments.fail_on_missing_option->count() > 0) options.fail_on_missing = arguments.fail_on_missing;
  if (arguments.metrics_option->count() > 0) {
    options.metrics.clear();
    for (const auto& name : arguments.metrics) {
      if (find_metric(name) == nullptr) {
        std::vector<std::string> known;
        for (const metrics::Metric* metric : compared_metrics()) known.emplace_back(metric->name);
        throw UsageError(
            fmt::format("--metrics: unknown metric '{}'; known: {}", name, fmt::join(known, ", ")));
      }
      options.metrics.push_back(name);
    }
  }
  return options;
}

// 'text' as one shell word.
std::string shell_quoted(const std::string& text) {
  std::string out = "'";
  for (const char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// `template` with every {filter} and {out} replaced by these (already quoted) words.
std::string substituted(std::string text, const std::string& filter, const std::string& out) {
  for (const auto& [placeholder, value] :
       {std::pair{std::string("{filter}"), filter}, std::pair{std::string("{out}"), out}})
    for (std::size_t at = text.find(placeholder); at != std::string::npos;
         at = text.find(placeholder, at + value.size()))
      text.replace(at, placeholder.size(), value);
  return text;
}

// A private directory for the second run's result file, removed with it.
class ConfirmDirectory {
 public:
  ConfirmDirectory() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern =
        fmt::format("{}/poolbench-confirm.XXXXXX", base != nullptr && *base != 0 ? base : "/tmp");
    if (::mkdtemp(pattern.data()) == nullptr)
      throw UsageError(fmt::format("--confirm-with: cannot create a directory for the second run: {}",
                                   std::strerror(errno)));
    path_ = pattern;
  }
  ~ConfirmDirectory() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ConfirmDirectory(const ConfirmDirectory&) = delete;
  ConfirmDirectory& operator=(const ConfirmDirectory&) = delete;
  std::string file() const { return (path_ / "confirm.json").string(); }

 private:
  std::filesystem::path path_;
};

// Runs the second run (its output to stderr: stdout is the comparison's) and judges it.
void confirm(Comparison& comparison, const ResultFile& base, const std::string& command_template) {
  const std::vector<std::string> rerun = cases_to_confirm(comparison);
  const ConfirmDirectory directory;
  const std::string command =
      substituted(command_template, shell_quoted(exact_names_pattern(rerun)), shell_quoted(directory.file()));
  std::cerr << fmt::format(
      "poolbench compare: confirming {} regressed case(s) with a second run of {} case(s): {}\n",
      comparison.summary.cases_regressed, rerun.size(), command);
  std::cout.flush();
  const int status = std::system(("{ " + command + "\n} 1>&2").c_str());
  // Exit 1 is what a run with a failed case returns: its result file still holds every case.
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) >= 2)
    throw UsageError(fmt::format("--confirm-with: the second run failed ({}): {}",
                                 status != -1 && WIFEXITED(status)
                                     ? fmt::format("exit status {}", WEXITSTATUS(status))
                                     : std::string("killed or not started"),
                                 command));
  ResultFile second;
  try {
    second = read_result_file(directory.file());
  } catch (const ResultFileError& error) {
    throw UsageError(fmt::format("--confirm-with: the second run wrote no usable result ({})", error.what()));
  }
  confirm_regressions(comparison, base, second, command_template);
}

int run_compare(const Arguments& arguments) {
  const Options options = options_from(arguments);
  if (!arguments.confirm_with.empty() && arguments.confirm_with.find("{out}") == std::string::npos)
    throw UsageError("--confirm-with: the command must write its result file to {out}");
  if (arguments.summary && arguments.format == "json")
    throw UsageError("--summary: applies to --format text and md (json always holds everything)");
  ResultFile base;
  ResultFile next;
  try {
    base = read_result_file(arguments.base);
    next = read_result_file(arguments.next);
  } catch (const ResultFileError& error) {
    throw UsageError(error.what());
  }
  Comparison comparison = compare_files(base, next, options);
  if (!arguments.confirm_with.empty() && comparison.gate_failure.empty() &&
      comparison.summary.cases_regressed > 0)
    confirm(comparison, base, arguments.confirm_with);
  if (arguments.format == "json")
    std::cout << format_json(comparison);
  else if (arguments.format == "md")
    std::cout << format_markdown(comparison, arguments.summary);
  else
    std::cout << format_text(comparison, arguments.summary);
  std::cout.flush();
  // The output may go to a file (a pull-request comment): the log says why the gate failed.
  if (!comparison.gate_failure.empty()) std::cerr << "poolbench compare: " << comparison.gate_failure << '\n';
  return exit_status(comparison);
}

// The metrics compare judges, grouped by the catalogue's rule for them.
std::string metrics_by_rule() {
  std::string out = "\nMetrics compared (the metric catalogue's rule for each):\n";
  for (const metrics::Rule rule :
       {metrics::Rule::significance, metrics::Rule::any_increase, metrics::Rule::relative_threshold}) {
    std::vector<std::string> names;
    for (const metrics::Metric* metric : compared_metrics())
      if (metric->rule == rule) names.emplace_back(metric->name);
    out += fmt::format("  {}: {}\n", metrics::to_string(rule), fmt::join(names, ", "));
  }
  return out;
}

const char* const help_footer = R"(
A timed metric (time = real_time, items_per_second, e2e_p99_ns, queue_wait_p99_ns) is a regression only when it
is significant (two-sided Mann-Whitney U over the repetitions; p-values equal those of Google Benchmark's
compare.py, then adjusted for the number of tests the comparison makes, Holm's by default (--adjust), before they
meet --alpha) and worse by more than --min-effect. Why adjusted: two runs made at different times drift apart on
a shared machine, and the quick matrix (120 cases) makes 360 tests, so that at 0.05 each an A/A comparison finds a
few "regressions" by chance. Holm over T tests needs p < alpha / T for its first rejection: 5 against 5
repetitions (smallest p 0.0079) cannot reach that for T = 360; 11 against 11 can. items_per_second is higher-is-better; effects are
factors, so +5% time and -4.8% throughput are the same effect; throughput is not judged on its own but shown at
each side's median time with time's verdict (one quantity, one verdict). When the repetitions are too few for the
test to reach alpha after the adjustment (fewer than 4 against 4 at 0.05 for one test; the note names how many
would do), a change beyond --min-effect is "not enough repetitions to judge" (exit 0); --strict decides on
--min-effect alone. A p-value is printed only where the test was made.
allocs_per_task, bytes_per_task and threads_created are exact: any increase beyond --exact-tolerance (default
0) is a regression where the repetitions agree with each other; allocations may grow by --alloc-tolerance (default
0.05 per task: one more allocation per task is 1) or by --alloc-growth of the smaller median (default 100%, bytes
too), whichever is larger, because a thread per task allocates glibc's thread bookkeeping again whenever its cache
of stacks runs out, which depends on the machine's load (results/compare-aa.md: what A/A pairs here differed by;
a case whose strategy records a thread per task gets four times --alloc-growth). Where the
repetitions do not agree (workers created on demand, a workload whose own allocations depend on timing), a change
must also exceed --spread-factor (default 3) times the largest difference either run shows between its own
repetitions, so record baselines with 3 or more repetitions. peak_rss_bytes: --rss-threshold (default 25%; twice
that for a thread or a fiber per task, whose stacks alive at once follow the timing), and beyond --spread-factor
times its variation between repetitions. For exact
allocation counts: --alloc-tolerance 0 --alloc-growth 0.

--normalize-to STRATEGY divides each case's times (and throughput) by those of the same workload's case for
STRATEGY in the same file, repetition by repetition, so runs from different machines compare as ratios.

--profile ci (or --ci) is what ./scripts/test checks against results/baseline-quick.json:
  --normalize-to inline --min-effect 100% --min-time 10 --alloc-tolerance 0.05 --alloc-growth 100%
  --exact-tolerance 0 --metrics time,allocs_per_task,threads_created --strict --fail-on-missing
i.e. a case fails only when its time relative to inline more than doubles (a 3x slowdown fails, noise between
machines does not; cases under 10 ms, where one preemption on a shared machine is most of the time, are not
timed), when its allocations per task more than double (by at least 0.05 per task, and beyond 3x the variation
the case, or inline on the same workload, shows between repetitions), or when it starts more threads.
Record the baseline with 3 or more repetitions. Flags given explicitly override the profile's values.

--confirm-with CMD: when the comparison finds regressions, CMD runs through /bin/sh (its output to stderr) with
{filter} replaced by a quoted RE2 regex matching exactly the regressed cases and their --normalize-to reference,
and {out} by the result file it must write; the second run is compared with BASE under the same rules and only
the regressions it repeats fail (a case it did not rerun stays failed). E.g.
  --confirm-with "poolbench run --quick --repetitions 3 --quiet --filter {filter} --out {out}"

--fail-on-missing: cases of BASE that NEW lacks (an empty, partial or disjoint NEW) fail the gate, with one line
on stderr counting them.

Exit status: 0 no regression, 1 at least one regression (or a case that fails only in NEW, or a gate failure),
2 unusable input
(missing or unreadable file, invalid or truncated JSON, not a result file, a non-numeric or negative metric).
Cases present in one file only are listed, not an error. Google Benchmark's own JSON is read as well.

Examples:
  poolbench compare results/baseline-quick.json results/latest.json
  poolbench compare --format md --summary --normalize-to inline old.json new.json > comment.md
  poolbench compare --profile ci results/baseline-quick.json results/latest.json)";

const SubcommandRegistrar compare_command_registrar{SubcommandInfo{
    .name = "compare",
    .description = "compare two result files case by case; exit 1 on a regression (for CI)",
    .order = 40,
    .setup =
        [](CLI::App& command) {
          auto arguments = std::make_shared<Arguments>();
          command.add_option("base", arguments->base, "BASE.json: the reference result file")->required();
          command.add_option("new", arguments->next, "NEW.json: the result file to judge")->required();
          command
              .add_option("--format", arguments->format,
                          "output: text (default), md (pull-request comment), json")
              ->check(CLI::IsMember({"text", "md", "json"}));
          command.add_option("--profile", arguments->profile, "default, or ci (see below)")
              ->check(CLI::IsMember({"default", "ci"}));
          command.add_flag("--ci", arguments->ci, "the same as --profile ci");
          command.add_flag("--summary", arguments->summary,
                           "only the summary: counts, regressed and changed cases (md: the rest folded away, "
                           "the whole under 60,000 characters for any matrix)");
          arguments->strict_option =
              command.add_flag("--strict,!--no-strict", arguments->strict,
                               "too few repetitions for the U test: decide on --min-effect alone (default: "
                               "not judged, exit 0; on in --profile ci)");
          arguments->fail_on_missing_option =
              command.add_flag("--fail-on-missing,!--no-fail-on-missing", arguments->fail_on_missing,
                               "exit 1 when cases of BASE are missing from NEW or NEW is an interrupted run "
                               "(on in --profile ci)");
          arguments->alpha_option = command.add_option("--alpha", arguments->alpha,
                                                       "significance level of the U test (default 0.05)");
          arguments->adjust_option =
              command
                  .add_option("--adjust", arguments->adjust,
                              "holm (default), bh or none: how the p-values of the comparison's U tests "
                              "(every timed metric of every case) are adjusted for their number before "
                              "they meet --alpha: Holm bounds the chance of any false regression by alpha, "
                              "Benjamini-Hochberg the share of false ones among those reported; none "
                              "judges each test alone, as Google Benchmark's compare.py")
                  ->type_name("holm|bh|none");
          arguments->min_effect_option =
              command.add_option("--min-effect", arguments->min_effect,
                                 "smallest change of a timed metric that counts (default 5%)");
          arguments->exact_tolerance_option = command.add_option(
              "--exact-tolerance", arguments->exact_tolerance,
              "increase of allocs/bytes per task or threads created tolerated (default 0)");
          arguments->rss_threshold_option = command.add_option("--rss-threshold", arguments->rss_threshold,
                                                               "peak RSS change that counts (default 25%)");
          arguments->spread_factor_option = command.add_option(
              "--spread-factor", arguments->spread_factor,
              "exact metrics that vary between repetitions: a change must exceed this many "
              "times that variation (default 3)");
          arguments->alloc_tolerance_option = command.add_option(
              "--alloc-tolerance", arguments->alloc_tolerance,
              "allocs_per_task increase tolerated, in allocations per task (default 0.05)");
          arguments->alloc_growth_option = command.add_option(
              "--alloc-growth", arguments->alloc_growth,
              "allocs_per_task (and bytes_per_task) increase tolerated relative to the smaller median, where "
              "that is more than --alloc-tolerance (default 100%)");
          arguments->min_time_option =
              command.add_option("--min-time", arguments->min_time_ms,
                                 "MS: timed metrics of cases (or their reference) shorter than this are not "
                                 "compared (default 0)");
          arguments->normalize_option =
              command.add_option("--normalize-to", arguments->normalize_to,
                                 "STRATEGY whose case of each workload divides the times");
          command.add_option(
              "--confirm-with", arguments->confirm_with,
              "CMD: on a regression, rerun the regressed cases (and their --normalize-to "
              "reference) with this shell command, {filter} standing for a regex of their names "
              "and {out} for the result file it must write; only regressions the second run "
              "confirms fail");
          arguments->metrics_option = command
                                          .add_option("--metrics", arguments->metrics,
                                                      "comma list of metrics to compare (default all)")
                                          ->delimiter(',');
          command.footer(metrics_by_rule() + help_footer);
          return std::function<int()>([arguments] { return run_compare(*arguments); });
        },
}};

}  // namespace
}  // namespace poolbench::compare
