// The report of a file holding several hosts' results (`poolbench merge` of runs on different machines): each
// host's own report, and a ranking of the strategies side by side across hosts, which answers whether the
// winner changes with the machine (its core count, caches, kernel). Each host's report is the one-host report
// of its entries alone, so no table mixes two machines' figures.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "report/report_model.hpp"

namespace poolbench::report {

struct HostReport {
  std::string host;
  std::string machine;  // "Intel ..., 16 cores", from the merged file's poolbench.hosts
  Report report;
};

// One configuration (a table's title) across hosts: each host's strategies, fastest first.
struct HostRanking {
  std::string configuration;
  std::vector<std::vector<std::string>> ranked;  // per host (HostsReport::hosts order); empty: not measured
  // Whether the fastest of the strategies every host measured differs between hosts; nullopt: fewer than two
  // hosts, or fewer than two strategies in common.
  std::optional<bool> winner_changes;
};

struct HostsReport {
  std::string source;
  std::vector<HostReport> hosts;
  std::vector<HostRanking> ranking;
  std::size_t tables_with_baseline = 0;  // over every host
};

// The entries of one host as a file of their own, the context's machine facts made that host's.
ResultFile entries_of_host(const ResultFile& file, const std::string& host);

// Throws as build_report does.
HostsReport build_hosts_report(const ResultFile& file, const ReportOptions& options);
std::string render_hosts_markdown(const HostsReport& report);
// "schema": "poolbench-report-hosts/1": ranking[] {configuration, hosts{host: [strategy, ...]},
// winner_changes}, hosts[] {host, machine, report (the one-host layout)}.
nlohmann::ordered_json hosts_report_to_json(const HostsReport& report);

}  // namespace poolbench::report
