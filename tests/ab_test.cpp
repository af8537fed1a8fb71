// `poolbench ab`: the paired statistics against known answers, the round order's reproducibility, the
// verdicts on constructed rounds, the test-only slowdown knob, and the command end to end (files, order
// recorded, exit statuses, bad input). No assertion rests on a timing.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <random>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ab/ab_analysis.hpp"
#include "ab/ab_schedule.hpp"
#include "cli_support.hpp"
#include "metrics/statistics.hpp"
#include "params.hpp"
#include "test_slowed.hpp"

namespace poolbench {
namespace {

using testing::quote;
using testing::run_poolbench;
using testing::slurp;
using testing::TempDir;

// ---- Wilcoxon signed-rank ----

TEST(WilcoxonSignedRank, MatchesScipysDocumentedExample) {
  // scipy.stats.wilcoxon's documentation: the differences in height of 15 pairs of plants (Fisher, Design of
  // Experiments); wilcoxon(d) gives statistic 24.0 and pvalue 0.041259765625 (exact).
  const std::vector<double> d = {6, 8, 14, 16, 23, 24, 28, 29, 41, -48, 49, 56, 60, -67, 75};
  const auto result = metrics::wilcoxon_signed_rank(d);
  EXPECT_TRUE(result.exact);
  EXPECT_EQ(result.used, 15u);
  EXPECT_DOUBLE_EQ(result.statistic, 24.0);
  EXPECT_DOUBLE_EQ(result.p_value, 0.041259765625);
}

TEST(WilcoxonSignedRank, AgreesWithThePublishedCriticalValueForTenPairs) {
  // The table of critical values (e.g. Hollander & Wolfe, table A.4): n = 10, two-sided alpha 0.05: reject
  // when T <= 8. P(T <= 8) = 25/1024 and P(T <= 9) = 33/1024.
  auto with_negative_ranks = [](std::set<int> negative) {
    std::vector<double> d;
    for (int rank = 1; rank <= 10; ++rank) d.push_back(negative.count(rank) > 0 ? -rank : rank);
    return d;
  };
  const auto at_8 = metrics::wilcoxon_signed_rank(with_negative_ranks({1, 7}));
  const auto at_9 = metrics::wilcoxon_signed_rank(with_negative_ranks({2, 7}));
  EXPECT_DOUBLE_EQ(at_8.statistic, 8);
  EXPECT_DOUBLE_EQ(at_8.p_value, 50.0 / 1024);
  EXPECT_LT(at_8.p_value, 0.05);
  EXPECT_DOUBLE_EQ(at_9.p_value, 66.0 / 1024);
  EXPECT_GT(at_9.p_value, 0.05);
}

TEST(WilcoxonSignedRank, DropsZerosAndUsesTheNormalApproximationWithTies) {
  // Ties (two |d| = 2) force the approximation. After the zero is dropped, n = 5 with ranks 1, 2.5, 2.5, 4,
  // 5: R- = 2.5 (the -2), R+ = 12.5; mean 7.5, variance 5*6*11/24 - (8-2)/48 = 13.625.
  const auto result = metrics::wilcoxon_signed_rank({0, 1, 2, -2, 3, 4});
  EXPECT_FALSE(result.exact);
  EXPECT_EQ(result.used, 5u);
  EXPECT_DOUBLE_EQ(result.statistic, 2.5);
  const double z = (2.5 - 7.5) / std::sqrt(13.625);
  EXPECT_NEAR(result.p_value, std::erfc(std::abs(z) / std::sqrt(2.0)), 1e-12);
}

TEST(WilcoxonSignedRank, NoDifferencesIsNoEvidence) {
  EXPECT_EQ(metrics::wilcoxon_signed_rank({}).p_value, 1);
  EXPECT_EQ(metrics::wilcoxon_signed_rank({0, 0, 0}).p_value, 1);
}

// ---- Hodges-Lehmann interval ----

// The values minus `shift`: an interval inverts its test when every shift inside it leaves p >= 1 -
// confidence and every shift outside it gives p < 1 - confidence.
std::vector<double> shifted_by(const std::vector<double>& values, double shift) {
  std::vector<double> out;
  for (double value : values) out.push_back(value - shift);
  return out;
}

TEST(HodgesLehmann, TenDifferencesCutNineWalshAveragesFromEachEnd) {
  // n = 10 at 95%: C = 9 (P(R+ <= 8) = 25/1024 <= 0.025 < P(R+ <= 9)), so the interval is the 9th and 47th
  // of the 55 sorted Walsh averages, the estimate their median (the 28th); values computed by hand.
  const std::vector<double> d = {0.3, -0.1, 0.5, 0.2, 0.9, 0.4, -0.2, 0.6, 0.1, 0.7};
  const auto interval = metrics::hodges_lehmann_interval(d, 0.95);
  ASSERT_TRUE(interval.bounded);
  EXPECT_NEAR(interval.low, 0.1, 1e-12);
  EXPECT_NEAR(interval.high, 0.6, 1e-12);
  EXPECT_NEAR(interval.estimate, 0.35, 1e-12);
}

TEST(HodgesLehmann, TheIntervalIsTheShiftsTheSignedRankTestAccepts) {
  // Inverting the test: shifting the data by a value inside the interval leaves p >= 1 - confidence; by a
  // value outside, p < 1 - confidence.
  const std::vector<double> d = {0.03, 0.11, 0.08, 0.15, -0.02, 0.09, 0.12, 0.05, 0.21, 0.07, 0.10, 0.04};
  const auto interval = metrics::hodges_lehmann_interval(d, 0.95);
  ASSERT_TRUE(interval.bounded);
  auto p_after_shift = [&](double shift) {
    return metrics::wilcoxon_signed_rank(shifted_by(d, shift)).p_value;
  };
  const double epsilon = 1e-9;
  EXPECT_GE(p_after_shift(interval.low + epsilon), 0.05);
  EXPECT_GE(p_after_shift(interval.high - epsilon), 0.05);
  EXPECT_LT(p_after_shift(interval.low - 1e-3), 0.05);
  EXPECT_LT(p_after_shift(interval.high + 1e-3), 0.05);
}

TEST(HodgesLehmann, TooFewDifferencesHaveNoInterval) {
  // Five pairs: the smallest two-sided p is 2/32 > 0.05.
  EXPECT_FALSE(metrics::hodges_lehmann_interval({0.1, 0.2, 0.1, 0.3, 0.2}, 0.95).bounded);
  EXPECT_TRUE(metrics::hodges_lehmann_interval({0.1, 0.2, 0.1, 0.3, 0.2, 0.4}, 0.95).bounded);
}

// ---- sign test and the median's interval ----

// n differences, `positive` of them above 0, the rest below, with magnitudes that differ (the sign test must
// not look at them).
std::vector<double> with_signs(std::size_t positive, std::size_t n) {
  std::vector<double> d;
  for (std::size_t i = 0; i < n; ++i)
    d.push_back((i < positive ? 1.0 : -1.0) * (0.01 + 0.37 * static_cast<double>(i)));
  return d;
}

TEST(SignTest, MatchesScipysBinomtest) {
  // scipy.stats.binomtest(k, n, 0.5).pvalue (scipy 1.10.1), two-sided.
  struct Known {
    std::size_t positive, n;
    double p;
  };
  for (const Known& known :
       {Known{36, 47, 0.00034600114031491097}, Known{8, 10, 0.109375}, Known{0, 6, 0.03125},
        Known{50, 100, 1.0}, Known{60, 100, 0.05688793364098088}, Known{9, 12, 0.14599609375}}) {
    const auto result = metrics::sign_test(with_signs(known.positive, known.n));
    EXPECT_EQ(result.positive, known.positive);
    EXPECT_EQ(result.used, known.n);
    EXPECT_NEAR(result.p_value, known.p, 1e-12 * std::max(1.0, known.p))
        << known.positive << " of " << known.n;
  }
}

TEST(SignTest, IgnoresMagnitudesThatTheSignedRankTestWeighs) {
  // A bimodal case: 36 of 47 rounds a little above 1, and 11 rounds in which one side hit its slow mode, all
  // below 1 and far from it. The signed-rank test ranks those 11 highest.
  std::vector<double> d;
  for (int i = 0; i < 36; ++i) d.push_back(0.08 + 0.001 * i);
  for (int i = 0; i < 11; ++i) d.push_back(-0.9 - 0.01 * i);
  EXPECT_NEAR(metrics::sign_test(d).p_value, 0.00034600114031491097, 1e-15);
  EXPECT_GT(metrics::wilcoxon_signed_rank(d).p_value, 0.05);
}

TEST(SignTest, DropsZerosAndHasNoEvidenceWithoutDifferences) {
  const auto result = metrics::sign_test({0, 1, 2, 0, 3, 4, 5, 6});
  EXPECT_EQ(result.used, 6u);
  EXPECT_NEAR(result.p_value, 0.03125, 1e-15);
  EXPECT_EQ(metrics::sign_test({}).p_value, 1);
  EXPECT_EQ(metrics::sign_test({0, 0}).p_value, 1);
}

TEST(MedianInterval, TenValuesGiveTheSecondAndNinthOrderStatistics) {
  // n = 10 at 95%: k = 2 (P(X <= 1) = 11/1024 <= 0.025 < P(X <= 2) = 56/1024), the published table's
  // interval x(2)..x(9), coverage 1 - 22/1024.
  const std::vector<double> values = {0.7, 0.1, 0.9, -0.3, 0.4, 0.2, 0.6, 1.5, 0.3, 0.5};
  const auto interval = metrics::median_interval(values, 0.95);
  ASSERT_TRUE(interval.bounded);
  EXPECT_DOUBLE_EQ(interval.low, 0.1);
  EXPECT_DOUBLE_EQ(interval.high, 0.9);
  EXPECT_DOUBLE_EQ(interval.estimate, 0.45);
}

TEST(MedianInterval, TheIntervalIsTheCentresTheSignTestAccepts) {
  const std::vector<double> values = {0.03, 0.11, 0.08, 0.15, -0.02, 0.09, 0.12, 0.05, 0.21, 0.07,
                                      0.10, 0.04, 0.13, 0.06, 0.02,  0.18, 0.01, 0.14, 0.16, 0.00};
  const auto interval = metrics::median_interval(values, 0.95);
  ASSERT_TRUE(interval.bounded);
  auto p_after_shift = [&](double shift) { return metrics::sign_test(shifted_by(values, shift)).p_value; };
  const double epsilon = 1e-9;
  EXPECT_GE(p_after_shift(interval.low + epsilon), 0.05);
  EXPECT_GE(p_after_shift(interval.high - epsilon), 0.05);
  EXPECT_LT(p_after_shift(interval.low - epsilon), 0.05);
  EXPECT_LT(p_after_shift(interval.high + epsilon), 0.05);
}

TEST(MedianInterval, TooFewValuesHaveNoInterval) {
  // Five values: the smallest two-sided p is 2/32 > 0.05; six: 2/64.
  EXPECT_FALSE(metrics::median_interval({0.1, 0.2, 0.1, 0.3, 0.2}, 0.95).bounded);
  const auto six = metrics::median_interval({0.1, 0.2, 0.1, 0.3, 0.2, 0.4}, 0.95);
  ASSERT_TRUE(six.bounded);
  EXPECT_DOUBLE_EQ(six.low, 0.1);
  EXPECT_DOUBLE_EQ(six.high, 0.4);
}

TEST(Holm, AdjustsAsTheStepDownProcedureDoes) {
  // Sorted: 0.005 x 4 = 0.02, 0.01 x 3 = 0.03, 0.03 x 2 = 0.06, 0.04 x 1 (kept monotone: 0.06).
  const auto adjusted = metrics::holm_adjusted({0.01, 0.04, 0.03, 0.005});
  ASSERT_EQ(adjusted.size(), 4u);
  EXPECT_DOUBLE_EQ(adjusted[0], 0.03);
  EXPECT_DOUBLE_EQ(adjusted[1], 0.06);
  EXPECT_DOUBLE_EQ(adjusted[2], 0.06);
  EXPECT_DOUBLE_EQ(adjusted[3], 0.02);
}

TEST(BenjaminiHochberg, AdjustsAsTheStepUpProcedureDoes) {
  // R: p.adjust(c(0.01, 0.04, 0.03, 0.005), "BH") = 0.02 0.04 0.04 0.02.
  const auto adjusted = metrics::benjamini_hochberg_adjusted({0.01, 0.04, 0.03, 0.005});
  ASSERT_EQ(adjusted.size(), 4u);
  EXPECT_DOUBLE_EQ(adjusted[0], 0.02);
  EXPECT_DOUBLE_EQ(adjusted[1], 0.04);
  EXPECT_DOUBLE_EQ(adjusted[2], 0.04);
  EXPECT_DOUBLE_EQ(adjusted[3], 0.02);
}

// ---- the round order ----

TEST(RoundOrder, IsAPermutationReproducibleFromTheSeedAndTheRound) {
  std::vector<std::size_t> cases(40);
  for (std::size_t i = 0; i < cases.size(); ++i) cases[i] = i * 3;
  const auto first = ab::round_order(42, 5, cases);
  const auto again = ab::round_order(42, 5, cases);
  ASSERT_EQ(first.size(), cases.size());
  std::set<std::size_t> seen;
  std::size_t base_first = 0;
  for (std::size_t i = 0; i < first.size(); ++i) {
    seen.insert(first[i].case_index);
    EXPECT_EQ(first[i].case_index, again[i].case_index);
    EXPECT_EQ(first[i].base_first, again[i].base_first);
    base_first += first[i].base_first ? 1 : 0;
  }
  EXPECT_EQ(seen, std::set<std::size_t>(cases.begin(), cases.end()));
  EXPECT_GT(base_first, 0u);
  EXPECT_LT(base_first, cases.size());
  auto indices = [](const std::vector<ab::Slot>& order) {
    std::vector<std::size_t> out;
    for (const auto& slot : order) out.push_back(slot.case_index);
    return out;
  };
  EXPECT_NE(indices(first), indices(ab::round_order(42, 6, cases)));
  EXPECT_NE(indices(first), indices(ab::round_order(43, 5, cases)));
}

TEST(RoundOrder, IsTheSameOnEveryBuild) {
  // std::seed_seq and std::mt19937_64 are specified by the standard, and the shuffle is poolbench's own: a
  // recorded seed reproduces this order with any compiler and library.
  const auto order = ab::round_order(1, 0, {0, 1, 2, 3, 4, 5});
  std::vector<std::size_t> indices;
  std::vector<bool> base_first;
  for (const auto& slot : order) {
    indices.push_back(slot.case_index);
    base_first.push_back(slot.base_first);
  }
  EXPECT_EQ(indices, (std::vector<std::size_t>{0, 2, 1, 4, 5, 3}));
  EXPECT_EQ(base_first, (std::vector<bool>{true, false, true, false, false, false}));
}

// ---- verdicts on constructed rounds ----

ab::CaseRecord record(const std::string& name, const std::vector<double>& ratios) {
  ab::CaseRecord out{name, {}};
  for (std::size_t round = 0; round < ratios.size(); ++round)
    out.pairs.push_back(ab::Pair{.round = round,
                                 .base_first = round % 2 == 0,
                                 .base_ns = 1e6,
                                 .new_ns = 1e6 * ratios[round],
                                 .base_failure = {},
                                 .new_failure = {}});
  return out;
}

std::vector<double> around(double centre, std::size_t rounds, double wobble) {
  std::vector<double> out;
  for (std::size_t i = 0; i < rounds; ++i)
    out.push_back(centre * (1 + wobble * (static_cast<double>((i * 7) % 11) / 10.0 - 0.5)));
  return out;
}

TEST(AbVerdict, ASteadyTenPercentSlowdownRegressesAndNoiseAroundOneIsTheSame) {
  const auto analysis = ab::analyse(
      {record("slowed", around(1.10, 16, 0.04)), record("unchanged", around(1.0, 16, 0.04))}, ab::Options{});
  EXPECT_EQ(analysis[0].verdict, ab::Verdict::regressed);
  EXPECT_NEAR(analysis[0].ratio_median, 1.10, 0.01);
  EXPECT_GT(analysis[0].ratio_interval.low, 1.0);
  EXPECT_EQ(analysis[1].verdict, ab::Verdict::same);
  const auto faster = ab::analyse({record("faster", around(0.8, 16, 0.04))}, ab::Options{});
  EXPECT_EQ(faster[0].verdict, ab::Verdict::improved);
}

TEST(AbVerdict, TooFewRoundsOrTooMuchNoiseIsUndecided) {
  const auto analysis = ab::analyse(
      {record("few", around(1.3, 4, 0.02)), record("noisy", {0.5, 2.1, 0.8, 1.9, 0.6, 1.7, 1.1, 0.7})},
      ab::Options{});
  EXPECT_EQ(analysis[0].verdict, ab::Verdict::undecided);
  EXPECT_EQ(analysis[1].verdict, ab::Verdict::undecided);
}

TEST(AbVerdict, PValuesAreAdjustedOverTheWholeFamily) {
  // Eight rounds all slower: alone, p = 2/256 < 0.05 (regressed); among 20 cases, Holm multiplies the
  // smallest p by 20 and it is not.
  const auto alone = ab::analyse({record("slowed", around(1.2, 8, 0.02))}, ab::Options{});
  EXPECT_EQ(alone[0].verdict, ab::Verdict::regressed);
  std::vector<ab::CaseRecord> family = {record("slowed", around(1.2, 8, 0.02))};
  for (int i = 0; i < 19; ++i) family.push_back(record("other" + std::to_string(i), around(1.0, 8, 0.04)));
  const auto among = ab::analyse(family, ab::Options{});
  EXPECT_DOUBLE_EQ(among[0].p_value, 2.0 / 256);
  EXPECT_GT(among[0].p_adjusted, 0.05);
  EXPECT_NE(among[0].verdict, ab::Verdict::regressed);
}

TEST(AbVerdict, AChangeInManyCasesIsFoundInFewerRoundsWithBenjaminiHochbergThanWithHolm) {
  // 12 of 120 cases 20% slower in every one of 9 rounds (p = 2/512 each), the rest unchanged: Holm needs the
  // smallest p below 0.05/120 and finds none; Benjamini-Hochberg needs the 12th below 12 x 0.05/120 and finds
  // all 12, and no unchanged case.
  std::vector<ab::CaseRecord> family;
  for (int i = 0; i < 12; ++i) family.push_back(record("slowed" + std::to_string(i), around(1.2, 9, 0.02)));
  for (int i = 0; i < 108; ++i) family.push_back(record("same" + std::to_string(i), around(1.0, 9, 0.04)));
  ab::Options holm;
  holm.adjustment = ab::Options::Adjustment::holm;
  auto count = [](const std::vector<ab::CaseAnalysis>& analysis, const std::string& prefix) {
    return std::count_if(analysis.begin(), analysis.end(), [&](const ab::CaseAnalysis& c) {
      return c.verdict == ab::Verdict::regressed && c.name.starts_with(prefix);
    });
  };
  const auto with_holm = ab::analyse(family, holm);
  const auto with_bh = ab::analyse(family, ab::Options{});
  EXPECT_EQ(count(with_holm, "slowed"), 0);
  EXPECT_EQ(count(with_bh, "slowed"), 12);
  EXPECT_EQ(count(with_bh, "same"), 0);
}

TEST(AbVerdict, ABimodalCaseSlowedTenPercentRegressesUnderTheSignTestAndNotUnderTheSignedRankTest) {
  // One window in five in a slow mode two to three times as long, on either side: the rounds with one side
  // slow give ratios far from 1 in either direction whatever changed. 40 rounds, new 10% slower; the slow
  // windows fall on different rounds for base and new. scipy: wilcoxon p about 0.11 (the exact value turns on
  // which ratios tie), binomtest(32, 40) p = 0.00018.
  std::vector<double> ratios;
  for (std::size_t round = 0; round < 40; ++round) {
    const double base = round % 5 == 0 ? 3.2 : 1.0;
    const double next = round % 5 == 2 ? 2.0 : 1.0;
    ratios.push_back(1.10 * next / base * (1 + 0.02 * (static_cast<double>((round * 7) % 11) / 10.0 - 0.5)));
  }
  ab::Options sign_test;
  sign_test.test = ab::Options::Test::sign;
  const auto sign = ab::analyse({record("bimodal", ratios)}, sign_test);
  EXPECT_EQ(sign[0].verdict, ab::Verdict::regressed);
  EXPECT_NEAR(sign[0].ratio_interval.estimate, sign[0].ratio_median, 1e-12);
  const auto wilcoxon = ab::analyse({record("bimodal", ratios)}, ab::Options{});  // the default: signed-rank
  EXPECT_EQ(ab::Options{}.test, ab::Options::Test::signed_rank);
  EXPECT_NEAR(sign[0].p_value, 0.0001821658297558315, 1e-15);
  EXPECT_GT(wilcoxon[0].p_value, 0.05);
  EXPECT_NE(wilcoxon[0].verdict, ab::Verdict::regressed);
}

TEST(AbVerdict, AFailedRoundFailsTheCaseAndSaysWhichSide) {
  auto broken = record("broken", around(1.0, 6, 0.02));
  broken.pairs[3].new_ns.reset();
  broken.pairs[3].new_failure = "crashed: signal 11";
  const auto analysis = ab::analyse({broken}, ab::Options{});
  EXPECT_EQ(analysis[0].verdict, ab::Verdict::failed);
  EXPECT_EQ(analysis[0].new_failures, 1u);
  EXPECT_EQ(analysis[0].failure, "new: crashed: signal 11");
  EXPECT_EQ(analysis[0].rounds, 5u);
}

TEST(AbVerdict, OutlierRoundsAreFlaggedWithoutMovingTheMedian) {
  auto ratios = around(1.0, 12, 0.02);
  ratios[4] = 3.0;
  const auto analysis = ab::analyse({record("spike", ratios)}, ab::Options{});
  EXPECT_EQ(analysis[0].outlier_rounds, (std::vector<std::size_t>{4}));
  EXPECT_EQ(analysis[0].verdict, ab::Verdict::same);
}

TEST(AbVerdict, AdaptiveRoundsSettleSameCasesOnceTheIntervalIsNarrowAndChangesOnceCertain) {
  ab::Options options;
  options.until_ci = 0.02;
  options.min_rounds = 5;
  const auto analysis =
      ab::analyse({record("quiet", around(1.0, 10, 0.01)), record("noisy", around(1.0, 10, 0.3)),
                   record("slowed", around(1.3, 10, 0.01))},
                  options);
  EXPECT_TRUE(analysis[0].settled);
  EXPECT_FALSE(analysis[1].settled);
  EXPECT_TRUE(analysis[2].settled);  // p = 2/1024, below 0.05 / (3 cases x 6 looks, rounds 5 to 10)
  const auto early = ab::analyse({record("quiet", around(1.0, 4, 0.01))}, options);
  EXPECT_FALSE(early[0].settled);  // fewer than --min-rounds
}

TEST(AbVerdict, AnEarlyStopForAChangeNeedsMoreWhenMoreRoundsCouldBeLookedAt) {
  ab::Options options;
  options.until_ci = 0.02;
  options.min_rounds = 5;
  options.max_rounds = 100;  // 96 looks: p must be below 0.05 / (3 x 96)
  const std::vector<ab::CaseRecord> ten_rounds = {record("quiet", around(1.0, 10, 0.01)),
                                                  record("noisy", around(1.0, 10, 0.3)),
                                                  record("slowed", around(1.3, 10, 0.01))};
  const auto after_ten = ab::analyse(ten_rounds, options);
  EXPECT_EQ(after_ten[2].verdict, ab::Verdict::regressed);  // the verdict itself is the family's, as before
  EXPECT_FALSE(after_ten[2].settled);                       // p = 2/1024 is not certain over 96 looks
  const auto after_twenty =
      ab::analyse({record("quiet", around(1.0, 20, 0.01)), record("noisy", around(1.0, 20, 0.3)),
                   record("slowed", around(1.3, 20, 0.01))},
                  options);
  EXPECT_TRUE(after_twenty[2].settled);  // all twenty above 1: p near 1e-4
}

// A/A runs of `cases` cases, looked at after every round up to `rounds` as ab_run does (a case leaves once
// settled): how many of `runs` runs had some case stop early on a change. Log ratios are uniform in +-0.15
// from a fixed seed (raw mt19937_64 output, which the standard specifies), so the count is reproducible.
std::size_t runs_with_a_false_early_stop(const ab::Options& options, std::size_t rounds, std::size_t runs,
                                         std::size_t cases) {
  std::mt19937_64 random(20261202);
  auto log_ratio = [&] { return (static_cast<double>(random() >> 11) * 0x1.0p-53 - 0.5) * 0.3; };
  std::size_t spoiled = 0;
  for (std::size_t run = 0; run < runs; ++run) {
    std::vector<std::vector<double>> ratios(cases);
    std::vector<bool> active(cases, true);
    bool false_stop = false;
    for (std::size_t round = 0; round < rounds && !false_stop; ++round) {
      std::vector<ab::CaseRecord> records;
      for (std::size_t c = 0; c < cases; ++c) {
        if (active[c]) ratios[c].push_back(std::exp(log_ratio()));
        records.push_back(record("case" + std::to_string(c), ratios[c]));
      }
      const auto analysis = ab::analyse(records, options);
      for (std::size_t c = 0; c < cases; ++c) {
        if (!active[c] || !analysis[c].settled) continue;
        active[c] = false;
        false_stop = false_stop || analysis[c].verdict == ab::Verdict::regressed ||
                     analysis[c].verdict == ab::Verdict::improved;
      }
    }
    if (false_stop) ++spoiled;
  }
  return spoiled;
}

TEST(AbVerdict, EarlyStopsForAChangeStayWithinAlphaThoughEveryRoundIsLookedAt) {
  // Optional stopping: a case that stops on its first lucky streak keeps it as its final sample. Looked at
  // after each of 26 rounds at alpha / cases (the rule before Options::early_stop_looks), A/A runs stop on a
  // false change far more often than alpha; over the looks as well, at most alpha of them may.
  ab::Options options;
  options.until_ci = 0.02;
  options.min_rounds = 5;
  options.max_rounds = 30;
  constexpr std::size_t runs = 100;
  const std::size_t guarded = runs_with_a_false_early_stop(options, options.max_rounds, runs, 8);
  ab::Options one_look = options;
  one_look.max_rounds = one_look.min_rounds;  // the looks as if there were one; the rounds stay 30
  const std::size_t unguarded = runs_with_a_false_early_stop(one_look, options.max_rounds, runs, 8);
  EXPECT_LE(guarded, static_cast<std::size_t>(options.alpha * runs));
  EXPECT_GT(unguarded, 2 * static_cast<std::size_t>(options.alpha * runs)) << "the simulation lost its power";
}

// ---- the test-only knob ----

TEST(TestSlowdownKnob, StretchesTheWindowByAtLeastTheFraction) {
  const auto started = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const auto before = std::chrono::steady_clock::now() - started;
  stretch_window(started, 0.5);
  const auto after = std::chrono::steady_clock::now() - started;
  // A lower bound the spin guarantees, not a timing.
  EXPECT_GE(after, before + before / 2);
}

TEST(TestSlowdownKnob, NamesOneStrategyOrNone) {
  ::setenv("POOLBENCH_TEST_SLOW_STRATEGY", "fifo_ring:10", 1);
  EXPECT_DOUBLE_EQ(test_slowdown_fraction("fifo_ring"), 0.10);
  EXPECT_DOUBLE_EQ(test_slowdown_fraction("lifo_stack"), 0);
  ::setenv("POOLBENCH_TEST_SLOW_STRATEGY", "fifo_ring", 1);
  EXPECT_THROW(test_slowdown_fraction("fifo_ring"), ParamError);
  ::setenv("POOLBENCH_TEST_SLOW_STRATEGY", "fifo_ring:-3", 1);
  EXPECT_THROW(test_slowdown_fraction("fifo_ring"), ParamError);
  ::unsetenv("POOLBENCH_TEST_SLOW_STRATEGY");
  EXPECT_DOUBLE_EQ(test_slowdown_fraction("fifo_ring"), 0);
}

// ---- the command ----

const std::string small_plan = "-s inline -w atomic_increment -n 2000 -p 1,2 -k 2";

TEST(AbCommand, WritesBothSidesAndTheRoundsInTheOrderTheSeedGives) {
  TempDir dir;
  const auto result =
      run_poolbench(fmt::format("ab {0} {0} {1} --rounds 3 --order-seed 9 -q --format json -o {2}",
                                quote(POOLBENCH_BINARY), small_plan, quote(dir.path().string())));
  ASSERT_EQ(result.exit_status, 0) << result.err;
  const auto document = nlohmann::json::parse(slurp(dir / "ab.json"));
  EXPECT_EQ(nlohmann::json::parse(result.out), document);
  EXPECT_EQ(document["seed"], 9);
  EXPECT_EQ(document["options"]["test"], "signed-rank");
  ASSERT_EQ(document["rounds"].size(), 3u);
  const std::vector<std::string> names = {"inline/atomic_increment/tasks:2000/workers:2/producers:1",
                                          "inline/atomic_increment/tasks:2000/workers:2/producers:2"};
  for (std::size_t round = 0; round < 3; ++round) {
    const auto expected = ab::round_order(9, round, {0, 1});
    const auto& order = document["rounds"][round]["order"];
    ASSERT_EQ(order.size(), 2u);
    for (std::size_t slot = 0; slot < 2; ++slot) {
      EXPECT_EQ(order[slot]["case"], names[expected[slot].case_index]);
      EXPECT_EQ(order[slot]["first"], expected[slot].base_first ? "base" : "new");
    }
  }
  for (const auto& item : document["cases"]) {
    EXPECT_EQ(item["rounds"], 3);
    EXPECT_EQ(item["ratios"].size(), 3u);
  }
  for (const char* side : {"base.json", "new.json"}) {
    const auto file = nlohmann::json::parse(slurp(dir / side));
    EXPECT_EQ(file["context"]["poolbench"]["complete"], true) << side;
    std::size_t repetitions = 0;
    for (const auto& entry : file["benchmarks"]) repetitions += entry["run_type"] == "iteration" ? 1 : 0;
    EXPECT_EQ(repetitions, 6u) << side;  // 2 cases x 3 rounds
  }
}

TEST(AbCommand, ACaseThatFailsOnNewAloneFailsTheGate) {
  TempDir dir;
  const auto result =
      run_poolbench(fmt::format("ab {0} {0} {1} --rounds 2 --order-seed 1 -q -o {2} --new-env "
                                "POOLBENCH_TEST_SLOW_STRATEGY=inline:bad",
                                quote(POOLBENCH_BINARY), small_plan, quote(dir.path().string())));
  EXPECT_EQ(result.exit_status, 1) << result.out << result.err;
  EXPECT_NE(result.out.find("failed"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("0 regressed, 0 improved, 0 same, 0 undecided, 2 failed"), std::string::npos)
      << result.out;
}

TEST(AbCommand, MinWindowGivesShortCasesMoreTasksAndRecordsIt) {
  TempDir dir;
  const auto result =
      run_poolbench(fmt::format("ab {0} {0} -s inline -w atomic_increment -n 100 -p 1 -k 2 "
                                "--rounds 2 --min-window 100ms -q --format json -o {1}",
                                quote(POOLBENCH_BINARY), quote(dir.path().string())));
  ASSERT_EQ(result.exit_status, 0) << result.err;
  const auto document = nlohmann::json::parse(result.out);
  ASSERT_EQ(document["scaled"].size(), 1u);
  EXPECT_EQ(document["scaled"][0]["from"], "inline/atomic_increment/tasks:100/workers:2/producers:1");
  EXPECT_EQ(document["cases"][0]["name"], document["scaled"][0]["to"]);
  EXPECT_NE(document["scaled"][0]["to"], document["scaled"][0]["from"]);
}

TEST(AbCommand, MinWindowTimesAScaledCaseAgainUntilItsWindowIsLongEnough) {
  // Ten tasks that each sleep about 1 ms on 100 workers: one wave, about 1 ms. Scaling that linearly to 50 ms
  // gives 500 tasks (rounded up to 1,000), ten waves, about 10 ms: a window is not proportional to its tasks.
  // The case is timed again with its new tasks until a window reaches the minimum (here 10,000 tasks, 100
  // waves). 50 ms is far above one wave even on a loaded machine, so the case is always scaled.
  TempDir dir;
  const auto result = run_poolbench(
      fmt::format("ab {0} {0} -s fifo_ring -w simulated_io --param median_ms=1 --param p99_ms=1 -n 10 -k 100 "
                  "-p 1 --rounds 1 --min-window 50ms -q --format json -o {1}",
                  quote(POOLBENCH_BINARY), quote(dir.path().string())));
  ASSERT_EQ(result.exit_status, 0) << result.err;
  const auto document = nlohmann::json::parse(result.out);
  ASSERT_EQ(document["scaled"].size(), 1u) << document["cases"];
  EXPECT_LT(document["scaled"][0]["calibration_ns"].get<double>(), 50e6);
  EXPECT_GE(document["scaled"][0]["scaled_window_ns"].get<double>(), 50e6) << document["scaled"][0];
}

TEST(AbCommand, MaxWindowGivesLongCasesFewerTasksButTenWavesAtLeast) {
  // 200 tasks of 1 ms each on one worker: a window of about 200 ms on any machine (cpu_burst's calibrated
  // spin may end a hair early: 199.9 ms was seen), far above --max-window 20ms, which scales it down, to the
  // floor of 100 tasks (ten waves of one worker would be 10).
  TempDir dir;
  const auto result =
      run_poolbench(fmt::format("ab {0} {0} -s fifo_ring -w cpu_burst --param duration_us=1000 -n 200 "
                                "-p 1 -k 1 --rounds 1 --max-window 20ms -q --format json -o {1}",
                                quote(POOLBENCH_BINARY), quote(dir.path().string())));
  ASSERT_EQ(result.exit_status, 0) << result.err;
  const auto document = nlohmann::json::parse(result.out);
  ASSERT_EQ(document["scaled"].size(), 1u);
  EXPECT_EQ(document["scaled"][0]["to"],
            "fifo_ring/cpu_burst/duration_us:1000/tasks:100/workers:1/producers:1");
  EXPECT_GE(document["scaled"][0]["calibration_ns"].get<double>(), 150e6);
}

TEST(AbCommand, BadInputIsOneLineAndExitTwoWithNothingWritten) {
  TempDir dir;
  const std::string out = quote((dir / "out").string());
  const std::string binary = quote(POOLBENCH_BINARY);
  for (const std::string& arguments :
       {fmt::format("ab /no/such/poolbench {} {} -o {}", binary, small_plan, out),
        fmt::format("ab {0} {1} {0} {2} -o {3}", binary, quote(dir.path().string()), small_plan, out),
        fmt::format("ab {0} {0} {1} --until-ci 0 -o {2}", binary, small_plan, out),
        fmt::format("ab {0} {0} {1} --min-rounds 9 --rounds 3 -o {2}", binary, small_plan, out),
        fmt::format("ab {0} {0} {1} --budget soon -o {2}", binary, small_plan, out),
        fmt::format("ab {0} {0} {1} --new-env NOEQUALS -o {2}", binary, small_plan, out),
        fmt::format("ab {0} {0} -s no_such_strategy -o {1}", binary, out),
        fmt::format("ab {0} {0} {1} --format yaml -o {2}", binary, small_plan, out),
        fmt::format("ab {0} {0} {1} --min-window 50ms --max-window 10ms -o {2}", binary, small_plan, out),
        fmt::format("ab {0} {0} {1} --affinity sideways -o {2}", binary, small_plan, out),
        fmt::format("ab {0} {0} {1} --adjust bonferroni -o {2}", binary, small_plan, out),
        fmt::format("ab {0} {0} {1} --test t-test -o {2}", binary, small_plan, out)}) {
    const auto result = run_poolbench(arguments);
    EXPECT_EQ(result.exit_status, 2) << arguments << "\n" << result.err;
    EXPECT_TRUE(result.out.empty()) << arguments;
    EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << arguments << "\n" << result.err;
    EXPECT_FALSE(std::filesystem::exists(dir / "out")) << arguments;
  }
}

}  // namespace
}  // namespace poolbench
