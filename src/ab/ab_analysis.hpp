// The paired verdict of `poolbench ab`: per case, the ratios new/base of the rounds in which both sides ran,
// judged as a whole family.
//
// Each round measures base and new of a case one right after the other, so a ratio of the pair cancels most
// of what the machine was doing at that moment; the rounds' ratios are then tested on their logarithms (a 10%
// slowdown and a 10% speed-up are the same distance from 1). The median of the ratios is the estimate shown.
// By default each case gets the Wilcoxon signed-rank test and its Hodges-Lehmann interval
// (Options::Test::signed_rank): on the quick matrix here it found a 10% slowdown on more of the slowed cases
// than the sign test did, in every one of five pairs, with the same clean A/A pairs (results/ab-check.md,
// stop 18). Options::Test::sign is the sign test for "the median is 1" and the order-statistic interval of
// the median, for cases bimodal on either side (fifo_ring's atomic_increment: about one window in six takes
// two to three times the usual), where a few rounds have huge ratios in either direction and the
// signed-rank test ranks exactly those highest.
// The p-values of all cases are adjusted together (Benjamini-Hochberg by default, or Holm): a quick matrix
// holds about a hundred cases, and at a per-case alpha of 5% an A/A run would report a few regressions every
// time.
//
//   regressed  adjusted p < alpha, median ratio >= 1 + min_effect, and the interval above 1
//   improved   the mirror image (median ratio <= 1 / (1 + min_effect), interval below 1)
//   same       the interval inside [1 / (1 + min_effect), 1 + min_effect], or a significant change smaller
//              than the minimum effect
//   undecided  none of these: the rounds are too few or too noisy to say (more rounds, or --until-ci)
//   failed     a side failed in some round (its reason is kept); a failure of new alone fails the gate
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "metrics/statistics.hpp"

namespace poolbench::ab {

// One round of one case: each side's time (the window's real time, ns), or why it has none.
struct Pair {
  std::size_t round = 0;
  bool base_first = true;
  std::optional<double> base_ns;
  std::optional<double> new_ns;
  std::string base_failure;
  std::string new_failure;
};

struct CaseRecord {
  std::string name;
  std::vector<Pair> pairs;  // in round order
};

struct Options {
  double alpha = 0.05;  // over the cases, as `adjustment` controls it
  // How the cases' p-values are adjusted together: Benjamini-Hochberg (the default: in an A/A comparison,
  // where nothing changed, the chance of any false regression is alpha, as with Holm; where some cases did
  // change, it bounds the expected share of false ones among those reported, and needs far fewer rounds than
  // Holm to report a change that shows in many cases), or Holm (the chance of any false regression is alpha
  // whatever changed).
  enum class Adjustment { benjamini_hochberg, holm } adjustment = Adjustment::benjamini_hochberg;
  // The paired test of each case's log ratios and the interval that inverts it (see the top of this file).
  enum class Test { sign, signed_rank } test = Test::signed_rank;
  double min_effect = 0.05;  // relative change that counts
  double confidence = 0.95;  // of each case's interval
  // Adaptive rounds: a case stops once its interval's half-width is at most this fraction of the ratio and
  // its verdict is "same", or once its change is certain. nullopt: every case runs every round.
  // "Certain" has to survive being asked after every round: a case that stopped on its first lucky streak
  // keeps that streak as its final sample, and repeated looks at a fixed alpha find such a streak far more
  // often than alpha (optional stopping). So the stop for a change is Bonferroni over the cases and over
  // every round at which it could come (min_rounds to max_rounds): p < alpha / (cases * looks). All early
  // stops of a run together then claim a false change with chance at most alpha, whatever the rounds'
  // dependence; a case that never stops early is judged once, at the end, with the rest.
  std::optional<double> until_ci;
  std::size_t min_rounds = 5;
  std::size_t max_rounds = 10;  // the rounds every case runs; with until_ci, the most (and the looks above)
  std::size_t early_stop_looks() const { return max_rounds > min_rounds ? max_rounds - min_rounds + 1 : 1; }
};

enum class Verdict { regressed, improved, same, undecided, failed };
std::string to_string(Verdict verdict);
std::string to_string(Options::Test test);  // "sign" or "signed-rank", as --test spells them

struct CaseAnalysis {
  std::string name;
  std::size_t rounds = 0;  // rounds in which both sides ran
  double base_median_ns = 0;
  double new_median_ns = 0;
  double ratio_median = 0;  // median over the rounds of new / base
  // Of new / base (exp of the log interval): the median's order-statistic interval (estimate: the median)
  // under Test::sign, the Hodges-Lehmann interval (estimate: Hodges-Lehmann's) under Test::signed_rank.
  metrics::ShiftInterval ratio_interval;
  double p_value = 1;                       // of Options::test on the log ratios
  double p_adjusted = 1;                    // over every case with paired rounds (Options::adjustment)
  std::vector<std::size_t> outlier_rounds;  // log ratio more than 3 MADs (scaled) from the median
  std::size_t base_failures = 0;
  std::size_t new_failures = 0;
  std::string failure;  // the first failure's reason, "base: ..." or "new: ..."
  Verdict verdict = Verdict::undecided;
  bool settled = false;  // for adaptive rounds: needs no more rounds (see Options::until_ci)
  // The interval's half-width relative to the ratio; infinity when unbounded.
  double interval_half_width() const;
};

std::vector<CaseAnalysis> analyse(const std::vector<CaseRecord>& cases, const Options& options);

}  // namespace poolbench::ab
