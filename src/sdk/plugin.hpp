// Plugin: a strategy (or workload) built outside this repository, in its own CMake project against the
// installed SDK (find_package(poolbench) and poolbench_add_plugin), and loaded by `poolbench run|list|conform
// --plugin PATH.so` or POOLBENCH_PLUGIN_PATH.
//
// A plugin exports one C function, poolbench_plugin_v1, returning a descriptor: the plugin ABI version, the
// SDK version and the C++ runtime it was compiled against, and a registration function. The host checks all
// three before it calls anything else of the plugin, then calls the registration function with its own
// registry, so the plugin carries no registry of its own (do not use StrategyRegistrar in a plugin: the host
// does not export its registries, and such a plugin fails to load). Write it with the macro:
//
//   #include <poolbench/plugin.hpp>
//   POOLBENCH_PLUGIN("my_pool", registry) {
//     registry.add_strategy(poolbench::StrategyInfo{.name = "my_pool", ...});
//   }
//
// What a strategy must guarantee (strategy.hpp says it per function; `poolbench conform` checks it):
//  * exactly once: a task whose submit() returned ok runs exactly once; a rejected one never runs;
//  * wait() returns only after every accepted task has finished (and may be called again after more submits);
//  * shutdown() and the destructor join every thread the strategy started: no thread outlives it;
//  * traits are claims: queue order, worker lifecycle, when full, on exception are checked against behaviour
//    by the conformance suite, and a result is only as trustworthy as the claims its strategy passed.
// A plugin is native code running inside poolbench with the user's rights: it can do anything the user can.
#pragma once

#include <cstdint>

#include "registry.hpp"

// The SDK's version: the headers' contract. A plugin loads into a poolbench whose SDK has the same major and
// minor version (the patch level changes documentation and fixes only). CMake reads the package version from
// these lines. Increment the minor version with any change to an installed header (task, strategy, workload,
// params, registry, worker_state, exactly_once, sleep and this one) that changes a type's layout, a virtual function
// or a declared function: a plugin built before it would otherwise load and misbehave.
#define POOLBENCH_SDK_VERSION_MAJOR 0
#define POOLBENCH_SDK_VERSION_MINOR 3
#define POOLBENCH_SDK_VERSION_PATCH 0
#define POOLBENCH_SDK_VERSION "0.3.0"

// The layout of poolbench_plugin_descriptor and the meaning of the registration call; a change to either
// increments it (and renames the entry point).
#define POOLBENCH_PLUGIN_ABI_VERSION 1
#define POOLBENCH_PLUGIN_ENTRY_POINT_NAME "poolbench_plugin_v1"

#define POOLBENCH_PLUGIN_STRINGIFY_(x) #x
#define POOLBENCH_PLUGIN_STRINGIFY(x) POOLBENCH_PLUGIN_STRINGIFY_(x)

// The C++ runtime whose types (std::string, std::function, std::vector) cross the plugin boundary: the
// standard library, its release and its std::string ABI must be the host's. The compiler's own ABI version
// (__GXX_ABI_VERSION) is left out: GCC and clang report different numbers for the one Itanium C++ ABI they
// both implement, and a clang-built host loads a GCC-built plugin correctly.
#if defined(__GLIBCXX__)
#define POOLBENCH_CXX_RUNTIME              \
  "libstdc++ " POOLBENCH_PLUGIN_STRINGIFY( \
      __GLIBCXX__) " _GLIBCXX_USE_CXX11_ABI=" POOLBENCH_PLUGIN_STRINGIFY(_GLIBCXX_USE_CXX11_ABI)
#elif defined(_LIBCPP_VERSION)
#define POOLBENCH_CXX_RUNTIME "libc++ " POOLBENCH_PLUGIN_STRINGIFY(_LIBCPP_VERSION)
#else
#define POOLBENCH_CXX_RUNTIME "unknown C++ runtime"
#endif

namespace poolbench {

// The host's registries, as a plugin's registration function sees them. A name that already exists (built
// in, or from another plugin) refuses the whole plugin; so does an exception leaving the registration.
class PluginRegistry {
 public:
  virtual void add_strategy(StrategyInfo info) = 0;
  virtual void add_workload(WorkloadInfo info) = 0;

 protected:
  ~PluginRegistry() = default;
};

}  // namespace poolbench

extern "C" {

struct poolbench_plugin_descriptor {
  std::uint32_t abi_version;  // POOLBENCH_PLUGIN_ABI_VERSION; first in every version, read before the rest
  const char* sdk_version;    // POOLBENCH_SDK_VERSION
  const char* cxx_runtime;    // POOLBENCH_CXX_RUNTIME
  const char* name;           // the plugin's name, for messages
  void (*register_plugin)(poolbench::PluginRegistry& registry);
};

// The entry point's type: poolbench_plugin_v1 returns a descriptor that lives as long as the library.
typedef const poolbench_plugin_descriptor* (*poolbench_plugin_entry_point)();
}

// Defines the entry point and opens the registration function's body; `registry` names its parameter.
#define POOLBENCH_PLUGIN(plugin_name, registry)                                                         \
  static void poolbench_plugin_register(::poolbench::PluginRegistry& registry);                         \
  extern "C" __attribute__((visibility("default"))) const ::poolbench_plugin_descriptor*                \
  poolbench_plugin_v1() {                                                                               \
    static const ::poolbench_plugin_descriptor descriptor{POOLBENCH_PLUGIN_ABI_VERSION,                 \
                                                          POOLBENCH_SDK_VERSION, POOLBENCH_CXX_RUNTIME, \
                                                          plugin_name, &poolbench_plugin_register};     \
    return &descriptor;                                                                                 \
  }                                                                                                     \
  static void poolbench_plugin_register(::poolbench::PluginRegistry& registry)
