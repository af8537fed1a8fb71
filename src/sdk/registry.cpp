#include "registry.hpp"

namespace poolbench {

// Function-local statics: registrars in other translation units run during static initialisation, in no
// particular order, so the registries must exist on first use.
Registry<StrategyInfo>& strategy_registry() {
  static Registry<StrategyInfo> registry;
  return registry;
}

Registry<WorkloadInfo>& workload_registry() {
  static Registry<WorkloadInfo> registry;
  return registry;
}

StrategyTraits traits_for(const StrategyInfo& strategy, const Params& params) {
  StrategyTraits traits = strategy.traits;
  double overhead = strategy.nominal_overhead_ns;
  if (strategy.adjust_for_mode) strategy.adjust_for_mode(params, traits, overhead);
  return traits;
}

double nominal_overhead_for(const StrategyInfo& strategy, const Params& params) {
  StrategyTraits traits = strategy.traits;
  double overhead = strategy.nominal_overhead_ns;
  if (strategy.adjust_for_mode) strategy.adjust_for_mode(params, traits, overhead);
  return overhead;
}

}  // namespace poolbench
