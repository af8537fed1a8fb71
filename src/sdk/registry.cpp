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

}  // namespace poolbench
