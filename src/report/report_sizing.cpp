// Sizing K: see report_sizing.hpp for what W, λ, Little's K and "enough" are.
#include "report/report_sizing.hpp"

#include <algorithm>
#include <cmath>
#include <set>
#include <tuple>
#include <utility>

#include <fmt/format.h>

#include "format/markdown.hpp"
#include "format/units.hpp"
#include "report/report_parts.hpp"
#include "report/report_render.hpp"

namespace poolbench::report {
namespace {

using Json = nlohmann::ordered_json;

bool sized_by_workers(const WorkloadTable& table) {
  return table.workload != "footprint" && table.workload_params.count("arrival") == 0;
}

Json sizing_spread_json(const Spread& spread) {
  return Json{{"median", spread.median}, {"min", spread.min}, {"max", spread.max}};
}

std::string format_workers(double workers) {
  return workers < 10 ? fmt::format("{:.2g}", workers) : format_count(std::round(workers));
}

}  // namespace

SizingCurve sizing_curve(std::string label, std::vector<SizingPoint> points) {
  SizingCurve curve;
  curve.label = std::move(label);
  std::sort(points.begin(), points.end(),
            [](const SizingPoint& a, const SizingPoint& b) { return a.workers < b.workers; });
  curve.points = std::move(points);
  if (curve.points.empty()) return curve;
  const SizingPoint* best = &curve.points.front();
  for (const auto& point : curve.points)
    if (point.tasks_per_second.median > best->tasks_per_second.median) best = &point;
  curve.best_rate = best->tasks_per_second.median;
  curve.best_workers = best->workers;
  for (const auto& point : curve.points) {
    const bool close_to_best = point.tasks_per_second.median >= enough_fraction * curve.best_rate ||
                               point.tasks_per_second.max >= best->tasks_per_second.min;
    if (close_to_best) {
      curve.enough_workers = point.workers;
      break;
    }
  }
  const SizingPoint& first = curve.points.front();
  if (first.workers == 1 && first.tasks_per_second.median > 0) {
    curve.service_ns = 1e9 / first.tasks_per_second.median;
    curve.little_workers = curve.best_rate * *curve.service_ns / 1e9;
  }
  return curve;
}

std::vector<SizingGroup> sizing_groups(const Report& report) {
  using Key = std::tuple<std::string, std::map<std::string, std::string>, std::size_t, std::size_t>;
  std::map<Key, std::vector<const WorkloadTable*>> by_config;
  std::vector<Key> order;
  for (const auto& table : report.tables) {
    if (!sized_by_workers(table)) continue;
    const Key key{table.workload, table.workload_params, table.tasks, table.producers};
    if (by_config.find(key) == by_config.end()) order.push_back(key);
    by_config[key].push_back(&table);
  }
  std::vector<SizingGroup> groups;
  for (const auto& key : order) {
    const auto& tables = by_config[key];
    std::set<std::size_t> workers;
    for (const auto* table : tables) workers.insert(table->workers);
    if (workers.size() < 2) continue;
    SizingGroup group;
    const auto& [workload, params, tasks, producers] = key;
    group.workload = workload;
    group.workload_params = params;
    group.title = workload;
    if (!params.empty()) group.title += fmt::format(" ({})", join_params(params));
    group.title +=
        fmt::format(" — {}, {}", plural(tasks, "task", "tasks"), plural(producers, "producer", "producers"));
    std::vector<std::string> labels;
    std::map<std::string, std::vector<SizingPoint>> points;
    for (const auto* table : tables)
      for (const auto& row : table->rows) {
        const Spread* rate = row.find(metric::items_per_second);
        if (rate == nullptr || row.successful_repetitions == 0) continue;
        if (std::find(labels.begin(), labels.end(), row.label) == labels.end()) labels.push_back(row.label);
        const Spread* p99 = row.find(metric::e2e_p99_ns);
        points[row.label].push_back(
            SizingPoint{table->workers, *rate, p99 ? std::optional<Spread>(*p99) : std::nullopt});
      }
    for (const auto& label : labels) group.curves.push_back(sizing_curve(label, points[label]));
    groups.push_back(std::move(group));
  }
  return groups;
}

std::string render_sizing_section(const Report& report) {
  std::string out = "## Sizing K\n\n";
  const auto groups = sizing_groups(report);
  if (groups.empty()) {
    out +=
        "Not measured in this run: every configuration ran at one worker count in a closed loop (run with "
        "`-k 1,2,4,8` to see throughput and p99 against K, and Little's law's K beside the one that is "
        "enough).\n\n";
    return out;
  }
  out += fmt::format(
      "The guide's Appendix S20 against this run. Per strategy: median tasks/s at each K (then e2e p99); "
      "**W** "
      "= 1 / tasks/s at K = 1 (the time a task holds a worker, hand-off included); **λ** = the best median "
      "tasks/s of any K; **Little's K** = λ·W, the tasks in service at once that λ needs (K_min = ⌈λ·W⌉); "
      "**enough** = the smallest K whose tasks/s is within the noise of the best K's (median at least "
      "{:.0f}% "
      "of the best, or ranges overlapping): a larger K buys nothing this run can tell apart.\n\n",
      enough_fraction * 100);
  for (const auto& group : groups) {
    out += fmt::format("### {}\n\n", markdown::cell(group.title));
    std::set<std::size_t> all_workers;
    for (const auto& curve : group.curves)
      for (const auto& point : curve.points) all_workers.insert(point.workers);
    out += "| Strategy |";
    for (const std::size_t k : all_workers) out += fmt::format(" K={} |", k);
    out += " W | λ (at K) | Little's K = λ·W | Enough |\n|---|";
    for (std::size_t i = 0; i < all_workers.size() + 4; ++i) out += "---:|";
    out += "\n";
    for (const auto& curve : group.curves) {
      out += fmt::format("| {} |", markdown::code(curve.label));
      for (const std::size_t k : all_workers) {
        auto point = std::find_if(curve.points.begin(), curve.points.end(),
                                  [k](const SizingPoint& p) { return p.workers == k; });
        if (point == curve.points.end()) {
          out += fmt::format(" {} |", dash);
          continue;
        }
        out += fmt::format(" {} |", format_rate(point->tasks_per_second.median));
      }
      out += fmt::format(" {} | {} (K={}) | {} | **{}** |\n",
                         curve.service_ns ? format_duration_ns(*curve.service_ns) : std::string(dash),
                         format_rate(curve.best_rate), curve.best_workers,
                         curve.little_workers ? format_workers(*curve.little_workers) : std::string(dash),
                         curve.enough_workers);
    }
    out += "\nEnd-to-end p99 at each K:\n\n| Strategy |";
    for (const std::size_t k : all_workers) out += fmt::format(" K={} |", k);
    out += "\n|---|";
    for (std::size_t i = 0; i < all_workers.size(); ++i) out += "---:|";
    out += "\n";
    for (const auto& curve : group.curves) {
      out += fmt::format("| {} |", markdown::code(curve.label));
      for (const std::size_t k : all_workers) {
        auto point = std::find_if(curve.points.begin(), curve.points.end(),
                                  [k](const SizingPoint& p) { return p.workers == k; });
        out += fmt::format(" {} |", point != curve.points.end() && point->e2e_p99_ns
                                        ? format_duration_ns(point->e2e_p99_ns->median)
                                        : std::string(dash));
      }
      out += "\n";
    }
    out += "\n";
    // The answer the guide asks for, for the strategy that carried the most.
    const SizingCurve* fastest = nullptr;
    for (const auto& curve : group.curves)
      if (fastest == nullptr || curve.best_rate > fastest->best_rate) fastest = &curve;
    if (fastest != nullptr) {
      out += fmt::format("For this workload K = {} is enough (`{}`, {} at K = {}", fastest->enough_workers,
                         fastest->label, format_rate(fastest->best_rate), fastest->best_workers);
      out += fastest->little_workers ? fmt::format("; Little's law predicts K ≈ λ·W = {}).\n\n",
                                                   format_workers(*fastest->little_workers))
                                     : std::string("; no K = 1 point, so no W for Little's law).\n\n");
    }
  }
  return out;
}

Json sizing_to_json(const Report& report) {
  Json out = Json::array();
  for (const auto& group : sizing_groups(report)) {
    Json curves = Json::array();
    for (const auto& curve : group.curves) {
      Json points = Json::array();
      for (const auto& point : curve.points)
        points.push_back(
            Json{{"workers", point.workers},
                 {"tasks_per_second", sizing_spread_json(point.tasks_per_second)},
                 {"e2e_p99_ns", point.e2e_p99_ns ? sizing_spread_json(*point.e2e_p99_ns) : Json(nullptr)}});
      curves.push_back(
          Json{{"label", curve.label},
               {"points", points},
               {"service_ns", curve.service_ns ? Json(*curve.service_ns) : Json(nullptr)},
               {"best_rate", curve.best_rate},
               {"best_workers", curve.best_workers},
               {"little_workers", curve.little_workers ? Json(*curve.little_workers) : Json(nullptr)},
               {"enough_workers", curve.enough_workers}});
    }
    out.push_back(Json{{"title", group.title},
                       {"workload", group.workload},
                       {"workload_params", group.workload_params},
                       {"curves", curves}});
  }
  return out;
}

}  // namespace poolbench::report
