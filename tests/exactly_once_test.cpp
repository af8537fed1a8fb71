// The exactly-once ledger (src/sdk/exactly_once.hpp): what it reports, in its one format, for lost,
// duplicated and rejected-but-run tasks, and that concurrent records are all counted.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "exactly_once.hpp"

namespace poolbench {
namespace {

TEST(ExactlyOnceLedger, EveryTaskOnceIsClean) {
  ExactlyOnceLedger ledger(4);
  for (std::size_t i = 0; i < 4; ++i) ledger.record(i);
  EXPECT_EQ(ledger.verify(), "");
  EXPECT_EQ(ledger.tasks(), 4u);
}

TEST(ExactlyOnceLedger, CountsLostAndDuplicatedAndNamesTheFirstFew) {
  ExactlyOnceLedger ledger(10);
  for (std::size_t i = 0; i < 10; ++i)
    if (i != 2 && i != 8) ledger.record(i);
  ledger.record(5);
  ledger.record(5);
  EXPECT_EQ(
      ledger.verify(),
      "exactly-once violated: 2 of 10 tasks lost, 1 ran more than once (first: task 2 ran 0 times, task 5 "
      "ran 3 times, task 8 ran 0 times)");
}

TEST(ExactlyOnceLedger, ShowsAtMostFiveExamples) {
  ExactlyOnceLedger ledger(7);
  EXPECT_EQ(
      ledger.verify(),
      "exactly-once violated: 7 of 7 tasks lost, 0 ran more than once (first: task 0 ran 0 times, task 1 "
      "ran 0 times, task 2 ran 0 times, task 3 ran 0 times, task 4 ran 0 times, ...)");
}

TEST(ExactlyOnceLedger, AgainstExpectedCountsARejectedTaskThatRanIsAViolation) {
  ExactlyOnceLedger ledger(3);
  ledger.record(0);
  ledger.record(2);  // rejected, must not run
  EXPECT_EQ(ledger.verify([](std::size_t i) { return i == 0 ? 1u : 0u; }),
            "exactly-once violated: 0 of 3 tasks lost, 0 ran more than once, 1 ran although rejected (first: "
            "task 2 ran 1 time)");
  EXPECT_EQ(ledger.verify([](std::size_t i) { return i == 1 ? 0u : 1u; }), "");
}

TEST(ExactlyOnceLedger, MarkedRejectedTasksMustNotRunAndAreCounted) {
  ExactlyOnceLedger ledger(130);  // three words of rejection bits
  for (std::size_t i = 0; i < 130; ++i)
    if (i != 1 && i != 65) ledger.record(i);
  for (std::size_t i : {1, 65, 129}) ledger.mark_rejected(i);
  EXPECT_EQ(ledger.rejected_count(), 3u);
  EXPECT_TRUE(ledger.rejected(65));
  EXPECT_FALSE(ledger.rejected(64));
  // 1 and 65 were rejected and never ran; 129 was rejected but ran.
  EXPECT_EQ(ledger.verify(),
            "exactly-once violated: 0 of 130 tasks lost, 0 ran more than once, 1 ran although rejected (first: "
            "task 129 ran 1 time)");
  ledger.reset(130);
  EXPECT_EQ(ledger.rejected_count(), 0u);
}

TEST(ExactlyOnceLedger, ResetForgetsEveryRecord) {
  ExactlyOnceLedger ledger(2);
  ledger.record(0);
  ledger.reset(3);
  EXPECT_EQ(ledger.tasks(), 3u);
  EXPECT_EQ(ledger.runs(0), 0u);
}

TEST(ExactlyOnceLedger, ConcurrentRecordsAreAllCounted) {
  constexpr std::size_t tasks = 10000;
  constexpr std::size_t threads = 4;
  ExactlyOnceLedger ledger(tasks);
  {
    std::vector<std::jthread> recorders;
    for (std::size_t t = 0; t < threads; ++t)
      recorders.emplace_back([&ledger, t] {
        for (std::size_t i = t; i < tasks; i += threads) ledger.record(i);
      });
  }
  EXPECT_EQ(ledger.verify(), "");
}

}  // namespace
}  // namespace poolbench
