// Beyond one machine: `run --shard I/N` splits a plan so that every case is in exactly one shard, and
// `poolbench merge` puts shards (and repeated runs, and several hosts) back together; what it refuses and how
// it says a shard is missing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli_support.hpp"
#include "errors.hpp"
#include "merge/merge.hpp"
#include "run/plan.hpp"

namespace poolbench {
namespace {

using testing::count_lines;
using ::testing::HasSubstr;
using testing::run_poolbench;
using testing::slurp;
using testing::TempDir;

// Eight tiny cases in four configurations (each child runs 100 or 200 tasks): seconds for every run below.
const std::string matrix = "-s inline,fifo_ring -w atomic_increment -n 100,200 -k 1 -p 1,2 -r 1 -q";

nlohmann::json load(const std::filesystem::path& path) {
  return nlohmann::json::parse(slurp(path));
}

void save(const std::filesystem::path& path, const nlohmann::json& document) {
  std::ofstream(path) << document.dump(2);
}

// Repetition entries by (case name, host), each as its fields' names (the host field aside).
std::map<std::string, std::set<std::string>> repetition_fields(const nlohmann::json& document) {
  std::map<std::string, std::set<std::string>> out;
  for (const auto& entry : document["benchmarks"]) {
    if (entry["run_type"] != "iteration") continue;
    std::set<std::string> fields;
    for (const auto& [key, value] : entry.items())
      if (key != "host") fields.insert(key);
    out[entry["run_name"].get<std::string>()] = fields;
  }
  return out;
}

PlanRequest quick_plan_request() {
  PlanRequest request;
  request.quick = true;
  return request;
}

// What tells a case's configuration (the cases one report table compares) from its strategy.
std::string configuration(const CaseSpec& spec) {
  std::string key =
      fmt::format("{}/{}/{}/{}", spec.info.workload, spec.info.tasks, spec.info.workers, spec.info.producers);
  for (const auto& [name, value] : spec.info.workload_params) key += "/" + name + "=" + value;
  return key;
}

TEST(Shard, EveryCaseOfThePlanIsInExactlyOneShardWithItsConfigurationAndTheSplitIsStable) {
  const Plan whole = make_plan(quick_plan_request());
  std::map<std::string, std::size_t> configuration_sizes;
  for (const CaseSpec& spec : whole.cases) ++configuration_sizes[configuration(spec)];
  std::size_t largest_configuration = 0;
  for (const auto& [key, size] : configuration_sizes)
    largest_configuration = std::max(largest_configuration, size);
  for (std::size_t count : {1u, 2u, 3u, 4u, 7u}) {
    std::map<std::string, int> seen;
    std::map<std::string, std::size_t> shard_of_configuration;
    std::vector<std::size_t> sizes;
    for (std::size_t index = 1; index <= count; ++index) {
      PlanRequest request = quick_plan_request();
      request.shard = std::to_string(index) + "/" + std::to_string(count);
      const Plan shard = make_plan(request);
      const Plan again = make_plan(request);
      ASSERT_EQ(shard.cases.size(), again.cases.size());
      for (std::size_t position = 0; position < shard.cases.size(); ++position)
        EXPECT_EQ(shard.cases[position].name, again.cases[position].name);
      sizes.push_back(shard.cases.size());
      EXPECT_EQ(shard.plan_cases, whole.cases.size());
      EXPECT_EQ(shard.plan_digest, whole.plan_digest);
      ASSERT_TRUE(shard.shard.has_value());
      for (const CaseSpec& spec : shard.cases) {
        ++seen[spec.name];
        // A configuration's cases all in one shard.
        const auto [found, added] = shard_of_configuration.try_emplace(configuration(spec), index);
        EXPECT_EQ(found->second, index) << spec.name;
        // The case keeps its index in the whole plan (merge restores plan order with it).
        ASSERT_LT(spec.family_index, whole.cases.size());
        EXPECT_EQ(whole.cases[spec.family_index].name, spec.name);
      }
    }
    EXPECT_EQ(seen.size(), whole.cases.size()) << count << " shards";
    for (const auto& [name, times] : seen) EXPECT_EQ(times, 1) << name << " in " << count << " shards";
    // About even: no shard larger than the smallest by more than one configuration.
    EXPECT_LE(*std::max_element(sizes.begin(), sizes.end()),
              *std::min_element(sizes.begin(), sizes.end()) + largest_configuration);
  }
}

TEST(Shard, DigestDependsOnTheCases) {
  PlanRequest one = quick_plan_request();
  one.workloads = {"atomic_increment"};
  PlanRequest other = quick_plan_request();
  other.workloads = {"cpu_burst"};
  EXPECT_NE(make_plan(one).plan_digest, make_plan(other).plan_digest);
  EXPECT_EQ(make_plan(one).plan_digest, make_plan(one).plan_digest);
}

class ShardBadValue : public ::testing::TestWithParam<const char*> {};

TEST_P(ShardBadValue, OneLineExitTwoNoOutputFile) {
  TempDir dir;
  const auto out = dir / "out.json";
  const auto result = run_poolbench("run " + matrix + " --shard " + GetParam() + " --out " + out.string());
  EXPECT_EQ(result.exit_status, 2) << result.err;
  EXPECT_EQ(count_lines(result.err), 1u) << result.err;
  EXPECT_THAT(result.err, HasSubstr("--shard"));
  EXPECT_FALSE(std::filesystem::exists(out));
}

INSTANTIATE_TEST_SUITE_P(Values, ShardBadValue,
                         ::testing::Values("0/4", "5/4", "1/0", "x", "1/", "/4", "2/3/4", "-1/4", "1/4x",
                                           "5/5"));  // 5/5: more shards than the plan's 4 configurations

TEST(Shard, DryRunListsOnlyTheShardsCases) {
  std::set<std::string> listed;
  for (int index = 1; index <= 4; ++index) {
    const auto result = run_poolbench("run " + matrix + " --dry-run --shard " + std::to_string(index) + "/4");
    ASSERT_EQ(result.exit_status, 0) << result.err;
    EXPECT_THAT(result.out, HasSubstr("shard " + std::to_string(index) + "/4: 2 of the plan's 8 cases"));
    std::istringstream lines(result.out);
    std::string line;
    while (std::getline(lines, line))
      if (line.rfind("  ", 0) == 0) {
        EXPECT_TRUE(listed.insert(line.substr(2, line.find(' ', 2) - 2)).second) << line;
      }
  }
  EXPECT_EQ(listed.size(), 8u);
}

// Runs the matrix as one run and as four shards, merges the shards: the same cases with the same fields.
class ShardedRun : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    directory_ = new TempDir;
    const auto whole = run_poolbench("run " + matrix + " --out " + path("whole.json"));
    ASSERT_EQ(whole.exit_status, 0) << whole.err;
    for (int index = 1; index <= 4; ++index) {
      const auto shard = run_poolbench("run " + matrix + " --shard " + std::to_string(index) + "/4 --out " +
                                       path("shard" + std::to_string(index) + ".json"));
      ASSERT_EQ(shard.exit_status, 0) << shard.err;
    }
  }
  static void TearDownTestSuite() {
    delete directory_;
    directory_ = nullptr;
  }
  static std::string path(const std::string& name) { return (*directory_ / name).string(); }
  static std::string shards(std::initializer_list<int> which) {
    std::string out;
    for (int index : which) out.append(" ").append(path(fmt::format("shard{}.json", index)));
    return out;
  }
  static TempDir* directory_;
};
TempDir* ShardedRun::directory_ = nullptr;

TEST_F(ShardedRun, EachShardRecordsItsPartAndThePlan) {
  const auto shard = load(path("shard2.json"))["context"]["poolbench"];
  EXPECT_EQ(shard["shard"]["index"], 2);
  EXPECT_EQ(shard["shard"]["count"], 4);
  EXPECT_EQ(shard["cases"], 2);
  EXPECT_EQ(shard["plan"]["cases"], 8);
  EXPECT_EQ(shard["plan"]["digest"], load(path("whole.json"))["context"]["poolbench"]["plan"]["digest"]);
  EXPECT_EQ(shard["complete"], true);
}

TEST_F(ShardedRun, FourShardsMergedHoldTheSameCasesAndFieldsAsOneRun) {
  const auto result = run_poolbench("merge" + shards({3, 1, 4, 2}) + " -o " + path("merged.json"));
  ASSERT_EQ(result.exit_status, 0) << result.err;
  EXPECT_EQ(result.err, "");
  const auto merged = load(path("merged.json"));
  const auto whole = load(path("whole.json"));
  EXPECT_EQ(repetition_fields(merged), repetition_fields(whole));
  EXPECT_EQ(merged["context"]["poolbench"]["complete"], true);
  EXPECT_EQ(merged["context"]["poolbench"]["cases"], 8);
  EXPECT_FALSE(merged["context"]["poolbench"].contains("shard"));
  EXPECT_EQ(merged["context"]["poolbench"]["merged_from"].size(), 4u);
  // Plan order restored, whatever order the shards were given in; every entry says where it ran.
  std::vector<std::string> merged_order, whole_order;
  for (const auto& entry : merged["benchmarks"]) {
    merged_order.push_back(entry["run_name"]);
    EXPECT_EQ(entry["host"], whole["context"]["host_name"]);
  }
  for (const auto& entry : whole["benchmarks"]) whole_order.push_back(entry["run_name"]);
  EXPECT_EQ(merged_order, whole_order);
  // compare reads it as it reads the one run: the same cases on both sides.
  const auto compared =
      run_poolbench("compare --format json " + path("whole.json") + " " + path("merged.json"));
  ASSERT_LT(compared.exit_status, 2) << compared.err;
  const auto comparison = nlohmann::json::parse(compared.out);
  EXPECT_EQ(comparison["cases"].size(), 8u);
}

TEST_F(ShardedRun, AMissingShardIsReportedAndTheMergedFileIsIncomplete) {
  const auto result = run_poolbench("merge" + shards({1, 3, 4}) + " -o " + path("partial.json"));
  ASSERT_EQ(result.exit_status, 0) << result.err;
  EXPECT_THAT(result.err, HasSubstr("shard 2/4 is missing"));
  const auto merged = load(path("partial.json"));
  EXPECT_EQ(merged["context"]["poolbench"]["complete"], false);
  EXPECT_EQ(repetition_fields(merged).size(), 6u);
}

TEST_F(ShardedRun, RepeatedRunsBecomeRepetitionsWithAggregatesRecomputed) {
  const auto result =
      run_poolbench("merge " + path("whole.json") + shards({1, 2, 3, 4}) + " -o " + path("twice.json"));
  ASSERT_EQ(result.exit_status, 0) << result.err;
  const auto merged = load(path("twice.json"));
  std::map<std::string, std::set<std::int64_t>> repetition_indices;
  std::map<std::string, int> medians;
  for (const auto& entry : merged["benchmarks"]) {
    const std::string name = entry["run_name"];
    if (entry["run_type"] == "aggregate") {
      if (entry["aggregate_name"] == "median") ++medians[name];
      continue;
    }
    EXPECT_EQ(entry["repetitions"], 2);
    repetition_indices[name].insert(entry["repetition_index"].get<std::int64_t>());
  }
  EXPECT_EQ(repetition_indices.size(), 8u);
  for (const auto& [name, indices] : repetition_indices) EXPECT_EQ(indices, (std::set<std::int64_t>{0, 1}));
  for (const auto& [name, indices] : repetition_indices) EXPECT_EQ(medians[name], 1) << name;
  EXPECT_EQ(merged["context"]["poolbench"]["repetitions"], 2);
}

TEST_F(ShardedRun, MixedBuildsAreRefusedUnlessAllowed) {
  auto other = load(path("shard2.json"));
  other["context"]["poolbench"]["git_commit"] = "0123456789ab";
  save(path("other-build.json"), other);
  const auto out = path("mixed.json");
  const auto refused = run_poolbench("merge" + shards({1}) + " " + path("other-build.json") + " -o " + out);
  EXPECT_EQ(refused.exit_status, 2);
  EXPECT_EQ(count_lines(refused.err), 1u) << refused.err;
  EXPECT_THAT(refused.err, HasSubstr("different builds"));
  EXPECT_THAT(refused.err, HasSubstr("--allow-mixed"));
  EXPECT_FALSE(std::filesystem::exists(out));

  const auto allowed =
      run_poolbench("merge --allow-mixed" + shards({1}) + " " + path("other-build.json") + " -o " + out);
  ASSERT_EQ(allowed.exit_status, 0) << allowed.err;
  EXPECT_EQ(load(out)["context"]["poolbench"]["mixed"], nlohmann::json::array({"builds"}));
}

TEST_F(ShardedRun, DifferentCataloguesAndPlansAreRefused) {
  auto catalogue = load(path("shard2.json"));
  catalogue["context"]["poolbench"]["metrics"]["version"] = 999;
  save(path("other-catalogue.json"), catalogue);
  auto plan = load(path("shard2.json"));
  plan["context"]["poolbench"]["plan"]["digest"] = "0000000000000000";
  save(path("other-plan.json"), plan);
  for (const auto& [file, what] : {std::pair<std::string, std::string>{"other-catalogue.json", "catalogues"},
                                   {"other-plan.json", "plans"}}) {
    const auto out = path("refused.json");
    const auto result = run_poolbench("merge" + shards({1}) + " " + path(file) + " -o " + out);
    EXPECT_EQ(result.exit_status, 2) << file;
    EXPECT_EQ(count_lines(result.err), 1u) << result.err;
    EXPECT_THAT(result.err, HasSubstr(what));
    EXPECT_FALSE(std::filesystem::exists(out));
  }
}

TEST_F(ShardedRun, MalformedOrRepeatedInputExitsTwoWithNoOutputFile) {
  std::ofstream(path("broken.json")) << "{\"context\": {}, \"benchmarks\": [";
  // Google Benchmark's own layout, which records no build or plan to check.
  std::ofstream(path("google.json")) << R"({"context": {"host_name": "x"}, "benchmarks": [{"name": "a", )"
                                     << R"("run_type": "iteration", "real_time": 1, "cpu_time": 1}]})";
  const auto out = path("never.json");
  for (const std::string& inputs :
       {shards({1}) + " " + path("broken.json"), shards({1, 1}), shards({1}) + " " + path("absent.json")}) {
    const auto result = run_poolbench("merge" + inputs + " -o " + out);
    EXPECT_EQ(result.exit_status, 2) << inputs;
    EXPECT_EQ(count_lines(result.err), 1u) << result.err;
    EXPECT_FALSE(std::filesystem::exists(out));
  }
  const auto no_out = run_poolbench("merge" + shards({1}));
  EXPECT_EQ(no_out.exit_status, 2);
}

TEST_F(ShardedRun, EntriesKeepTheirHostAndOneHostCanBeTakenOut) {
  // The same shard run on a second machine: its cases are then on two hosts, each with its own repetitions.
  auto elsewhere = load(path("shard1.json"));
  elsewhere["context"]["host_name"] = "bigbox";
  save(path("elsewhere.json"), elsewhere);
  const auto result = run_poolbench("merge" + shards({1, 2, 3, 4}) + " " + path("elsewhere.json") + " -o " +
                                    path("hosts.json"));
  ASSERT_EQ(result.exit_status, 0) << result.err;
  const auto merged = load(path("hosts.json"));
  EXPECT_EQ(merged["context"]["poolbench"]["hosts"].size(), 2u);
  std::map<std::string, int> per_host;
  for (const auto& entry : merged["benchmarks"]) {
    if (entry["run_type"] != "iteration") continue;
    ++per_host[entry["host"].get<std::string>()];
    EXPECT_EQ(entry["repetitions"], 1);
    EXPECT_EQ(entry["repetition_index"], 0);
  }
  EXPECT_EQ(per_host["bigbox"], 2);
  EXPECT_EQ(per_host.size(), 2u);

  const auto one = run_poolbench("merge " + path("hosts.json") + " --host bigbox -o " + path("bigbox.json"));
  ASSERT_EQ(one.exit_status, 0) << one.err;
  EXPECT_EQ(repetition_fields(load(path("bigbox.json"))).size(), 2u);
  const auto none = run_poolbench("merge " + path("hosts.json") + " --host nowhere -o " + path("none.json"));
  EXPECT_EQ(none.exit_status, 2);
  EXPECT_FALSE(std::filesystem::exists(path("none.json")));
}

TEST_F(ShardedRun, SeveralHostsGetAReportEachAndARankingAcrossThemAndCompareDoesNotMixThem) {
  // The four shards on this machine, and the same files as if run on a machine named bigbox.
  std::string elsewhere_files;
  for (int index = 1; index <= 4; ++index) {
    auto shard = load(path(fmt::format("shard{}.json", index)));
    shard["context"]["host_name"] = "bigbox";
    shard["context"]["poolbench"]["cores"] = 64;
    save(path(fmt::format("bigbox{}.json", index)), shard);
    elsewhere_files.append(" ").append(path(fmt::format("bigbox{}.json", index)));
  }
  const auto merged =
      run_poolbench("merge" + shards({1, 2, 3, 4}) + elsewhere_files + " -o " + path("two-hosts.json"));
  ASSERT_EQ(merged.exit_status, 0) << merged.err;

  const auto report = run_poolbench("report " + path("two-hosts.json"));
  ASSERT_EQ(report.exit_status, 0) << report.err;
  EXPECT_THAT(report.out, HasSubstr("# poolbench report: 2 hosts"));
  EXPECT_THAT(report.out, HasSubstr("## Ranking across hosts"));
  EXPECT_THAT(report.out, HasSubstr("## Host `bigbox`"));
  EXPECT_THAT(report.out, HasSubstr("64 cores"));
  EXPECT_THAT(report.out, HasSubstr("changes between hosts in 0 of the 4 configurations"));

  const auto as_json = run_poolbench("report --format json " + path("two-hosts.json"));
  ASSERT_EQ(as_json.exit_status, 0) << as_json.err;
  const auto document = nlohmann::json::parse(as_json.out);
  EXPECT_EQ(document["schema"], "poolbench-report-hosts/1");
  ASSERT_EQ(document["hosts"].size(), 2u);
  ASSERT_EQ(document["ranking"].size(), 4u);
  for (const auto& ranking : document["ranking"]) {
    EXPECT_EQ(ranking["hosts"].size(), 2u);
    // The same entries under two names: the same ranking on both.
    EXPECT_EQ(ranking["winner_changes"], false);
  }
  // Each host's report holds its own entries only: two strategies per table, one repetition each.
  for (const auto& host : document["hosts"])
    for (const auto& table : host["report"]["tables"]) EXPECT_EQ(table["rows"].size(), 2u) << host["host"];

  const auto plots = run_poolbench("report " + path("two-hosts.json") + " --plots " + path("plots"));
  EXPECT_EQ(plots.exit_status, 2);
  EXPECT_EQ(count_lines(plots.err), 1u) << plots.err;

  const auto compared = run_poolbench("compare " + path("whole.json") + " " + path("two-hosts.json"));
  EXPECT_EQ(compared.exit_status, 2);
  EXPECT_EQ(count_lines(compared.err), 1u) << compared.err;
  EXPECT_THAT(compared.err, HasSubstr("ran on two hosts"));
  const auto one_host =
      run_poolbench("merge " + path("two-hosts.json") + " --host bigbox -o " + path("bigbox-only.json"));
  ASSERT_EQ(one_host.exit_status, 0) << one_host.err;
  const auto compared_one =
      run_poolbench("compare --format json " + path("whole.json") + " " + path("bigbox-only.json"));
  ASSERT_LT(compared_one.exit_status, 2) << compared_one.err;
  EXPECT_EQ(nlohmann::json::parse(compared_one.out)["cases"].size(), 8u);
}

}  // namespace
}  // namespace poolbench
