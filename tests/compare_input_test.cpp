// compare's input beyond the verdicts: a file where one name stands for two cases is refused instead of
// merged, and a large file compares in time linear in its entries.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <time.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "cli_support.hpp"
#include "compare/compare.hpp"
#include "compare_support.hpp"
#include "errors.hpp"

namespace poolbench::compare {
namespace {

using testing::CaseValues;
using ::testing::HasSubstr;
using testing::make_file;

std::string refusal(const ResultFile& base, const ResultFile& next) {
  try {
    compare_files(base, next, Options{});
  } catch (const UsageError& error) {
    return error.what();
  }
  return "(compared without complaint)";
}

TEST(CompareInput, TwoEntriesForOneRepetitionOfACaseAreRefused) {
  const ResultFile good = make_file("good.json", {{.strategy = "inline", .times = {1, 2, 3}}});
  ResultFile twice = good;
  twice.path = "twice.json";
  twice.entries.push_back(twice.entries.at(1));
  const std::string message = refusal(good, twice);
  EXPECT_THAT(message, HasSubstr("twice.json"));
  EXPECT_THAT(message, HasSubstr("has two entries for repetition 1 of case 'inline/atomic_increment/"));
  EXPECT_THAT(refusal(twice, good), HasSubstr("twice.json"));
}

TEST(CompareInput, TwoDifferentCasesWithOneNameAreRefused) {
  ResultFile file =
      make_file("merged.json", {{.strategy = "inline", .times = {1, 2}},
                                {.strategy = "inline", .times = {3, 4}, .strategy_params = {{"x", "1"}}}});
  // The second case renamed to the first one's name: its repetitions would be merged into the first's.
  for (std::size_t i = 2; i < 4; ++i) {
    file.entries[i].name = file.entries[i].run_name = file.entries[0].run_name;
    file.entries[i].repetition_index += 2;
  }
  const ResultFile good = make_file("good.json", {{.strategy = "inline", .times = {1, 2}}});
  const std::string message = refusal(good, file);
  EXPECT_THAT(message, HasSubstr("merged.json: two different cases are named 'inline/atomic_increment/"));
  EXPECT_THAT(message, HasSubstr("parameter x"));
}

// A Google Benchmark file records no case coordinates and older versions no repetition_index: only what a
// poolbench file records is checked, so such files still compare.
TEST(CompareInput, GoogleBenchmarkFilesWithoutRepetitionIndexStillCompare) {
  ResultFile file = make_file("gb.json", {{.strategy = "inline", .times = {1, 2, 3}}});
  file.context = nlohmann::json::object();
  for (auto& entry : file.entries) {
    entry.case_info.reset();
    entry.repetition_index = 0;
  }
  EXPECT_NO_THROW(compare_files(file, file, Options{}));
}

TEST(CompareInput, DuplicateCaseNamesAreOneLineAndExitTwoOnTheCommandLine) {
  poolbench::testing::TempDir dir;
  auto document = nlohmann::json::parse(poolbench::testing::slurp(testing::data("pb_base.json")));
  auto& benchmarks = document.at("benchmarks");
  nlohmann::json copy;
  for (const auto& entry : benchmarks)
    if (entry.value("run_type", "") == "iteration") {
      copy = entry;
      break;
    }
  benchmarks.push_back(copy);
  const auto path = dir / "duplicated.json";
  std::ofstream(path) << document.dump(2);
  const auto result =
      poolbench::testing::run_poolbench("compare " + testing::data("pb_base.json") + " " + path.string());
  EXPECT_EQ(result.exit_status, 2) << result.err;
  EXPECT_EQ(poolbench::testing::count_lines(result.err), 1u) << result.err;
  EXPECT_THAT(result.err, HasSubstr("has two entries for repetition"));
  EXPECT_TRUE(result.out.empty());
}

// Looking each case up by scanning every entry made compare quadratic in entries (a 100 MB file took
// minutes). 20,000 cases of 2 repetitions per file, normalised to inline (which looks up a reference case for
// each): the quadratic lookups took 69 s of CPU here, the linear ones take well under a second. CPU time, not
// wall time, so a loaded machine does not count; the bound leaves room for a sanitizer build.
double thread_cpu_seconds() {
  timespec now{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

TEST(CompareInput, TwentyThousandCasesCompareInLinearTime) {
  std::vector<CaseValues> cases;
  for (std::size_t workers = 1; workers <= 10'000; ++workers)
    for (const char* strategy : {"inline", "fifo_ring"})
      cases.push_back({.strategy = strategy, .workers = workers, .times = {1e6, 1.1e6}});
  const ResultFile base = make_file("base.json", cases);
  const ResultFile next = make_file("next.json", cases);
  ASSERT_EQ(base.entries.size(), 40'000u);
  Options options;
  options.normalize_to = "inline";
  const double started = thread_cpu_seconds();
  const Comparison comparison = compare_files(base, next, options);
  const double seconds = thread_cpu_seconds() - started;
  EXPECT_EQ(comparison.cases.size(), 20'000u);
  EXPECT_EQ(comparison.summary.regressions, 0u);
  EXPECT_LT(seconds, 15) << "compare is not linear in the entries";
}

}  // namespace
}  // namespace poolbench::compare
