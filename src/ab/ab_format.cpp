#include "ab/ab_format.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "errors.hpp"
#include "format/units.hpp"

namespace poolbench::ab {
namespace {

// Pull-request comments are limited to 65,536 characters; the summary keeps a margin below.
constexpr std::size_t markdown_summary_limit = 60000;

std::string change(double ratio) {
  if (!(ratio > 0) || !std::isfinite(ratio)) return "—";
  return fmt::format("{:+.1f}%", (ratio - 1) * 100);
}

std::string interval(const CaseAnalysis& c) {
  if (!c.ratio_interval.bounded) return "—";
  return fmt::format("{} … {}", change(c.ratio_interval.low), change(c.ratio_interval.high));
}

std::string p_value(double p) {
  return p < 0.0001 ? std::string("<0.0001") : fmt::format("{:.4f}", p);
}

std::string time_cell(double ns) {
  return ns > 0 ? format_duration_ns(ns) : std::string("—");
}

bool new_failed_alone(const CaseAnalysis& c) {
  return c.new_failures > c.base_failures;
}

bool fails_gate(const CaseAnalysis& c, bool strict) {
  return c.verdict == Verdict::regressed || (c.verdict == Verdict::failed && new_failed_alone(c)) ||
         (strict && c.verdict == Verdict::undecided);
}

std::map<Verdict, std::size_t> counts(const Outcome& outcome) {
  std::map<Verdict, std::size_t> out;
  for (const CaseAnalysis& c : outcome.analysis) ++out[c.verdict];
  return out;
}

std::string headline(const Settings& settings, const Outcome& outcome) {
  auto count = counts(outcome);
  std::size_t pairs = 0;
  for (const CaseAnalysis& c : outcome.analysis) pairs += c.rounds;
  return fmt::format(
      "{} regressed, {} improved, {} same, {} undecided, {} failed — {} cases, {} rounds ({} paired runs) in "
      "{:.0f} s, stopped: {}; order seed {}; {} test, alpha {} over all cases ({}), minimum effect {:.0f}%",
      count[Verdict::regressed], count[Verdict::improved], count[Verdict::same], count[Verdict::undecided],
      count[Verdict::failed], outcome.analysis.size(), outcome.rounds.size(), pairs, outcome.seconds,
      outcome.stopped_because, settings.seed, to_string(settings.analysis.test), settings.analysis.alpha,
      settings.analysis.adjustment == Options::Adjustment::holm ? "Holm" : "Benjamini-Hochberg",
      settings.analysis.min_effect * 100);
}

// Cases that are not "same", regressions and failures first.
std::vector<const CaseAnalysis*> notable(const Outcome& outcome) {
  std::vector<const CaseAnalysis*> out;
  for (const CaseAnalysis& c : outcome.analysis)
    if (c.verdict != Verdict::same) out.push_back(&c);
  auto rank = [](Verdict verdict) {
    switch (verdict) {
      case Verdict::regressed:
        return 0;
      case Verdict::failed:
        return 1;
      case Verdict::improved:
        return 2;
      case Verdict::undecided:
        return 3;
      case Verdict::same:
        return 4;
    }
    return 4;
  };
  std::stable_sort(out.begin(), out.end(), [&](const CaseAnalysis* a, const CaseAnalysis* b) {
    return rank(a->verdict) < rank(b->verdict);
  });
  return out;
}

std::vector<std::string> row(const CaseAnalysis& c) {
  std::string verdict = to_string(c.verdict);
  if (c.verdict == Verdict::failed)
    verdict += fmt::format(" (base {}, new {} of {} rounds)", c.base_failures, c.new_failures,
                           c.rounds + std::max(c.base_failures, c.new_failures));
  return {c.name,
          verdict,
          change(c.ratio_median),
          interval(c),
          p_value(c.p_adjusted),
          fmt::format("{}", c.rounds),
          c.outlier_rounds.empty() ? std::string("") : fmt::format("{}", c.outlier_rounds.size()),
          time_cell(c.base_median_ns),
          time_cell(c.new_median_ns)};
}

const std::array<const char*, 9> header = {"case",   "verdict",  "new/base", "95% interval", "p adjusted",
                                           "rounds", "outliers", "base",     "new"};

std::string text_table(const std::vector<const CaseAnalysis*>& rows) {
  std::vector<std::vector<std::string>> cells;
  cells.emplace_back(header.begin(), header.end());
  for (const CaseAnalysis* c : rows) cells.push_back(row(*c));
  std::vector<std::size_t> widths(header.size(), 0);
  auto width_of = [](const std::string& text) {
    std::size_t n = 0;
    for (unsigned char ch : text) n += (ch & 0xC0) != 0x80 ? 1 : 0;  // code points, not bytes
    return n;
  };
  for (const auto& line : cells)
    for (std::size_t i = 0; i < line.size(); ++i) widths[i] = std::max(widths[i], width_of(line[i]));
  std::string out;
  for (const auto& line : cells) {
    for (std::size_t i = 0; i < line.size(); ++i) {
      const std::string padding(widths[i] - width_of(line[i]), ' ');
      out += i == 0 || i == 1 ? fmt::format("{}{}", line[i], padding) : fmt::format("{}{}", padding, line[i]);
      out += i + 1 < line.size() ? "  " : "\n";
    }
  }
  return out;
}

std::string markdown_cell(std::string text) {
  std::string out;
  for (char ch : text) out += ch == '|' ? std::string("\\|") : std::string(1, ch);
  return out;
}

std::string markdown_table(const std::vector<const CaseAnalysis*>& rows) {
  std::string out =
      "| case | verdict | new/base | 95% interval | p adjusted | rounds | outliers | base | new |\n";
  out += "|---|---|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const CaseAnalysis* c : rows) {
    auto cells = row(*c);
    out += "|";
    for (std::size_t i = 0; i < cells.size(); ++i)
      out += i == 0 ? fmt::format(" `{}` |", markdown_cell(cells[i]))
                    : fmt::format(" {} |", markdown_cell(cells[i]));
    out += "\n";
  }
  return out;
}

}  // namespace

int exit_status(const Outcome& outcome, bool strict) {
  for (const CaseAnalysis& c : outcome.analysis)
    if (fails_gate(c, strict)) return exit_failures;
  return exit_ok;
}

std::string format_text(const Settings& settings, const Outcome& outcome) {
  std::string out = headline(settings, outcome) + "\n";
  const auto changed = notable(outcome);
  if (!changed.empty()) out += "\nnot the same:\n" + text_table(changed);
  std::vector<const CaseAnalysis*> all;
  for (const CaseAnalysis& c : outcome.analysis) all.push_back(&c);
  out += fmt::format(
             "\nevery case (new/base: median over the rounds of new's time / base's; interval: {}, 95%):\n",
             settings.analysis.test == Options::Test::sign ? "of the median, order statistics"
                                                           : "Hodges-Lehmann") +
         text_table(all);
  out += fmt::format("\nbase: {}\nnew:  {}\nfiles: {}/base.json, new.json, ab.json\n", settings.base.given,
                     settings.next.given, settings.out_dir);
  return out;
}

std::string format_markdown(const Settings& settings, const Outcome& outcome, bool summary_only) {
  std::string out = "## poolbench ab\n\n" + headline(settings, outcome) + "\n\n";
  out += fmt::format("base `{}` · new `{}`\n\n", markdown_cell(settings.base.given),
                     markdown_cell(settings.next.given));
  const auto changed = notable(outcome);
  if (changed.empty())
    out += "Every case: same.\n";
  else
    out += markdown_table(changed);
  if (summary_only) {
    if (out.size() > markdown_summary_limit) {
      // Keep whole rows up to the limit, and say how many were left out.
      std::string cut = out.substr(0, markdown_summary_limit - 200);
      cut = cut.substr(0, cut.rfind('\n') + 1);
      out = cut + fmt::format("\n… and more rows: the whole table is in {}/ab.json.\n", settings.out_dir);
    }
    return out;
  }
  std::vector<const CaseAnalysis*> all;
  for (const CaseAnalysis& c : outcome.analysis) all.push_back(&c);
  out += "\n<details><summary>every case</summary>\n\n" + markdown_table(all) + "\n</details>\n";
  return out;
}

}  // namespace poolbench::ab
