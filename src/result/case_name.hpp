// A case's name, as Google Benchmark names benchmarks: strategy/workload, the parameters that were chosen or
// swept, then the matrix coordinates:
//
//   fifo_ring/atomic_increment/tasks:1000000/workers:2/producers:1
//   fifo_ring/cpu_burst/duration_us:10/tasks:1000000/workers:2/producers:1
//
// The one formatter and the one parser of these names: the plan formats them, compare and report parse them
// (compare for files without poolbench's `case` object, report to know which parameters a case was named
// by). '/' separates the parts and ':' a key from its value, so a name part that contains either (or a
// control character or white space, which would make the name unusable on a command line) is rejected rather
// than escaped: every such name would otherwise need quoting wherever people type or grep it.
#pragma once

#include <cstddef>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>

namespace poolbench {

struct CaseNameError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

struct CaseName {
  std::string strategy;
  std::string workload;
  std::map<std::string, std::string> params;  // the parameters the name carries, by name
  std::size_t tasks = 0;
  std::size_t workers = 0;
  std::size_t producers = 0;

  // The name; throws CaseNameError naming the part that cannot go into a name.
  std::string str() const;

  // Parses a poolbench case name (the parameters may stand anywhere after the workload). Throws
  // CaseNameError on anything else, e.g. a Google Benchmark name such as "BM_sort/1024".
  static CaseName parse(std::string_view name);

  bool operator==(const CaseName&) const = default;
};

}  // namespace poolbench
