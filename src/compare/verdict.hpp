// compare's verdicts, for compare.cpp (which gathers the samples) and the tests.
#pragma once

#include <string>
#include <vector>

#include "compare/compare.hpp"

namespace poolbench::compare {

// Judges `metric` between the two samples (one value per successful repetition, already normalised where
// asked) under the rule the catalogue gives it. `reference_spread`: for exact metrics, how much the reference
// strategy's case of the same workload varies between its repetitions (the workload's own variation, which
// the reference adds nothing to).
MetricComparison compare_metric(const metrics::Metric& metric, const std::vector<double>& base,
                                const std::vector<double>& next, const Options& options,
                                double reference_spread);

// items_per_second beside time's verdict: each side's throughput at its median time (`items` per median
// time; where normalised, the reciprocal of the time ratio), so that both rows describe one aggregate and
// carry one verdict, time's.
MetricComparison throughput_from_time(const MetricComparison& time, double base_items, double new_items);

// A metric that could not be compared, and why.
MetricComparison not_compared(const std::string& metric, std::string note);

// Adjusts the p-values of every U test in `comparison` over the family they form (options.adjustment) and
// judges each against alpha; a test that cannot reach alpha after the adjustment (Holm: its repetitions'
// smallest p times the family's size is not below alpha) is "not enough repetitions to judge" (or decided
// on the minimum effect under --strict). Throughput rows take their case's time verdict again. Before
// summarize().
void adjust_for_family(Comparison& comparison);

// The fewest repetitions per side with which Holm over `tests` U tests can reach `alpha`.
std::size_t repetitions_for_family(std::size_t tests, double alpha);

// Fills comparison.summary from its cases.
void summarize(Comparison& comparison);

}  // namespace poolbench::compare
