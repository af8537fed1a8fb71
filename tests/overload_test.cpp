// Overload as an outcome (the guide's "what happens when the pool is full"): a strategy's non-blocking mode
// refuses tasks with `overloaded`; the case records how many (`rejected_tasks`, `reject_rate`), counts only
// the tasks that ran in its throughput, and checks that every accepted task ran exactly once and every
// refused one never ran. A case fails only on loss, duplication or another refusal.
#include <gtest/gtest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "cli_support.hpp"
#include "truth_support.hpp"

namespace poolbench {
namespace {

using testing::make_case;
using testing::run_in_process;

// One worker busy for about 2 ms per task, and one producer that submits 40 tasks as fast as it can: the
// worker cannot keep up, so a non-blocking pool must refuse some. The first task always finds an idle worker.
CaseSpec overloaded_case(const std::string& strategy) {
  return make_case(strategy, "simulated_io", 40, 1, 1,
                   {{"nonblocking", "true"}, {"median_ms", "2"}, {"p99_ms", "3"}});
}

class NonBlocking : public ::testing::TestWithParam<std::string> {};

TEST_P(NonBlocking, RefusedTasksAreCountedNotFailedAndNeverRun) {
  const auto outcome = run_in_process(overloaded_case(GetParam()));
  ASSERT_FALSE(outcome.error) << outcome.error_message;  // verify() passed: accepted once, refused never
  const double rejected = outcome.counter("rejected_tasks");
  EXPECT_GT(rejected, 0) << "a producer 20x faster than the pool was never refused";
  EXPECT_LT(rejected, 40);
  EXPECT_DOUBLE_EQ(outcome.counter("reject_rate"), rejected / 40);
}

INSTANTIATE_TEST_SUITE_P(Overload, NonBlocking, ::testing::Values("lifo_stack", "fifo_ring"));

TEST(Overload, AStrategyThatCanRefuseReportsZeroWhenItDidNot) {
  const auto outcome = run_in_process(make_case("lifo_stack", "atomic_increment", 200, 2, 1));
  ASSERT_FALSE(outcome.error) << outcome.error_message;
  EXPECT_EQ(outcome.counter("rejected_tasks"), 0);
  EXPECT_EQ(outcome.counter("reject_rate"), 0);
}

TEST(Overload, AStrategyThatCannotRefuseHasNoRejectionColumn) {
  const auto outcome = run_in_process(make_case("inline", "atomic_increment", 200, 1, 1));
  ASSERT_FALSE(outcome.error) << outcome.error_message;
  EXPECT_EQ(outcome.counters.count("rejected_tasks"), 0u);
}

// README's example, which used to fail its case at the first refusal.
TEST(Overload, TheReadmeNonBlockingExampleRuns) {
  testing::TempDir dir;
  const auto out = dir / "r.json";
  const auto result = testing::run_poolbench(
      "run -s lifo_stack --param nonblocking=true -w simulated_io -k 100 -n 400 -p 1 -r 1 -q --out " +
      out.string());
  ASSERT_EQ(result.exit_status, 0) << result.err;
  const auto document = nlohmann::json::parse(testing::slurp(out));
  const auto& entry = document.at("benchmarks").at(0);
  EXPECT_FALSE(entry.value("error_occurred", false));
  EXPECT_TRUE(entry.contains("rejected_tasks"));
}

}  // namespace
}  // namespace poolbench
