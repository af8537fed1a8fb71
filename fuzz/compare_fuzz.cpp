#include <string>

#include "compare/compare.hpp"
#include "errors.hpp"
#include "fuzz_entries.hpp"
#include "result/result_file.hpp"

namespace poolbench::fuzz {

bool compare(std::string_view data) {
  const auto separator = data.find('\0');
  const std::string base_text(data.substr(0, separator));
  const std::string new_text(separator == std::string_view::npos ? data : data.substr(separator + 1));
  ResultFile base_file, new_file;
  try {
    base_file = parse_result_document(base_text, "base");
    new_file = parse_result_document(new_text, "new");
  } catch (const ResultFileError&) {
    return false;
  }
  bool compared = false;
  for (const auto& options : {poolbench::compare::Options{}, poolbench::compare::ci_profile()}) {
    poolbench::compare::Comparison comparison;
    try {
      comparison = poolbench::compare::compare_files(base_file, new_file, options);
    } catch (const UsageError&) {  // e.g. --normalize-to a strategy one file lacks
      continue;
    }
    (void)poolbench::compare::exit_status(comparison);
    (void)poolbench::compare::format_text(comparison);
    (void)poolbench::compare::format_markdown(comparison);
    (void)poolbench::compare::format_json(comparison);
    compared = true;
  }
  return compared;
}

}  // namespace poolbench::fuzz
