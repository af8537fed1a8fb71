// Markdown for compare's pull-request comment and the report: text made safe for one table cell.
#pragma once

#include <string>

namespace poolbench::markdown {

// Keeps `text` on one line and away from the pipes that end a cell (case names hold '/' and ':', which
// Markdown leaves alone; error messages and command lines may hold anything).
std::string cell(const std::string& text);

// `text` as inline code, in a cell.
std::string code(const std::string& text);

}  // namespace poolbench::markdown
