// What a poolbench case was, as the result file's `case` object records it: the matrix coordinates, the
// parameter values split by owner (strategy or workload), the producers actually used, and the strategy's
// declared description and traits. Recorded so that compare and report read everything they need from the
// file, never from the build that reads it: a strategy renamed or removed since still reads the same.
//
// One writer and one reader of the `case` object (case_to_json / case_from_json): the plan hands a case to
// its child in this form too. Neutral: depends on the SDK's trait types only, so the plan includes it without
// depending on the result document.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "strategy.hpp"

namespace poolbench {

// How tasks arrive. Closed loop: each producer submits its next task as soon as submit() returns. Open loop
// (wrk2's model): every task has an intended submit time from a seeded schedule at a fixed offered rate, and
// its latency is measured from that time, so a submit that blocks is charged to every task it delayed.
enum class ArrivalProcess { closed, uniform, poisson };
std::string_view to_string(ArrivalProcess process);
std::optional<ArrivalProcess> arrival_process_named(std::string_view text);

struct Arrival {
  ArrivalProcess process = ArrivalProcess::closed;
  // Offered tasks per second (--rate); 0 when given as a load, which the child turns into a rate by
  // calibrating.
  double rate_per_second = 0;
  // Fraction of the case's own closed-loop capacity (--load); 0 when given as a rate.
  double load = 0;
  std::uint64_t seed = 1;  // of the schedule (Poisson gaps)

  bool open_loop() const { return process != ArrivalProcess::closed; }
  bool operator==(const Arrival&) const = default;
};

struct CaseInfo {
  std::string strategy;
  std::string workload;
  std::size_t tasks = 0;
  std::size_t workers = 0;
  std::size_t producers = 0;  // as asked for
  // Producer threads the case is driven with (synchronous pools get one per worker): decided by the plan,
  // used by the child. 0: not recorded (a file of the previous layout).
  std::size_t effective_producers = 0;
  // Every declared parameter's value (defaults applied), by owner.
  std::map<std::string, std::string> strategy_params;
  std::map<std::string, std::string> workload_params;
  std::string strategy_description;
  std::optional<StrategyTraits> strategy_traits;  // absent in files of the previous layout
  Arrival arrival;                                // closed unless --arrival chose an open loop
  // Previous layout (one `params` object): the owners were inferred by the reader, not recorded.
  bool params_owner_inferred = false;

  // Both owners' parameters in one map.
  std::map<std::string, std::string> params() const;
  // The workload's parameters plus, for an open-loop case, `arrival` and its `rate` or `load` (as the case
  // name carries them): everything the load offered to the strategy depends on, which tables and references
  // group by.
  std::map<std::string, std::string> load_params() const;
  bool operator==(const CaseInfo&) const = default;
};

// A `case` object that cannot be read; the message says which field and why.
struct CaseInfoError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

nlohmann::ordered_json case_to_json(const CaseInfo& info);
// Reads the current layout and the previous one (`params` without owners, no traits: every parameter lands in
// workload_params with params_owner_inferred set, for the reader to split across the file). Throws
// CaseInfoError.
CaseInfo case_from_json(const nlohmann::json& value);

// The `case` object's `arrival` (written only for an open loop). Throws CaseInfoError.
Arrival arrival_from_json(const nlohmann::json& value);

nlohmann::ordered_json traits_to_json(const StrategyTraits& traits);
// nullopt when a value is not one this build knows (a file from a later build): the traits count as
// unrecorded. Throws CaseInfoError when `value` is not an object of the expected types.
std::optional<StrategyTraits> traits_from_json(const nlohmann::json& value);

}  // namespace poolbench
