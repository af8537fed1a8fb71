#include "ab/ab_side.hpp"

#include <unistd.h>

#include <filesystem>

#include <fmt/format.h>

#include "errors.hpp"

namespace poolbench::ab {
namespace {

bool is_executable_file(const std::filesystem::path& path) {
  std::error_code error;
  return std::filesystem::is_regular_file(path, error) && ::access(path.c_str(), X_OK) == 0;
}

}  // namespace

Side resolve_side(const std::string& label, const std::string& given, const std::string& self,
                  const std::vector<std::string>& shared_plugins,
                  const std::vector<std::string>& environment) {
  namespace fs = std::filesystem;
  Side side{.label = label, .given = given, .executable = {}, .plugins = shared_plugins, .environment = {}};
  for (const std::string& setting : environment) {
    const auto equals = setting.find('=');
    if (equals == std::string::npos || equals == 0)
      throw UsageError(fmt::format("--{}-env: '{}' is not NAME=VALUE", label, setting));
    side.environment.push_back(setting);
  }
  std::error_code error;
  const fs::path path = given;
  if (given.empty() || !fs::exists(path, error))
    throw UsageError(fmt::format("ab: {} '{}' does not exist", label, given));
  if (fs::is_directory(path, error)) {
    for (const fs::path& candidate : {path / "poolbench", path / "build" / "release" / "poolbench"})
      if (is_executable_file(candidate)) {
        side.executable = fs::absolute(candidate).string();
        return side;
      }
    throw UsageError(
        fmt::format("ab: {} '{}' is a folder without a poolbench binary (looked for poolbench and "
                    "build/release/poolbench in it)",
                    label, given));
  }
  if (path.extension() == ".so") {
    side.executable = self;
    side.plugins.push_back(fs::absolute(path).string());
    return side;
  }
  if (!is_executable_file(path))
    throw UsageError(
        fmt::format("ab: {} '{}' is not an executable poolbench binary, a build folder or a "
                    "plugin file (.so)",
                    label, given));
  side.executable = fs::absolute(path).string();
  return side;
}

}  // namespace poolbench::ab
