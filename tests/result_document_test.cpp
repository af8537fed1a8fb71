// The result document of a run: its text is what nlohmann's dump(2) of the same document gives, entries come
// back as they went in (with Google Benchmark's aggregates), the child's entry is stamped with the plan's
// name and case, the probe's cost in the context is computed from the entries, and the work one write costs
// does not grow with the number of entries already written (counted, not timed).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_support.hpp"
#include "result/result_document.hpp"
#include "result/result_file.hpp"
#include "sanitizer.hpp"

namespace poolbench {
namespace {

EntryIdentity identity_of(std::size_t case_index, std::size_t repetition, std::size_t repetitions = 3) {
  EntryIdentity identity;
  identity.name = "pool/atomic_increment/tasks:" + std::to_string(case_index + 1) + "/workers:2/producers:1";
  identity.family_index = case_index;
  identity.repetitions = repetitions;
  identity.repetition_index = repetition;
  identity.info.strategy = "pool";
  identity.info.workload = "atomic_increment";
  identity.info.tasks = case_index + 1;
  identity.info.workers = 2;
  identity.info.producers = 1;
  identity.info.effective_producers = 1;
  return identity;
}

// A child's entry as Google Benchmark's JSON reporter writes it for the child's one benchmark.
nlohmann::ordered_json child_entry(double real_time, double instrumentation_ns, double sample_every) {
  nlohmann::ordered_json entry;
  entry["name"] = "pool/atomic_increment/tasks:1/workers:2/producers:1/iterations:1/process_time/real_time";
  entry["family_index"] = 0;
  entry["per_family_instance_index"] = 0;
  entry["run_name"] = entry["name"];
  entry["run_type"] = "iteration";
  entry["repetitions"] = 1;
  entry["repetition_index"] = 0;
  entry["threads"] = 1;
  entry["iterations"] = 1;
  entry["real_time"] = real_time;
  entry["cpu_time"] = real_time / 2;
  entry["time_unit"] = "ms";
  entry["instrumentation_ns_per_task"] = instrumentation_ns;
  entry["items_per_second"] = 1000 / real_time;
  entry["timing_sample_every"] = sample_every;
  entry["label"] = "per worker";
  return entry;
}

nlohmann::ordered_json context() {
  return {{"host_name", "test"}, {"poolbench", {{"version", "test"}}}};
}

TEST(ResultDocument, TextIsTheWholeDocumentDumpedWithIndentTwo) {
  ResultDocument document("unused.json", context(), 3);
  EXPECT_EQ(document.text(), nlohmann::ordered_json::parse(document.text()).dump(2) + "\n");  // no entries
  for (std::size_t repetition = 0; repetition < 3; ++repetition)
    for (std::size_t index : {0u, 2u})
      document.add(index, stamp_entry(child_entry(10.0 + repetition, 40, 1), identity_of(index, repetition)));
  const std::string text = document.text();
  EXPECT_EQ(text, nlohmann::ordered_json::parse(text).dump(2) + "\n");

  const ResultFile file = parse_result_document(text, "document");
  ASSERT_EQ(file.entries.size(), 2u * (3 + 4));  // per case: three repetitions, then four aggregates
  const ResultEntry& first = file.entries[0];
  EXPECT_EQ(first.name, identity_of(0, 0).name);  // the plan's name, not the child's benchmark's
  EXPECT_EQ(first.run_name, first.name);
  EXPECT_EQ(first.repetitions, 3);
  EXPECT_EQ(first.label, "per worker");
  EXPECT_EQ(first.case_info, identity_of(0, 0).info);
  EXPECT_EQ(file.entries[2].repetition_index, 2);
  EXPECT_EQ(file.entries[4].aggregate_name, "median");
  EXPECT_DOUBLE_EQ(file.entries[4].real_time, 11);
  EXPECT_EQ(file.entries[7].family_index, 2);
}

TEST(ResultDocument, ProbeCostInTheContextComesFromTheSuccessfulEntries) {
  ResultDocument document("unused.json", context(), 3);
  document.add(0, stamp_entry(child_entry(10, 55, 1), identity_of(0, 0)));
  document.add(1, stamp_entry(child_entry(10, 41, 4), identity_of(1, 0)));
  document.add(2, failed_entry(identity_of(2, 0), "crashed: signal 11"));
  const auto poolbench = nlohmann::json::parse(document.text())["context"]["poolbench"];
  EXPECT_DOUBLE_EQ(poolbench["instrumentation_ns_per_task"].get<double>(), 41);  // the least measured
  EXPECT_DOUBLE_EQ(poolbench["timing_sample_every"].get<double>(), 4);           // the largest used
}

TEST(ResultDocument, CompleteOnlyOnceEveryCaseHasEveryRepetition) {
  nlohmann::ordered_json run_context = context();
  run_context["poolbench"]["repetitions"] = 2;
  ResultDocument document("unused.json", run_context, 2);
  auto complete = [&] { return parse_result_document(document.text(), "document").complete(); };
  EXPECT_EQ(complete(), false);  // nothing yet
  document.add(0, stamp_entry(child_entry(10, 40, 1), identity_of(0, 0, 2)));
  document.add(1, failed_entry(identity_of(1, 0, 2), "crashed"));  // a failed repetition still finished
  document.add(0, stamp_entry(child_entry(10, 40, 1), identity_of(0, 1, 2)));
  EXPECT_EQ(complete(), false);  // the last case's last repetition has not finished: an interrupted run
  document.add(1, stamp_entry(child_entry(10, 40, 1), identity_of(1, 1, 2)));
  EXPECT_EQ(complete(), true);
}

TEST(ResultDocument, FilesWithoutTheCompleteMarkReadAsUnknown) {
  auto with_context = [](const nlohmann::json& context) {
    return nlohmann::json{{"context", context}, {"benchmarks", nlohmann::json::array()}}.dump();
  };
  EXPECT_EQ(parse_result_document(with_context({{"poolbench", {{"version", "old"}}}}), "old").complete(),
            std::nullopt);
  EXPECT_EQ(parse_result_document(with_context({{"host_name", "gbench"}}), "gbench").complete(),
            std::nullopt);
  EXPECT_EQ(parse_result_document(with_context({{"poolbench", {{"complete", false}}}}), "cut").complete(),
            false);
  EXPECT_THROW(parse_result_document(with_context({{"poolbench", {{"complete", "yes"}}}}), "bad"),
               ResultFileError);
}

TEST(ResultDocument, AFailedOrUnusableChildEntryIsAFailedRepetition) {
  const ResultEntry failed = failed_entry(identity_of(0, 1), "timed out");
  EXPECT_TRUE(failed.error_occurred);
  EXPECT_EQ(failed.error_message, "timed out");
  EXPECT_EQ(failed.repetition_index, 1);
  EXPECT_TRUE(failed.case_info.has_value());
  auto unusable = child_entry(10, 40, 1);
  unusable["real_time"] = -1;
  const ResultEntry stamped = stamp_entry(unusable, identity_of(0, 0));
  EXPECT_TRUE(stamped.error_occurred);
  EXPECT_NE(stamped.error_message.find("child wrote no usable result"), std::string::npos)
      << stamped.error_message;
  EXPECT_NE(stamped.error_message.find("'real_time' is negative"), std::string::npos)
      << stamped.error_message;
}

// Adds `cases` cases' repetitions, interleaved as the runner does, writing after each; returns the entries
// serialized by the last write alone.
std::size_t serialized_by_last_write(std::size_t cases, std::size_t repetitions, ResultDocument& document) {
  for (std::size_t repetition = 0; repetition < repetitions; ++repetition)
    for (std::size_t index = 0; index < cases; ++index)
      document.add(index, stamp_entry(child_entry(10, 40, 1), identity_of(index, repetition, repetitions)));
  const std::size_t before = document.entries_serialized();
  document.add(0, stamp_entry(child_entry(10, 40, 1), identity_of(0, repetitions, repetitions)));
  return document.entries_serialized() - before;
}

TEST(ResultDocument, AWriteCostsOneCaseNotTheWholeDocument) {
  // 10,000 entries (2,500 cases of four repetitions) against 1,000: the entry added last costs the same work
  // (its case's five repetitions and four aggregates re-serialized) however many entries the document holds.
  // A fifth of each under a sanitizer, where a write costs about 25 times as much: the ratio stays ten.
  const std::size_t large_cases = test_build::under_sanitizer ? 500 : 2500;
  ResultDocument large("unused.json", context(), large_cases);
  ResultDocument small("unused.json", context(), large_cases / 10);
  EXPECT_EQ(serialized_by_last_write(large_cases, 4, large), 5u + 4u);
  EXPECT_EQ(serialized_by_last_write(large_cases / 10, 4, small), 5u + 4u);
  // Over the whole run every entry is serialized a bounded number of times: per case, 1 + (2+4) + (3+4) +
  // (4+4) for its four repetitions (+ 9 for the extra one above), never once per write.
  EXPECT_EQ(large.entries_serialized(), large_cases * 22u + 9u);
  // The text grows in proportion to the entries (what a write must copy), not faster.
  const double ratio = static_cast<double>(large.text().size()) / static_cast<double>(small.text().size());
  EXPECT_GT(ratio, 9.0);
  EXPECT_LT(ratio, 11.0);
}

TEST(ResultDocument, WriteReplacesTheFileWithTheText) {
  testing::TempDir dir;
  const std::string path = (dir / "r.json").string();
  ResultDocument document(path, context(), 1);
  document.add(0, stamp_entry(child_entry(10, 40, 1), identity_of(0, 0, 1)));
  document.write();
  EXPECT_EQ(testing::slurp(path), document.text());
}

}  // namespace
}  // namespace poolbench
