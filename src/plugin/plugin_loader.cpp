#include "plugin/plugin_loader.hpp"

#include <dlfcn.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "errors.hpp"
#include "plugin.hpp"
#include "plugin/sha256.hpp"

namespace poolbench {
namespace {

namespace fs = std::filesystem;

struct PluginState {
  std::vector<LoadedPlugin> plugins;
  std::map<std::string, std::size_t> strategy_plugin;  // name -> index into plugins
  std::map<std::string, std::size_t> workload_plugin;
};

PluginState& state() {
  static PluginState plugins;
  return plugins;
}

// Collects what a plugin's registration declares, so that nothing of a refused plugin reaches the host's
// registries.
class StagingRegistry final : public PluginRegistry {
 public:
  void add_strategy(StrategyInfo info) override { strategies.push_back(std::move(info)); }
  void add_workload(WorkloadInfo info) override { workloads.push_back(std::move(info)); }

  std::vector<StrategyInfo> strategies;
  std::vector<WorkloadInfo> workloads;
};

[[noreturn]] void refuse(const fs::path& plugin, const std::string& reason) {
  throw UsageError(fmt::format("plugin {}: {}", plugin.string(), reason));
}

std::string text_or_empty(const char* text) {
  return text == nullptr ? std::string() : std::string(text);
}

// "0.1.3" -> {0, 1}; the major and minor version decide compatibility.
bool same_sdk_series(const std::string& version) {
  int major = -1;
  int minor = -1;
  if (std::sscanf(version.c_str(), "%d.%d", &major, &minor) != 2) return false;
  return major == POOLBENCH_SDK_VERSION_MAJOR && minor == POOLBENCH_SDK_VERSION_MINOR;
}

// A file or folder that every user can write lets any of them replace the code poolbench runs. A sticky
// folder (/tmp) does not: there only the owner of a file may remove or rename it.
void warn_if_world_writable(const fs::path& plugin) {
  for (const fs::path& path : {plugin, plugin.parent_path()}) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) continue;
    const bool sticky_folder = S_ISDIR(info.st_mode) && (info.st_mode & S_ISVTX) != 0;
    if ((info.st_mode & S_IWOTH) != 0 && !sticky_folder)
      std::fprintf(
          stderr,
          "poolbench: warning: plugin %s: %s %s is writable by every user (anyone on this machine can "
          "replace the code poolbench runs)\n",
          plugin.c_str(), S_ISDIR(info.st_mode) ? "its folder" : "the file", path.c_str());
  }
}

// Names are used in comma lists, case names and file names.
bool acceptable_name(const std::string& name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

template <class Info>
void check_names(const fs::path& plugin, const std::vector<Info>& staged, const Registry<Info>& registry,
                 const std::map<std::string, std::size_t>& owners, const char* kind) {
  std::set<std::string> seen;
  for (const Info& info : staged) {
    if (!acceptable_name(info.name))
      refuse(plugin,
             fmt::format("registers a {} named '{}': names are letters, digits, _ and -", kind, info.name));
    if (!info.make) refuse(plugin, fmt::format("registers {} {} without a make function", kind, info.name));
    if (!seen.insert(info.name).second) refuse(plugin, fmt::format("registers {} {} twice", kind, info.name));
    if (registry.find(info.name) != nullptr) {
      auto owner = owners.find(info.name);
      refuse(plugin,
             fmt::format("registers {} {}, which already exists ({})", kind, info.name,
                         owner == owners.end() ? std::string("built in")
                                               : "from plugin " + state().plugins[owner->second].path));
    }
  }
}

void load_file(const fs::path& given) {
  std::error_code error;
  if (!fs::exists(given, error)) refuse(given, "no such file");
  if (!fs::is_regular_file(given, error)) refuse(given, "not a regular file");
  const fs::path path = fs::canonical(given, error);
  if (error) refuse(given, error.message());
  PluginState& plugins = state();
  for (const LoadedPlugin& loaded : plugins.plugins)
    if (loaded.path == path.string())
      return;  // given twice (e.g. with --plugin and in POOLBENCH_PLUGIN_PATH)
  warn_if_world_writable(path);

  // RTLD_NOW: an SDK function the plugin needs and this poolbench lacks fails here, not in the middle of a
  // case. RTLD_LOCAL: the plugin's own symbols stay its own. Never closed: the registered entries run its
  // code.
  ::dlerror();
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    std::string why = text_or_empty(::dlerror());
    if (why.starts_with(path.string() + ": ")) why.erase(0, path.string().size() + 2);
    refuse(path, "cannot load it as a shared library: " + why);
  }
  const auto entry_point =
      reinterpret_cast<poolbench_plugin_entry_point>(::dlsym(handle, POOLBENCH_PLUGIN_ENTRY_POINT_NAME));
  if (entry_point == nullptr)
    refuse(path, "exports no " POOLBENCH_PLUGIN_ENTRY_POINT_NAME
                 " entry point: not a poolbench plugin (see POOLBENCH_PLUGIN in poolbench/plugin.hpp)");
  const poolbench_plugin_descriptor* descriptor = entry_point();
  if (descriptor == nullptr) refuse(path, "its entry point returned no descriptor");
  if (descriptor->abi_version != POOLBENCH_PLUGIN_ABI_VERSION)
    refuse(path, fmt::format("plugin ABI version {}, this poolbench loads version {} (rebuild the plugin "
                             "against this poolbench's SDK)",
                             descriptor->abi_version, POOLBENCH_PLUGIN_ABI_VERSION));
  const std::string sdk_version = text_or_empty(descriptor->sdk_version);
  if (!same_sdk_series(sdk_version))
    refuse(path, fmt::format("built against poolbench SDK {}, this poolbench has SDK {} (the major and minor "
                             "versions must match: rebuild the plugin against this install)",
                             sdk_version.empty() ? "(none)" : sdk_version, POOLBENCH_SDK_VERSION));
  const std::string cxx_runtime = text_or_empty(descriptor->cxx_runtime);
  if (cxx_runtime != POOLBENCH_CXX_RUNTIME)
    refuse(path, fmt::format("built for the C++ runtime '{}', this poolbench uses '{}' (std::string and "
                             "std::function cross the boundary: rebuild with the same standard library)",
                             cxx_runtime, POOLBENCH_CXX_RUNTIME));
  if (descriptor->register_plugin == nullptr) refuse(path, "its descriptor has no registration function");

  StagingRegistry staged;
  try {
    descriptor->register_plugin(staged);
  } catch (const std::exception& thrown) {
    refuse(path, fmt::format("its registration threw: {}", thrown.what()));
  } catch (...) {
    refuse(path, "its registration threw a non-standard exception");
  }
  if (staged.strategies.empty() && staged.workloads.empty())
    refuse(path, "registers no strategy or workload");
  check_names(path, staged.strategies, strategy_registry(), plugins.strategy_plugin, "strategy");
  check_names(path, staged.workloads, workload_registry(), plugins.workload_plugin, "workload");

  LoadedPlugin loaded;
  loaded.path = path.string();
  loaded.name = text_or_empty(descriptor->name);
  loaded.sdk_version = sdk_version;
  try {
    loaded.sha256 = sha256_file_hex(path);
  } catch (const std::exception& thrown) {
    refuse(path, thrown.what());
  }
  const std::size_t index = plugins.plugins.size();
  for (StrategyInfo& info : staged.strategies) {
    loaded.strategies.push_back(info.name);
    plugins.strategy_plugin[info.name] = index;
    strategy_registry().add(std::move(info));
  }
  for (WorkloadInfo& info : staged.workloads) {
    loaded.workloads.push_back(info.name);
    plugins.workload_plugin[info.name] = index;
    workload_registry().add(std::move(info));
  }
  plugins.plugins.push_back(std::move(loaded));
}

// A file, or a folder whose *.so files load in name order.
void load_path(const fs::path& path) {
  std::error_code error;
  if (!fs::is_directory(path, error)) {
    load_file(path);
    return;
  }
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(path, error))
    if (entry.path().extension() == ".so" && entry.is_regular_file(error)) files.push_back(entry.path());
  if (error) refuse(path, "cannot read the folder: " + error.message());
  std::sort(files.begin(), files.end());
  for (const fs::path& file : files) load_file(file);
}

const LoadedPlugin* owner(const std::map<std::string, std::size_t>& owners, const std::string& name) {
  auto found = owners.find(name);
  return found == owners.end() ? nullptr : &state().plugins[found->second];
}

}  // namespace

void load_plugins(const std::vector<std::string>& given) {
  for (const std::string& path : given) load_path(path);
  const char* variable = std::getenv("POOLBENCH_PLUGIN_PATH");
  std::string_view rest = variable == nullptr ? std::string_view{} : std::string_view(variable);
  while (!rest.empty()) {
    const std::size_t colon = rest.find(':');
    const std::string entry(rest.substr(0, colon));
    rest = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon + 1);
    if (!entry.empty()) load_path(entry);
  }
}

const std::vector<LoadedPlugin>& loaded_plugins() {
  return state().plugins;
}

const LoadedPlugin* plugin_of_strategy(const std::string& name) {
  return owner(state().strategy_plugin, name);
}

const LoadedPlugin* plugin_of_workload(const std::string& name) {
  return owner(state().workload_plugin, name);
}

std::shared_ptr<std::vector<std::string>> add_plugin_option(CLI::App& command) {
  auto paths = std::make_shared<std::vector<std::string>>();
  command
      .add_option("--plugin", *paths,
                  "load strategies and workloads from this shared library, or every *.so of this folder "
                  "(repeatable; also POOLBENCH_PLUGIN_PATH, colon-separated)")
      ->type_name("PATH.so")
      ->allow_extra_args(false);
  return paths;
}

}  // namespace poolbench
