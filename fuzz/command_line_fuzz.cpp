#include <algorithm>
#include <string>
#include <vector>

#include "cli.hpp"
#include "fuzz_entries.hpp"

namespace poolbench::fuzz {

bool command_line(std::string_view data) {
  if (!data.empty() && data.back() == '\n') data.remove_suffix(1);  // a text file's last line
  std::vector<std::string> arguments = {"poolbench"};
  std::size_t begin = 0;
  while (begin <= data.size()) {
    const auto end = std::min(data.find('\n', begin), data.size());
    arguments.emplace_back(data.substr(begin, end - begin));
    begin = end + 1;
  }
  std::vector<char*> argv;
  for (auto& argument : arguments) argv.push_back(argument.data());
  argv.push_back(nullptr);
  return parse_cli_only(static_cast<int>(arguments.size()), argv.data()) == 0;
}

}  // namespace poolbench::fuzz
