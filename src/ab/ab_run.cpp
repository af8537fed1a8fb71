#include "ab/ab_run.hpp"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <memory>

#include <fmt/format.h>

#include "ab/ab_schedule.hpp"
#include "errors.hpp"
#include "format/units.hpp"
#include "result/case_name.hpp"
#include "result/output_file.hpp"
#include "result/result_document.hpp"
#include "result/result_file.hpp"
#include "run/child.hpp"

namespace poolbench::ab {
namespace {

using Clock = std::chrono::steady_clock;

RunOptions side_options(const Settings& settings, const Side& side, const std::string& out_path) {
  RunOptions options;
  options.out_path = out_path;
  options.timeout_seconds = settings.timeout_seconds;
  options.timeout_estimate_factor = settings.timeout_estimate_factor;
  options.quiet = true;
  options.command_line = settings.command_line;
  options.self_path = side.executable;
  options.plugin_paths = side.plugins;
  options.child_environment = side.environment;
  return options;
}

nlohmann::ordered_json side_json(const Side& side) {
  return {{"given", side.given},
          {"executable", side.executable},
          {"plugins", side.plugins},
          {"environment", side.environment}};
}

// A side's result file: an ordinary run's, one repetition per round, with the comparison named in its
// context.
ResultDocument side_document(const Settings& settings, const Plan& plan, const Side& side,
                             const std::string& path) {
  nlohmann::ordered_json context =
      run_context(RunDescription{.command_line = settings.command_line,
                                 .executable = side.executable,
                                 .repetitions = settings.analysis.max_rounds,
                                 .cases = plan.cases.size(),
                                 .timeout_seconds = settings.timeout_seconds,
                                 .timeout_estimate_factor = settings.timeout_estimate_factor,
                                 .warmup_tasks = plan.warmup_tasks,
                                 .probe_enabled = plan.probe_enabled,
                                 .affinity = plan.affinity,
                                 .plan_cases = plan.plan_cases,
                                 .plan_digest = plan.plan_digest,
                                 .shard_index = 0,
                                 .shard_count = 0});
  context["poolbench"]["ab"] = {
      {"side", side.label}, {"seed", settings.seed}, {"this_side", side_json(side)}};
  return ResultDocument(path, std::move(context), plan.cases.size());
}

// 1, 2 or 5 times a power of ten, at least `value`: a scaled task count a person reads at a glance.
std::size_t round_up_nicely(double value) {
  double power = 1;
  while (power * 10 <= value) power *= 10;
  for (double step : {1.0, 2.0, 5.0, 10.0})
    if (step * power >= value) return static_cast<std::size_t>(step * power);
  return static_cast<std::size_t>(10 * power);
}

// 1, 2 or 5 times a power of ten, at most `value` (at least 1).
std::size_t round_down_nicely(double value) {
  double power = 1;
  while (power * 10 <= value) power *= 10;
  for (double step : {5.0, 2.0, 1.0})
    if (step * power <= value) return static_cast<std::size_t>(step * power);
  return 1;
}

// Times each case with base (untimed runs: not rounds) and gives the cases whose window is shorter than the
// minimum more tasks, those longer than the maximum fewer (never fewer than ten waves of its workers, nor
// 100). A window is not proportional to its tasks (a wave of sleeps takes as long for one task as for K, and
// threads start inside some windows), so a case scaled up is timed again with its new tasks and scaled again
// until a window reaches the minimum, growing by 1.4 times what the last window asks (Google Benchmark's
// runner grows its iterations the same way). A case whose calibration fails keeps its tasks (its rounds will
// say why it fails).
void scale_windows(const Settings& settings, const RunOptions& base_options,
                   const std::filesystem::path& scratch, Outcome& outcome) {
  // More than this many times the planned tasks is not a scaling but another case.
  constexpr double largest_factor = 1000;
  constexpr double growth_margin = 1.4;
  constexpr int most_timings = 5;
  constexpr std::size_t fewest_tasks = 100;
  constexpr std::size_t fewest_waves = 10;
  // The window of `spec` with `tasks` tasks, timed once with base; nullopt when the run failed.
  const auto time_window = [&](CaseSpec spec, std::size_t tasks) -> std::optional<double> {
    if (tasks != spec.info.tasks) {
      CaseName name = CaseName::parse(spec.name);
      name.tasks = tasks;
      spec.name = name.str();
      spec.info.tasks = tasks;
    }
    ChildOutcome child = run_child(base_options, spec, scratch);
    if (!child.entry) return std::nullopt;
    const EntryIdentity identity{spec.name, spec.family_index, 1, 0, spec.info};
    const ResultEntry entry = stamp_entry(*child.entry, identity);
    if (entry.error_occurred || !(entry.real_time_ns() > 0)) return std::nullopt;
    return entry.real_time_ns() / 1e9;
  };
  for (CaseSpec& spec : outcome.plan.cases) {
    if (interrupt_requested()) return;
    const std::optional<double> planned_window = time_window(spec, spec.info.tasks);
    if (!planned_window) continue;
    std::size_t tasks = spec.info.tasks;
    double window_seconds = *planned_window;
    if (settings.min_window_seconds > 0 && window_seconds < settings.min_window_seconds) {
      const double most_tasks = static_cast<double>(spec.info.tasks) * largest_factor;
      for (int timing = 1; timing < most_timings && window_seconds < settings.min_window_seconds &&
                           static_cast<double>(tasks) < most_tasks;
           ++timing) {
        const double wanted = static_cast<double>(tasks) * growth_margin * settings.min_window_seconds /
                              std::max(window_seconds, 1e-9);
        tasks = round_up_nicely(std::min(most_tasks, wanted));
        const std::optional<double> scaled_window = time_window(spec, tasks);
        if (!scaled_window) break;  // the rounds will say why, with these tasks
        window_seconds = *scaled_window;
      }
    } else if (settings.max_window_seconds > 0 && window_seconds > settings.max_window_seconds) {
      const std::size_t floor = std::max(fewest_tasks, fewest_waves * spec.info.workers);
      const double wanted =
          static_cast<double>(spec.info.tasks) * settings.max_window_seconds / window_seconds;
      tasks = std::min(spec.info.tasks, std::max(floor, round_down_nicely(wanted)));
    }
    if (tasks == spec.info.tasks) continue;
    CaseName name = CaseName::parse(spec.name);
    name.tasks = tasks;
    Scaled scaled{.from = spec.name,
                  .to = name.str(),
                  .calibration_ns = *planned_window * 1e9,
                  .scaled_window_ns = tasks > spec.info.tasks ? window_seconds * 1e9 : 0.0};
    spec.estimate_seconds *= static_cast<double>(tasks) / static_cast<double>(spec.info.tasks);
    spec.info.tasks = tasks;
    spec.name = scaled.to;
    outcome.scaled.push_back(std::move(scaled));
  }
}

std::string percent(double fraction) {
  return std::isfinite(fraction) ? fmt::format("±{:.1f}%", fraction * 100) : std::string("±∞");
}

}  // namespace

nlohmann::ordered_json ab_document(const Settings& settings, const Outcome& outcome) {
  nlohmann::ordered_json document;
  document["poolbench_ab"] = 1;
  document["command_line"] = settings.command_line;
  document["seed"] = settings.seed;
  document["base"] = side_json(settings.base);
  document["new"] = side_json(settings.next);
  const Options& options = settings.analysis;
  document["options"] = {
      {"alpha", options.alpha},
      {"adjust", options.adjustment == Options::Adjustment::holm ? "holm" : "bh"},
      {"test", to_string(options.test)},
      {"min_effect", options.min_effect},
      {"confidence", options.confidence},
      {"until_ci", options.until_ci ? nlohmann::ordered_json(*options.until_ci) : nullptr},
      {"min_rounds", options.min_rounds},
      {"max_rounds", settings.analysis.max_rounds},
      {"early_stop_looks", options.until_ci ? nlohmann::ordered_json(options.early_stop_looks()) : nullptr},
      {"budget_seconds",
       settings.budget_seconds ? nlohmann::ordered_json(*settings.budget_seconds) : nullptr}};
  document["stopped_because"] = outcome.stopped_because;
  document["complete"] = !outcome.interrupted;
  document["seconds"] = outcome.seconds;
  document["min_window_seconds"] = settings.min_window_seconds;
  document["max_window_seconds"] = settings.max_window_seconds;
  auto& scaled = document["scaled"] = nlohmann::ordered_json::array();
  for (const Scaled& item : outcome.scaled)
    scaled.push_back({{"from", item.from},
                      {"to", item.to},
                      {"calibration_ns", item.calibration_ns},
                      {"scaled_window_ns", item.scaled_window_ns}});
  auto& rounds = document["rounds"] = nlohmann::ordered_json::array();
  for (const RoundLog& log : outcome.rounds) {
    auto& round = rounds.emplace_back();
    round["round"] = log.round;
    round["started_seconds"] = log.started_seconds;
    round["seconds"] = log.seconds;
    auto& order = round["order"] = nlohmann::ordered_json::array();
    for (std::size_t slot = 0; slot < log.order.size(); ++slot)
      order.push_back({{"case", outcome.plan.cases[log.order[slot]].name},
                       {"first", log.base_first[slot] ? "base" : "new"}});
  }
  auto& cases = document["cases"] = nlohmann::ordered_json::array();
  for (std::size_t index = 0; index < outcome.analysis.size(); ++index) {
    const CaseAnalysis& c = outcome.analysis[index];
    auto& item = cases.emplace_back();
    item["name"] = c.name;
    item["verdict"] = to_string(c.verdict);
    item["rounds"] = c.rounds;
    item["base_median_ns"] = c.base_median_ns;
    item["new_median_ns"] = c.new_median_ns;
    item["ratio_median"] = c.ratio_median;
    item["ratio_interval_estimate"] =
        c.ratio_interval.estimate;  // the median or Hodges-Lehmann's (options.test)
    if (c.ratio_interval.bounded)
      item["ratio_interval"] = {c.ratio_interval.low, c.ratio_interval.high};
    else
      item["ratio_interval"] = nullptr;
    item["p_value"] = c.p_value;
    item["p_adjusted"] = c.p_adjusted;
    item["outlier_rounds"] = c.outlier_rounds;
    item["base_failures"] = c.base_failures;
    item["new_failures"] = c.new_failures;
    if (!c.failure.empty()) item["failure"] = c.failure;
    auto& ratios = item["ratios"] = nlohmann::ordered_json::array();
    for (const Pair& pair : outcome.records[index].pairs)
      if (pair.base_ns && pair.new_ns)
        ratios.push_back({{"round", pair.round}, {"base_ns", *pair.base_ns}, {"new_ns", *pair.new_ns}});
  }
  return document;
}

Outcome run_ab(const Settings& settings) {
  namespace fs = std::filesystem;
  const fs::path dir = settings.out_dir;
  const std::string base_path = (dir / "base.json").string();
  const std::string new_path = (dir / "new.json").string();
  const std::string ab_path = (dir / "ab.json").string();
  for (const auto& [flag, path] : {std::pair{"--out", base_path}, {"--out", new_path}, {"--out", ab_path}})
    check_output_path(flag, path);

  InterruptGuard interrupt_guard;
  const OutputLock lock("--out", ab_path);
  ScratchDirectory scratch;
  Outcome outcome;
  outcome.plan = settings.plan;
  const RunOptions base_options = side_options(settings, settings.base, base_path);
  const RunOptions new_options = side_options(settings, settings.next, new_path);
  if (settings.min_window_seconds > 0 || settings.max_window_seconds > 0) {
    if (!settings.quiet)
      fmt::print(
          stderr, "ab: timing each case with base, to scale its tasks to a window of {} to {}\n",
          settings.min_window_seconds > 0 ? format_duration_ns(settings.min_window_seconds * 1e9) : "any",
          settings.max_window_seconds > 0 ? format_duration_ns(settings.max_window_seconds * 1e9) : "any");
    scale_windows(settings, base_options, scratch.path(), outcome);
    if (!settings.quiet && !outcome.scaled.empty())
      fmt::print(stderr, "ab: {} of {} cases scaled (ab.json lists them)\n", outcome.scaled.size(),
                 outcome.plan.cases.size());
  }
  const Plan& plan = outcome.plan;
  ResultDocument base_document = side_document(settings, plan, settings.base, base_path);
  ResultDocument new_document = side_document(settings, plan, settings.next, new_path);

  const std::size_t cases = plan.cases.size();
  outcome.records.resize(cases);
  for (std::size_t index = 0; index < cases; ++index) outcome.records[index].name = plan.cases[index].name;
  std::vector<std::size_t> repetitions_done(cases, 0);
  std::vector<std::size_t> active(cases);
  for (std::size_t index = 0; index < cases; ++index) active[index] = index;

  const auto started = Clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - started).count(); };
  double last_round_seconds = 0;
  std::size_t last_round_cases = 0;

  auto run_side = [&](const RunOptions& options, ResultDocument& document, std::size_t index,
                      std::optional<double>& time_ns, std::string& failure) {
    CaseSpec spec = plan.cases[index];
    spec.repetition_index = repetitions_done[index];
    ChildOutcome child = run_child(options, spec, scratch.path());
    if (interrupt_requested()) return false;
    const EntryIdentity identity{spec.name, spec.family_index, settings.analysis.max_rounds,
                                 spec.repetition_index, spec.info};
    ResultEntry entry =
        child.entry ? stamp_entry(*child.entry, identity) : failed_entry(identity, child.failure);
    if (entry.error_occurred)
      failure = entry.error_message;
    else
      time_ns = entry.real_time_ns();
    // Written once a round (below), not after every case: each write is an fsync, and two per case pair were
    // a large share of a round's time on a loaded machine.
    document.add(index, std::move(entry));
    return true;
  };

  for (std::size_t round = 0; round < settings.analysis.max_rounds; ++round) {
    if (active.empty()) {
      outcome.stopped_because = "all cases settled";
      break;
    }
    if (settings.budget_seconds && round > 0) {
      // The next round's cost, by the last one's pace per case.
      const double expected = last_round_seconds * static_cast<double>(active.size()) /
                              static_cast<double>(std::max<std::size_t>(last_round_cases, 1));
      if (elapsed() + expected > *settings.budget_seconds) {
        outcome.stopped_because = "--budget";
        break;
      }
    }
    RoundLog log;
    log.round = round;
    log.started_seconds = elapsed();
    const std::vector<Slot> order = round_order(settings.seed, round, active);
    for (const Slot& slot : order) {
      Pair pair{.round = round,
                .base_first = slot.base_first,
                .base_ns = {},
                .new_ns = {},
                .base_failure = {},
                .new_failure = {}};
      bool finished =
          slot.base_first
              ? run_side(base_options, base_document, slot.case_index, pair.base_ns, pair.base_failure) &&
                    run_side(new_options, new_document, slot.case_index, pair.new_ns, pair.new_failure)
              : run_side(new_options, new_document, slot.case_index, pair.new_ns, pair.new_failure) &&
                    run_side(base_options, base_document, slot.case_index, pair.base_ns, pair.base_failure);
      if (!finished) break;
      ++repetitions_done[slot.case_index];
      outcome.records[slot.case_index].pairs.push_back(std::move(pair));
      log.order.push_back(slot.case_index);
      log.base_first.push_back(slot.base_first);
    }
    log.seconds = elapsed() - log.started_seconds;
    last_round_seconds = log.seconds;
    last_round_cases = log.order.size();
    outcome.rounds.push_back(std::move(log));
    if (interrupt_requested()) break;
    outcome.analysis = analyse(outcome.records, settings.analysis);
    std::vector<std::size_t> still;
    for (std::size_t index : active)
      if (!outcome.analysis[index].settled) still.push_back(index);
    active = std::move(still);
    outcome.seconds = elapsed();
    base_document.write();
    new_document.write();
    write_json_atomically(ab_path, ab_document(settings, outcome));
    if (!settings.quiet) {
      std::size_t undecided = 0;
      const CaseAnalysis* widest = nullptr;
      for (const CaseAnalysis& c : outcome.analysis) {
        if (c.verdict == Verdict::undecided) ++undecided;
        if (c.verdict != Verdict::failed &&
            (widest == nullptr || c.interval_half_width() > widest->interval_half_width()))
          widest = &c;
      }
      fmt::print(
          stderr, "ab: round {} of at most {} took {:.1f} s ({} cases); {} still running, {} undecided{}\n",
          round + 1, settings.analysis.max_rounds, outcome.rounds.back().seconds,
          outcome.rounds.back().order.size(), active.size(), undecided,
          widest != nullptr
              ? fmt::format("; widest interval {} ({})", percent(widest->interval_half_width()), widest->name)
              : std::string());
    }
  }
  if (outcome.stopped_because.empty())
    outcome.stopped_because = active.empty() ? "all cases settled" : "--max-rounds";
  outcome.interrupted = interrupt_requested();
  if (outcome.interrupted) outcome.stopped_because = "interrupted";
  outcome.analysis = analyse(outcome.records, settings.analysis);
  outcome.seconds = elapsed();
  if (!outcome.interrupted) {
    base_document.declare_complete();
    new_document.declare_complete();
  }
  // An interrupted round's finished cases too.
  base_document.write();
  new_document.write();
  write_json_atomically(ab_path, ab_document(settings, outcome));
  return outcome;
}

}  // namespace poolbench::ab
