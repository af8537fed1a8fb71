// README's "What each strategy models" table is printed by `poolbench list --format md` from the strategies'
// own registrations (StrategyInfo::models): one source of truth, so README cannot drift from the code. These
// tests fail when a strategy has no row, a row names a mode the strategy does not have, or README's table is not
// exactly what the binary prints.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_support.hpp"
#include "params.hpp"
#include "registry.hpp"

namespace poolbench {
namespace {

using testing::run_poolbench;

std::string readme_model_table() {
  std::ifstream in(std::string(POOLBENCH_SOURCE_DIR) + "/README.md");
  std::stringstream text;
  text << in.rdbuf();
  const std::string readme = text.str();
  const std::size_t section = readme.find("\n## What each strategy models\n");
  if (section == std::string::npos) return "no section \"## What each strategy models\" in README.md";
  const std::size_t next_section = readme.find("\n## ", section + 1);
  std::istringstream lines(readme.substr(section, next_section - section));
  std::string table;
  for (std::string line; std::getline(lines, line);)
    if (line.starts_with("|")) table += line + '\n';
  return table;
}

TEST(ModelTable, EveryStrategyHasADefaultRowWithEveryFieldFilledOnOneLine) {
  for (const StrategyInfo* info : strategy_registry().all(/*include_test_only=*/false)) {
    ASSERT_FALSE(info->models.empty()) << info->name << " registers no ModelRow";
    EXPECT_EQ(info->models.front().mode, "") << info->name << ": the default mode's row comes first";
    for (const ModelRow& row : info->models)
      for (const std::string* field : {&row.library, &row.matches, &row.differs}) {
        EXPECT_FALSE(field->empty()) << info->name << " " << row.mode;
        EXPECT_EQ(field->find_first_of("|\n"), std::string::npos)
            << info->name << " " << row.mode << ": a `|` or a line break would break the table: " << *field;
      }
  }
}

// A row's mode must select a real mode: declared parameters, each with a value it accepts, not the default.
TEST(ModelTable, EveryModeRowNamesDeclaredParametersWithValidValues) {
  for (const StrategyInfo* info : strategy_registry().all(/*include_test_only=*/false)) {
    for (const ModelRow& row : info->models) {
      if (row.mode.empty()) continue;
      std::istringstream assignments(row.mode);
      for (std::string assignment; std::getline(assignments, assignment, ',');) {
        const std::size_t equals = assignment.find('=');
        ASSERT_NE(equals, std::string::npos) << info->name << ": mode `" << row.mode << "` is not name=value";
        const std::string name = assignment.substr(0, equals);
        const std::string value = assignment.substr(equals + 1);
        const auto spec = std::find_if(info->params.begin(), info->params.end(),
                                       [&](const ParamSpec& param) { return param.name == name; });
        ASSERT_NE(spec, info->params.end()) << info->name << " has no parameter " << name;
        EXPECT_NO_THROW(validate_param(*spec, value)) << info->name << " " << assignment;
        EXPECT_NE(spec->default_value, value) << info->name << ": " << assignment << " is the default mode";
      }
    }
  }
}

TEST(ModelTable, ReadmeHoldsExactlyTheTableListPrints) {
  const auto listed = run_poolbench("list --format md");
  ASSERT_EQ(listed.exit_status, 0) << listed.err;
  EXPECT_EQ(readme_model_table(), listed.out)
      << "README's \"What each strategy models\" table differs from `poolbench list --format md`: paste its "
         "output into README.md";
}

TEST(ModelTable, ListPrintsEveryRowsTextAndJsonCarriesIt) {
  const auto text = run_poolbench("list");
  ASSERT_EQ(text.exit_status, 0) << text.err;
  const auto json = run_poolbench("list --format json");
  ASSERT_EQ(json.exit_status, 0) << json.err;
  const nlohmann::json listed = nlohmann::json::parse(json.out);
  for (const StrategyInfo* info : strategy_registry().all(/*include_test_only=*/false)) {
    const auto entry =
        std::find_if(listed["strategies"].begin(), listed["strategies"].end(),
                     [&](const nlohmann::json& strategy) { return strategy["name"] == info->name; });
    ASSERT_NE(entry, listed["strategies"].end()) << info->name;
    ASSERT_EQ((*entry)["models"].size(), info->models.size()) << info->name;
    for (std::size_t i = 0; i < info->models.size(); ++i) {
      const ModelRow& row = info->models[i];
      EXPECT_NE(text.out.find(row.matches), std::string::npos) << info->name << " " << row.mode;
      EXPECT_NE(text.out.find(row.differs), std::string::npos) << info->name << " " << row.mode;
      EXPECT_EQ((*entry)["models"][i]["library"], row.library);
      EXPECT_EQ((*entry)["models"][i]["mode"], row.mode);
    }
  }
}

TEST(ModelTable, FormatIsCheckedAndJsonFlagStaysItsShorthand) {
  const auto bad = run_poolbench("list --format html");
  EXPECT_EQ(bad.exit_status, 2);
  EXPECT_TRUE(bad.out.empty());
  const auto both = run_poolbench("list --json --format md");
  EXPECT_EQ(both.exit_status, 2);
  EXPECT_TRUE(both.out.empty());
  const auto shorthand = run_poolbench("list --json");
  const auto format = run_poolbench("list --format json");
  EXPECT_EQ(shorthand.exit_status, 0);
  EXPECT_EQ(shorthand.out, format.out);
}

}  // namespace
}  // namespace poolbench
