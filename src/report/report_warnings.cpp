// Trust signals: what makes this run's figures less certain than a table of medians suggests, said before
// any of them (a busy machine at start, noisy cases, too few or failed repetitions, a probe that costs a
// visible share of the window, producers other than the section's title says).
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "format/units.hpp"
#include "report/report_parts.hpp"

namespace poolbench::report {
namespace {

// How many cases a warning names before it says "and N more".
constexpr std::size_t named_cases = 5;

std::optional<double> number_at(const nlohmann::json& object, const char* key) {
  if (!object.is_object() || !object.contains(key) || !object[key].is_number()) return std::nullopt;
  return object[key].get<double>();
}

// The machine's core count: what poolbench recorded, else Google Benchmark's CPU count.
std::optional<double> core_count(const nlohmann::json& context) {
  if (context.is_object() && context.contains("poolbench"))
    if (auto cores = number_at(context["poolbench"], "cores"); cores && *cores > 0) return cores;
  if (auto cpus = number_at(context, "num_cpus"); cpus && *cpus > 0) return cpus;
  return std::nullopt;
}

std::string where(const WorkloadTable& table, const StrategyRow& row) {
  return fmt::format("`{}` in \"{}\"", row.label, table.title);
}

std::string listed(const std::vector<std::string>& items) {
  std::vector<std::string> shown(items.begin(), items.begin() + std::min(items.size(), named_cases));
  std::string out = fmt::format("{}", fmt::join(shown, "; "));
  if (items.size() > named_cases) out += fmt::format("; and {} more", items.size() - named_cases);
  return out;
}

}  // namespace

std::vector<std::string> build_warnings(const ResultFile& file, const Report& report) {
  std::vector<std::string> out;
  const nlohmann::json& context = file.context;
  if (context.is_object() && context.contains("load_avg") && context["load_avg"].is_array() &&
      !context["load_avg"].empty() && context["load_avg"][0].is_number())
    if (auto cores = core_count(context)) {
      const double load = context["load_avg"][0].get<double>();
      if (load > *cores / 2)
        out.push_back(fmt::format(
            "The machine was busy when the run started: load average {:g} on {:g} cores (above half the "
            "cores). "
            "Other work competed with the cases; rerun on a quiet machine before trusting small differences.",
            load, *cores));
    }

  std::vector<std::string> noisy, few, failed, probe, producers;
  std::size_t cases = 0;
  for (const auto& table : report.tables)
    for (const auto& row : table.rows) {
      ++cases;
      if (row.failed_repetitions > 0)
        failed.push_back(fmt::format("{} ({} of {})", where(table, row), row.failed_repetitions,
                                     row.failed_repetitions + row.successful_repetitions));
      if (row.successful_repetitions > 0 && row.successful_repetitions < min_decision_repetitions)
        few.push_back(fmt::format("{} ({})", where(table, row), row.successful_repetitions));
      if (auto samples = row.samples.find(table.compared_time);
          samples != row.samples.end() && samples->second.size() >= 2) {
        const double cv = metrics::cv(samples->second);
        if (cv > warn_cv) {
          const auto [low, high] = std::minmax_element(samples->second.begin(), samples->second.end());
          noisy.push_back(fmt::format("{}: CV {}% ({} to {})", where(table, row),
                                      format_significant(cv * 100), format_duration_ns(*low),
                                      format_duration_ns(*high)));
        }
      }
      if (const Spread* share = row.find(metric::probe_share); share && share->median > warn_probe_share)
        probe.push_back(fmt::format("{}: {}%", where(table, row), format_significant(share->median * 100)));
      if (row.effective_producers != 0)
        producers.push_back(fmt::format("{} ran with {} producer threads, not {}", where(table, row),
                                        row.effective_producers, table.producers));
    }
  if (!failed.empty())
    out.push_back(fmt::format("{} failed repetitions (left out of every median): {}.",
                              plural(failed.size(), "case has", "cases have"), listed(failed)));
  if (!few.empty())
    out.push_back(fmt::format(
        "{} of {} cases have fewer than {} successful repetitions: their spread says little, and decisions "
        "that rest on them are \"undecided\" (run with --repetitions {} or more): {}.",
        few.size(), cases, min_decision_repetitions, min_decision_repetitions, listed(few)));
  if (!noisy.empty())
    out.push_back(fmt::format(
        "{} of {} cases vary by more than {:.0f}% between repetitions (coefficient of variation of the "
        "compared time), so their medians are uncertain: {}.",
        noisy.size(), cases, warn_cv * 100, listed(noisy)));
  if (!probe.empty())
    out.push_back(fmt::format(
        "The latency probe took more than {:.0f}% of the window in {} (probe_share), which slows those "
        "cases against unprobed ones: {}.",
        warn_probe_share * 100, plural(probe.size(), "case", "cases"), listed(probe)));
  if (!producers.empty())
    out.push_back(fmt::format(
        "Producers differ from the section titles: a synchronous strategy is driven by one producer thread "
        "per worker, so {}: {}.",
        producers.size() == 1 ? "this case did not run with its title's producer count"
                              : "these cases did not run with their title's producer count",
        listed(producers)));
  return out;
}

}  // namespace poolbench::report
