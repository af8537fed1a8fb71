// Lets the conformance suite check plugins: every plugin named in POOLBENCH_PLUGIN_PATH registers its
// strategies here, during static initialisation, so that GoogleTest instantiates the suite over them too when
// it registers the tests. `poolbench conform` runs this binary so (after loading the same plugins itself,
// with every built-in name already registered, so duplicates are refused there).
#include <cstdio>
#include <cstdlib>
#include <exception>

#include "plugin/plugin_loader.hpp"

namespace {

const bool plugins_loaded = [] {
  try {
    poolbench::load_plugins({});
  } catch (const std::exception& error) {
    std::fprintf(stderr, "conformance_test: error: %s\n", error.what());
    std::_Exit(2);
  }
  return true;
}();

}  // namespace
