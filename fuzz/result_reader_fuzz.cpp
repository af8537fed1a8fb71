#include <string>

#include "fuzz_entries.hpp"
#include "result/result_file.hpp"

namespace poolbench::fuzz {

bool result_reader(std::string_view data) {
  ResultFile file;
  try {
    file = parse_result_document(std::string(data), "fuzz input");
  } catch (const ResultFileError&) {
    return false;  // rejected with one line: what the program does with bad input
  }
  for (const auto& name : file.case_names()) {
    const auto repetitions = file.repetitions_of(name);
    for (const auto& aggregate : aggregates_of(repetitions)) (void)entry_to_json(aggregate).dump();
  }
  // What the reader accepted, the writer writes and the reader reads back (the run rewrites its file this way
  // after every case): a throw here escapes and is a finding.
  for (const auto& entry : file.entries)
    (void)entry_from_json(nlohmann::json::parse(entry_to_json(entry).dump()), "written back");
  return true;
}

}  // namespace poolbench::fuzz
