// Plan: the matrix of cases a run will execute, expanded from the command line (or the workloads' defaults),
// validated completely before anything runs, and named as Google Benchmark names its benchmarks.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "result/case_info.hpp"

namespace poolbench {

// One case: a strategy x workload at one point of the matrix, plus the repetition the child is to run.
struct CaseSpec {
  std::string name;  // CaseName: e.g. fifo_ring/atomic_increment/tasks:1000000/workers:2/producers:1
  // strategy, workload, tasks, workers, producers, effective producers, params by owner (every declared one,
  // defaults applied), the strategy's description and traits: what the child needs and the file records.
  CaseInfo info;
  std::size_t family_index = 0;
  std::size_t repetition_index = 0;
  std::size_t repetitions = 1;
  double estimate_seconds = 0;  // for --dry-run and progress
  // How the child measures (the same for every case of a run; recorded in the context and in each entry).
  std::size_t warmup_tasks = 0;   // untimed tasks run through the strategy before the window (--warmup)
  bool probe_enabled = true;      // false (--probe off): nothing timed per task, only the window
  std::string affinity = "none";  // --affinity none|spread|compact (probe/placement.hpp)
};

nlohmann::json case_spec_to_json(const CaseSpec& spec);
CaseSpec case_spec_from_json(const nlohmann::json& value);  // throws UsageError on a malformed spec

// What the user asked for; empty lists mean "the default matrix".
struct PlanRequest {
  std::vector<std::string> strategies;
  std::vector<std::string> workloads;
  std::vector<std::string> tasks;  // as given, validated here
  std::vector<std::string> workers;
  std::vector<std::string> producers;
  std::vector<std::string> params;         // "name=value" or "name=v1,v2" (a list sweeps the parameter)
  std::optional<std::size_t> repetitions;  // default 3 (1 with --quick)
  std::optional<std::string> filter;       // RE2 regex searched for in case names
  // Open loop: --arrival uniform|poisson with --rate R,... or --load L,... (each value its own case); --seed
  // S.
  std::optional<std::string> arrival;  // default closed
  std::vector<std::string> rates;
  std::vector<std::string> loads;
  std::optional<std::string> seed;
  bool quick = false;  // the quick matrix: each workload's quick_tasks and one repetition unless -r is given
  std::size_t warmup_tasks = 0;      // --warmup N
  bool probe_enabled = true;         // --probe on|off
  std::string affinity = "none";     // --affinity none|spread|compact
  std::optional<std::string> shard;  // --shard I/N: only the I-th of N parts of the plan
  // --scenario NAME: a named set of the options above (run/scenarios.hpp) under the ones given here.
  std::optional<std::string> scenario;
};

// --shard I/N: the plan's configurations (the cases that differ only in their strategy and its parameters,
// which one report table and compare's normalisation to inline put side by side, so they stay on one
// machine), in the order of a hash of their names, each go to the shard with the fewest cases so far. So
// every case is in exactly one shard, the split depends on nothing but the case names (not on the machine:
// the estimates do, the case list does not), shards are about even and each holds a mix of the matrix.
struct Shard {
  std::size_t index = 1;  // 1-based
  std::size_t count = 1;
};

struct Plan {
  std::vector<CaseSpec> cases;  // one per case, repetition_index 0 (this shard's, when sharded)
  std::size_t repetitions = 1;
  std::size_t warmup_tasks = 0;
  bool probe_enabled = true;
  std::string affinity = "none";
  std::optional<Shard> shard;
  // The whole plan before sharding: how many cases, and a digest of their names in order (merge checks that
  // files it combines come from the same plan).
  std::size_t plan_cases = 0;
  std::string plan_digest;
  double estimate_seconds() const;  // all repetitions
};

// "I/N" with 1 <= I <= N; throws UsageError naming --shard.
Shard parse_shard(const std::string& value);
// The indices into `cases` (the whole plan) of shard `shard`'s cases, in plan order. Throws UsageError when
// the plan has fewer configurations than shards.
std::vector<std::size_t> shard_case_indices(const std::vector<CaseSpec>& cases, const Shard& shard);
// 16 hex digits (FNV-1a, 64 bits) over the case names in order: the same plan gives the same digest anywhere.
std::string plan_digest(const std::vector<CaseSpec>& cases);

// Producer counts run when the user does not choose: one producer (low contention) and several (high).
inline const std::vector<std::size_t> default_producers = {1, 4};

// Limits a plan must keep: cases before --filter (so expanding cannot exhaust memory), and the estimated time
// of one repetition of one case (so that its timeout, a multiple of the estimate, stays representable).
inline constexpr std::size_t max_plan_cases = 1'000'000;
inline constexpr double max_case_estimate_seconds = 1e6;
// Open-loop limits: a rate beyond 1e9 tasks per second is below the clock's resolution; a load beyond 10
// times the capacity only measures how fast the backlog grows.
inline constexpr double max_arrival_rate = 1e9;
inline constexpr double max_arrival_load = 10;

// A positive count given on the command line (-n, -k, -p, -r): at most 2^63-1, the largest a result file
// holds. Throws UsageError naming `flag`.
std::size_t parse_count(const char* flag, const std::string& value);

// Expands and validates; throws UsageError naming the flag and what is accepted. Strategies and workloads
// marked test-only are never in the default matrix but can be named explicitly. A request naming a scenario
// is expanded with it first (with_scenario).
Plan make_plan(const PlanRequest& given);

// Producer threads a strategy is driven with: synchronous pools (tunny's Process) need at least one caller
// per worker to keep their workers busy, so they get max(P, K); everything else gets P. Decided once, here,
// and carried to the child in CaseInfo::effective_producers.
std::size_t effective_producers(const StrategyTraits& traits, std::size_t producers, std::size_t workers);

}  // namespace poolbench
