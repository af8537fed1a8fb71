// `poolbench merge`: one result file from several of the same matrix: the shards of a run split across
// machines (`run --shard I/N`), and repeated runs of it (on one machine or several). A result-file stage, as
// compare and report are: it reads files with the result reader and writes one with the result document, and
// never consults the build's registry.
//
// Entries keep the host they ran on (every merged entry records it); the repetitions of one case on one host
// are numbered anew in the order the files were given, and Google Benchmark's aggregates are recomputed over
// them. Files from different builds, metric catalogues or plans are refused unless allowed; a shard that is
// missing, an input that is incomplete, or a plan case absent from every file makes the merged file
// incomplete (its `complete` mark), and is said in `notes`.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "result/result_file.hpp"

namespace poolbench {

struct MergeOptions {
  bool allow_mixed = false;         // merge files of different builds, catalogues or plans (the file says so)
  std::optional<std::string> host;  // keep only the entries of this host
};

// The repetitions of one case on one host, renumbered.
struct MergedCase {
  std::string name;
  std::string host;
  std::vector<ResultEntry> repetitions;
};

struct MergeResult {
  nlohmann::ordered_json context;
  std::vector<MergedCase> cases;   // in plan order (family_index), then first seen
  std::vector<std::string> notes;  // why the result is incomplete, one line each (for stderr)
  bool complete = true;
};

// Throws UsageError (one line, naming the files) on files that cannot be merged.
MergeResult merge_results(const std::vector<ResultFile>& files, const MergeOptions& options);

// The merged result file's text, laid out as `poolbench run` writes one.
std::string merged_document_text(const MergeResult& merged);

}  // namespace poolbench
