// The result file describes itself: the case-name type (one formatter, one parser), the `case` object (one
// writer, one reader, parameters by owner, traits, effective producers), and the reader for the previous
// layout (one `params` object), on a frozen file of that layout.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "result/case_info.hpp"
#include "result/case_name.hpp"
#include "result/result_file.hpp"

namespace poolbench {
namespace {

using ::testing::HasSubstr;

const std::string data_dir = std::string(POOLBENCH_SOURCE_DIR) + "/tests/data/";

TEST(CaseName, FormatsAndParsesBackWithParameters) {
  const CaseName plain{"fifo_ring", "atomic_increment", {}, 1000000, 2, 1};
  EXPECT_EQ(plain.str(), "fifo_ring/atomic_increment/tasks:1000000/workers:2/producers:1");
  EXPECT_EQ(CaseName::parse(plain.str()), plain);

  const CaseName swept{"lifo_stack", "cpu_burst", {{"nonblocking", "true"}, {"duration_us", "10"}},
                       1000,         4,           8};
  EXPECT_EQ(swept.str(),
            "lifo_stack/cpu_burst/duration_us:10/nonblocking:true/tasks:1000/workers:4/producers:8");
  EXPECT_EQ(CaseName::parse(swept.str()), swept);

  // A value may hold ':' (the first ':' of a part separates key and value).
  const CaseName with_colon{"s", "w", {{"at", "12:30"}}, 1, 1, 1};
  EXPECT_EQ(CaseName::parse(with_colon.str()), with_colon);
}

TEST(CaseName, ParametersMayStandAnywhereAfterTheWorkload) {
  const CaseName name =
      CaseName::parse("lifo_stack/atomic_increment/tasks:1000/workers:2/producers:1/nonblocking:true");
  EXPECT_EQ(name.params, (std::map<std::string, std::string>{{"nonblocking", "true"}}));
  EXPECT_EQ(name.tasks, 1000u);
  EXPECT_EQ(name.str(), "lifo_stack/atomic_increment/nonblocking:true/tasks:1000/workers:2/producers:1");
}

TEST(CaseName, OddCharactersAreRejectedNotFormatted) {
  const auto error_of = [](const CaseName& name) {
    try {
      return name.str();
    } catch (const CaseNameError& error) {
      return std::string("error: ") + error.what();
    }
  };
  EXPECT_THAT(error_of({"a/b", "w", {}, 1, 1, 1}), HasSubstr("strategy 'a/b' cannot be part of a case name"));
  EXPECT_THAT(error_of({"s", "w:x", {}, 1, 1, 1}), HasSubstr("contains ':'"));
  EXPECT_THAT(error_of({"s", "w", {{"k", "a/b"}}, 1, 1, 1}), HasSubstr("contains '/'"));
  EXPECT_THAT(error_of({"s", "w", {{"k", "a b"}}, 1, 1, 1}), HasSubstr("white space"));
  EXPECT_THAT(error_of({"s", "w", {{"k", "a\nb"}}, 1, 1, 1}), HasSubstr("control character"));
  EXPECT_THAT(error_of({"s", "w", {{"k", ""}}, 1, 1, 1}), HasSubstr("is empty"));
  EXPECT_THAT(error_of({"", "w", {}, 1, 1, 1}), HasSubstr("is empty"));
  EXPECT_THAT(error_of({"s", "w", {{"k:1", "v"}}, 1, 1, 1}), HasSubstr("contains ':'"));
  EXPECT_THAT(error_of({"s", "w", {{"tasks", "5"}}, 1, 1, 1}), HasSubstr("is a coordinate"));
}

TEST(CaseName, ParserRejectsWhatIsNotAPoolbenchName) {
  for (const char* name :
       {"BM_sort/1024", "", "s/w", "s/w/tasks:1/workers:1", "s/w/tasks:x/workers:1/producers:1",
        "s/w/tasks:1/workers:1/producers:1/tasks:2", "s/w/k:1/k:2/tasks:1/workers:1/producers:1",
        "s/w/flag/tasks:1/workers:1/producers:1", "s//tasks:1/workers:1/producers:1",
        "s/w/tasks:1/workers:1/producers:1/", "s/w/k:a b/tasks:1/workers:1/producers:1"})
    EXPECT_THROW(CaseName::parse(name), CaseNameError) << name;
}

CaseInfo full_case() {
  CaseInfo info;
  info.strategy = "tunny_like";
  info.workload = "cpu_burst";
  info.tasks = 1000;
  info.workers = 4;
  info.producers = 1;
  info.effective_producers = 4;
  info.strategy_params = {{"nonblocking", "false"}};
  info.workload_params = {{"duration_us", "10"}};
  info.strategy_description = "a synchronous pool";
  info.strategy_traits = StrategyTraits{.queue_order = QueueOrder::fifo,
                                        .worker_lifecycle = WorkerLifecycle::fixed_workers,
                                        .when_full = WhenFull::blocks,
                                        .on_exception = OnException::first_error_from_wait,
                                        .returns_results = true,
                                        .cancellation = false,
                                        .synchronous_submit = true,
                                        .worker_state = false};
  return info;
}

TEST(CaseInfo, RoundTripsThroughItsOneWriterAndReader) {
  const CaseInfo info = full_case();
  const nlohmann::ordered_json json = case_to_json(info);
  EXPECT_EQ(json["strategy_params"]["nonblocking"], "false");
  EXPECT_EQ(json["workload_params"]["duration_us"], "10");
  EXPECT_EQ(json["effective_producers"], 4);
  EXPECT_EQ(json["strategy_traits"]["on_exception"], "first_error_from_wait");
  EXPECT_FALSE(json.contains("params"));
  EXPECT_EQ(case_from_json(nlohmann::json::parse(json.dump())), info);
}

TEST(CaseInfo, TraitsOfALaterBuildCountAsUnrecorded) {
  nlohmann::json json = nlohmann::json::parse(case_to_json(full_case()).dump());
  json["strategy_traits"]["queue_order"] = "priority";  // a value this build does not know
  EXPECT_FALSE(case_from_json(json).strategy_traits.has_value());
  json["strategy_traits"]["returns_results"] = "yes";
  EXPECT_THROW(case_from_json(json), CaseInfoError);
}

TEST(CaseInfo, EntriesKeepTheirCaseThroughTheDocument) {
  ResultEntry entry;
  entry.name = entry.run_name = "tunny_like/cpu_burst/tasks:1000/workers:4/producers:1";
  entry.real_time = 1;
  entry.cpu_time = 1;
  entry.case_info = full_case();
  const ResultEntry back = entry_from_json(nlohmann::json::parse(entry_to_json(entry).dump()), "entry");
  EXPECT_EQ(back.case_info, entry.case_info);
}

TEST(PreviousLayout, FrozenFileReadsWithInferredOwnersAndNoTraits) {
  const ResultFile file = read_result_file(data_dir + "previous_layout_report_fixture.json");
  std::size_t with_case = 0;
  for (const ResultEntry& entry : file.entries) {
    if (!entry.case_info) continue;
    ++with_case;
    const CaseInfo& info = *entry.case_info;
    EXPECT_TRUE(info.params_owner_inferred);
    EXPECT_FALSE(info.strategy_traits.has_value());
    EXPECT_EQ(info.effective_producers, 0u);
    EXPECT_TRUE(info.strategy_params.empty()) << entry.name;  // the fixture names no strategy parameter
    if (info.workload == "cpu_burst") {
      EXPECT_TRUE(info.workload_params.count("duration_us")) << entry.name;
    }
    if (info.workload == "simulated_io") {
      EXPECT_EQ(info.workload_params,
                (std::map<std::string, std::string>{{"median_ms", "5"}, {"p99_ms", "20"}}));
    }
  }
  EXPECT_GT(with_case, 40u);
}

TEST(PreviousLayout, AParameterNotEveryCaseOfTheWorkloadCarriesIsTheStrategys) {
  const auto entry = [](const std::string& strategy, nlohmann::json params) {
    return nlohmann::json{{"name", strategy + "/w/tasks:1/workers:1/producers:1"},
                          {"real_time", 1},
                          {"cpu_time", 1},
                          {"case", {{"strategy", strategy}, {"workload", "w"}, {"params", params}}}};
  };
  const nlohmann::json document = {
      {"benchmarks",
       {entry("inline", {{"size", "8"}}), entry("lifo_stack", {{"size", "8"}, {"nonblocking", "false"}})}}};
  const ResultFile file = parse_result_document(document.dump(), "old.json");
  const CaseInfo& pool = *file.entries[1].case_info;
  EXPECT_EQ(pool.strategy_params, (std::map<std::string, std::string>{{"nonblocking", "false"}}));
  EXPECT_EQ(pool.workload_params, (std::map<std::string, std::string>{{"size", "8"}}));
  // Written back, an entry of the previous layout keeps it: owners the file never recorded are not invented.
  const auto written = entry_to_json(file.entries[1]);
  EXPECT_TRUE(written["case"].contains("params"));
  EXPECT_FALSE(written["case"].contains("strategy_params"));
}

}  // namespace
}  // namespace poolbench
