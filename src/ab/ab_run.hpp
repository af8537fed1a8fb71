// The rounds of `poolbench ab`: every round runs each case still undecided once with each side, base and new
// of a case back to back, in the round's randomized order (ab_schedule). After every round the two side files
// (base.json, new.json: ordinary result files, one repetition per round) and ab.json (the rounds' order and
// the paired verdicts) are rewritten, so an interrupted comparison keeps what it measured.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ab/ab_analysis.hpp"
#include "ab/ab_side.hpp"
#include "run/plan.hpp"

namespace poolbench::ab {

struct Settings {
  Plan plan;
  Side base;
  Side next;
  std::uint64_t seed = 1;
  std::optional<double> budget_seconds;  // no round starts that would, by the last round's pace, end past it
  // Cases whose window (timed with base before the rounds, and again after each scaling) is shorter than this
  // run with more tasks, so that a window lasts at least this long (Google Benchmark's min_time, for cases
  // that are one window each): a window of a millisecond or two measures the scheduler's moment more than the
  // pool. 0: as planned.
  double min_window_seconds = 0;
  // Cases whose window is longer than this run with fewer tasks (at least ten waves of workers, and 100): a
  // round of the quick matrix is then the sum of short windows, not of a few multi-second ones, and a budget
  // buys enough rounds for the paired test. 0: as planned.
  double max_window_seconds = 0;
  Options analysis;
  std::string out_dir;
  double timeout_seconds = 60;
  double timeout_estimate_factor = 20;
  bool quiet = false;
  std::string command_line;
  std::string self_path;
};

struct RoundLog {
  std::size_t round = 0;
  double started_seconds = 0;  // since the comparison began
  double seconds = 0;
  std::vector<std::size_t> order;  // case indices in the order run
  std::vector<bool> base_first;    // per slot
};

// A case given more tasks by min_window_seconds or fewer by max_window_seconds.
struct Scaled {
  std::string from;           // the planned name
  std::string to;             // the name run (its tasks:N scaled)
  double calibration_ns = 0;  // the planned case's window, timed once with base
  // Scaled up: the window of the last timing with the tasks run (at least min_window_seconds, unless the
  // largest factor or the number of timings ran out first); scaled down: 0 (not timed again).
  double scaled_window_ns = 0;
};

struct Outcome {
  Plan plan;  // as run: settings.plan with the scaled cases
  std::vector<Scaled> scaled;
  std::vector<CaseRecord> records;
  std::vector<CaseAnalysis> analysis;
  std::vector<RoundLog> rounds;
  std::string stopped_because;  // "all cases settled", "--max-rounds", "--budget", "interrupted"
  bool interrupted = false;
  double seconds = 0;
};

// Runs the comparison; writes out_dir/{base,new,ab}.json as it goes. Throws UsageError when out_dir cannot be
// written (before anything runs).
Outcome run_ab(const Settings& settings);

// ab.json: the settings (sides, seed, options), the rounds and their order, and the per-case verdicts.
nlohmann::ordered_json ab_document(const Settings& settings, const Outcome& outcome);

}  // namespace poolbench::ab
