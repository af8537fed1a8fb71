// Sizing K (the guide's Appendix S20, "Mathematics of Pool Sizing"): throughput and tail latency of each
// strategy against the worker count K, from configurations of the file that differ only in K, with Little's
// law's prediction beside the measured answer.
//
//  * W, the time a task holds a worker: 1 / (tasks per second at K = 1). With one worker and a closed loop
//  the
//    worker never waits for work, so its throughput is one task per service time plus the pool's hand-off.
//  * λ, the rate to carry: the best median tasks per second any K reached.
//  * Little's law, L = λ·W: carrying λ with each task in service for W needs λ·W tasks in service at once,
//    so K ≈ λ·W workers (the guide's K_min = ⌈λ × W⌉).
//  * "Enough": the smallest K whose throughput is within the noise of the best K's: its median at least
//    `enough_fraction` of the best median, or its fastest repetition at least the best's slowest (their
//    ranges overlap). A larger K buys no throughput this run can tell apart.
// Open-loop configurations are left out (their rate is given, not reached: see Latency against load), and so
// are footprint ones (memory).
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "report/report_model.hpp"

namespace poolbench::report {

inline constexpr double enough_fraction = 0.95;

struct SizingPoint {
  std::size_t workers = 0;
  Spread tasks_per_second;
  std::optional<Spread> e2e_p99_ns;
};

// One strategy's curve in one configuration.
struct SizingCurve {
  std::string label;                     // the strategy row's label
  std::vector<SizingPoint> points;       // ascending K
  std::optional<double> service_ns;      // W, from K = 1 (absent without a K = 1 point)
  double best_rate = 0;                  // λ: the best median tasks per second
  std::size_t best_workers = 0;          // where it was reached
  std::optional<double> little_workers;  // λ·W
  std::size_t enough_workers = 0;        // the smallest K within the noise of the best
};

// A configuration with at least two worker counts: its strategies' curves.
struct SizingGroup {
  std::string title;  // the configuration without K
  std::string workload;
  std::map<std::string, std::string> workload_params;
  std::vector<SizingCurve> curves;
};

// From points in any order (sorted here); empty points give an empty curve. The known-answer core of the
// section, tested on its own.
SizingCurve sizing_curve(std::string label, std::vector<SizingPoint> points);

std::vector<SizingGroup> sizing_groups(const Report& report);

// The "Sizing K" section (Markdown): per configuration, tasks/s and e2e p99 against K, Little's law's K and
// the K that is enough; how to measure it where the file has no such configuration.
std::string render_sizing_section(const Report& report);

// The same as data, for scripts/plot.py: [{title, workload, workload_params, curves: [{label, points:
// [{workers, tasks_per_second: {median, min, max}, e2e_p99_ns: {...} | null}], service_ns, best_rate,
// best_workers, little_workers, enough_workers}]}].
nlohmann::ordered_json sizing_to_json(const Report& report);

}  // namespace poolbench::report
