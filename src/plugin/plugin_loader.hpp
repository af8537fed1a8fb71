// The host side of plugins (src/sdk/plugin.hpp): loads the shared libraries given with --plugin and in
// POOLBENCH_PLUGIN_PATH, checks each descriptor before calling the plugin, and registers what it declares in
// the host's registries, remembering which file each strategy and workload came from.
//
// Only the paths given are loaded: no search of the working directory or of any default folder. A refused
// plugin is a UsageError naming the plugin and the reason (one line, exit status 2); nothing of it is
// registered. Libraries stay loaded until the process exits (their code backs the registered entries).
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace poolbench {

struct LoadedPlugin {
  std::string path;  // absolute, as loaded
  std::string name;  // from its descriptor
  std::string sha256;
  std::string sdk_version;
  std::vector<std::string> strategies;
  std::vector<std::string> workloads;
};

// Loads `given` (files, or folders whose *.so files load in name order) and then every entry of
// POOLBENCH_PLUGIN_PATH (colon-separated files or folders). A file already loaded is skipped. Warns on stderr
// when a plugin file or its folder can be written by every user.
void load_plugins(const std::vector<std::string>& given);

// Every plugin loaded so far, in load order.
const std::vector<LoadedPlugin>& loaded_plugins();

// The plugin that registered this strategy or workload, or nullptr for a built-in one.
const LoadedPlugin* plugin_of_strategy(const std::string& name);
const LoadedPlugin* plugin_of_workload(const std::string& name);

// Adds the repeatable `--plugin PATH` option to a subcommand; the returned list fills when it parses.
std::shared_ptr<std::vector<std::string>> add_plugin_option(CLI::App& command);

}  // namespace poolbench
