#include "report/report_hosts.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "format/markdown.hpp"
#include "report/report_render.hpp"

namespace poolbench::report {
namespace {

const nlohmann::json* facts_of(const ResultFile& file, const std::string& host) {
  if (!file.is_poolbench()) return nullptr;
  const auto& poolbench = file.context["poolbench"];
  const auto hosts = poolbench.find("hosts");
  if (hosts == poolbench.end() || !hosts->is_array()) return nullptr;
  for (const auto& facts : *hosts)
    if (facts.is_object() && facts.value("host_name", std::string()) == host) return &facts;
  return nullptr;
}

std::string machine_of(const ResultFile& file) {
  std::vector<std::string> parts;
  if (file.is_poolbench()) {
    const auto& poolbench = file.context["poolbench"];
    if (auto model = poolbench.find("cpu_model"); model != poolbench.end() && model->is_string())
      parts.push_back(model->get<std::string>());
    if (auto cores = poolbench.find("cores"); cores != poolbench.end() && cores->is_number())
      parts.push_back(fmt::format("{} cores", cores->dump()));
  }
  return fmt::format("{}", fmt::join(parts, ", "));
}

// Strategies of a table, fastest first by the time its recommendation compares (rows not timed left out).
std::vector<std::string> ranked_labels(const WorkloadTable& table) {
  std::vector<std::pair<double, std::string>> timed;
  for (const StrategyRow& row : table.rows)
    if (const Spread* time = row.find(table.compared_time)) timed.emplace_back(time->median, row.label);
  std::stable_sort(timed.begin(), timed.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> out;
  for (auto& [time, label] : timed) out.push_back(std::move(label));
  return out;
}

// A heading one level deeper, so that each host's report sits under its host's heading.
std::string demoted(const std::string& markdown) {
  std::istringstream lines(markdown);
  std::string out, line;
  while (std::getline(lines, line)) {
    if (line.rfind('#', 0) == 0) out += '#';
    out.append(line).append("\n");
  }
  return out;
}

}  // namespace

ResultFile entries_of_host(const ResultFile& file, const std::string& host) {
  ResultFile out;
  out.path = file.path;
  out.context = file.context;
  for (const ResultEntry& entry : file.entries)
    if (file.host_of(entry) == host) out.entries.push_back(entry);
  out.context["host_name"] = host;
  if (const nlohmann::json* facts = facts_of(file, host)) {
    for (const char* key : {"num_cpus", "mhz_per_cpu"})
      if (facts->contains(key)) out.context[key] = (*facts)[key];
    for (const char* key : {"cores", "cpu_model", "kernel"})
      if (facts->contains(key)) out.context["poolbench"][key] = (*facts)[key];
  }
  return out;
}

HostsReport build_hosts_report(const ResultFile& file, const ReportOptions& options) {
  HostsReport out;
  out.source = file.path;
  for (const std::string& host : file.hosts()) {
    const ResultFile own = entries_of_host(file, host);
    HostReport item{.host = host, .machine = machine_of(own), .report = build_report(own, options)};
    out.tables_with_baseline += item.report.tables_with_baseline;
    out.hosts.push_back(std::move(item));
  }
  // Configurations in the order first met, host by host.
  std::map<std::string, std::size_t> position;
  for (std::size_t host = 0; host < out.hosts.size(); ++host)
    for (const WorkloadTable& table : out.hosts[host].report.tables) {
      auto [found, added] = position.try_emplace(table.title, out.ranking.size());
      if (added)
        out.ranking.push_back(HostRanking{.configuration = table.title,
                                          .ranked = std::vector<std::vector<std::string>>(out.hosts.size()),
                                          .winner_changes = std::nullopt});
      out.ranking[found->second].ranked[host] = ranked_labels(table);
    }
  // The winner among the strategies every host measured (a host missing one would win by its absence).
  for (HostRanking& ranking : out.ranking) {
    std::vector<const std::vector<std::string>*> measured;
    for (const auto& ranked : ranking.ranked)
      if (!ranked.empty()) measured.push_back(&ranked);
    if (measured.size() < 2) continue;
    std::set<std::string> common(measured.front()->begin(), measured.front()->end());
    for (const auto* ranked : measured) {
      std::set<std::string> both;
      for (const std::string& label : *ranked)
        if (common.count(label) != 0) both.insert(label);
      common = std::move(both);
    }
    if (common.size() < 2) continue;
    std::set<std::string> winners;
    for (const auto* ranked : measured)
      winners.insert(*std::find_if(ranked->begin(), ranked->end(),
                                   [&](const std::string& label) { return common.count(label) != 0; }));
    ranking.winner_changes = winners.size() > 1;
  }
  return out;
}

std::string render_hosts_markdown(const HostsReport& report) {
  std::string out = fmt::format(
      "# poolbench report: {} hosts\n\nMade by `poolbench report` from `{}`, a file holding the results of "
      "{} "
      "hosts (`poolbench merge`). Each host has its own report below, from its own entries only; first, the "
      "strategies of every configuration ranked side by side (fastest first, by the time each table's "
      "recommendation compares).\n\n## Ranking across hosts\n\n",
      report.hosts.size(), report.source, report.hosts.size());
  std::size_t compared = 0, changed = 0;
  for (const HostRanking& ranking : report.ranking)
    if (ranking.winner_changes) {
      ++compared;
      changed += *ranking.winner_changes ? 1 : 0;
    }
  out += fmt::format(
      "The fastest strategy changes between hosts in {} of the {} configurations that two or more hosts "
      "measured with two or more strategies in common (the winner is taken among those).\n\n| configuration "
      "|",
      changed, compared);
  for (const HostReport& host : report.hosts)
    out += host.machine.empty()
               ? fmt::format(" {} |", markdown::code(host.host))
               : fmt::format(" {} ({}) |", markdown::code(host.host), markdown::cell(host.machine));
  out += " winner changes |\n|---|";
  for (std::size_t index = 0; index < report.hosts.size(); ++index) out += "---|";
  out += "---|\n";
  for (const HostRanking& ranking : report.ranking) {
    out += fmt::format("| {} |", markdown::cell(ranking.configuration));
    for (const auto& ranked : ranking.ranked) {
      std::string cell;
      for (std::size_t index = 0; index < std::min<std::size_t>(ranked.size(), 3); ++index)
        cell.append(index == 0 ? fmt::format("**{}**", ranked[index]) : fmt::format(" < {}", ranked[index]));
      if (ranked.size() > 3) cell.append(" < …");
      out += fmt::format(" {} |", cell.empty() ? std::string("—") : markdown::cell(cell));
    }
    out += ranking.winner_changes ? (*ranking.winner_changes ? " **yes** |\n" : " no |\n") : " — |\n";
  }
  for (const HostReport& host : report.hosts) {
    out += fmt::format("\n## Host {}{}{}\n\n", markdown::code(host.host), host.machine.empty() ? "" : ": ",
                       host.machine);
    out += demoted(render_markdown(host.report));
  }
  return out;
}

nlohmann::ordered_json hosts_report_to_json(const HostsReport& report) {
  nlohmann::ordered_json out;
  out["schema"] = "poolbench-report-hosts/1";
  out["source"] = report.source;
  out["ranking"] = nlohmann::ordered_json::array();
  for (const HostRanking& ranking : report.ranking) {
    nlohmann::ordered_json item;
    item["configuration"] = ranking.configuration;
    item["hosts"] = nlohmann::ordered_json::object();
    for (std::size_t host = 0; host < report.hosts.size(); ++host)
      if (!ranking.ranked[host].empty()) item["hosts"][report.hosts[host].host] = ranking.ranked[host];
    item["winner_changes"] =
        ranking.winner_changes ? nlohmann::ordered_json(*ranking.winner_changes) : nlohmann::ordered_json();
    out["ranking"].push_back(std::move(item));
  }
  out["hosts"] = nlohmann::ordered_json::array();
  for (const HostReport& host : report.hosts)
    out["hosts"].push_back(
        {{"host", host.host}, {"machine", host.machine}, {"report", report_to_json(host.report)}});
  return out;
}

}  // namespace poolbench::report
