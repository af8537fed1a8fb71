// The runner end to end through the real binary: isolation (a crash, a hang past --timeout and a lost task
// are recorded for their case alone), interleaved repetitions, the result file's schema, Ctrl-C keeping
// finished cases, and Google Benchmark's own compare.py reading our files.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "cli_support.hpp"
#include "metrics/catalogue.hpp"
#include "run/runner.hpp"

namespace poolbench {
namespace {

using ::testing::HasSubstr;
using testing::run_poolbench;
using testing::slurp;
using testing::TempDir;

nlohmann::json load(const std::filesystem::path& path) {
  return nlohmann::json::parse(slurp(path));
}

std::vector<nlohmann::json> entries_named(const nlohmann::json& document, const std::string& needle,
                                          const char* run_type = "iteration") {
  std::vector<nlohmann::json> out;
  for (const auto& entry : document.at("benchmarks"))
    if (entry.at("name").get<std::string>().find(needle) != std::string::npos &&
        entry.at("run_type") == run_type)
      out.push_back(entry);
  return out;
}

TEST(Runner, CrashHangAndLostTaskAreRecordedWhileTheOtherCasesKeepTheirResults) {
  TempDir dir;
  const auto out = dir / "r.json";
  const auto result = run_poolbench(
      "run -s inline -w atomic_increment,test_crash,test_hang,test_lose_task -n 50 -p 1 -k 1 -r 2 --timeout "
      "2 "
      "--param at=7 --out " +
      out.string());
  EXPECT_EQ(result.exit_status, 1) << result.err;
  const auto document = load(out);

  const auto good = entries_named(document, "/atomic_increment/");
  ASSERT_EQ(good.size(), 2u);
  for (const auto& entry : good) {
    EXPECT_FALSE(entry.value("error_occurred", false));
    EXPECT_GT(entry.at("real_time").get<double>(), 0);
    EXPECT_DOUBLE_EQ(entry.at("items_per_second").get<double>() * entry.at("real_time").get<double>() / 1e3,
                     50.0);
  }
  EXPECT_EQ(entries_named(document, "/atomic_increment/", "aggregate").size(), 4u);

  const auto crashed = entries_named(document, "/test_crash/");
  ASSERT_EQ(crashed.size(), 2u);
  for (const auto& entry : crashed) {
    EXPECT_TRUE(entry.at("error_occurred").get<bool>());
    EXPECT_THAT(entry.at("error_message").get<std::string>(), HasSubstr("crashed: signal 11"));
  }
  const auto hung = entries_named(document, "/test_hang/");
  ASSERT_EQ(hung.size(), 2u);
  for (const auto& entry : hung)
    EXPECT_THAT(entry.at("error_message").get<std::string>(), HasSubstr("timed out"));

  const auto lost = entries_named(document, "/test_lose_task/");
  ASSERT_EQ(lost.size(), 2u);
  for (const auto& entry : lost)
    EXPECT_THAT(entry.at("error_message").get<std::string>(), HasSubstr("exactly-once violated: 1 of 50"));
  // Failed cases have no aggregates: there is nothing to aggregate.
  EXPECT_TRUE(entries_named(document, "/test_crash/", "aggregate").empty());
  EXPECT_THAT(result.out, HasSubstr("failed: crashed"));
}

TEST(Runner, AbortIsRecordedWithItsSignal) {
  TempDir dir;
  const auto out = dir / "r.json";
  const auto result =
      run_poolbench("run -s inline -w test_crash --param how=abort -n 10 -p 1 -r 1 -q --out " + out.string());
  EXPECT_EQ(result.exit_status, 1);
  const auto entries = entries_named(load(out), "test_crash");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_THAT(entries[0].at("error_message").get<std::string>(), HasSubstr("signal 6"));
}

TEST(Runner, RepetitionsAreInterleavedAcrossCases) {
  TempDir dir;
  const auto result = run_poolbench("run -s inline -w atomic_increment -n 100 -p 1,2,3 -r 2 --out " +
                                    (dir / "r.json").string());
  ASSERT_EQ(result.exit_status, 0) << result.err;
  // stderr is not a terminal here: one plain line per finished run, in execution order.
  std::vector<std::string> order;
  std::istringstream lines(result.err);
  for (std::string line; std::getline(lines, line);)
    if (line.find(": ok ") != std::string::npos) order.push_back(line.substr(line.find("] ") + 2));
  ASSERT_EQ(order.size(), 6u) << result.err;
  for (std::size_t i = 0; i < 3; ++i) EXPECT_THAT(order[i], HasSubstr("(rep 1)"));
  for (std::size_t i = 3; i < 6; ++i) EXPECT_THAT(order[i], HasSubstr("(rep 2)"));
  EXPECT_THAT(order[0], HasSubstr("producers:1 "));
  EXPECT_THAT(order[1], HasSubstr("producers:2 "));
  EXPECT_THAT(order[3], HasSubstr("producers:1 "));
}

TEST(Runner, QuietPrintsNoProgress) {
  TempDir dir;
  const auto result = run_poolbench("run -s inline -w atomic_increment -n 100 -p 1 -r 1 -q --out " +
                                    (dir / "r.json").string());
  ASSERT_EQ(result.exit_status, 0);
  EXPECT_TRUE(result.err.empty()) << result.err;
  EXPECT_THAT(result.out,
              HasSubstr("inline/atomic_increment/tasks:100/workers:2/producers:1"));  // the summary
}

TEST(Runner, ResultFileIsGoogleBenchmarkJsonWithPoolbenchContext) {
  TempDir dir;
  const auto out = dir / "r.json";
  const auto result =
      run_poolbench("run -s inline -w atomic_increment -n 1000 -p 1 -r 3 -q --out " + out.string());
  ASSERT_EQ(result.exit_status, 0) << result.err;
  const auto document = load(out);
  const auto& context = document.at("context");
  for (const char* key : {"date", "host_name", "num_cpus", "mhz_per_cpu", "caches", "library_build_type"})
    EXPECT_TRUE(context.contains(key)) << key;
  const auto& poolbench = context.at("poolbench");
  for (const char* key : {"version", "git_commit", "compiler", "build_type", "allocator", "kernel",
                          "command_line", "date", "repetitions"})
    EXPECT_TRUE(poolbench.contains(key)) << key;
  EXPECT_THAT(poolbench.at("command_line").get<std::string>(), HasSubstr("run -s inline"));
  // The file describes its metrics, and the driver writes exactly the catalogue's counters (inline has no
  // strategy-specific ones), but for the open loop's.
  EXPECT_EQ(poolbench.at("metrics"), nlohmann::json(metrics::catalogue_to_json()));
  std::set<std::string> written;
  for (const auto& [key, value] : document.at("benchmarks").at(0).items())
    if (value.is_number() &&
        !std::set<std::string>{"family_index", "per_family_instance_index", "repetitions", "repetition_index",
                               "threads", "iterations", "real_time", "cpu_time"}
             .count(key))
      written.insert(key);
  std::set<std::string> catalogued;
  for (const auto& metric : metrics::catalogue())
    if (metric.source == metrics::Source::counter && !metrics::open_loop_only(metric.name) &&
        !metrics::footprint_only(metric.name) && !metrics::tagged_tasks_only(metric.name) &&
        !metrics::workload_specific(metric.name))
      catalogued.emplace(metric.name);
  // Written only where they apply: p99.9 from 10,000 timed tasks, the flag where oneTBB's allocator is
  // loaded, rejections where the strategy can refuse (inline cannot).
  for (const char* conditional :
       {"e2e_p999_ns", "queue_wait_p999_ns", "allocations_bypass_malloc", "rejected_tasks", "reject_rate"})
    catalogued.erase(conditional);
  EXPECT_EQ(written, catalogued);

  const auto& benchmarks = document.at("benchmarks");
  ASSERT_EQ(benchmarks.size(), 3u + 4u);  // three repetitions, then mean, median, stddev, cv
  const std::string name = "inline/atomic_increment/tasks:1000/workers:2/producers:1";
  for (int i = 0; i < 3; ++i) {
    const auto& entry = benchmarks.at(i);
    EXPECT_EQ(entry.at("name"), name);
    EXPECT_EQ(entry.at("run_name"), name);
    EXPECT_EQ(entry.at("run_type"), "iteration");
    EXPECT_EQ(entry.at("repetitions"), 3);
    EXPECT_EQ(entry.at("repetition_index"), i);
    EXPECT_EQ(entry.at("iterations"), 1);
    EXPECT_EQ(entry.at("time_unit"), "ms");
    EXPECT_TRUE(entry.at("real_time").is_number());
    EXPECT_TRUE(entry.at("cpu_time").is_number());
    EXPECT_TRUE(entry.at("items_per_second").is_number());
    EXPECT_EQ(entry.at("case").at("strategy"), "inline");
    EXPECT_EQ(entry.at("case").at("tasks"), 1000);
  }
  const char* aggregates[] = {"mean", "median", "stddev", "cv"};
  std::vector<double> times;
  for (int i = 0; i < 3; ++i) times.push_back(benchmarks.at(i).at("real_time").get<double>());
  std::sort(times.begin(), times.end());
  for (int i = 0; i < 4; ++i) {
    const auto& entry = benchmarks.at(3 + i);
    EXPECT_EQ(entry.at("run_type"), "aggregate");
    EXPECT_EQ(entry.at("aggregate_name"), aggregates[i]);
    EXPECT_EQ(entry.at("name"), name + "_" + aggregates[i]);
    EXPECT_EQ(entry.at("aggregate_unit"), i == 3 ? "percentage" : "time");
  }
  EXPECT_DOUBLE_EQ(benchmarks.at(4).at("real_time").get<double>(), times[1]);  // the median
  EXPECT_DOUBLE_EQ(benchmarks.at(3).at("real_time").get<double>(), (times[0] + times[1] + times[2]) / 3);
}

TEST(Runner, TimeoutIsTheFloorOrTheEstimateTimesTheFactor) {
  RunOptions options;
  options.timeout_seconds = 60;
  options.timeout_estimate_factor = 20;
  CaseSpec spec;
  spec.estimate_seconds = 5.1;
  EXPECT_DOUBLE_EQ(case_timeout_seconds(options, spec), 102);  // a long case gets 20x its estimate
  spec.estimate_seconds = 0.1;
  EXPECT_DOUBLE_EQ(case_timeout_seconds(options, spec), 60);  // a short one the floor
  options.timeout_estimate_factor = 0;  // --timeout given: the same limit for every case
  spec.estimate_seconds = 5.1;
  EXPECT_DOUBLE_EQ(case_timeout_seconds(options, spec), 60);
}

TEST(Runner, DefaultTimeoutScalesWithTheEstimateAnExplicitOneDoesNot) {
  TempDir dir;
  const auto scaled = dir / "scaled.json";
  auto result =
      run_poolbench("run -s inline -w atomic_increment -n 100 -p 1 -r 1 -q --out " + scaled.string());
  ASSERT_EQ(result.exit_status, 0) << result.err;
  const auto scaled_context = load(scaled).at("context").at("poolbench");
  EXPECT_EQ(scaled_context.at("timeout_seconds"), 60.0);
  EXPECT_EQ(scaled_context.at("timeout_estimate_factor"), 20.0);
  EXPECT_EQ(scaled_context.at("complete"), true);  // the last case finished

  const auto fixed = dir / "fixed.json";
  result = run_poolbench("run -s inline -w atomic_increment -n 100 -p 1 -r 1 -q --timeout 7 --out " +
                         fixed.string());
  ASSERT_EQ(result.exit_status, 0) << result.err;
  const auto fixed_context = load(fixed).at("context").at("poolbench");
  EXPECT_EQ(fixed_context.at("timeout_seconds"), 7.0);
  EXPECT_FALSE(fixed_context.contains("timeout_estimate_factor"));
}

TEST(Runner, InterruptKeepsEveryFinishedCase) {
  TempDir dir;
  const auto out = dir / "r.json";
  const std::string arguments =
      "run -s inline -w atomic_increment,test_hang -n 50 -p 1 -r 1 -q --timeout 60 --out " + out.string();
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::execl("/bin/sh", "sh", "-c",
            (std::string("exec ") + POOLBENCH_BINARY + " " + arguments + " >/dev/null").c_str(), nullptr);
    std::_Exit(127);
  }
  // Wait for the first case to land in the file (the second one hangs), then press Ctrl-C.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!std::filesystem::exists(out) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(std::filesystem::exists(out));
  ::kill(pid, SIGINT);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130);
  const auto document = load(out);
  ASSERT_EQ(document.at("benchmarks").size(), 1u);
  EXPECT_THAT(document.at("benchmarks").at(0).at("name").get<std::string>(), HasSubstr("atomic_increment"));
  EXPECT_EQ(document.at("context").at("poolbench").at("complete"), false);  // says it is partial
  for (const auto& file : std::filesystem::directory_iterator(dir.path()))
    EXPECT_EQ(file.path().filename(), "r.json") << "no temporary files left behind";
}

TEST(Runner, GoogleBenchmarksComparePyReadsTwoResultFiles) {
  const char* compare = "/usr/share/benchmark/compare.py";
  if (!std::filesystem::exists(compare))
    GTEST_SKIP() << "libbenchmark-tools is not installed (scripts/setup)";
  TempDir dir;
  for (const char* name : {"a.json", "b.json"})
    ASSERT_EQ(
        run_poolbench("run -s inline -w atomic_increment -n 1000 -p 1 -r 3 -q --out " + (dir / name).string())
            .exit_status,
        0);
  const auto report = dir / "compare.txt";
  const std::string command = std::string("/usr/bin/python3 ") + compare + " benchmarks " +
                              (dir / "a.json").string() + " " + (dir / "b.json").string() + " >" +
                              report.string() + " 2>&1";
  EXPECT_EQ(std::system(command.c_str()), 0) << slurp(report);
  EXPECT_THAT(slurp(report), HasSubstr("inline/atomic_increment/tasks:1000/workers:2/producers:1_pvalue"));
}

}  // namespace
}  // namespace poolbench
