#include <string>

#include "fuzz_entries.hpp"
#include "report/report_model.hpp"
#include "report/report_render.hpp"
#include "result/result_file.hpp"

namespace poolbench::fuzz {

bool report(std::string_view data) {
  poolbench::report::Report model;
  try {
    model = poolbench::report::build_report(parse_result_document(std::string(data), "fuzz input"));
  } catch (const ResultFileError&) {
    return false;
  }
  (void)poolbench::report::render_markdown(model);
  (void)poolbench::report::report_to_json(model).dump(2);  // as `report --format json` writes it
  return true;
}

}  // namespace poolbench::fuzz
