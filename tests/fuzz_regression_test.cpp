// Every file of the fuzz targets' seed corpus (fuzz/corpus/TARGET/) and every input a fuzzer ever crashed on
// (fuzz/regressions/TARGET/), fed to the same entry functions the libFuzzer binaries drive, in this ordinary
// build: a fixed crasher stays fixed without clang. An input that crashes or throws fails (or stops) the
// test, and every seed must be accepted all the way through.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <ostream>
#include <string>

#include "cli_support.hpp"
#include "fuzz_entries.hpp"

namespace poolbench {
namespace {

struct FuzzTarget {
  std::string name;
  std::function<bool(std::string_view)> entry;
};

// Names the parameter in ctest's listing (instead of its bytes).
void PrintTo(const FuzzTarget& target, std::ostream* out) {
  *out << target.name;
}

class FuzzRegression : public ::testing::TestWithParam<FuzzTarget> {};

TEST_P(FuzzRegression, EveryCorpusAndRegressionFileIsHandled) {
  const std::filesystem::path fuzz_dir = std::filesystem::path(POOLBENCH_SOURCE_DIR) / "fuzz";
  std::size_t corpus_files = 0;
  for (const char* kind : {"corpus", "regressions"}) {
    const auto dir = fuzz_dir / kind / GetParam().name;
    if (!std::filesystem::is_directory(dir)) continue;
    for (const auto& file : std::filesystem::directory_iterator(dir)) {
      if (!file.is_regular_file()) continue;
      SCOPED_TRACE(file.path().string());
      const bool seed = std::string(kind) == "corpus";
      corpus_files += seed ? 1 : 0;
      const std::string data = testing::slurp(file.path());
      bool accepted = false;
      EXPECT_NO_THROW(accepted = GetParam().entry(data));
      // Seeds are valid inputs: rejected, they would leave the fuzzer little beyond the rejection paths.
      if (seed) {
        EXPECT_TRUE(accepted) << "a seed the program rejects";
      }
    }
  }
  EXPECT_GT(corpus_files, 0u) << "no seed corpus in " << (fuzz_dir / "corpus" / GetParam().name);
}

INSTANTIATE_TEST_SUITE_P(Fuzz, FuzzRegression,
                         ::testing::Values(FuzzTarget{"result_reader", fuzz::result_reader},
                                           FuzzTarget{"compare", fuzz::compare},
                                           FuzzTarget{"report", fuzz::report},
                                           FuzzTarget{"command_line", fuzz::command_line}),
                         [](const ::testing::TestParamInfo<FuzzTarget>& info) { return info.param.name; });

}  // namespace
}  // namespace poolbench
