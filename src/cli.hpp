// The command line (CLI11): `poolbench list | run | case | compare | report`.
//
// Subcommands other than the harness's own register themselves with a SubcommandRegistrar in their own .cpp
// (as strategies do), so compare/ and report/ add their commands without editing this file.
#pragma once

#include <functional>
#include <string>

namespace CLI {
class App;
}

namespace poolbench {

int run_cli(int argc, char** argv);

// Parses `argv` as run_cli does, with every subcommand's options, but runs nothing: exit_ok when the parse
// accepts it (including --help and --version, which print nothing here), exit_bad_input when it does not. The
// seam the command-line fuzz target drives.
int parse_cli_only(int argc, char** argv);

struct SubcommandInfo {
  std::string name;
  std::string description;
  int order = 100;  // position in --help
  // Adds the subcommand's options to `command` and returns what to run when it is chosen. The returned action
  // throws UsageError for unusable input (printed as one line, exit status 2) and returns the exit status.
  std::function<std::function<int()>(CLI::App& command)> setup;
};

struct SubcommandRegistrar {
  explicit SubcommandRegistrar(SubcommandInfo info);
};

}  // namespace poolbench
