// Runs one case in this process through Google Benchmark, as the child does, and hands back its counters: for
// truth tests of measurements that need no process of their own (allocations, latencies, threads,
// calibrations). Measurements that must be per process (peak RSS) go through the real CLI instead
// (cli_support.hpp).
#pragma once

#include <gtest/gtest.h>

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "case/driver.hpp"
#include "registry.hpp"
#include "result/case_name.hpp"
#include "sanitizer.hpp"

namespace poolbench::testing {

// Sanitizers slow every memory access and shadow all memory: timing tolerances and RSS magnitudes do not
// hold.
inline constexpr bool under_sanitizer = test_build::under_sanitizer;

struct CaseOutcome {
  bool error = false;
  std::string error_message;
  std::string label;
  std::map<std::string, double> counters;
  double window_ns = 0;  // the measured window's wall time

  double counter(const std::string& name) const {
    auto found = counters.find(name);
    if (found == counters.end()) {
      ADD_FAILURE() << "counter " << name << " missing";
      return -1;
    }
    return found->second;
  }
};

// Fails (and ends) the test binary when `body` runs past `seconds`, instead of hanging CI.
template <class Body>
auto with_time_limit(int seconds, Body&& body) {
  auto result = std::async(std::launch::async, std::forward<Body>(body));
  if (result.wait_for(std::chrono::seconds(seconds)) == std::future_status::timeout) {
    std::fprintf(stderr, "test body ran past its %d s time limit\n", seconds);
    std::fflush(stderr);
    std::_Exit(3);
  }
  return result.get();
}

inline CaseSpec make_case(const std::string& strategy, const std::string& workload, std::size_t tasks,
                          std::size_t workers, std::size_t producers,
                          const std::map<std::string, std::string>& params = {}) {
  CaseSpec spec;
  spec.info.strategy = strategy;
  spec.info.workload = workload;
  spec.info.tasks = tasks;
  spec.info.workers = workers;
  spec.info.producers = producers;
  if (const auto* info = strategy_registry().find(strategy)) {
    for (const auto& param : info->params) spec.info.strategy_params[param.name] = param.default_value;
    spec.info.strategy_traits = info->traits;
    spec.info.effective_producers = effective_producers(info->traits, producers, workers);
  }
  if (const auto* info = workload_registry().find(workload))
    for (const auto& param : info->params) spec.info.workload_params[param.name] = param.default_value;
  for (const auto& [key, value] : params)
    (spec.info.strategy_params.count(key) != 0 ? spec.info.strategy_params : spec.info.workload_params)[key] =
        value;
  spec.name = CaseName{strategy, workload, params, tasks, workers, producers}.str();
  return spec;
}

// `spec` as an open loop at `rate_per_second` (as --arrival PROCESS --rate R would plan it).
inline CaseSpec open_loop_case(CaseSpec spec, ArrivalProcess process, double rate_per_second,
                               std::uint64_t seed = 1) {
  spec.info.arrival =
      Arrival{.process = process, .rate_per_second = rate_per_second, .load = 0, .seed = seed};
  spec.name = fmt::format("{}/arrival:{}/rate:{}", spec.name, to_string(process), rate_per_second);
  return spec;
}

class CapturingReporter final : public benchmark::BenchmarkReporter {
 public:
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& run : runs) runs_.push_back(run);
  }
  const std::vector<Run>& runs() const { return runs_; }

 private:
  std::vector<Run> runs_;
};

// Runs `spec` as the child would (one iteration, wall-clock time, process CPU time), on this thread.
inline CaseOutcome run_case_here(const CaseSpec& spec) {
  {
    benchmark::ClearRegisteredBenchmarks();
    benchmark::RegisterBenchmark(spec.name.c_str(),
                                 [spec](benchmark::State& state) { run_case_benchmark(state, spec); })
        ->Iterations(1)
        ->UseRealTime()
        ->MeasureProcessCPUTime()
        ->Unit(benchmark::kMillisecond);
    CapturingReporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    benchmark::ClearRegisteredBenchmarks();
    CaseOutcome outcome;
    if (reporter.runs().size() != 1) {
      outcome.error = true;
      outcome.error_message = fmt::format("expected one run, got {}", reporter.runs().size());
      return outcome;
    }
    const auto& run = reporter.runs().front();
    outcome.error = run.error_occurred;
    outcome.error_message = run.error_message;
    outcome.label = run.report_label;
    outcome.window_ns = run.real_accumulated_time * 1e9;
    for (const auto& [name, counter] : run.counters) outcome.counters[name] = counter.value;
    return outcome;
  }
}

// run_case_here within a time limit.
inline CaseOutcome run_in_process(const CaseSpec& spec, int time_limit_seconds = 60) {
  return with_time_limit(time_limit_seconds, [spec] { return run_case_here(spec); });
}

}  // namespace poolbench::testing
