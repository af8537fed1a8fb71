// Capabilities: each strategy's declared traits as the report shows them, marked where the conformance suite
// checks the declaration against behaviour (the suite's own table, src/sdk/conformance_checks.hpp).
#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "conformance_checks.hpp"
#include "report/report_parts.hpp"

namespace poolbench::report {

// The trait's displayed value and whether the conformance suite checks it.
std::vector<CapabilityCell> capability_cells(const StrategyTraits& traits) {
  const auto verified = [&](const std::string& trait) {
    const auto& table = conformance_verified_traits();
    return std::any_of(table.begin(), table.end(),
                       [&](const VerifiedTrait& v) { return v.trait == trait && v.applies(traits); });
  };
  const auto cell = [&](const char* trait, std::string value) {
    return CapabilityCell{trait, std::move(value), verified(trait)};
  };
  const auto yes_no = [](bool value) { return std::string(value ? "yes" : "no"); };
  return {cell("queue_order", std::string(to_string(traits.queue_order))),
          cell("worker_lifecycle", std::string(to_string(traits.worker_lifecycle))),
          cell("when_full", std::string(to_string(traits.when_full))),
          cell("on_exception", std::string(to_string(traits.on_exception))),
          cell("returns_results", yes_no(traits.returns_results)),
          cell("cancellation", yes_no(traits.cancellation)),
          cell("synchronous_submit", yes_no(traits.synchronous_submit)),
          cell("worker_state", yes_no(traits.worker_state))};
}

// Derived from the table tests/conformance_test.cpp skips by (src/sdk/conformance_checks.hpp): a cell is
// marked verified only where a test there drives the strategy and checks the declared value against what
// happens.
const std::vector<VerifiedTrait>& conformance_verified_traits() {
  static const std::vector<VerifiedTrait> traits = [] {
    std::vector<VerifiedTrait> out;
    for (const ConformanceCheck& check : conformance_checks) {
      const std::string how = fmt::format("Conformance.{} ({})", check.test, check.drives);
      auto same = std::find_if(out.begin(), out.end(),
                               [&](const VerifiedTrait& v) { return v.trait == check.trait; });
      if (same != out.end()) {
        same->how += "; " + how;
        continue;
      }
      const std::string trait(check.trait);
      out.push_back(
          {trait, how, [trait](const StrategyTraits& t) { return conformance_verifies(trait, t); }});
    }
    return out;
  }();
  return traits;
}

}  // namespace poolbench::report
