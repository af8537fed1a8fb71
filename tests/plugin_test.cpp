// Plugins (src/sdk/plugin.hpp, src/plugin/): the poolbench binary loading the test plugins built beside it
// (tests/plugins/, one MODULE each): what a good plugin adds and where it is recorded, that the runner's
// children load it too, that a plugin strategy's crash is a failed case, `conform` passing a sound strategy
// and failing a lossy one, and one refusal per kind of bad plugin (one line, exit status 2, nothing written).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_support.hpp"
#include "plugin.hpp"
#include "plugin/sha256.hpp"
#include "strategy_test_support.hpp"

namespace poolbench {
namespace {

namespace fs = std::filesystem;
using testing::CommandResult;
using testing::count_lines;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::quote;
using testing::run_poolbench;
using testing::run_program;
using testing::TempDir;

const std::string good_plugin = TEST_PLUGIN_GOOD;
const std::string misbehaving_plugin = TEST_PLUGIN_MISBEHAVING;

// poolbench with POOLBENCH_PLUGIN_PATH set to `plugin_path`, run from `folder` (the test's own folder if
// empty).
CommandResult run_with_environment(const std::string& plugin_path, const std::string& arguments,
                                   const std::string& folder = {}) {
  std::string command = (folder.empty() ? std::string() : "cd " + quote(folder) + " && ") +
                        "POOLBENCH_PLUGIN_PATH=" + quote(plugin_path) + " " + POOLBENCH_BINARY + " " +
                        arguments;
  return run_program("sh", "-c " + quote(command));
}

nlohmann::json load_json(const fs::path& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

const nlohmann::json& named(const nlohmann::json& entries, const std::string& name) {
  for (const auto& entry : entries)
    if (entry.at("name") == name) return entry;
  throw std::runtime_error("no entry " + name);
}

TEST(Sha256, MatchesTheStandardsTestVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(std::string(1'000'000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Plugin, ListShowsWhereEachStrategyAndWorkloadComesFrom) {
  const CommandResult text = run_poolbench({"list", "--plugin", good_plugin});
  ASSERT_EQ(text.exit_status, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("test_plugin_caller_runs"));
  EXPECT_THAT(text.out, HasSubstr("from plugin " + fs::canonical(good_plugin).string()));

  const CommandResult json = run_poolbench({"list", "--json", "--plugin", good_plugin});
  ASSERT_EQ(json.exit_status, 0) << json.err;
  const auto listed = nlohmann::json::parse(json.out);
  EXPECT_EQ(named(listed.at("strategies"), "inline").at("source"), "built-in");
  EXPECT_EQ(named(listed.at("strategies"), "test_plugin_caller_runs").at("source"),
            fs::canonical(good_plugin).string());
  EXPECT_EQ(named(listed.at("workloads"), "test_plugin_weighted_sum").at("source"),
            fs::canonical(good_plugin).string());
  EXPECT_EQ(named(listed.at("workloads"), "atomic_increment").at("source"), "built-in");
}

TEST(Plugin, EnvironmentPathLoadsFilesAndEverySharedLibraryOfAFolder) {
  TempDir dir;
  fs::create_directory(dir / "plugins");
  fs::copy_file(good_plugin, dir / "plugins" / "libgood.so");
  std::ofstream(dir / "plugins" / "notes.txt") << "not a plugin, not loaded: only *.so files are";
  const CommandResult from_folder = run_with_environment((dir / "plugins").string(), "list");
  ASSERT_EQ(from_folder.exit_status, 0) << from_folder.err;
  EXPECT_THAT(from_folder.out, HasSubstr("from plugin " + (dir / "plugins" / "libgood.so").string()));

  // The same file given twice (in the variable and with --plugin) loads once.
  const CommandResult twice =
      run_with_environment("::" + (dir / "plugins" / "libgood.so").string(),
                           "list --plugin " + quote((dir / "plugins" / "libgood.so").string()));
  ASSERT_EQ(twice.exit_status, 0) << twice.err;
  EXPECT_THAT(twice.out, HasSubstr("test_plugin_caller_runs"));
}

TEST(Plugin, OnlyTheGivenPathsLoadNeverTheWorkingDirectory) {
  TempDir dir;
  fs::copy_file(good_plugin, dir / "libgood.so");
  const CommandResult result = run_with_environment("", "list --all", dir.path().string());
  ASSERT_EQ(result.exit_status, 0) << result.err;
  EXPECT_THAT(result.out, Not(HasSubstr("test_plugin_caller_runs")));
}

TEST(Plugin, AWorldWritableFolderGetsAWarning) {
  TempDir dir;
  const fs::path folder = dir / "open";
  fs::create_directory(folder);
  fs::copy_file(good_plugin, folder / "libgood.so");
  ASSERT_EQ(::chmod(folder.c_str(), 0777), 0);
  const CommandResult result = run_poolbench({"list", "--plugin", (folder / "libgood.so").string()});
  EXPECT_EQ(result.exit_status, 0) << result.err;
  EXPECT_THAT(result.err, HasSubstr("warning: plugin " + (folder / "libgood.so").string()));
  EXPECT_THAT(result.err, HasSubstr("writable by every user"));

  ASSERT_EQ(::chmod(folder.c_str(), 0755), 0);
  EXPECT_EQ(run_poolbench({"list", "--plugin", (folder / "libgood.so").string()}).err, "");
}

TEST(Plugin, RunLoadsThePluginInEveryChildAndRecordsItInTheContext) {
  TempDir dir;
  const fs::path out = dir / "r.json";
  const CommandResult result =
      run_poolbench({"run", "--plugin", good_plugin, "-s", "test_plugin_caller_runs,inline", "-w",
                     "test_plugin_weighted_sum,atomic_increment", "-n", "100", "-p", "1", "-r", "1", "-q",
                     "--out", out.string()});
  ASSERT_EQ(result.exit_status, 0) << result.err << result.out;
  const auto document = load_json(out);
  std::size_t plugin_cases = 0;
  for (const auto& entry : document.at("benchmarks")) {
    EXPECT_FALSE(entry.value("error_occurred", false)) << entry.dump();
    if (entry.at("name").get<std::string>().find("test_plugin_") != std::string::npos) ++plugin_cases;
  }
  EXPECT_GE(plugin_cases, 3u) << "every case with the plugin's strategy or workload ran";
  const auto& plugins = document.at("context").at("poolbench").at("plugins");
  ASSERT_EQ(plugins.size(), 1u);
  EXPECT_EQ(plugins[0].at("path"), fs::canonical(good_plugin).string());
  EXPECT_EQ(plugins[0].at("sha256"), sha256_file_hex(good_plugin));
  EXPECT_EQ(plugins[0].at("sdk_version"), POOLBENCH_SDK_VERSION);
  EXPECT_EQ(plugins[0].at("strategies"), nlohmann::json::array({"test_plugin_caller_runs"}));
}

// A plugin's workload reads the host's sleep hook (sleep.hpp; the host exports it), so its waits park the
// fiber under spawn=fiber as the built-in workloads' do; on a thread no fiber runtime owns it sees none (the
// check can fail).
TEST(Plugin, APluginsTasksSeeTheHostsSleepHookOnAFiber) {
  if (test_support::under_sanitizer) GTEST_SKIP() << test_support::fiber_sanitizer_exclusion;
  TempDir dir;
  const auto run_case = [&](const std::string& strategy, const std::string& spawn) {
    const fs::path out = dir / (strategy + ".json");
    const CommandResult result = run_poolbench(
        "run --plugin " + quote(good_plugin) + " -s " + strategy +
        (spawn.empty() ? "" : " --param spawn=" + spawn) +
        " -w test_plugin_weighted_sum --param expect_sleep_hook=true -n 20 -p 1 -r 1 -q --out " +
        quote(out.string()));
    std::size_t failed = 0;
    const auto document = load_json(out);
    for (const auto& entry : document.at("benchmarks")) {
      if (entry.value("error_occurred", false)) ++failed;
      const std::string message = entry.value("error_message", "");
      if (spawn.empty())
        EXPECT_THAT(message, HasSubstr("did not see the host's sleep hook"));
      else
        EXPECT_EQ(message, "");
    }
    return std::make_pair(result, failed);
  };
  const auto [on_fibers, failed_on_fibers] = run_case("raw_threads", "fiber");
  EXPECT_EQ(on_fibers.exit_status, 0) << on_fibers.err << on_fibers.out;
  EXPECT_EQ(failed_on_fibers, 0u);
  const auto [on_threads, failed_on_threads] = run_case("inline", "");
  EXPECT_EQ(on_threads.exit_status, 1) << on_threads.err;
  EXPECT_GE(failed_on_threads, 1u);
}

TEST(Plugin, AStrategyThatCrashesInACaseIsAFailedCaseAndTheOthersRun) {
  TempDir dir;
  const fs::path out = dir / "r.json";
  const CommandResult result =
      run_poolbench({"run", "--plugin", misbehaving_plugin, "-s", "test_plugin_crash,inline", "-w",
                     "atomic_increment", "-n", "100", "-p", "1", "-r", "1", "-q", "--out", out.string()});
  EXPECT_EQ(result.exit_status, 1) << result.err;
  std::size_t crashed = 0;
  std::size_t succeeded = 0;
  const auto document = load_json(out);
  for (const auto& entry : document.at("benchmarks")) {
    if (entry.value("run_type", "") == "aggregate") continue;
    const std::string name = entry.at("name");
    if (name.find("test_plugin_crash") != std::string::npos) {
      EXPECT_TRUE(entry.value("error_occurred", false));
      EXPECT_THAT(entry.value("error_message", ""), HasSubstr("crashed: signal 11"));
      ++crashed;
    } else {
      EXPECT_FALSE(entry.value("error_occurred", false)) << entry.dump();
      ++succeeded;
    }
  }
  EXPECT_EQ(crashed, 1u);
  EXPECT_EQ(succeeded, 1u);
}

TEST(Plugin, ConformPassesASoundStrategy) {
  const CommandResult result = run_poolbench({"conform", "--plugin", good_plugin}, 300);
  EXPECT_EQ(result.exit_status, 0) << result.out << result.err;
  EXPECT_THAT(result.out,
              HasSubstr("test_plugin_caller_runs (plugin " + fs::canonical(good_plugin).string()));
  EXPECT_THAT(result.out, HasSubstr("pass  exactly once"));
  EXPECT_THAT(result.out, HasSubstr("pass  on_exception"));
  EXPECT_THAT(result.out, HasSubstr("skip  "));  // e.g. the FIFO check: the strategy declares caller order
  EXPECT_THAT(result.out, Not(HasSubstr("FAIL")));
  EXPECT_THAT(result.out, HasSubstr("conformant: "));
}

TEST(Plugin, ConformFailsAStrategyThatLosesTasks) {
  const CommandResult result =
      run_poolbench({"conform", "--plugin", misbehaving_plugin, "--strategy", "test_plugin_lossy"}, 300);
  EXPECT_EQ(result.exit_status, 1) << result.out << result.err;
  EXPECT_THAT(result.out, HasSubstr("FAIL  exactly once"));
  EXPECT_THAT(result.out, HasSubstr("exactly-once violated"));
  EXPECT_THAT(result.out, HasSubstr("NOT conformant"));
  EXPECT_THAT(result.out, Not(HasSubstr("test_plugin_crash")));  // only the strategy asked for
}

TEST(Plugin, ConformRefusesAnUnknownStrategyOrNothingToCheck) {
  CommandResult result = run_poolbench({"conform", "--plugin", good_plugin, "--strategy", "no_such_pool"});
  EXPECT_EQ(result.exit_status, 2);
  EXPECT_THAT(result.err, HasSubstr("no_such_pool"));
  result = run_poolbench(std::string("conform"));
  EXPECT_EQ(result.exit_status, 2);
  EXPECT_THAT(result.err, HasSubstr("nothing to check"));
}

// One bad plugin: the path poolbench is given, and what its one-line refusal must say.
struct BadPlugin {
  std::string label;
  std::string path;  // a TEST_PLUGIN_* file, or a file the test writes under the name "make:<kind>"
  std::string reason;
};

std::string to_label(const ::testing::TestParamInfo<BadPlugin>& info) {
  return info.param.label;
}

class RefusedPlugin : public ::testing::TestWithParam<BadPlugin> {};

TEST_P(RefusedPlugin, GivesOneLineNamingThePluginAndTheReasonAndExitStatus2) {
  TempDir dir;
  std::string path = GetParam().path;
  if (path == "make:missing") path = (dir / "libmissing.so").string();
  if (path == "make:text") {
    path = (dir / "libtext.so").string();
    std::ofstream(path) << "this is not an ELF file\n";
  }
  if (path == "make:copy_of_good") {  // a second file registering the good plugin's names
    path = (dir / "libcopy.so").string();
    fs::copy_file(good_plugin, path);
  }
  const std::vector<std::string> extra = GetParam().label == "name_of_another_plugin"
                                             ? std::vector<std::string>{"--plugin", good_plugin}
                                             : std::vector<std::string>{};
  for (const std::string subcommand : {"list", "run", "conform"}) {
    const fs::path out = dir / "r.json";
    std::vector<std::string> arguments = {subcommand};
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    arguments.insert(arguments.end(), {"--plugin", path});
    if (std::string(subcommand) == "run")
      arguments.insert(arguments.end(),
                       {"-s", "inline", "-w", "atomic_increment", "-n", "10", "--out", out.string()});
    const CommandResult result = run_poolbench(arguments);
    EXPECT_EQ(result.exit_status, 2) << subcommand << ": " << result.err;
    EXPECT_EQ(count_lines(result.err), 1u) << subcommand << ": " << result.err;
    EXPECT_THAT(result.err, HasSubstr("error: plugin " + path.substr(0, path.rfind('/'))));
    EXPECT_THAT(result.err, HasSubstr(GetParam().reason)) << subcommand;
    EXPECT_EQ(result.out, "") << subcommand;
    EXPECT_FALSE(fs::exists(out)) << subcommand << " wrote a result file";
  }
}

INSTANTIATE_TEST_SUITE_P(
    BadPlugins, RefusedPlugin,
    ::testing::Values(
        BadPlugin{"missing_file", "make:missing", "no such file"},
        BadPlugin{"not_a_shared_library", "make:text", "cannot load it as a shared library"},
        BadPlugin{"no_entry_point", TEST_PLUGIN_NO_ENTRY_POINT, "exports no poolbench_plugin_v1"},
        BadPlugin{"wrong_abi_version", TEST_PLUGIN_WRONG_ABI_VERSION,
                  "plugin ABI version 99, this poolbench loads version 1"},
        BadPlugin{"wrong_sdk_version", TEST_PLUGIN_WRONG_SDK_VERSION, "built against poolbench SDK 0.99.0"},
        BadPlugin{"wrong_cxx_runtime", TEST_PLUGIN_WRONG_CXX_RUNTIME,
                  "built for the C++ runtime 'libc++ 170000'"},
        BadPlugin{"name_of_a_built_in", TEST_PLUGIN_DUPLICATE_NAME,
                  "registers strategy fifo_ring, which already exists (built in)"},
        BadPlugin{"name_of_another_plugin", "make:copy_of_good",
                  "registers strategy test_plugin_caller_runs, which already exists (from plugin"},
        BadPlugin{"registration_throws", TEST_PLUGIN_REGISTRATION_THROWS,
                  "its registration threw: cannot read my pool's configuration"}),
    to_label);

}  // namespace
}  // namespace poolbench
