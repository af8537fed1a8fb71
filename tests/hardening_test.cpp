// Inputs that once broke poolbench (issue 17), each answered now with one line and its documented exit
// status: 2 for unusable input (before anything runs), 3 for an environment error; never terminate().
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "cli_support.hpp"

namespace poolbench {
namespace {

using testing::count_lines;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::run_poolbench;
using testing::slurp;
using testing::TempDir;

const std::string small_run = "run -s inline -w atomic_increment -n 100 -p 1 -r 1 -q";

// Runs a shell command line (for what run_poolbench cannot express: stdout to /dev/full, an environment).
testing::CommandResult run_shell(const std::string& command) {
  TempDir scratch;
  std::ofstream(scratch / "script") << command << "\n";
  const std::string line = "timeout -k 5 120 sh " + (scratch / "script").string() + " >" +
                           (scratch / "out").string() + " 2>" + (scratch / "err").string() + " </dev/null";
  const int status = std::system(line.c_str());
  testing::CommandResult result;
  result.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = slurp(scratch / "out");
  result.err = slurp(scratch / "err");
  return result;
}

void expect_one_line(const testing::CommandResult& result, int exit_status, const std::string& message,
                     const std::string& what) {
  EXPECT_EQ(result.exit_status, exit_status) << what << "\n" << result.err;
  EXPECT_EQ(count_lines(result.err), 1u) << what << "\n" << result.err;
  EXPECT_THAT(result.err, HasSubstr(message)) << what;
  EXPECT_THAT(result.err, Not(HasSubstr("terminate"))) << what;
}

struct Refused {
  const char* arguments;
  const char* message;
};

class RefusedBeforeAnythingRuns : public ::testing::TestWithParam<Refused> {};

// Refused at plan time with exit 2: no result file, no scratch folder, nothing run.
TEST_P(RefusedBeforeAnythingRuns, OneLineExitTwo) {
  TempDir dir;
  std::filesystem::create_directory(dir / "tmp");
  const auto out = dir / "r.json";
  const auto result = run_shell("TMPDIR=" + (dir / "tmp").string() + " " + POOLBENCH_BINARY +
                                " run -p 1 -q " + GetParam().arguments + " --out " + out.string());
  expect_one_line(result, 2, GetParam().message, GetParam().arguments);
  EXPECT_FALSE(std::filesystem::exists(out));
  EXPECT_TRUE(std::filesystem::is_empty(dir / "tmp")) << "no scratch folder";
  const auto dry_run = run_poolbench("run -p 1 --dry-run " + std::string(GetParam().arguments));
  expect_one_line(dry_run, 2, GetParam().message, std::string("--dry-run ") + GetParam().arguments);
  EXPECT_TRUE(dry_run.out.empty()) << dry_run.out;
}

INSTANTIATE_TEST_SUITE_P(
    Issue17, RefusedBeforeAnythingRuns,
    ::testing::Values(
        // Item 3: counts above 2^63-1.
        Refused{"-s inline -w atomic_increment -n 100 -r 9223372036854775808",
                "--repetitions: '9223372036854775808' is too large (at most 9223372036854775807)"},
        Refused{"-s inline -w atomic_increment -n 100 -r 18446744073709551616", "--repetitions: '1844"},
        Refused{"-s inline -w atomic_increment -n 9223372036854775808",
                "--tasks: '9223372036854775808' is too"},
        Refused{"-s inline -w atomic_increment -n 100 -k 99999999999999999999999", "--workers: '9999"},
        // A count that fits but whose estimated time (and so its timeout) would not.
        Refused{"-s inline -w atomic_increment -n 9223372036854775807", "estimated at 9.2"},
        // Item 3: a matrix too large to hold (it was bad_alloc).
        Refused{
            "-s inline -w cpu_burst -p 1,2,3,4,5,6,7,8,9,10 --param duration_us=1,2,3,4,5,6,7,8,9,10 -n "
            "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,"
            "36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63,64,65,66,"
            "67,68,69,70,71,72,73,74,75,76,77,78,79,80,81,82,83,84,85,86,87,88,89,90,91,92,93,94,95,96,97,98,"
            "99,100 -k "
            "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,"
            "33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63,64,"
            "65,66,67,68,69,70,71,72,73,74,75,76,77,78,79,80,81,82,83,84,85,86,87,88,89,90,91,92,93,94,95,96,"
            "97,98,99,100,101,102,103,104,105,106,107,108,109,110,111,112,113,114,115,116,117,118,119,120",
            "the matrix has 1.2e+06 cases; at most 1000000"},
        // Item 3: a --filter that is not UTF-8.
        Refused{"-s inline -w atomic_increment -n 100 --filter \"$(printf 'inline|\\377')\"", "--filter"},
        // Item 6: a value twice, a name twice.
        Refused{"-s inline -w cpu_burst -n 10 --param duration_us=1,1",
                "--param: 'duration_us' lists the value '1' twice"},
        Refused{"-s inline -w cpu_burst -n 10 --param duration_us=1 --param duration_us=2",
                "--param: 'duration_us' is given twice"},
        // Item 7: timeouts that mean no timeout, and parameters whose estimate is infinite.
        Refused{"-s inline -w atomic_increment -n 100 --timeout nan",
                "--timeout: nan is not a number of seconds"},
        Refused{"-s inline -w atomic_increment -n 100 --timeout inf", "--timeout: inf is not"},
        Refused{"-s inline -w atomic_increment -n 100 --timeout -5", "--timeout"},
        Refused{"-s inline -w atomic_increment -n 100 --timeout 1e300", "--timeout"},
        Refused{"-s inline -w cpu_burst -n 10 --param duration_us=1e300",
                "parameter duration_us: '1e300' is not a positive number of at most 1e+09"},
        Refused{"-s inline -w cpu_burst -n 1000000 --param duration_us=1e9",
                "s per repetition, more than the 1e+06 s"},
        // Item 7: simulated_io's parameters checked together at plan time (it failed at run time, exit 1).
        Refused{"-s inline -w simulated_io -n 10 --param p99_ms=1",
                "--param: simulated_io: p99_ms (1) must be at least median_ms (5)"},
        // Item 8: -r 0 without a 309-digit range.
        Refused{"-s inline -w atomic_increment -n 100 -r 0", "--repetitions: '0' is not a positive integer"},
        // Item 8: an invalid pattern is one line (RE2's reason).
        Refused{"-s inline -w atomic_increment -n 100 --filter '(['", "is not a valid regular expression"}));

// Item 8: nested quantifiers against a long name backtrack exponentially in std::regex; RE2 is linear.
TEST(Hardening, PathologicalFilterDoesNotHangThePlanner) {
  const std::string long_value = "1." + std::string(60, '0') + "1";
  const auto result =
      run_poolbench("run -s inline -w cpu_burst -n 1 -p 1 --dry-run --param duration_us=" + long_value +
                        " --filter '(0*)*x'",
                    60);
  expect_one_line(result, 2, "--filter: no case matches", "pathological filter");
  const auto matching =
      run_poolbench("run -s inline -w cpu_burst -n 1 -p 1 --dry-run --param duration_us=" + long_value +
                        " --filter '(0*)*1/tasks'",
                    60);
  EXPECT_EQ(matching.exit_status, 0) << matching.err;
  EXPECT_THAT(matching.out, HasSubstr("1 cases"));
}

// Item 8: output that never reached stdout is exit 3 with one line, not a silent success.
TEST(Hardening, StdoutWriteErrorsAreExitThree) {
  TempDir dir;
  const auto result_file = dir / "r.json";
  ASSERT_EQ(run_poolbench(small_run + " --out " + result_file.string()).exit_status, 0);
  const std::string binary = POOLBENCH_BINARY;
  for (const std::string& arguments :
       {std::string("list"), std::string("list --json"), std::string("--help"),
        "compare " + result_file.string() + " " + result_file.string(),
        "compare --format json " + result_file.string() + " " + result_file.string(),
        "report " + result_file.string(), small_run + " --dry-run",
        small_run + " --out " + (dir / "r2.json").string()}) {
    const auto result = run_shell(binary + " " + arguments + " >/dev/full");
    expect_one_line(result, 3, "cannot write to standard output", arguments);
  }
}

// Item 3: bytes that are not UTF-8 in --out or in a compared file's path are written (as U+FFFD in JSON).
TEST(Hardening, PathsThatAreNotUtf8AreWrittenNotFatal) {
  TempDir dir;
  const std::string odd = (dir / "r\xff\xfe.json").string();
  const auto run = run_poolbench(small_run + " --out '" + odd + "'");
  ASSERT_EQ(run.exit_status, 0) << run.err;
  const auto document = nlohmann::json::parse(slurp(odd));
  EXPECT_THAT(document.at("context").at("poolbench").at("command_line").get<std::string>(),
              HasSubstr("r\xEF\xBF\xBD\xEF\xBF\xBD.json"));

  const auto compared = run_poolbench("compare --format json '" + odd + "' '" + odd + "'");
  ASSERT_EQ(compared.exit_status, 0) << compared.err;
  EXPECT_TRUE(nlohmann::json::accept(compared.out)) << compared.out;
  const auto reported = run_poolbench("report --format json '" + odd + "'");
  ASSERT_EQ(reported.exit_status, 0) << reported.err;
  EXPECT_TRUE(nlohmann::json::accept(reported.out));
}

// Item 3: TMPDIR pointing nowhere for report --plots: one line, exit 3, and nothing written.
TEST(Hardening, ReportPlotsWithTmpdirNowhereIsExitThreeBeforeWriting) {
  TempDir dir;
  const auto result_file = dir / "r.json";
  ASSERT_EQ(run_poolbench(small_run + " --out " + result_file.string()).exit_status, 0);
  const auto result = run_shell("TMPDIR=" + (dir / "nowhere").string() + " " + POOLBENCH_BINARY + " report " +
                                result_file.string() + " --out " + (dir / "report.md").string() +
                                " --plots " + (dir / "plots").string());
  expect_one_line(result, 3,
                  "cannot create a temporary file in '" + (dir / "nowhere").string() + "' (TMPDIR)",
                  "report --plots");
  EXPECT_FALSE(std::filesystem::exists(dir / "report.md"));
  EXPECT_FALSE(std::filesystem::exists(dir / "plots"));
}

}  // namespace
}  // namespace poolbench
