// probe::shared_calibration: one measurement per key and run, read back by every later process; and end to
// end, every case of a run doing the same work (the same cpu_burst steps, the same warm_state patterns).
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <stdexcept>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli_support.hpp"
#include "probe/shared_calibration.hpp"

namespace poolbench {
namespace {

using probe::calibration_file_variable;
using probe::shared_calibration;
using testing::quote;
using testing::run_poolbench;
using testing::slurp;
using testing::TempDir;

// Sets the variable for its life and restores what was there (other tests of this executable run children).
class CalibrationFileScope {
 public:
  explicit CalibrationFileScope(const std::string& path) {
    if (const char* old = std::getenv(calibration_file_variable)) old_ = old;
    ::setenv(calibration_file_variable, path.c_str(), 1);
  }
  ~CalibrationFileScope() {
    if (old_.empty())
      ::unsetenv(calibration_file_variable);
    else
      ::setenv(calibration_file_variable, old_.c_str(), 1);
  }
  CalibrationFileScope(const CalibrationFileScope&) = delete;
  CalibrationFileScope& operator=(const CalibrationFileScope&) = delete;

 private:
  std::string old_;
};

TEST(SharedCalibration, WithoutAFileEachCallMeasures) {
  const CalibrationFileScope scope("");
  int measured = 0;
  const auto measure = [&] { return 1.5 + measured++; };
  EXPECT_EQ(shared_calibration("k", measure), 1.5);
  EXPECT_EQ(shared_calibration("k", measure), 2.5);
  EXPECT_EQ(measured, 2);
}

TEST(SharedCalibration, AKeyIsMeasuredOnceAndReadBackAfterwards) {
  TempDir dir;
  const auto path = dir / "calibration.json";
  const CalibrationFileScope scope(path.string());
  int measured = 0;
  EXPECT_EQ(shared_calibration("a",
                               [&] {
                                 ++measured;
                                 return 3.25;
                               }),
            3.25);
  EXPECT_EQ(shared_calibration("a",
                               [&] {
                                 ++measured;
                                 return 9.0;
                               }),
            3.25);
  EXPECT_EQ(shared_calibration("b",
                               [&] {
                                 ++measured;
                                 return 7.0;
                               }),
            7.0);
  EXPECT_EQ(measured, 2);
  const auto stored = nlohmann::json::parse(slurp(path));
  EXPECT_EQ(stored, (nlohmann::json{{"a", 3.25}, {"b", 7.0}}));
}

TEST(SharedCalibration, AFileThatIsNotAnObjectOfPositiveNumbersIsAnError) {
  TempDir dir;
  const auto path = dir / "calibration.json";
  const CalibrationFileScope scope(path.string());
  const auto measure = [] { return 1.0; };
  for (const char* text : {"not json", "[1, 2]", R"({"a": -1})", R"({"a": "fast"})"}) {
    std::ofstream(path) << text;
    try {
      shared_calibration("a", measure);
      ADD_FAILURE() << "accepted: " << text;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
    }
  }
}

// Every case of one run, and every repetition, does the same work: each process used to calibrate for itself
// (warm_state's patterns per state ranged 19-28 between the processes of one comparison).
TEST(SharedCalibration, EveryCaseOfARunDoesTheSameWork) {
  TempDir dir;
  const auto out = dir / "run.json";
  const auto result =
      run_poolbench(fmt::format("run -s inline,fifo_ring,lifo_stack -w cpu_burst,warm_state -n 64 -k 2 -p 1 "
                                "-r 2 --param duration_us=10 "
                                "--param build_ms=1 -q -o {}",
                                quote(out.string())));
  ASSERT_EQ(result.exit_status, 0) << result.err;
  const auto document = nlohmann::json::parse(slurp(out));
  std::map<std::string, std::set<std::string>> seen;  // label field -> values
  const std::regex field(R"((steps_per_task|patterns_per_state)=(\d+))");
  std::set<double> probe_costs;  // the probe's cost per timed task, which decides how often a window times
  int entries = 0;
  for (const auto& entry : document["benchmarks"]) {
    if (entry.value("run_type", "") != "iteration") continue;
    ++entries;
    if (entry.contains("instrumentation_ns_per_task"))
      probe_costs.insert(entry["instrumentation_ns_per_task"].get<double>());
    const std::string label = entry.value("label", "");
    for (std::sregex_iterator it(label.begin(), label.end(), field), end; it != end; ++it)
      seen[(*it)[1]].insert((*it)[2]);
  }
  EXPECT_EQ(entries, 12);  // 3 strategies x 2 workloads x 2 repetitions
  ASSERT_EQ(seen.size(), 2u) << "labels no longer name steps_per_task and patterns_per_state";
  for (const auto& [name, values] : seen) EXPECT_EQ(values.size(), 1u) << name << " differs between cases";
  EXPECT_EQ(probe_costs.size(), 1u) << "the probe's cost differs between the cases of one run";
}

}  // namespace
}  // namespace poolbench
