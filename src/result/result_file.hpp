// The result document: Google Benchmark's JSON model (a `context` object and a `benchmarks` array), read and
// written here only. poolbench adds a `poolbench` object to the context and a `case` object to each entry;
// Google Benchmark's own files (without them) read as well, so compare and report accept either.
//
// Entry fields as Google Benchmark 1.7.1 writes them: name, family_index, per_family_instance_index,
// run_name, run_type ("iteration" | "aggregate"), repetitions, repetition_index, threads, iterations,
// real_time, cpu_time, time_unit, aggregate_name / aggregate_unit (aggregates only), error_occurred /
// error_message (failed runs), label, and every user counter as a top-level number (items_per_second,
// e2e_p99_ns, allocs_per_task, ...).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "result/case_info.hpp"

namespace poolbench {

struct ResultEntry {
  std::string name;      // for a repetition: run_name; for an aggregate: run_name + "_" + aggregate_name
  std::string run_name;  // the case's name, shared by its repetitions and aggregates
  std::string run_type = "iteration";  // "iteration" or "aggregate"
  std::string aggregate_name;          // "mean", "median", "stddev", "cv" (aggregates only)
  std::string aggregate_unit;          // "time" or "percentage" (aggregates only)
  std::int64_t family_index = 0;
  std::int64_t per_family_instance_index = 0;
  std::int64_t repetitions = 1;
  std::int64_t repetition_index = 0;
  std::int64_t threads = 1;
  std::int64_t iterations = 0;
  double real_time = 0;
  double cpu_time = 0;
  std::string time_unit = "ns";  // "ns", "us", "ms" or "s"
  bool error_occurred = false;
  std::string error_message;
  std::string label;
  std::map<std::string, double> counters;  // every other numeric field
  std::optional<CaseInfo> case_info;       // poolbench files only
  // The machine it ran on, where a file holds several (`poolbench merge` writes it on every entry); empty:
  // the context's host_name. Read it through ResultFile::host_of.
  std::string host;

  bool is_aggregate() const { return run_type == "aggregate"; }
  // real_time converted to nanoseconds using time_unit.
  double real_time_ns() const;
  double cpu_time_ns() const;
};

struct ResultFile {
  std::string path;
  nlohmann::json context;            // as written; context["poolbench"] present for poolbench files
  std::vector<ResultEntry> entries;  // in file order

  bool is_poolbench() const { return context.is_object() && context.contains("poolbench"); }
  // context.poolbench.complete: false for a run that stopped before its last case finished; nullopt where
  // the file does not say (written before poolbench recorded it, or Google Benchmark's own).
  std::optional<bool> complete() const;
  // Repetition entries (run_type "iteration") of one case, in file order.
  std::vector<const ResultEntry*> repetitions_of(const std::string& run_name) const;
  // Distinct run_names in first-seen order.
  std::vector<std::string> case_names() const;
  // The host an entry ran on: its own `host`, else the context's host_name (empty where neither says).
  std::string host_of(const ResultEntry& entry) const;
  // Distinct hosts of the entries, in first-seen order.
  std::vector<std::string> hosts() const;
};

// Unusable input: the message names the file and what is wrong, in one line.
struct ResultFileError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Reads and validates a result file (poolbench's or Google Benchmark's own). Throws ResultFileError on a
// missing or unreadable file, invalid or truncated JSON, a document that is not a result file, or a
// non-numeric or negative metric. Never crashes on any input.
ResultFile read_result_file(const std::string& path);

// Parses a document already in memory; `origin` names it in error messages.
ResultFile parse_result_document(const std::string& text, const std::string& origin);

// Files of the previous layout record one `params` object per case, without saying which parameters are the
// strategy's. Infers it across the file without consulting any registry: a parameter that every case of the
// workload carries is the workload's (the plan records every declared parameter of both, and a strategy's own
// parameters are not shared by every strategy in a file that also has a strategy without them, such as
// inline); the rest are the strategy's. Entries of the current layout are left as they are.
void infer_param_owners(std::vector<ResultEntry>& entries);

// Entry <-> JSON in Google Benchmark's layout (and field order).
nlohmann::ordered_json entry_to_json(const ResultEntry& entry);
ResultEntry entry_from_json(const nlohmann::json& value,
                            const std::string& origin);  // throws ResultFileError

// Google Benchmark's aggregates (mean, median, stddev, cv) of the successful repetitions, over real_time,
// cpu_time and every counter, named and laid out as Google Benchmark writes them. Empty for fewer than two.
std::vector<ResultEntry> aggregates_of(const std::vector<const ResultEntry*>& repetitions);

// Writes `document` to `path` through a temporary file in the same directory and a rename, so a reader (or a
// run interrupted mid-write) never sees a partial file. Throws std::runtime_error naming the path on failure.
void write_text_atomically(const std::string& path, const std::string& text);
void write_json_atomically(const std::string& path, const nlohmann::json& document);
void write_json_atomically(const std::string& path, const nlohmann::ordered_json& document);

}  // namespace poolbench
