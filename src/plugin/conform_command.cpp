// `poolbench conform --plugin PATH.so [--strategy NAME]`: runs the repository's conformance suite (the
// conformance_test binary, installed beside poolbench as libexec/poolbench/conformance_test) against a
// plugin's strategies and prints one line per check: pass, skip (with why) or FAIL (with what went wrong).
// The suite is the one every built-in strategy passes, run as it is: the plugin gets the same checks, not a
// copy. Exit status 0 when every check passed or was skipped, 1 when one failed, 2 for bad input.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "conformance_checks.hpp"
#include "errors.hpp"
#include "plugin/plugin_loader.hpp"
#include "registry.hpp"

extern char** environ;

namespace poolbench {
namespace {

namespace fs = std::filesystem;

// The suite's binary: beside poolbench in a build tree, under libexec/poolbench in an install.
fs::path conformance_binary() {
  std::error_code error;
  const fs::path self = fs::read_symlink("/proc/self/exe", error);
  if (error) throw std::runtime_error("cannot find this executable's folder: " + error.message());
  for (const fs::path& candidate :
       {self.parent_path() / "conformance_test",
        self.parent_path().parent_path() / "libexec" / "poolbench" / "conformance_test"})
    if (fs::is_regular_file(candidate, error)) return candidate;
  throw std::runtime_error(
      fmt::format("cannot find the conformance suite (conformance_test beside {} or in "
                  "../libexec/poolbench): build or install it with poolbench",
                  self.string()));
}

class ScratchFolder {
 public:
  ScratchFolder() {
    std::string pattern = (fs::temp_directory_path() / "poolbench-conform.XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
      throw std::runtime_error(fmt::format("cannot create a scratch folder: {}", std::strerror(errno)));
    path_ = pattern;
  }
  ~ScratchFolder() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  ScratchFolder(const ScratchFolder&) = delete;
  ScratchFolder& operator=(const ScratchFolder&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// Runs the suite with only `strategies`' tests, the loaded plugins in its POOLBENCH_PLUGIN_PATH, its output
// in `log`; returns its exit status (128 + signal when killed).
int run_suite(const fs::path& binary, const std::vector<std::string>& strategies, const fs::path& json,
              const fs::path& log) {
  std::string filter = "--gtest_filter=";
  for (const std::string& strategy : strategies) {
    const std::string test_name = test_name_for(strategy);
    filter += fmt::format("{}*/Conformance.*/{}:*/ExactlyOnce.*/{}_producers_*",
                          filter.back() == '=' ? "" : ":", test_name, test_name);
  }
  const std::string output = "--gtest_output=json:" + json.string();
  const std::string binary_text = binary.string();
  std::vector<char*> argv = {const_cast<char*>(binary_text.c_str()), filter.data(),
                             const_cast<char*>(output.c_str()), nullptr};

  std::string plugin_path = "POOLBENCH_PLUGIN_PATH=";
  for (const LoadedPlugin& plugin : loaded_plugins())
    plugin_path += (plugin_path.back() == '=' ? "" : ":") + plugin.path;
  std::vector<char*> environment;
  for (char** entry = environ; *entry != nullptr; ++entry)
    if (!std::string_view(*entry).starts_with("POOLBENCH_PLUGIN_PATH=")) environment.push_back(*entry);
  environment.push_back(plugin_path.data());
  environment.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  pid_t pid = 0;
  const int spawned = ::posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), environment.data());
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0)
    throw std::runtime_error(fmt::format("cannot run {}: {}", binary.string(), std::strerror(spawned)));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) throw std::runtime_error(fmt::format("waitpid: {}", std::strerror(errno)));
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// "FifoStrategiesStartTasksInSubmissionOrder/my_pool" -> what it checks, in words.
std::string describe_test(const std::string& suite, const std::string& test,
                          bool with_what_it_drives = true) {
  const std::string base = test.substr(0, test.find('/'));
  if (suite.ends_with("ExactlyOnce")) {
    const std::size_t producers = test.rfind("_producers_");
    const std::string count = producers == std::string::npos ? "?" : test.substr(producers + 11);
    return fmt::format(
        "exactly once: every accepted task from {} producer{} runs once, and before wait() returns", count,
        count == "1" ? "" : "s");
  }
  if (const ConformanceCheck* check = find_conformance_check(base))
    return with_what_it_drives ? fmt::format("{}: {} ({})", check->trait, base, check->drives)
                               : fmt::format("{}: {}", check->trait, base);
  return base;
}

struct Outcome {
  std::size_t passed = 0;
  std::size_t skipped = 0;
  std::size_t failed = 0;
};

// The declared value a skipped check of the table does not verify: "queue_order=caller".
std::string declared(const std::string& test, const StrategyTraits& traits) {
  const ConformanceCheck* check = find_conformance_check(test.substr(0, test.find('/')));
  if (check == nullptr) return {};
  const std::string_view trait = check->trait;
  std::string_view value = "?";
  if (trait == "queue_order") value = to_string(traits.queue_order);
  if (trait == "worker_lifecycle") value = to_string(traits.worker_lifecycle);
  if (trait == "when_full") value = to_string(traits.when_full);
  if (trait == "on_exception") value = to_string(traits.on_exception);
  return fmt::format(" -- not claimed: it declares {}={}{}", trait, value,
                     traits.synchronous_submit ? " and synchronous submit" : "");
}

// Prints the checks of one strategy from GoogleTest's JSON report.
Outcome print_strategy(const nlohmann::json& report, const std::string& strategy) {
  const std::string test_name = test_name_for(strategy);
  const LoadedPlugin* plugin = plugin_of_strategy(strategy);
  fmt::print("{} ({}):\n", strategy, plugin == nullptr ? std::string("built in") : "plugin " + plugin->path);
  Outcome outcome;
  for (const auto& suite : report.value("testsuites", nlohmann::json::array())) {
    const std::string suite_name = suite.value("name", "");
    for (const auto& test : suite.value("testsuite", nlohmann::json::array())) {
      const std::string name = test.value("name", "");
      const std::string param = name.substr(name.find('/') + 1);
      if (param != test_name && !param.starts_with(test_name + "_producers_")) continue;
      const auto failures = test.value("failures", nlohmann::json::array());
      if (!failures.empty()) {
        ++outcome.failed;
        fmt::print("  FAIL  {}\n", describe_test(suite_name, name));
        for (const auto& failure : failures) {
          std::string text = failure.value("failure", "");
          while (!text.empty() && text.back() == '\n') text.pop_back();
          std::size_t start = 0;
          while (start <= text.size()) {
            const std::size_t end = text.find('\n', start);
            fmt::print("          {}\n", text.substr(start, end - start));
            if (end == std::string::npos) break;
            start = end + 1;
          }
        }
      } else if (test.value("result", "") == "SKIPPED") {
        ++outcome.skipped;
        fmt::print("  skip  {}{}\n", describe_test(suite_name, name, false),
                   declared(name, strategy_registry().find(strategy)->traits));
      } else {
        ++outcome.passed;
        fmt::print("  pass  {}\n", describe_test(suite_name, name));
      }
    }
  }
  fmt::print("  {} passed, {} skipped, {} failed\n", outcome.passed, outcome.skipped, outcome.failed);
  return outcome;
}

int conform(const std::vector<std::string>& plugin_paths, std::vector<std::string> strategies) {
  load_plugins(plugin_paths);
  for (const std::string& strategy : strategies)
    if (strategy_registry().find(strategy) == nullptr)
      throw UsageError(
          fmt::format("--strategy: no strategy named '{}' (see poolbench list --plugin ...)", strategy));
  if (strategies.empty())
    for (const LoadedPlugin& plugin : loaded_plugins())
      strategies.insert(strategies.end(), plugin.strategies.begin(), plugin.strategies.end());
  if (strategies.empty())
    throw UsageError("nothing to check: give --plugin PATH.so (a plugin with strategies) or --strategy NAME");

  const fs::path binary = conformance_binary();
  ScratchFolder scratch;
  const fs::path json = scratch.path() / "report.json";
  const fs::path log = scratch.path() / "log.txt";
  const int status = run_suite(binary, strategies, json, log);
  nlohmann::json report;
  try {
    report = nlohmann::json::parse(read_text(json));
  } catch (const std::exception&) {
    // No report: the suite itself died (a death outside a death test, a hang past its time limit).
    const std::string output = read_text(log);
    fmt::print("the conformance suite ended with status {} before reporting; its last output:\n{}\n", status,
               output.size() > 4000 ? output.substr(output.size() - 4000) : output);
    return exit_failures;
  }
  Outcome total;
  for (const std::string& strategy : strategies) {
    const Outcome outcome = print_strategy(report, strategy);
    total.passed += outcome.passed;
    total.skipped += outcome.skipped;
    total.failed += outcome.failed;
  }
  if (total.passed + total.failed == 0) {
    fmt::print("no conformance check ran\n");
    return exit_failures;
  }
  if (status != 0 && total.failed == 0) {
    fmt::print("the conformance suite exited with status {}; its output:\n{}\n", status, read_text(log));
    return exit_failures;
  }
  fmt::print("{}: {} passed, {} skipped, {} failed\n", total.failed == 0 ? "conformant" : "NOT conformant",
             total.passed, total.skipped, total.failed);
  return total.failed == 0 ? exit_ok : exit_failures;
}

const SubcommandRegistrar conform_command_registrar{SubcommandInfo{
    .name = "conform",
    .description = "check a plugin's strategies against the conformance suite (exactly once, wait, shutdown, "
                   "the declared traits); exit 1 on any failure",
    .order = 15,
    .setup =
        [](CLI::App& command) {
          auto plugins = add_plugin_option(command);
          auto strategies = std::make_shared<std::vector<std::string>>();
          command
              .add_option("-s,--strategy", *strategies,
                          "check only this strategy (repeatable; default: every strategy of the plugins)")
              ->allow_extra_args(false);
          return std::function<int()>([=] { return conform(*plugins, *strategies); });
        },
}};

}  // namespace
}  // namespace poolbench
