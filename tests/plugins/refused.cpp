// Plugins the host must refuse, for plugin_test; REFUSED_BECAUSE selects the defect (one MODULE each):
//   1 no entry point        2 wrong plugin ABI version  3 SDK of another minor version
//   4 another C++ runtime   5 a built-in strategy's name  6 registration throws
#include <memory>
#include <stdexcept>

#include <poolbench/plugin.hpp>

namespace {

using namespace poolbench;

class NoStrategy final : public Strategy {
 public:
  SubmitResult submit(Task task) override {
    task();
    return SubmitResult::accepted();
  }
  std::exception_ptr wait() override { return nullptr; }
  void shutdown() override {}
  StrategyCounters counters() const override { return {}; }
};

void register_strategy(PluginRegistry& registry, const char* name) {
  registry.add_strategy(
      StrategyInfo{.name = name, .description = "refused", .make = [](const StrategyConfig&) {
                     return std::make_unique<NoStrategy>();
                   }});
}

[[maybe_unused]] void register_refused(PluginRegistry& registry) {
#if REFUSED_BECAUSE == 5
  register_strategy(registry, "fifo_ring");
#elif REFUSED_BECAUSE == 6
  register_strategy(registry, "test_plugin_registered_before_the_throw");
  throw std::runtime_error("cannot read my pool's configuration");
#else
  register_strategy(registry, "test_plugin_refused");
#endif
}

}  // namespace

#if REFUSED_BECAUSE == 1
// A shared library, but not a plugin: no poolbench_plugin_v1.
extern "C" __attribute__((visibility("default"))) int not_a_poolbench_entry_point() {
  return 1;
}
#else
extern "C" __attribute__((visibility("default"))) const poolbench_plugin_descriptor* poolbench_plugin_v1() {
  static const poolbench_plugin_descriptor descriptor{
      REFUSED_BECAUSE == 2 ? 99u : POOLBENCH_PLUGIN_ABI_VERSION,
      REFUSED_BECAUSE == 3 ? "0.99.0" : POOLBENCH_SDK_VERSION,
      REFUSED_BECAUSE == 4 ? "libc++ 170000" : POOLBENCH_CXX_RUNTIME,
      "test_plugin_refused",
      &register_refused,
  };
  return &descriptor;
}
#endif
