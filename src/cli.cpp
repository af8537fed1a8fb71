#include "cli.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <memory>
#include <new>
#include <system_error>
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

void print_error(const std::string& command, const std::string& message) {
  std::fprintf(stderr, "poolbench%s%s: error: %s\n", command.empty() ? "" : " ", command.c_str(),
               first_line(message).c_str());
}

// Output that never reached stdout (a full disk, /dev/full, a closed pipe) is an error, not a success.
int finish_stdout(const std::string& command, int status) {
  std::cout.flush();
  errno = 0;
  const bool flushed = std::fflush(stdout) == 0;
  const int error = errno;
  if (flushed && !std::ferror(stdout) && std::cout.good()) return status;
  print_error(command, fmt::format("cannot write to standard output{}",
                                   error != 0 ? std::string(": ") + std::strerror(error) : ""));
  return exit_environment;
}

// Why an exception that is not UsageError ended the command, in one line.
std::string describe(const std::exception& error) {
  if (std::ferror(stdout) || !std::cout.good()) {
    const auto* system = dynamic_cast<const std::system_error*>(&error);
    return "cannot write to standard output" + (system != nullptr ? ": " + system->code().message() : "");
  }
  if (dynamic_cast<const std::bad_alloc*>(&error) != nullptr) return "out of memory";
  return error.what();
}

// The parser with every registered subcommand, and what to run for each.
struct CommandLine {
  std::unique_ptr<CLI::App> app;
  std::vector<std::pair<CLI::App*, std::function<int()>>> actions;
};

CommandLine make_command_line() {
  CommandLine command_line;
  command_line.app = std::make_unique<CLI::App>(
      "poolbench: does a thread pool earn its place here, and which one? Measures pool strategies "
      "against workloads and records the numbers as Google Benchmark JSON.",
      "poolbench");
  CLI::App& app = *command_line.app;
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(POOLBENCH_VERSION) + " (" + git_commit() + ")");

  auto ordered = subcommands();
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const SubcommandInfo& a, const SubcommandInfo& b) { return a.order < b.order; });
  for (const auto& info : ordered) {
    CLI::App* command = app.add_subcommand(info.name, info.description);
    if (info.description.empty()) command->group("");  // internal modes stay out of --help
    command_line.actions.emplace_back(command, info.setup(*command));
  }
  return command_line;
}

}  // namespace

SubcommandRegistrar::SubcommandRegistrar(SubcommandInfo info) {
  subcommands().push_back(std::move(info));
}

int parse_cli_only(int argc, char** argv) {
  const CommandLine command_line = make_command_line();
  try {
    command_line.app->parse(argc, argv);
  } catch (const CLI::Success&) {  // --help, --version
    return exit_ok;
  } catch (const CLI::ParseError&) {
    return exit_bad_input;
  }
  return exit_ok;
}

int run_cli(int argc, char** argv) {
  auto [app_owner, actions] = make_command_line();
  CLI::App& app = *app_owner;

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& help) {
    return finish_stdout("", app.exit(help));
  } catch (const CLI::CallForAllHelp& help) {
    return finish_stdout("", app.exit(help));
  } catch (const CLI::CallForVersion& version) {
    return finish_stdout("", app.exit(version));
  } catch (const CLI::ParseError& error) {
    std::fprintf(stderr, "poolbench: error: %s (see --help)\n", first_line(error.what()).c_str());
    return exit_bad_input;
  }

  // Every subcommand ends here whatever happens: one line and a defined exit status, never terminate().
  for (auto& [command, action] : actions) {
    if (!command->parsed()) continue;
    const std::string name = command->get_name();
    try {
      return finish_stdout(name, action());
    } catch (const UsageError& error) {
      print_error(name, error.what());
      return exit_bad_input;
    } catch (const std::exception& error) {
      print_error(name, describe(error));
      return exit_environment;
    } catch (...) {
      print_error(name, "internal error: an unknown exception");
      return exit_environment;
    }
  }
  return exit_bad_input;
}

}  // namespace poolbench
