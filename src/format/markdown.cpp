#include "format/markdown.hpp"

namespace poolbench::markdown {

std::string cell(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n' || c == '\r')
      out += ' ';
    else
      out += c;
  }
  return out;
}

// Built by appending: GCC 12 warns falsely (-Wrestrict) on `"`" + std::string + "`"`.
std::string code(const std::string& text) {
  std::string out(1, '`');
  out.append(cell(text));
  out.push_back('`');
  return out;
}

}  // namespace poolbench::markdown
