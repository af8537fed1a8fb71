#include "cli.hpp"

#include <algorithm>
#include <cstdio>
#include <exception>
#include <memory>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "build_info.hpp"
#include "errors.hpp"

namespace poolbench {
namespace {

std::vector<SubcommandInfo>& subcommands() {
  static std::vector<SubcommandInfo> registered;
  return registered;
}

// One line, no stack trace: the first line of whatever CLI11 or the command said.
std::string first_line(std::string text) {
  if (auto newline = text.find('\n'); newline != std::string::npos) text.resize(newline);
  return text;
}

}  // namespace

SubcommandRegistrar::SubcommandRegistrar(SubcommandInfo info) {
  subcommands().push_back(std::move(info));
}

int run_cli(int argc, char** argv) {
  CLI::App app{
      "poolbench: does a thread pool earn its place here, and which one? Measures pool strategies "
      "against workloads and records the numbers as Google Benchmark JSON.",
      "poolbench"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(POOLBENCH_VERSION) + " (" + git_commit() + ")");

  auto ordered = subcommands();
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const SubcommandInfo& a, const SubcommandInfo& b) { return a.order < b.order; });
  std::vector<std::pair<CLI::App*, std::function<int()>>> actions;
  for (const auto& info : ordered) {
    CLI::App* command = app.add_subcommand(info.name, info.description);
    if (info.description.empty()) command->group("");  // internal modes stay out of --help
    actions.emplace_back(command, info.setup(*command));
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& help) {
    return app.exit(help);
  } catch (const CLI::CallForAllHelp& help) {
    return app.exit(help);
  } catch (const CLI::CallForVersion& version) {
    return app.exit(version);
  } catch (const CLI::ParseError& error) {
    std::fprintf(stderr, "poolbench: error: %s (see --help)\n", first_line(error.what()).c_str());
    return exit_bad_input;
  }

  for (auto& [command, action] : actions) {
    if (!command->parsed()) continue;
    try {
      return action();
    } catch (const UsageError& error) {
      std::fprintf(stderr, "poolbench %s: error: %s\n", command->get_name().c_str(),
                   first_line(error.what()).c_str());
      return exit_bad_input;
    }
  }
  return exit_bad_input;
}

}  // namespace poolbench
