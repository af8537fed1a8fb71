// The result document of a run, as it grows: the context (written once, with the run's facts), and per case
// its repetition entries and Google Benchmark's aggregates over them. The runner hands it each finished
// repetition (the child's own entry, or the reason there is none) and asks it to write; nothing else builds
// the document's JSON.
//
// Writes are linear in the number of entries: entries are kept typed, and each case's serialized block
// (repetitions and aggregates) is cached and rebuilt only when that case gains a repetition, so writing after
// the k-th repetition costs one case's serialization plus copying the text, not every entry's again.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "result/case_info.hpp"
#include "result/result_file.hpp"

namespace poolbench {

// The run's facts the context records, as the run stage knows them.
struct RunDescription {
  std::string command_line;
  std::string executable;  // the poolbench binary the children ran
  std::size_t repetitions = 1;
  std::size_t cases = 0;
  double timeout_seconds = 0;
  double timeout_estimate_factor = 0;  // 0: not scaled by the estimate
  std::size_t warmup_tasks = 0;        // --warmup: untimed tasks before every case's window
  bool probe_enabled = true;           // --probe off: latencies not measured, only the window
  std::string affinity = "none";       // --affinity: where the case's threads ran
  std::size_t plan_cases = 0;          // the whole plan's cases (more than `cases` in a shard)
  std::string plan_digest;             // of the whole plan's case names (merge checks it)
  std::size_t shard_index = 0;         // --shard I/N: I (1-based); 0: not sharded
  std::size_t shard_count = 0;
};

// Google Benchmark's context for this machine (host, CPUs, caches, load) plus the `poolbench` object: the
// build (version, commit, compiler, allocator), the machine (kernel, CPU model, cores) and the run.
nlohmann::ordered_json run_context(const RunDescription& run);

// Where a repetition belongs: the plan's name and numbering of its case, and the case itself.
struct EntryIdentity {
  std::string name;
  std::size_t family_index = 0;
  std::size_t repetitions = 1;
  std::size_t repetition_index = 0;
  CaseInfo info;
};

// The child's Google Benchmark entry (named "<name>/iterations:1/...", as its one benchmark) made the run's
// entry: the plan's name and numbering, and the case. A child entry that is not a usable entry becomes a
// failed one saying why.
ResultEntry stamp_entry(const nlohmann::ordered_json& child_entry, const EntryIdentity& identity);
// A repetition with no result: the child crashed, hung, or could not start.
ResultEntry failed_entry(const EntryIdentity& identity, const std::string& reason);

// The context's `poolbench.complete` is false until every case has all the repetitions the context's
// `poolbench.repetitions` asks for (1 where it does not say), so that a run interrupted or killed between two
// writes leaves a file that says it is partial.
class ResultDocument {
 public:
  ResultDocument(std::string path, nlohmann::ordered_json context, std::size_t cases);

  // A finished repetition of case `case_index` (entries of one case in repetition order).
  void add(std::size_t case_index, ResultEntry entry);
  // Marks the document incomplete whatever its repetitions (a merge missing a shard).
  void mark_incomplete() { known_incomplete_ = true; }
  // Marks the document complete with fewer repetitions than the context asks for, for a producer that
  // stopped some cases on purpose (`ab`'s adaptive rounds stop the cases that are settled).
  void declare_complete() { declared_complete_ = true; }
  // The whole document, as write() puts it on disk.
  std::string text() const;
  // Atomically replaces the file at `path` with text(). Throws std::runtime_error naming the path.
  void write() const;

  // Entries (repetitions and aggregates) serialized since construction: the work writes have cost.
  std::size_t entries_serialized() const { return entries_serialized_; }

 private:
  struct CaseBlock {
    std::vector<ResultEntry> repetitions;
    std::string text;  // its repetitions and aggregates, as they stand in the benchmarks array
  };
  nlohmann::ordered_json context_with_probe_cost() const;

  std::string path_;
  nlohmann::ordered_json context_;
  std::vector<CaseBlock> cases_;
  std::size_t repetitions_expected_ = 1;  // per case
  std::size_t repetitions_added_ = 0;
  bool known_incomplete_ = false;
  bool declared_complete_ = false;
  std::vector<double> instrumentation_ns_per_task_;  // of every successful repetition
  double largest_timing_sample_every_ = 0;
  std::size_t entries_serialized_ = 0;
};

}  // namespace poolbench
