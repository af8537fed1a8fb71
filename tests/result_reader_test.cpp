// The result file reader: poolbench's and Google Benchmark's documents read as written; every unusable input
// a ResultFileError with a one-line message naming the file; and, fed thousands of random, truncated and
// mutated documents, never anything else (no crash, no other exception) — including in compare and its
// formatters for the documents it accepts.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_support.hpp"
#include "compare/compare.hpp"
#include "errors.hpp"
#include "result/result_file.hpp"
#include "sanitizer.hpp"

namespace poolbench {
namespace {

namespace fs = std::filesystem;

using testing::within;

std::string data(const std::string& name) {
  return std::string(POOLBENCH_SOURCE_DIR) + "/tests/data/" + name;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A small poolbench document: two cases, three repetitions each, an aggregate, a failed entry.
nlohmann::json small_document() {
  nlohmann::json benchmarks = nlohmann::json::array();
  for (const std::string strategy : {"inline", "fifo_ring"}) {
    const std::string name = strategy + "/atomic_increment/tasks:1000/workers:2/producers:1";
    const nlohmann::json info = {{"strategy", strategy}, {"workload", "atomic_increment"},
                                 {"tasks", 1000},        {"workers", 2},
                                 {"producers", 1},       {"params", {{"p", "1"}}}};
    for (int i = 0; i < 3; ++i)
      benchmarks.push_back({{"name", name},
                            {"family_index", 0},
                            {"per_family_instance_index", 0},
                            {"run_name", name},
                            {"run_type", "iteration"},
                            {"repetitions", 3},
                            {"repetition_index", i},
                            {"threads", 1},
                            {"iterations", 1},
                            {"real_time", 1.5 + i},
                            {"cpu_time", 1.25},
                            {"time_unit", "us"},
                            {"items_per_second", 6.6e8},
                            {"e2e_p99_ns", 120},
                            {"queue_wait_p99_ns", 40},
                            {"allocs_per_task", 0},
                            {"bytes_per_task", 0},
                            {"threads_created", 2},
                            {"peak_rss_bytes", 4194304},
                            {"case", info}});
    benchmarks.push_back({{"name", name + "_median"},
                          {"run_name", name},
                          {"run_type", "aggregate"},
                          {"aggregate_name", "median"},
                          {"aggregate_unit", "time"},
                          {"repetitions", 3},
                          {"iterations", 3},
                          {"real_time", 2.5},
                          {"cpu_time", 1.25},
                          {"time_unit", "us"},
                          {"items_per_second", 6.6e8}});
  }
  benchmarks.push_back({{"name", "raw_threads/atomic_increment/tasks:1000/workers:2/producers:1"},
                        {"run_type", "iteration"},
                        {"error_occurred", true},
                        {"error_message", "timed out after 10 s"},
                        {"iterations", 0},
                        {"real_time", 0},
                        {"cpu_time", 0},
                        {"time_unit", "ns"}});
  return {{"context", {{"date", "today"}, {"poolbench", {{"version", "0.1.0"}}}}},
          {"benchmarks", benchmarks}};
}

std::string error_of(const std::string& text, const std::string& origin = "doc.json") {
  try {
    parse_result_document(text, origin);
  } catch (const ResultFileError& error) {
    return error.what();
  }
  return "(no error)";
}

TEST(ResultReader, ReadsPoolbenchDocuments) {
  const ResultFile file = parse_result_document(small_document().dump(), "doc.json");
  EXPECT_TRUE(file.is_poolbench());
  EXPECT_EQ(file.path, "doc.json");
  ASSERT_EQ(file.entries.size(), 9u);
  const ResultEntry& first = file.entries[0];
  EXPECT_EQ(first.run_name, "inline/atomic_increment/tasks:1000/workers:2/producers:1");
  EXPECT_EQ(first.time_unit, "us");
  EXPECT_DOUBLE_EQ(first.real_time_ns(), 1500);
  EXPECT_DOUBLE_EQ(first.cpu_time_ns(), 1250);
  EXPECT_DOUBLE_EQ(first.counters.at("items_per_second"), 6.6e8);
  EXPECT_DOUBLE_EQ(first.counters.at("threads_created"), 2);
  EXPECT_EQ(first.counters.count("case"), 0u);
  ASSERT_TRUE(first.case_info.has_value());
  EXPECT_EQ(first.case_info->strategy, "inline");
  EXPECT_EQ(first.case_info->workers, 2u);
  EXPECT_EQ(first.case_info->params().at("p"), "1");
  EXPECT_TRUE(file.entries[3].is_aggregate());
  EXPECT_EQ(file.entries[3].aggregate_name, "median");
  EXPECT_TRUE(file.entries[8].error_occurred);
  EXPECT_EQ(file.entries[8].error_message, "timed out after 10 s");
  EXPECT_EQ(file.entries[8].run_name, file.entries[8].name);  // no run_name in the document: the name

  EXPECT_EQ(file.repetitions_of(first.run_name).size(), 3u);
  EXPECT_EQ(file.case_names(),
            (std::vector<std::string>{"inline/atomic_increment/tasks:1000/workers:2/producers:1",
                                      "fifo_ring/atomic_increment/tasks:1000/workers:2/producers:1",
                                      "raw_threads/atomic_increment/tasks:1000/workers:2/producers:1"}));
}

TEST(ResultReader, ReadsFixtureFilesOfBothKinds) {
  const ResultFile poolbench = read_result_file(data("pb_base.json"));
  EXPECT_TRUE(poolbench.is_poolbench());
  EXPECT_EQ(poolbench.case_names().size(), 4u);
  EXPECT_EQ(poolbench.repetitions_of(poolbench.case_names()[0]).size(), 5u);
  const ResultFile google = read_result_file(data("gb_base.json"));
  EXPECT_FALSE(google.is_poolbench());
  EXPECT_EQ(google.case_names().size(), 6u);
  EXPECT_FALSE(google.entries[0].case_info.has_value());
  EXPECT_EQ(google.entries[6].aggregate_name, "mean");
}

TEST(ResultReader, TimeUnitsConvertToNanoseconds) {
  for (const auto& [unit, factor] :
       std::vector<std::pair<std::string, double>>{{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}}) {
    ResultEntry entry;
    entry.real_time = 2;
    entry.cpu_time = 3;
    entry.time_unit = unit;
    EXPECT_DOUBLE_EQ(entry.real_time_ns(), 2 * factor);
    EXPECT_DOUBLE_EQ(entry.cpu_time_ns(), 3 * factor);
  }
}

TEST(ResultReader, OlderGoogleBenchmarkFilesWithoutRunName) {
  const std::string text = R"({"benchmarks": [
    {"name": "BM_a", "iterations": 10, "real_time": 5, "cpu_time": 5, "time_unit": "ns"},
    {"name": "BM_a_mean", "run_type": "aggregate", "aggregate_name": "mean", "real_time": 5, "cpu_time": 5}]})";
  const ResultFile file = parse_result_document(text, "old.json");
  EXPECT_EQ(file.entries[0].run_name, "BM_a");
  EXPECT_EQ(file.entries[1].run_name, "BM_a");
  EXPECT_EQ(file.case_names(), std::vector<std::string>{"BM_a"});
  EXPECT_TRUE(file.context.is_object());
}

TEST(ResultReader, GoogleBenchmarksBareNanAndInfinity) {
  // Google Benchmark writes a NaN statistic (cv over zeros) as a bare NaN; such aggregates read without it.
  const std::string aggregate = R"({"benchmarks": [
    {"name": "BM_a", "real_time": 5, "cpu_time": 5, "odd_counter": NaN},
    {"name": "BM_a_cv", "run_name": "BM_a", "run_type": "aggregate", "aggregate_name": "cv",
     "real_time": NaN, "cpu_time": -Infinity, "e2e_p99_ns": NaN, "label": "NaN stays text"}]})";
  const ResultFile file = parse_result_document(aggregate, "gb.json");
  EXPECT_EQ(file.entries[0].counters.count("odd_counter"), 0u);
  EXPECT_EQ(file.entries[1].counters.count("e2e_p99_ns"), 0u);
  EXPECT_EQ(file.entries[1].label, "NaN stays text");
  // In a repetition, a metric that is not a number is unusable.
  EXPECT_NE(error_of(R"({"benchmarks": [{"name": "BM_a", "real_time": NaN, "cpu_time": 5}]})")
                .find("'real_time' is not a number"),
            std::string::npos);
  EXPECT_NE(
      error_of(
          R"({"benchmarks": [{"name": "BM_a", "real_time": 1, "cpu_time": 5, "allocs_per_task": Infinity}]})")
          .find("'allocs_per_task' is not a number"),
      std::string::npos);
}

TEST(ResultReader, EachUnusableDocumentHasItsMessage) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "truncated or incomplete JSON"},
      {"{\"benchmarks\": [", "truncated or incomplete JSON"},
      {"{\"benchmarks\": [}", "invalid JSON"},
      {"{\"benchmarks\": [{\"name\": \"cut mid-str", "truncated or incomplete JSON"},
      {"{\"benchmarks\": [{\"name\": 12.", "truncated or incomplete JSON"},
      {"\"text\"", "not a result file: the document is not a JSON object"},
      {"{}", "no 'benchmarks' array"},
      {"{\"benchmarks\": {}}", "no 'benchmarks' array"},
      {"{\"context\": 3, \"benchmarks\": []}", "'context' is not an object"},
      {"{\"context\": {\"poolbench\": 1}, \"benchmarks\": []}", "'context.poolbench' is not an object"},
      {"{\"benchmarks\": [7]}", "benchmarks[0]: is not an object"},
      {"{\"benchmarks\": [{\"real_time\": 1}]}", "benchmarks[0]: has no 'name'"},
      {"{\"benchmarks\": [{\"name\": 5}]}", "'name' is not a string"},
      {"{\"benchmarks\": [{\"name\": \"\"}]}", "has an empty 'name'"},
      {"{\"benchmarks\": [{\"name\": \"a\"}]}", "benchmarks[0] (a): has no real_time or cpu_time"},
      {"{\"benchmarks\": [{\"name\": \"a\", \"real_time\": -1, \"cpu_time\": 1}]}",
       "'real_time' is negative"},
      {"{\"benchmarks\": [{\"name\": \"a\", \"real_time\": \"1\", \"cpu_time\": 1}]}",
       "'real_time' is not a number"},
      {"{\"benchmarks\": [{\"name\": \"a\", \"real_time\": 1, \"cpu_time\": 1, \"time_unit\": \"ks\"}]}",
       "time_unit 'ks' is not ns, us, ms or s"},
      {"{\"benchmarks\": [{\"name\": \"a\", \"real_time\": 1, \"cpu_time\": 1, \"run_type\": \"x\"}]}",
       "run_type 'x' is not iteration or aggregate"},
      {"{\"benchmarks\": [{\"name\": \"a\", \"real_time\": 1, \"cpu_time\": 1, \"iterations\": 1e30}]}",
       "'iterations' is out of range"},
      {"{\"benchmarks\": [{\"name\": \"a\", \"real_time\": 1, \"cpu_time\": 1, \"threads\": 1.5}]}",
       "'threads' is not a whole number"},
      {"{\"benchmarks\": [{\"name\": \"a\", \"real_time\": 1, \"cpu_time\": 1, \"family_index\": "
       "18446744073709551615}]}",
       "'family_index' is out of range"},
      {"{\"benchmarks\": [{\"name\": \"a\", \"real_time\": 1, \"cpu_time\": 1, \"error_occurred\": "
       "\"yes\"}]}",
       "'error_occurred' is not true or false"},
      {"{\"benchmarks\": [{\"name\": \"a\", \"real_time\": 1, \"cpu_time\": 1, \"peak_rss_bytes\": -4}]}",
       "'peak_rss_bytes' is negative"},
      {"{\"benchmarks\": [{\"name\": \"a\", \"real_time\": 1, \"cpu_time\": 1, \"threads_created\": [1]}]}",
       "'threads_created' is not a number"},
      {"{\"benchmarks\": [{\"name\": \"a\", \"real_time\": 1, \"cpu_time\": 1, \"case\": []}]}",
       "'case' is not an object"},
      {"{\"benchmarks\": [{\"name\": \"a\", \"real_time\": 1, \"cpu_time\": 1, \"case\": {\"strategy\": "
       "\"s\"}}]}",
       "has no 'workload'"},
      {"{\"benchmarks\": [{\"name\": \"a\", \"real_time\": 1, \"cpu_time\": 1, \"case\": {\"strategy\": "
       "\"s\", "
       "\"workload\": \"w\", \"tasks\": -1}}]}",
       "'tasks' is negative"},
      {"{\"benchmarks\": [{\"name\": \"a\", \"real_time\": 1, \"cpu_time\": 1, \"case\": {\"strategy\": "
       "\"s\", "
       "\"workload\": \"w\", \"params\": {\"k\": [1]}}}]}",
       "parameter 'k' is not a string or number"},
      {std::string(1000, '[') + std::string(1000, ']'), "nested deeper than 64 levels"},
  };
  for (const auto& [text, expected] : cases) {
    const std::string message = error_of(text, "doc.json");
    EXPECT_EQ(message.rfind("doc.json: ", 0), 0u) << message;
    EXPECT_NE(message.find(expected), std::string::npos)
        << "input: " << text.substr(0, 80) << "\nmessage: " << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
  // Counters other tools write may be any number; they are carried, not judged.
  const ResultFile file = parse_result_document(
      R"({"benchmarks": [{"name": "a", "real_time": 1, "cpu_time": 1, "delta": -3, "note": "x", "flag": true}]})",
      "doc.json");
  EXPECT_DOUBLE_EQ(file.entries[0].counters.at("delta"), -3);
  EXPECT_EQ(file.entries[0].counters.size(), 1u);
}

TEST(ResultReader, FilesThatCannotBeRead) {
  const fs::path directory = fs::temp_directory_path() / ("result_reader_test." + std::to_string(::getpid()));
  fs::create_directories(directory);
  const std::string missing = (directory / "missing.json").string();
  try {
    read_result_file(missing);
    ADD_FAILURE() << "no error for a missing file";
  } catch (const ResultFileError& error) {
    EXPECT_EQ(std::string(error.what()), missing + ": cannot read: No such file or directory");
  }
  EXPECT_THROW(read_result_file(directory.string()), ResultFileError);
  EXPECT_THROW(read_result_file("/dev/zero"), ResultFileError);  // would never end
  std::ofstream(directory / "blank.json") << "  \n";
  EXPECT_THROW(read_result_file((directory / "blank.json").string()), ResultFileError);
  fs::remove_all(directory);
}

// ---- fuzz ----

class Fuzzer {
 public:
  explicit Fuzzer(std::uint32_t seed) : random_(seed) {}

  std::size_t below(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(random_); }

  std::string random_bytes(std::size_t max_length) {
    std::string out(below(max_length + 1), '\0');
    for (auto& c : out) c = static_cast<char>(below(256));
    return out;
  }

  std::string random_json_alphabet(std::size_t max_length) {
    static const std::string alphabet =
        "{}[]\":,0123456789.-+eE \n truefalsnulNaInfiy\\benchmarkscontextname";
    std::string out(below(max_length + 1), ' ');
    for (auto& c : out) c = alphabet[below(alphabet.size())];
    if (below(2) == 0) out = "{\"benchmarks\": [" + out;
    return out;
  }

  std::string flip_bytes(const std::string& text) {
    std::string out = text;
    const std::size_t flips = 1 + below(5);
    for (std::size_t i = 0; i < flips && !out.empty(); ++i)
      out[below(out.size())] = static_cast<char>(below(256));
    return out;
  }

  nlohmann::json random_value(int depth = 0) {
    switch (below(depth > 2 ? 14 : 17)) {
      case 0:
        return -1;
      case 1:
        return -1e300;
      case 2:
        return 1e300;
      case 3:
        return "text";
      case 4:
        return nullptr;
      case 5:
        return true;
      case 6:
        return 0;
      case 7:
        return 1.5;
      case 8:
        return std::numeric_limits<std::uint64_t>::max();
      case 9:
        return std::numeric_limits<std::int64_t>::min();
      case 10:
        return -0.0;
      case 11:
        return std::string(below(3000), 'x');
      case 12:
        return "ms";
      case 13:
        return 3;
      case 14:
        return nlohmann::json::array({random_value(depth + 1), random_value(depth + 1)});
      case 15:
        return nlohmann::json{{"strategy", random_value(depth + 1)}, {"workload", "w"}};
      default:
        return nlohmann::json::object();
    }
  }

  // Changes one value somewhere in a valid document: a field of an entry, of its case, or of the top level.
  std::string mutate_structure(nlohmann::json document) {
    static const std::vector<std::string> keys = {"name",
                                                  "run_name",
                                                  "run_type",
                                                  "repetitions",
                                                  "repetition_index",
                                                  "iterations",
                                                  "real_time",
                                                  "cpu_time",
                                                  "time_unit",
                                                  "aggregate_name",
                                                  "error_occurred",
                                                  "error_message",
                                                  "label",
                                                  "items_per_second",
                                                  "e2e_p99_ns",
                                                  "queue_wait_p99_ns",
                                                  "allocs_per_task",
                                                  "bytes_per_task",
                                                  "threads_created",
                                                  "peak_rss_bytes",
                                                  "case",
                                                  "threads",
                                                  "family_index",
                                                  "extra"};
    auto& benchmarks = document["benchmarks"];
    const std::size_t changes = 1 + below(3);
    for (std::size_t i = 0; i < changes; ++i) {
      const std::size_t what = below(10);
      if (what == 0) {
        document[below(2) == 0 ? "benchmarks" : "context"] = random_value();
      } else if (benchmarks.is_array() && !benchmarks.empty()) {
        auto& entry = benchmarks[below(benchmarks.size())];
        if (!entry.is_object()) continue;
        const std::string& key = keys[below(keys.size())];
        if (what == 1) {
          entry.erase(key);
        } else if (what == 2 && entry.contains("case") && entry["case"].is_object()) {
          static const std::vector<std::string> case_keys = {
              "strategy", "workload",        "tasks",           "workers",         "producers",
              "params",   "strategy_params", "workload_params", "strategy_traits", "effective_producers"};
          entry["case"][case_keys[below(case_keys.size())]] = random_value();
        } else if (what == 3) {
          entry = random_value();
        } else {
          entry[key] = random_value();
        }
      }
    }
    return document.dump();
  }

  // Replaces one number in the text with a bare token Google Benchmark might write.
  std::string inject_token(const std::string& text) {
    static const std::vector<std::string> tokens = {"NaN", "-NaN",  "Infinity", "-Infinity",
                                                    "nan", "1e999", "-1e999"};
    std::string out = text;
    const std::size_t at = out.find_first_of("0123456789", below(out.size()));
    if (at == std::string::npos) return out;
    std::size_t end = at;
    while (end < out.size() && std::string_view("0123456789.eE+-").find(out[end]) != std::string_view::npos)
      ++end;
    out.replace(at, end - at, tokens[below(tokens.size())]);
    return out;
  }

 private:
  std::mt19937 random_;
};

struct FuzzTally {
  std::size_t documents = 0;
  std::size_t accepted = 0;
  std::size_t rejected = 0;
};

// Parses one document; what is accepted also goes through compare and every output format.
void check_document(const std::string& text, const ResultFile& valid, FuzzTally& tally) {
  ++tally.documents;
  const std::string origin = "fuzz.json";
  try {
    const ResultFile file = parse_result_document(text, origin);
    ++tally.accepted;
    for (const bool normalize : {false, true}) {
      compare::Options options;
      if (normalize) options.normalize_to = "inline";
      try {
        for (const auto& [base, next] :
             {std::pair{&file, &file}, std::pair{&valid, &file}, std::pair{&file, &valid}}) {
          const compare::Comparison comparison = compare::compare_files(*base, *next, options);
          const std::string text_output = compare::format_text(comparison);
          const std::string markdown = compare::format_markdown(comparison);
          const auto json = nlohmann::json::parse(compare::format_json(comparison));
          EXPECT_TRUE(json.contains("summary"));
          EXPECT_FALSE(text_output.empty());
          EXPECT_FALSE(markdown.empty());
        }
      } catch (const UsageError&) {
        // --normalize-to inline where a document has no inline case: unusable input, reported as such.
      }
    }
  } catch (const ResultFileError& error) {
    ++tally.rejected;
    const std::string message = error.what();
    EXPECT_EQ(message.rfind(origin + ": ", 0), 0u) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  } catch (const std::exception& error) {
    ADD_FAILURE() << "unexpected exception " << typeid(error).name() << ": " << error.what()
                  << "\ninput: " << text.substr(0, 200);
  }
}

TEST(ResultReaderFuzz, RandomTruncatedAndMutatedDocumentsNeverCrash) {
  within(std::chrono::seconds(240), [] {
    const nlohmann::json document = small_document();
    const std::string valid_text = document.dump(1);
    const ResultFile valid = parse_result_document(valid_text, "valid.json");
    const std::string fixture = slurp(data("gb_base.json"));
    Fuzzer fuzz(20240501);
    FuzzTally tally;
    // A fifth of the documents under a sanitizer (each costs about 25 times as much there): the sanitizer
    // build looks for memory errors on every path the mutations reach, and scripts/fuzz's libFuzzer run
    // covers the same reader for volume.
    const int share = test_build::under_sanitizer ? 5 : 1;
    const std::size_t stride = static_cast<std::size_t>(share);

    for (int i = 0; i < 1500 / share; ++i) check_document(fuzz.random_bytes(300), valid, tally);
    for (int i = 0; i < 1500 / share; ++i) check_document(fuzz.random_json_alphabet(200), valid, tally);
    for (std::size_t length = 0; length < valid_text.size(); length += 5 * stride)
      check_document(valid_text.substr(0, length), valid, tally);
    for (std::size_t length = 0; length < fixture.size(); length += 101 * stride)
      check_document(fixture.substr(0, length), valid, tally);
    for (int i = 0; i < 1500 / share; ++i) check_document(fuzz.flip_bytes(valid_text), valid, tally);
    for (int i = 0; i < 2000 / share; ++i) check_document(fuzz.mutate_structure(document), valid, tally);
    for (int i = 0; i < 500 / share; ++i) check_document(fuzz.inject_token(valid_text), valid, tally);

    EXPECT_GE(tally.documents, 7000u / stride);
    // Both outcomes must occur, or the mutations are not reaching the reader's decisions.
    EXPECT_GT(tally.accepted, 300u / stride);
    EXPECT_GT(tally.rejected, 3000u / stride);
    std::printf("fuzz: %zu documents, %zu accepted, %zu rejected with a message\n", tally.documents,
                tally.accepted, tally.rejected);
  });
}

}  // namespace
}  // namespace poolbench
