// `poolbench case --spec JSON --result-file PATH`: the child process. Runs one repetition of one case as a
// registered Google Benchmark benchmark and writes Google Benchmark's JSON for it to PATH. The parent
// (runner) starts one child per repetition so that RSS, heap state and threads never carry from one case to
// another, and so that a crash or hang costs that case alone. Not meant to be typed by people; hidden from
// --help.
#include <fstream>
#include <memory>

#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "case/driver.hpp"
#include "cli.hpp"
#include "errors.hpp"
#include "plugin/plugin_loader.hpp"

namespace poolbench {
namespace {

int run_child(const std::string& spec_text, const std::string& result_path) {
  nlohmann::json spec_json;
  try {
    spec_json = nlohmann::json::parse(spec_text);
  } catch (const nlohmann::json::exception& e) {
    throw UsageError(fmt::format("--spec: not JSON: {}", e.what()));
  }
  const CaseSpec spec = case_spec_from_json(spec_json);

  std::ofstream result(result_path, std::ios::trunc);
  if (!result) throw UsageError(fmt::format("--result-file: cannot write '{}'", result_path));

  // Google Benchmark reads its flags once; the child passes none, so its defaults apply and the benchmark's
  // own settings below decide: one iteration (= all N tasks), wall-clock time, CPU time of the whole process.
  int argc = 1;
  char program[] = "poolbench";
  char* argv[] = {program, nullptr};
  benchmark::Initialize(&argc, argv);
  benchmark::RegisterBenchmark(spec.name.c_str(),
                               [spec](benchmark::State& state) { run_case_benchmark(state, spec); })
      ->Iterations(1)
      ->UseRealTime()
      ->MeasureProcessCPUTime()
      ->Unit(benchmark::kMillisecond);

  benchmark::JSONReporter reporter;
  reporter.SetOutputStream(&result);
  reporter.SetErrorStream(&std::cerr);
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  result.flush();
  return result ? exit_ok : exit_failures;
}

const SubcommandRegistrar case_command_registrar{SubcommandInfo{
    .name = "case",
    .description = "",  // an empty description hides it from --help: the runner's child mode
    .order = 90,
    .setup =
        [](CLI::App& command) {
          auto spec = std::make_shared<std::string>();
          auto result_path = std::make_shared<std::string>();
          command.add_option("--spec", *spec, "the case as JSON")->required();
          command.add_option("--result-file", *result_path, "where to write Google Benchmark's JSON")
              ->required();
          auto plugins = add_plugin_option(command);
          return std::function<int()>([=] {
            load_plugins(*plugins);
            return run_child(*spec, *result_path);
          });
        },
}};

}  // namespace
}  // namespace poolbench
