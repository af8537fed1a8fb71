// compare and report read only the result files: run by a build from which a strategy named in the files has
// been removed (poolbench_without_fifo_ring: the same sources without strategies/fifo_ring.cpp), they give
// byte for byte the same output, exit status and messages as the full build — on files of the current layout
// and of the previous one.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cli_support.hpp"

namespace poolbench {
namespace {

using testing::CommandResult;
using testing::quote;
using testing::run_program;
using testing::slurp;

const std::string source_dir = POOLBENCH_SOURCE_DIR;

CommandResult run_with(const std::string& binary, const std::vector<std::string>& arguments) {
  std::string words;
  for (const auto& argument : arguments) words.append(" ").append(quote(argument));
  return run_program(binary, words);
}

TEST(ResultPortability, TheReducedBuildReallyLacksTheStrategy) {
  const CommandResult full = run_with(POOLBENCH_BINARY, {"list", "--json", "--all"});
  const CommandResult reduced = run_with(POOLBENCH_WITHOUT_FIFO_RING_BINARY, {"list", "--json", "--all"});
  ASSERT_EQ(full.exit_status, 0) << full.err;
  ASSERT_EQ(reduced.exit_status, 0) << reduced.err;
  EXPECT_NE(full.out.find("\"fifo_ring\""), std::string::npos);
  EXPECT_EQ(reduced.out.find("\"fifo_ring\""), std::string::npos);
  const CommandResult run =
      run_with(POOLBENCH_WITHOUT_FIFO_RING_BINARY, {"run", "-s", "fifo_ring", "--dry-run"});
  EXPECT_EQ(run.exit_status, 2);
}

TEST(ResultPortability, CompareAndReportGiveTheSameOutputWithoutTheStrategy) {
  const std::string data = source_dir + "/tests/data/";
  // Every file below names fifo_ring.
  for (const char* file : {"pb_base.json", "pb_new_regressed.json", "report_fixture.json",
                           "previous_layout_report_fixture.json"})
    ASSERT_NE(slurp(data + file).find("\"fifo_ring\""), std::string::npos) << file;
  ASSERT_NE(slurp(source_dir + "/results/baseline-quick.json").find("\"fifo_ring\""), std::string::npos);

  const std::vector<std::vector<std::string>> commands = {
      {"compare", data + "pb_base.json", data + "pb_new_regressed.json"},
      {"compare", "--format", "md", data + "pb_base.json", data + "pb_new_regressed.json"},
      {"compare", "--format", "json", "--normalize-to", "inline", data + "pb_base.json",
       data + "pb_new_slower_machine.json"},
      {"compare", "--profile", "ci", source_dir + "/results/baseline-quick.json",
       source_dir + "/results/baseline-quick.json"},
      {"report", data + "report_fixture.json"},
      {"report", "--format", "json", data + "report_fixture.json"},
      {"report", data + "previous_layout_report_fixture.json"},
      {"report", "--format", "json", source_dir + "/results/baseline-quick.json"},
  };
  for (const auto& command : commands) {
    const CommandResult full = run_with(POOLBENCH_BINARY, command);
    const CommandResult reduced = run_with(POOLBENCH_WITHOUT_FIFO_RING_BINARY, command);
    std::string shown;
    for (const auto& word : command) shown += word + " ";
    EXPECT_LE(full.exit_status, 1) << shown << ": " << full.err;
    EXPECT_GT(full.out.size(), 100u) << shown;
    EXPECT_EQ(reduced.exit_status, full.exit_status) << shown;
    EXPECT_EQ(reduced.err, full.err) << shown;
    EXPECT_TRUE(reduced.out == full.out) << shown << ": outputs differ";
  }
}

}  // namespace
}  // namespace poolbench
