// `poolbench merge A.json B.json ... -o ALL.json [--allow-mixed] [--host NAME]`: see merge/merge.hpp. Every
// input is read and checked before anything is written: unusable input gets one line and exit status 2, and
// no output file.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli.hpp"
#include "errors.hpp"
#include "merge/merge.hpp"
#include "result/output_file.hpp"

namespace poolbench {
namespace {

struct MergeRequest {
  std::vector<std::string> inputs;
  std::string out;
  MergeOptions options;
  std::string host;
};

int run_merge(MergeRequest& request) {
  if (!request.host.empty()) request.options.host = request.host;
  check_output_path("--out", request.out);
  std::vector<ResultFile> files;
  for (const std::string& input : request.inputs) {
    try {
      files.push_back(read_result_file(input));
    } catch (const ResultFileError& error) {
      throw UsageError(error.what());
    }
  }
  const MergeResult merged = merge_results(files, request.options);
  const std::string text = merged_document_text(merged);
  const OutputLock out_lock("--out", request.out);
  write_text_atomically(request.out, text);
  for (const std::string& note : merged.notes)
    std::fprintf(stderr, "poolbench merge: %s: %s is marked incomplete\n", note.c_str(), request.out.c_str());
  return exit_ok;
}

const SubcommandRegistrar merge_command_registrar{SubcommandInfo{
    .name = "merge",
    .description =
        "combine result files of one matrix (the shards of `run --shard I/N`, repeated runs, several "
        "hosts) into one, aggregates recomputed",
    .order = 35,
    .setup =
        [](CLI::App& command) {
          auto request = std::make_shared<MergeRequest>();
          command.add_option("results", request->inputs, "result files written by `poolbench run`")
              ->required()
              ->type_name("RESULT.json ...");
          command.add_option("-o,--out", request->out, "the merged result file (written atomically)")
              ->required()
              ->type_name("FILE");
          command.add_flag(
              "--allow-mixed", request->options.allow_mixed,
              "merge files of different builds, metric catalogues or plans (recorded in the file)");
          command.add_option("--host", request->host, "keep only the entries that ran on this host")
              ->type_name("NAME");
          return std::function<int()>([request] { return run_merge(*request); });
        },
}};

}  // namespace
}  // namespace poolbench
