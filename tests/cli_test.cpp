// The command line as a user meets it: help on every subcommand, list for people and tools, and every bad
// input answered with one line naming the problem, exit status 2 and no output file.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli_support.hpp"

namespace poolbench {
namespace {

using testing::count_lines;
using ::testing::HasSubstr;
using testing::run_poolbench;
using testing::TempDir;

TEST(Cli, HelpOnEverySubcommand) {
  for (const char* command : {"", "list", "run", "compare", "report"}) {
    const auto result = run_poolbench(std::string(command) + " --help");
    EXPECT_EQ(result.exit_status, 0) << command << result.err;
    EXPECT_THAT(result.out, HasSubstr("Usage:")) << command;
  }
  EXPECT_THAT(run_poolbench("run --help").out, HasSubstr("--dry-run"));
}

TEST(Cli, ListForPeopleAndForTools) {
  const auto people = run_poolbench("list");
  ASSERT_EQ(people.exit_status, 0) << people.err;
  EXPECT_THAT(people.out, HasSubstr("inline"));
  EXPECT_THAT(people.out, HasSubstr("atomic_increment"));
  EXPECT_THAT(people.out, ::testing::Not(HasSubstr("test_crash")));

  const auto tools = run_poolbench("list --json");
  ASSERT_EQ(tools.exit_status, 0) << tools.err;
  const auto document = nlohmann::json::parse(tools.out);
  bool found_inline = false;
  for (const auto& strategy : document.at("strategies")) {
    EXPECT_FALSE(strategy.at("description").get<std::string>().empty());
    for (const char* trait :
         {"queue_order", "worker_lifecycle", "when_full", "on_exception", "returns_results", "cancellation"})
      EXPECT_TRUE(strategy.at("traits").contains(trait)) << strategy.at("name") << " " << trait;
    if (strategy.at("name") == "inline") {
      found_inline = true;
      EXPECT_EQ(strategy.at("traits").at("queue_order"), "caller");
    }
  }
  EXPECT_TRUE(found_inline);
  EXPECT_FALSE(document.at("workloads").empty());

  const auto all = run_poolbench("list --all");
  EXPECT_THAT(all.out, HasSubstr("test_crash"));
}

struct BadInput {
  const char* arguments;
  const char* message;
};

class CliBadInput : public ::testing::TestWithParam<BadInput> {};

TEST_P(CliBadInput, OneLineExitTwoNoOutputFile) {
  TempDir dir;
  const auto out = dir / "result.json";
  const auto result = run_poolbench(std::string("run ") + GetParam().arguments + " --out " + out.string() +
                                    " --quiet --tasks 100 --producers 1");
  EXPECT_EQ(result.exit_status, 2) << result.err;
  EXPECT_EQ(count_lines(result.err), 1u) << result.err;
  EXPECT_THAT(result.err, HasSubstr(GetParam().message));
  EXPECT_TRUE(result.out.empty()) << result.out;
  EXPECT_FALSE(std::filesystem::exists(out));
  EXPECT_TRUE(std::filesystem::is_empty(dir.path())) << "no partial output";
}

INSTANTIATE_TEST_SUITE_P(
    Run, CliBadInput,
    ::testing::Values(
        BadInput{"--strategies nope", "unknown strategy 'nope'"},
        BadInput{"--workloads nope", "unknown workload 'nope'"},
        BadInput{"--workers 0", "--workers: '0' is not a positive integer"},
        BadInput{"--workers -3", "--workers"},
        BadInput{"--workers many", "--workers: 'many' is not a positive integer"},
        BadInput{"--tasks 0", "--tasks: '0' is not a positive integer"},
        BadInput{"--producers abc", "--producers: 'abc' is not a positive integer"},
        BadInput{"--repetitions 0", "--repetitions"}, BadInput{"--repetitions -1", "--repetitions"},
        BadInput{"--param novalue", "--param: 'novalue' is not name=value"},
        BadInput{"--param no_such=1", "no selected strategy or workload has a parameter 'no_such'"},
        BadInput{"--filter '(['", "is not a valid regular expression"}, BadInput{"--warmup -1", "--warmup"},
        BadInput{"--warmup many", "--warmup: 'many' is not a positive integer"},
        BadInput{"--probe maybe", "--probe: 'maybe' is not one of on, off"},
        BadInput{"-s lifo_stack --param prealloc=true --param unlimited=true",
                 "lifo_stack: prealloc needs a capacity"},
        BadInput{"--timeout 0", "--timeout"}, BadInput{"--no-such-flag", "no-such-flag"},
        BadInput{"--scenario nope", "--scenario: unknown scenario 'nope'; known: "}));

INSTANTIATE_TEST_SUITE_P(
    OpenLoop, CliBadInput,
    ::testing::Values(BadInput{"--arrival poisson --rate 0", "--rate: '0' is not a number above 0"},
                      BadInput{"--arrival uniform --load 11", "--load: '11' is not a number above 0"},
                      BadInput{"--arrival uniform --load -1", "--load"},
                      BadInput{"--arrival sometimes --rate 10", "--arrival: 'sometimes' is not closed"},
                      BadInput{"--rate 1000", "--rate: an offered load needs an open loop"},
                      BadInput{"--arrival closed --rate 1000", "--rate: an offered load needs an open loop"},
                      BadInput{"--arrival poisson --rate 1000 --load 0.5", "give one of them, not both"},
                      BadInput{"-w burst --arrival poisson --rate 1000",
                               "--arrival: the workload 'burst' paces its own submissions"}));

TEST(Cli, UnwritableOutIsRefusedBeforeAnythingRuns) {
  for (const char* path : {"/nonexistent-dir/result.json", "/proc/result.json"}) {
    const auto result =
        run_poolbench(std::string("run -s inline -w atomic_increment -n 100 -p 1 -q --out ") + path);
    EXPECT_EQ(result.exit_status, 2) << path;
    EXPECT_EQ(count_lines(result.err), 1u) << result.err;
    EXPECT_THAT(result.err, HasSubstr("--out: cannot write")) << result.err;
  }
  TempDir dir;
  const auto result =
      run_poolbench("run -s inline -w atomic_increment -n 100 -p 1 -q --out " + dir.path().string());
  EXPECT_EQ(result.exit_status, 2);
  EXPECT_THAT(result.err, HasSubstr("is a directory"));
}

TEST(Cli, UnknownSubcommandIsBadInput) {
  const auto result = run_poolbench("frobnicate");
  EXPECT_EQ(result.exit_status, 2);
  EXPECT_EQ(count_lines(result.err), 1u) << result.err;
}

TEST(Cli, DryRunPrintsCasesAndAnEstimateAndRunsNothing) {
  TempDir dir;
  const auto out = dir / "result.json";
  const auto result =
      run_poolbench("run -s inline -w atomic_increment -n 100,200 -k 2 -p 1 --dry-run --out " + out.string());
  ASSERT_EQ(result.exit_status, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("inline/atomic_increment/tasks:100/workers:2/producers:1"));
  EXPECT_THAT(result.out, HasSubstr("inline/atomic_increment/tasks:200/workers:2/producers:1"));
  EXPECT_THAT(result.out, HasSubstr("estimated total"));
  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST(Cli, ScenariosAreListedAndRunAsTheirFlags) {
  const auto listed = run_poolbench("list --scenarios");
  ASSERT_EQ(listed.exit_status, 0) << listed.err;
  EXPECT_THAT(listed.out, HasSubstr("overload"));
  EXPECT_THAT(listed.out, HasSubstr("-s fifo_ring,lifo_stack,dispatcher -w cpu_burst"));
  EXPECT_THAT(run_poolbench("list").out, HasSubstr("Scenarios (poolbench run --scenario NAME)"));
  const auto document = nlohmann::json::parse(run_poolbench("list --json").out);
  ASSERT_FALSE(document.at("scenarios").empty());
  EXPECT_FALSE(document.at("scenarios").at(0).at("flags").get<std::string>().empty());

  TempDir dir;
  const auto out = dir / "result.json";
  const auto planned = run_poolbench("run --scenario overload --dry-run --out " + out.string());
  ASSERT_EQ(planned.exit_status, 0) << planned.err;
  EXPECT_THAT(planned.out, HasSubstr("5 cases x 3 repetitions"));
  EXPECT_THAT(
      planned.out,
      HasSubstr(
          "lifo_stack/cpu_burst/arrival:poisson/duration_us:100/load:1.5/nonblocking:true/tasks:3000/"));
  const auto narrowed =
      run_poolbench("run --scenario overload -s fifo_ring --param nonblocking=true -r 1 --dry-run");
  ASSERT_EQ(narrowed.exit_status, 0) << narrowed.err;
  EXPECT_THAT(narrowed.out, HasSubstr("1 cases x 1 repetitions"));
  EXPECT_FALSE(std::filesystem::exists(out));
}

}  // namespace
}  // namespace poolbench
